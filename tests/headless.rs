//! Real workers, headless: what must hold between the two sides, with margins safe on a noisy 2-core box.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

const FIELDS: &[&str] = &[
    "side",
    "workload",
    "units",
    "os_threads",
    "rss_bytes",
    "rss_baseline_bytes",
    "rss_per_unit_bytes",
    "virtual_bytes",
    "cpu_percent",
    "ctx_voluntary",
    "ctx_involuntary",
    "ctx_switches_per_sec",
    "ops_per_sec",
    "lateness_p50_us",
    "lateness_p99_us",
    "lateness_max_us",
    "spawn_ns_per_unit",
    "errors",
];

#[test]
fn sleeping_tasks_cost_less_than_sleeping_threads() {
    let (code, doc) = headless(&[
        "--duration",
        "4s",
        "--workload",
        "sleep",
        "--async-units",
        "2000",
        "--thread-units",
        "200",
    ]);
    assert_eq!(code, Some(0), "{doc}");
    let (a, t) = (side(&doc, "async"), side(&doc, "threads"));
    for f in FIELDS {
        assert!(
            a.get(f).is_some() && t.get(f).is_some(),
            "field {f} missing: {doc}"
        );
    }
    assert_eq!(num(a, "units"), 2000.0);
    assert_eq!(num(t, "units"), 200.0);
    // Every thread unit is an OS thread; the async side adds only its runtime's workers (2 here) to
    // the fixed ones both sides have (main, reporter, spawner), so the gap is 200 less those workers.
    assert!(num(t, "os_threads") >= 200.0 + 3.0, "{doc}");
    assert!(
        num(t, "os_threads") >= num(a, "os_threads") + 195.0,
        "{doc}"
    );
    assert!(
        num(a, "os_threads") <= 8.0,
        "2,000 tasks need no thread of their own: {doc}"
    );
    // Tasks cost a few hundred bytes, threads several KiB of touched stack and bookkeeping.
    assert!(
        num(t, "rss_per_unit_bytes") >= 3.0 * num(a, "rss_per_unit_bytes"),
        "{doc}"
    );
    for s in [a, t] {
        assert!(
            num(s, "ctx_voluntary") > 0.0 && num(s, "ops_per_sec") > 0.0,
            "{s}"
        );
        assert!(
            num(s, "lateness_p99_us") >= num(s, "lateness_p50_us"),
            "{s}"
        );
        assert!(num(s, "spawn_ns_per_unit") > 0.0, "{s}");
        assert!(num(s, "rss_bytes") > num(s, "rss_baseline_bytes"), "{s}");
        assert_eq!(s["errors"].as_array().unwrap().len(), 0, "{s}");
    }
}

#[test]
fn csv_has_a_row_per_side_per_sample_and_counters_never_decrease() {
    let out = run(&[
        "--headless",
        "--duration",
        "3s",
        "--format",
        "csv",
        "--async-units",
        "100",
        "--thread-units",
        "100",
        "--interval-ms",
        "100",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (side_col, vol_col, invol_col) =
        (col("side"), col("ctx_voluntary"), col("ctx_involuntary"));
    let mut last = std::collections::HashMap::new();
    let mut rows = std::collections::HashMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), header.len(), "{line}");
        let total: u64 = f[vol_col].parse::<u64>().unwrap() + f[invol_col].parse::<u64>().unwrap();
        let prev = last.insert(f[side_col].to_string(), total).unwrap_or(0);
        assert!(total >= prev, "context switches went down: {line}");
        *rows.entry(f[side_col].to_string()).or_insert(0) += 1;
    }
    for s in ["async", "threads"] {
        assert!(
            rows.get(s).copied().unwrap_or(0) >= 15,
            "too few rows for {s}: {rows:?}"
        );
        assert!(last[s] > 0);
    }
}

#[test]
fn a_current_thread_runtime_uses_at_most_one_core() {
    let (code, doc) = headless(&[
        "--duration",
        "3s",
        "--workload",
        "cpu",
        "--runtime",
        "current-thread",
        "--async-units",
        "4",
        "--thread-units",
        "4",
    ]);
    assert_eq!(code, Some(0), "{doc}");
    let a = side(&doc, "async");
    assert!(num(a, "cores_used") < 1.15, "{a}");
    assert!(num(a, "ops_per_sec") > 0.0 && num(side(&doc, "threads"), "ops_per_sec") > 0.0);
    assert_eq!(doc["runtime"], "current-thread");
}

#[test]
fn scaling_to_zero_units_reports_no_per_unit_cost() {
    let (code, doc) = headless(&[
        "--duration",
        "2s",
        "--async-units",
        "0",
        "--thread-units",
        "0",
    ]);
    assert_eq!(code, Some(0));
    for s in ["async", "threads"] {
        let v = side(&doc, s);
        assert_eq!(num(v, "units"), 0.0);
        assert!(v["rss_per_unit_bytes"].is_null(), "{v}");
    }
}
