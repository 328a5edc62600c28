//! Real workers, headless: what must hold between the two sides, with margins safe on a noisy 2-core box.
#![allow(clippy::unwrap_used)]

use crate::common::*;

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
        // Every run here at nice 0: the workers compete on equal terms with whatever else runs
        // (at the default nice 10 a loaded machine starved them: "no sample arrived" at load 2,500).
        "--nice",
        "0",
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
    // Every thread unit is an OS thread; the async side adds only its runtime's workers to the fixed
    // ones both sides have (main, reporter, spawner). Workers default to the machine's core count,
    // which the document gives.
    let workers = doc["workers"].as_f64().unwrap();
    assert!(num(t, "os_threads") >= 200.0 + 3.0, "{doc}");
    assert!(
        num(a, "os_threads") <= workers + 3.0,
        "2,000 tasks need no thread of their own: {doc}"
    );
    assert!(
        num(t, "os_threads") >= num(a, "os_threads") + 200.0 - workers,
        "{doc}"
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
        // A timer never fires early and timer slack alone makes a wake-up late: lateness measured
        // as zero means it was not measured.
        assert!(num(s, "lateness_p50_us") > 0.0, "{s}");
        assert!(num(s, "spawn_ns_per_unit") > 0.0, "{s}");
        assert!(num(s, "rss_bytes") > num(s, "rss_baseline_bytes"), "{s}");
        assert_reported(s);
    }
}

#[test]
fn csv_has_a_row_per_side_per_sample_with_that_sides_figures() {
    let out = run(&[
        "--headless",
        "--nice",
        "0",
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
    let (side_col, units_col, vol_col, invol_col) = (
        col("side"),
        col("units"),
        col("ctx_voluntary"),
        col("ctx_involuntary"),
    );
    // Per side: (rows, first context-switch total, last total, last units).
    let mut per_side = std::collections::HashMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), header.len(), "{line}");
        let total: u64 = f[vol_col].parse::<u64>().unwrap() + f[invol_col].parse::<u64>().unwrap();
        let e = per_side
            .entry(f[side_col].to_string())
            .or_insert((0, total, total, String::new()));
        (e.0, e.2, e.3) = (e.0 + 1, total, f[units_col].to_string());
    }
    for s in ["async", "threads"] {
        let (rows, first, last, units) = per_side
            .get(s)
            .cloned()
            .unwrap_or_else(|| panic!("no row for {s}: {text}"));
        // 3 s at 100 ms: ~28 samples once figures exist; half of them on a busy machine.
        assert!(rows >= 15, "too few rows for {s}: {rows}");
        assert_eq!(units, "100", "{s}: the rows carry that side's units");
        // 100 sleeping units wake ten times a second: their switches keep adding up row after row.
        assert!(
            last > first,
            "{s}: context switches did not grow: {first} -> {last}"
        );
    }
}

#[test]
fn a_current_thread_runtime_uses_at_most_one_core() {
    // The async side alone, CPU-bound, once per runtime: the multi-thread run has both cores to use
    // and its two workers show as two more threads; a `--runtime` that went ignored shows as equal runs.
    let run = |runtime: &str| {
        let (code, doc) = headless(&[
            "--nice",
            "0",
            "--duration",
            "3s",
            "--workload",
            "cpu",
            "--runtime",
            runtime,
            "--workers",
            "2",
            "--async-units",
            "4",
            "--thread-units",
            "0",
        ]);
        assert_eq!(code, Some(0), "{doc}");
        assert_eq!(doc["runtime"], runtime);
        let a = side(&doc, "async").clone();
        assert_reported(&a);
        assert!(num(&a, "ops_per_sec") > 0.0, "{a}");
        a
    };
    // Three cores busy at nice 0 between them: beside no CPU-bound test (a yield run beside it took
    // four times as long to be steady), both at once (the current-thread one uses one core whatever
    // else runs, and the thread counts are counted before any unit starts).
    let _cpu = cpu_bound();
    let (current, multi) = std::thread::scope(|s| {
        let multi = s.spawn(|| run("multi-thread"));
        (run("current-thread"), multi.join().unwrap())
    });
    assert!(num(&current, "cores_used") < 1.15, "{current}");
    // current-thread: the runtime has one thread of its own ("tokio-rt"); multi-thread ×2 has two.
    // Counted before the first unit, so no thread a unit's work may start on the way counts.
    assert_eq!(
        num(&multi, "os_threads_baseline") - num(&current, "os_threads_baseline"),
        1.0,
        "current {current}\nmulti {multi}"
    );
}

#[test]
fn scaling_to_zero_units_reports_no_per_unit_cost() {
    let (code, doc) = headless(&[
        "--nice",
        "0",
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
        assert_reported(v);
        assert_eq!(num(v, "units"), 0.0);
        assert!(v["rss_per_unit_bytes"].is_null(), "{v}");
    }
}

#[test]
fn a_long_run_draws_no_progress_when_stderr_is_not_a_terminal() {
    // Long enough for the progress line (3 s and more) were stderr a terminal; here it is a pipe.
    let out = run(&["--headless", "--duration", "4s", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("left of"), "progress on a pipe: {err}");
    assert!(!err.contains('\x1b'), "escape codes on a pipe: {err:?}");
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is the JSON alone");
    assert!(doc.get("sides").is_some(), "{doc}");
}

/// The wire keys of `keys` that docs/figures.md does not name in backticks (`key`).
fn undocumented<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/figures.md"))
        .expect("docs/figures.md");
    let mut missing: Vec<&str> = keys
        .into_iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    missing
}

#[test]
fn every_catalog_figure_csv_column_and_headline_is_in_the_figures_doc() {
    let header = versus::headless::csv_header();
    let csv = header.split(',');
    let catalog = versus::catalog::all().map(|f| f.key);
    let headlines = versus::catalog::headlines().filter_map(|f| f.headline.map(|h| h.name));
    let keys: Vec<&str> = csv
        .chain(catalog)
        .chain(headlines)
        .chain(FIELDS.iter().copied())
        .collect();
    assert!(keys.len() > 20, "too few keys to check: {keys:?}");
    let missing = undocumented(keys);
    assert!(
        missing.is_empty(),
        "docs/figures.md does not name these wire keys in backticks: {missing:?}"
    );
    // The check itself can fail: a key nobody reports is not there.
    assert_eq!(undocumented(["no_such_wire_key"]), ["no_such_wire_key"]);
}

/// `--until-steady`: the default launch ends once both sides are steady, long before its upper bound,
/// with figures for both sides and the headline compared; the JSON says what ended it.
#[test]
fn until_steady_ends_once_both_sides_are_steady() {
    // The default launch as the other tests read it: `--until-steady --duration 60s --nice 0`.
    let (code, doc) = default_run();
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["ended"], "steady", "{doc}");
    // Steady needs the headline median held for 3 s after the sides settle: more than 3 s, and
    // well short of the 60 s bound (5–6 s here, 11 s at load average 11).
    let ran = num(&doc, "ran_s");
    assert!((3.0..45.0).contains(&ran), "ran {ran} s: {doc}");
    for name in ["async", "threads"] {
        assert_reported(side(&doc, name));
    }
    assert_eq!(doc["headline"]["comparable"], true, "{doc}");
    // Without it, the duration ends the run and says so.
    let (code, doc) = headless(&["--duration", "1s"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["ended"], "duration", "{doc}");
    assert!(num(&doc, "ran_s") >= 1.0, "{doc}");
}
