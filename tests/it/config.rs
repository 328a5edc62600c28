//! Scenarios from the outside: --list, --config files (valid and invalid fixtures), --set, and every
//! built-in scenario started headless with real workers.
#![allow(clippy::unwrap_used)]

use crate::common::*;

const BUILTIN: &[&str] = &[
    "memory",
    "spawn",
    "switch",
    "parallel",
    "blocking",
    "contention",
    "limits",
    "echo",
    "yield",
    "deadlock",
    "cancel",
    "pool",
    "weight",
];

/// BUILTIN names every preset under assets/scenarios: a scenario added there is started here too.
#[test]
fn builtin_names_every_preset() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/scenarios");
    let mut presets: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".toml").map(str::to_string)
        })
        .collect();
    presets.sort();
    let mut listed: Vec<String> = BUILTIN.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(listed, presets);
}

/// Exit code 2, one line on stderr containing every needle, nothing on stdout, nothing started.
fn refused(args: &[&str], needles: &[&str]) {
    // Where clone/fork fail: a run that started a worker (or a thread) first would answer otherwise.
    let out = run_starting_nothing(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    }
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
}

#[test]
fn bad_config_files_name_file_line_column_and_what_is_allowed() {
    let fixture = |name: &str| format!("{}/tests/fixtures/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let cases: &[(&str, &[&str])] = &[
        (
            "unknown_key",
            &[
                "unknown_key.toml:3:1: unknown key 'thread_count'",
                "allowed: name, title, workload, caption, params, async_units, thread_units",
            ],
        ),
        (
            "wrong_type",
            &[
                "wrong_type.toml:4:15: async_units takes an integer from 0 to 10000000, not a string",
            ],
        ),
        (
            "out_of_range",
            &[
                "out_of_range.toml:2:9: batch=5000 is not allowed: batch takes an integer from 1 to 1000",
            ],
        ),
        (
            "unknown_workload",
            &["unknown_workload.toml:2:12: unknown workload 'nap' (known: sleep, cpu"],
        ),
        ("bad_syntax", &["bad_syntax.toml:2:5: "]),
    ];
    for (name, needles) in cases {
        let path = fixture(name);
        refused(
            &["--config", &path, "--headless", "--duration", "5s"],
            needles,
        );
        // The same in the TUI: refused before the terminal is touched.
        refused(&["--config", &path], needles);
    }
    refused(
        &["--config", "/nonexistent/versus.toml"],
        &["/nonexistent/versus.toml: No such file"],
    );
}

#[test]
fn bad_sets_and_names_are_refused_naming_what_was_given() {
    refused(
        &["--scenario", "switch", "--set", "batch=3"],
        &[
            "--set batch=3: unknown parameter batch",
            "(known: switch: via, placement;",
        ],
    );
    refused(
        &["--scenario", "switch", "--set", "via=carrier-pigeon"],
        &["via=carrier-pigeon is not allowed: via takes one of channel, pipe"],
    );
    refused(
        &["--scenario", "spawn", "--set", "async_units=-1"],
        &[
            "--set async_units=-1: async_units=-1 is not allowed: async_units takes an integer from 0",
        ],
    );
    refused(
        &["--scenario", "limits", "--set", "stack_kib=8"],
        &["--set stack_kib=8", "from 16 to 1048576"],
    );
    refused(
        &["--scenario", "parallel", "--set", "runtime=fast"],
        &["\"current-thread\" or \"multi-thread\""],
    );
    refused(
        &["--scenario", "nope"],
        &[
            "unknown scenario 'nope' (known: memory, spawn, switch, parallel, blocking, contention, limits",
        ],
    );
    refused(
        &["--scenario", "memory", "--workload", "cpu"],
        &["--workload", "--scenario"],
    );
    refused(&["--one-side", "left"], &["--one-side", "async, threads"]);
}

#[test]
fn list_names_every_scenario_with_its_parameters_and_ranges() {
    let out = run(&["--list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for (i, name) in BUILTIN.iter().enumerate() {
        // Keys 1–9 pick the first nine; the rest are listed without a number.
        let line = match i {
            0..9 => format!("{}  {name} — ", i + 1),
            _ => format!("\n   {name} — "),
        };
        assert!(text.contains(&line), "{name}: {text}");
    }
    for needle in [
        "sleep_ms  = 1000  (default 100; an integer from 1 to 3600000)",
        "spawn_blocking  = false  (default; true or false)",
        "async_units   an integer from 0 to 10000000",
        "stack_kib     an integer from 16 to 1048576",
        "one_side      \"async\", \"threads\", \"turns\" or \"off\"",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    // A config file's own scenarios are listed too, after the built-ins.
    let valid = format!("{}/tests/fixtures/valid.toml", env!("CARGO_MANIFEST_DIR"));
    let out = run(&["--list", "--config", &valid]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("quick-switch — Two pairs bouncing a message") && text.contains("from "),
        "{text}"
    );
}

#[test]
fn a_config_file_sits_between_the_presets_and_the_command_line() {
    let valid = format!("{}/tests/fixtures/valid.toml", env!("CARGO_MANIFEST_DIR"));
    // The file starts on its own scenario and its [set] beats that scenario's units...
    let (code, doc) = headless(&["--config", &valid, "--duration", "1500ms"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["scenario"], "quick-switch");
    assert_eq!(doc["workload"], "switch");
    assert_eq!(doc["runtime"], "current-thread");
    assert_eq!(num(side(&doc, "async"), "units"), 2.0, "[set] async_units");
    assert_eq!(num(side(&doc, "threads"), "units"), 2.0);
    // ...and the command line beats both; a built-in changed by the file keeps the change.
    let (code, doc) = headless(&[
        "--config",
        &valid,
        "--scenario",
        "memory",
        "--set",
        "thread_units=7",
        "--duration",
        "1500ms",
    ]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["scenario"], "memory");
    assert_eq!(doc["params"]["sleep_ms"], 50, "from the file");
    assert_eq!(
        num(side(&doc, "async"), "units"),
        2.0,
        "the file's [set] applies to whichever scenario the run starts on"
    );
    assert_eq!(num(side(&doc, "threads"), "units"), 7.0, "from --set");
}

#[test]
fn a_copied_preset_runs_as_a_config_file() {
    let preset = format!(
        "{}/assets/scenarios/switch.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, doc) = headless(&["--config", &preset, "--duration", "1500ms"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["scenario"], "switch");
    assert!(side(&doc, "async")["switch_cpu_ns"].is_number(), "{doc}");
}

/// Settings that keep each scenario light enough to run beside other tests; the point here is that
/// it starts and both sides report, not its figures (tests/it/scenarios.rs checks those per workload).
fn light(name: &str) -> &'static [&'static str] {
    match name {
        "memory" => &["--set", "async_units=2000", "--set", "thread_units=100"],
        "limits" => &["--set", "async_units=5000", "--set", "thread_units=100"],
        "blocking" => &["--set", "async_units=20", "--set", "thread_units=20"],
        // A spinner a unit: one a side, one core, both sides at once (the turns, half a run each
        // once steady, are the parallel headline test's).
        "parallel" => &[
            "--set",
            "async_units=1",
            "--set",
            "thread_units=1",
            "--set",
            "one_side=off",
        ],
        "contention" | "yield" => &["--set", "async_units=2", "--set", "thread_units=2"],
        "echo" => &["--set", "async_units=20", "--set", "thread_units=20"],
        _ => &[],
    }
}

/// The figure each scenario is about, which its workload adds to each running side's object.
fn own_figure(name: &str) -> Option<&'static str> {
    match name {
        "spawn" => Some("spawns_per_sec"),
        "switch" => Some("switch_cpu_ns"),
        "contention" => Some("acquisitions_per_sec"),
        "blocking" => Some("blocking_calls_per_sec"),
        "parallel" => Some("cores_used"),
        "echo" => Some("requests_per_sec"),
        "yield" => Some("yields_per_sec"),
        "deadlock" => Some("deadlocked_units"),
        _ => None,
    }
}

#[test]
fn every_builtin_scenario_starts_headless_and_both_sides_report() {
    for name in BUILTIN {
        // Without the CPU lock at versus's own nice 10, 1.5 s each: the busy presets take a tenth of
        // a core from a CPU-bound test beside them for that long. At nice 19 the memory preset's
        // threads side sent no sample in 1.5 s beside two busy cores.
        let mut args = vec![
            "--scenario",
            name,
            "--duration",
            "1500ms",
            "--interval-ms",
            "100",
        ];
        args.extend_from_slice(light(name));
        let (code, doc) = headless(&args);
        assert_eq!(code, Some(0), "{name}: {doc}");
        assert_eq!(doc["scenario"], *name, "{doc}");
        let one_side = doc["mode"].as_str().unwrap().contains("one side at a time");
        for s in ["async", "threads"] {
            let f = side(&doc, s);
            assert!(
                f["errors"].as_array().unwrap().is_empty(),
                "{name} {s}: {doc}"
            );
            // A side kept at 0 units by one-side-at-a-time still reports, with nothing to run.
            if one_side && s == "threads" {
                assert_eq!(num(f, "units"), 0.0, "{name}: {doc}");
                continue;
            }
            assert!(num(f, "units") > 0.0, "{name} {s}: {doc}");
            assert!(
                num(f, "window_s") > 0.0,
                "{name} {s} reported once at most: {doc}"
            );
            // The workload added its own figure (a number; its value is tests/it/scenarios.rs's).
            if let Some(key) = own_figure(name) {
                assert!(f[key].is_number(), "{name} {s}: no {key}: {doc}");
            }
        }
    }
}

#[test]
fn one_side_at_a_time_runs_only_that_side_and_says_so() {
    let (code, doc) = headless(&[
        "--one-side",
        "threads",
        "--async-units",
        "50",
        "--thread-units",
        "50",
        "--duration",
        "1500ms",
    ]);
    assert_eq!(code, Some(0), "{doc}");
    assert!(
        doc["mode"]
            .as_str()
            .unwrap()
            .starts_with("one side at a time: threads only"),
        "{doc}"
    );
    assert_eq!(num(side(&doc, "async"), "units"), 0.0, "{doc}");
    assert_eq!(num(side(&doc, "threads"), "units"), 50.0, "{doc}");
}
