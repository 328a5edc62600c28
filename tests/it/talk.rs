//! Talk mode end to end: a talk file's mistakes are bad input (one line naming FILE:LINE:COL, exit 2,
//! nothing started); the rehearsal prints one JSON document of every step; in a real terminal → moves
//! to the next step and ← back, and the header says where the talk is.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::common::tmux::{self, Tmux};

use std::path::PathBuf;
use std::time::Duration;

/// The longest a condition is waited for: a bound for a stalled machine, not a target (both sides
/// showed no sample for over 15 s once, at load average ~18, in a fresh-clone run).
const T: Duration = Duration::from_secs(60);

/// Writes `text` to a talk file of this test's own and returns its path.
fn talk_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("versus-talk-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const TWO_STEPS: &str = r#"title = "Tiny"

[[steps]]
title = "Ten each"
workload = "sleep"
async_units = 10
thread_units = 10
say = "Ten sleeping units a side."
rehearse = "2500ms"

[[steps]]
title = "Twenty threads"
thread_units = 20
say = "Only the threads side changes: it ramps to twenty."
rehearse = "2500ms"
[steps.params]
"#;

#[test]
fn each_kind_of_mistake_in_a_talk_file_is_one_line_with_its_place_and_exit_2() {
    let cases = [
        (
            "unknown-key.toml",
            TWO_STEPS.replace("say = \"Ten", "sya = \"Ten"),
            ":8:1: unknown key 'sya' in step 1",
        ),
        (
            "bad-duration.toml",
            TWO_STEPS.replace("\"2500ms\"\n\n", "\"soon\"\n\n"),
            ":9:12: rehearse: 'soon' is not a duration",
        ),
        (
            "unknown-scenario.toml",
            TWO_STEPS.replace("workload = \"sleep\"", "scenario = \"memroy\""),
            ":5:12: unknown scenario 'memroy' (known: memory",
        ),
        (
            "empty.toml",
            "title = \"Nothing\"\n".to_string(),
            ":1:1: a talk needs at least one [[steps]] table",
        ),
        (
            "bad-param.toml",
            format!("{TWO_STEPS}sleep_ms = 0\n"),
            ":17:12: sleep_ms=0 is not allowed",
        ),
    ];
    for (name, text, want) in cases {
        let path = talk_file(name, &text);
        for headless in [false, true] {
            let mut args = vec!["--talk", path.to_str().unwrap()];
            if headless {
                args.push("--headless");
            }
            let out = common::run_starting_nothing(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
            let expected = format!("versus: {}{want}", path.display());
            assert!(
                stderr.starts_with(&expected),
                "{name}: want {expected}\n got {stderr}"
            );
            assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
        }
    }
    let out = common::run_starting_nothing(&["--loop"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --talk NAME|FILE"));
    let out = common::run_starting_nothing(&["--talk", "no-such-talk"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("built in: async-vs-threads"));
}

#[test]
fn the_rehearsal_runs_every_step_and_prints_its_figures_as_json() {
    // Each step until steady, its `rehearse` time the upper bound: 2.5 s once ended step 2 beside
    // a loaded suite before the threads side had ramped from 10 to 20.
    let path = talk_file(
        "tiny-steady.toml",
        &TWO_STEPS.replace("rehearse = \"2500ms\"", "rehearse = \"60s\""),
    );
    let tag = common::unique_tag("rehearsal");
    let f = common::finish_headless(
        common::spawn_headless(
            &tag,
            &["--talk", path.to_str().unwrap(), "--until-steady"],
            &[],
        ),
        &tag,
    );
    assert_eq!(f.code, Some(0), "stderr: {}", f.stderr);
    assert!(
        f.stderr.is_empty(),
        "no progress when stderr is not a terminal: {}",
        f.stderr
    );
    let doc = &f.doc;
    assert_eq!(doc["talk"], path.to_str().unwrap());
    assert_eq!(doc["title"], "Tiny");
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{doc}");
    for (i, (step, title)) in steps.iter().zip(["Ten each", "Twenty threads"]).enumerate() {
        assert_eq!(step["index"], i + 1);
        assert_eq!(step["title"], title);
        assert_eq!(step["workload"], "sleep");
        assert_eq!(step["failed"].as_array().unwrap().len(), 0, "{step}");
        // Steady needs the headline held for 3 s (`model::settle::HOLD_S`).
        assert_eq!(step["ended"], "steady", "{step}");
        assert!(common::num(step, "ran_s") >= 3.0, "{step}");
        assert_eq!(step["sides"].as_array().unwrap().len(), 2, "{step}");
        for side in ["async", "threads"] {
            let s = common::side(step, side);
            common::assert_reported(s);
            assert!(
                s["saturated"].is_boolean() && s["window"].is_string(),
                "{s}"
            );
        }
    }
    // The second step changed the threads side only, live: it ramped to 20, async stayed at 10.
    assert_eq!(
        common::num(common::side(&steps[0], "threads"), "units"),
        10.0
    );
    assert_eq!(
        common::num(common::side(&steps[1], "threads"), "units"),
        20.0
    );
    assert_eq!(common::num(common::side(&steps[1], "async"), "units"), 10.0);
    assert!(
        common::num(doc, "total_s") >= 6.0,
        "two steps of at least 3 s: {doc}"
    );
}

#[test]
fn right_goes_to_the_next_step_and_left_back() {
    let path = talk_file(
        "keys.toml",
        &TWO_STEPS.replace(
            "[[steps]]\ntitle = \"Twenty",
            "[[steps]]\ntitle = \"Middle\"\nsay = \"In between.\"\n\n[[steps]]\ntitle = \"Twenty",
        ),
    );
    let t = Tmux::start("talk", 80, 24, &["--talk", path.to_str().unwrap()]);
    let s = t.wait_for("step 1", T, |s| {
        s.contains("step 1/3 · Ten each") && s.contains("OS threads")
    });
    assert!(
        s.contains("Ten sleeping units a side."),
        "the say is on screen: {s}"
    );
    t.keys(&["Right"]);
    t.wait_for("step 2", T, |s| {
        s.contains("step 2/3 · Middle") && s.contains("In between.")
    });
    t.keys(&["Right"]);
    let s = t.wait_for("step 3 with 20 threads", T, |s| {
        s.contains("step 3/3 · Twenty threads") && tmux::figures(s, "units") == vec![10, 20]
    });
    assert!(s.contains("it ramps to twenty"), "{s}");
    t.keys(&["Left"]);
    t.wait_for("back at step 2", T, |s| s.contains("step 2/3 · Middle"));
    // Every other key still works inside a step: ↑ scales both sides ×10.
    t.keys(&["Up"]);
    t.wait_for("scaled ×10", T, |s| {
        tmux::figures(s, "units") == vec![100, 100]
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}

#[test]
fn booth_mode_moves_on_by_itself_and_starts_over() {
    let path = talk_file(
        "booth.toml",
        &TWO_STEPS.replace("rehearse = \"2500ms\"", "advance_after = \"1s\""),
    );
    let t = Tmux::start(
        "booth",
        80,
        24,
        &["--talk", path.to_str().unwrap(), "--loop"],
    );
    t.wait_for("step 1", T, |s| s.contains("step 1/2 · Ten each"));
    t.wait_for("step 2 by itself", T, |s| s.contains("step 2/2 · Twenty"));
    t.wait_for("step 1 again after the last", T, |s| {
        s.contains("step 1/2 · Ten each")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}

#[test]
fn a_side_that_fails_in_a_step_makes_the_rehearsal_exit_1_naming_that_step() {
    // Step 2 asks for 100,000 tasks and 10,000 threads under a 20 MiB budget: the backstop stops a
    // side (which one first, and whether the other follows within the step, is the machine's pace).
    let path = talk_file(
        "fails.toml",
        "title = \"Fails\"\n\n[[steps]]\ntitle = \"Small\"\nworkload = \"sleep\"\nasync_units = 10\nthread_units = 10\nrehearse = \"2s\"\n\n[[steps]]\ntitle = \"Too big\"\nscenario = \"memory\"\nrehearse = \"10s\"\n",
    );
    let tag = common::unique_tag("rehearsal-fails");
    let f = common::finish_headless(
        common::spawn_headless(
            &tag,
            &["--talk", path.to_str().unwrap(), "--memory-budget", "20m"],
            &[],
        ),
        &tag,
    );
    assert_eq!(f.code, Some(1), "stderr: {}", f.stderr);
    let steps = f.doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "every step is still reported");
    assert_eq!(steps[0]["failed"].as_array().unwrap().len(), 0);
    let failed = steps[1]["failed"].as_array().unwrap();
    assert!(!failed.is_empty(), "{}", steps[1]);
    // Each side the step names as failed, stderr names with the step.
    for side in failed {
        let line = format!(
            "versus: rehearsal: step 2/2 (Too big): {} side failed",
            side.as_str().unwrap()
        );
        assert!(f.stderr.contains(&line), "{line}: {}", f.stderr);
    }
}

/// A built-in talk walked end to end as its audience sees it, at 80×24: each step comes up with its
/// title and its words, and its sides run at the units the step gives them (the threads of the limits
/// step stop at the OS limit and say which; a side asked for millions shows its first million, the
/// rest spawning); q then ends it with the terminal restored and no worker left.
fn walk(name: &str) {
    use versus::protocol::Side;
    let _cpu = common::cpu_bound();
    let catalog = versus::scenario::Catalog::load(None).unwrap();
    let talk = versus::talkfile::load(name, &catalog).unwrap();
    let plain = versus::scenario::Scenario::plain(
        "",
        versus::scenario::find_kind("sleep").unwrap(),
        "command line",
    );
    let base = versus::config::RunConfig::new(&plain, catalog).unwrap();
    let n = talk.steps.len();
    let tag = common::unique_tag("talk-walk");
    let t = Tmux::start_with_env(
        &format!("walk-{name}"),
        80,
        24,
        &[(common::TAG_VAR, tag.as_str())],
        &["--talk", name],
    );
    for (i, step) in talk.steps.iter().enumerate() {
        if i > 0 {
            t.keys(&["Right"]);
        }
        let cfg = versus::talkfile::run_at(&talk.steps, i, &base).unwrap();
        let header = format!("step {}/{n} · ", i + 1);
        // Titles and words are cut or wrapped to 80 columns: their first words are on screen.
        let title: String = step.title.chars().take(24).collect();
        let said: String = step
            .say
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let limits = cfg.scenario.as_deref() == Some("limits");
        let want = Side::BOTH.map(|side| cfg.spec(side).units);
        let what = format!("{name} step {} ({}) at {want:?} units", i + 1, step.title);
        let s = t.wait_for(&what, T, |s| {
            let units = tmux::figures(s, "units");
            let at = |i: usize| {
                let (have, want) = (units.get(i).copied().unwrap_or(0), want[i]);
                if want >= 1_000_000 {
                    have >= 1_000_000
                } else if limits && i == 1 {
                    // The threads stop short of their target, at the limit the step is about.
                    have > 0 && s.contains("limit hit")
                } else {
                    have == want
                }
            };
            s.contains(&format!("{header}{title}")) && s.contains(&said) && at(0) && at(1)
        });
        assert!(!s.contains("FAILED"), "{what}: a side failed\n{s}");
    }
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
    common::assert_none_left(&tag);
}

#[test]
fn the_async_vs_threads_talk_walks_end_to_end_at_80x24() {
    walk("async-vs-threads");
}

/// Its cross-CPU step needs two CPUs.
#[test]
fn the_beyond_talk_walks_end_to_end_at_80x24() {
    if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
        println!("skipped: the beyond talk's cross-CPU step needs two CPUs");
        return;
    }
    walk("beyond");
}
