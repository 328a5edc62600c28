//! End to end in a real terminal (tmux): launch, type keys, read the screen, quit cleanly.
#![allow(clippy::unwrap_used)]

use crate::common::tmux;

use std::time::Duration;

use tmux::Tmux;

/// The longest a condition is waited for: a bound for a stalled machine, not a target (both sides
/// showed no sample for over 15 s once, at load average ~18, in a fresh-clone run).
const T: Duration = Duration::from_secs(60);

#[test]
fn keys_scale_freeze_help_and_quit() {
    let t = Tmux::start(
        "keys",
        100,
        30,
        &[
            "--async-units",
            "20",
            "--thread-units",
            "20",
            "--interval-ms",
            "100",
        ],
    );
    t.wait_for("both sides running", T, |s| {
        s.matches("running").count() >= 2 && s.contains("OS threads")
    });
    assert_eq!(
        t.format("#{alternate_on}"),
        "1",
        "the TUI uses the alternate screen"
    );

    // Select the threads side and scale it ×10: 200 units, and at least 200 OS threads.
    t.keys(&["t", "+"]);
    let s = t.wait_for("200 thread units", T, |s| {
        tmux::figures(s, "units").get(1) == Some(&200)
    });
    assert_eq!(
        tmux::figures(&s, "units")[0],
        20,
        "only the selected side scales"
    );
    t.wait_for(
        "200 more OS threads",
        T,
        |s| matches!(tmux::figures(s, "OS threads")[..], [a, t] if t >= a + 190),
    );

    // Freeze: the marker shows; unfreeze: it goes.
    t.keys(&["Space"]);
    t.wait_for("frozen marker", T, |s| s.to_lowercase().contains("frozen"));
    t.keys(&["Space"]);
    t.wait_for("live again", T, |s| !s.to_lowercase().contains("frozen"));

    // Help overlay lists the keys; any key closes it.
    t.keys(&["?"]);
    t.wait_for("help overlay", T, |s| {
        s.contains("quit") && s.contains("freeze") && s.contains("any key")
    });
    t.keys(&["x"]);
    t.wait_for("help closed", T, |s| !s.contains("any key"));

    let workers = tmux::children_of(t.app_pid());
    assert_eq!(workers.len(), 2, "one worker process per side");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
    tmux::assert_gone(&workers, Duration::from_secs(1));
}

#[test]
fn too_small_terminal_says_so_and_recovers() {
    let t = Tmux::start(
        "small",
        40,
        10,
        &["--async-units", "5", "--thread-units", "5"],
    );
    t.wait_for("too-small message", T, |s| s.contains("too small"));
    t.resize(100, 30);
    t.wait_for("main screen after resize", T, |s| s.contains("OS threads"));
    t.keys(&["C-c"]);
    assert_eq!(t.wait_exit(T), 0, "ctrl-c quits cleanly");
    t.assert_restored();
}

/// NO_COLOR (no-color.org): the same screen without a colour; without it, the sides' colours.
#[test]
fn no_color_draws_without_colours() {
    let args = ["--async-units", "5", "--thread-units", "5"];
    let plain = Tmux::start_with_env("nocolor", 100, 30, &[("NO_COLOR", "1")], &args);
    let s = plain.wait_for("both sides running", T, |s| {
        s.matches("running").count() >= 2 && s.contains("OS threads")
    });
    assert!(s.contains("async") && s.contains("threads"), "{s}");
    let colours = plain.foreground_colours();
    assert!(colours.is_empty(), "colours under NO_COLOR: {colours:?}");
    plain.keys(&["q"]);
    assert_eq!(plain.wait_exit(T), 0);
    plain.assert_restored();
    drop(plain);
    let coloured = Tmux::start("colour", 100, 30, &args);
    coloured.wait_for("both sides running", T, |s| {
        s.matches("running").count() >= 2 && s.contains("OS threads")
    });
    let colours = coloured.foreground_colours();
    assert!(!colours.is_empty(), "no colours without NO_COLOR");
    coloured.keys(&["q"]);
    assert_eq!(coloured.wait_exit(T), 0);
}

/// `--one-side turns`: each side runs alone in turn (10 s each in the TUI), then the headline
/// compares the two turns and says so.
#[test]
fn one_side_turns_runs_each_side_alone_then_compares_the_turns() {
    let t = Tmux::start(
        "turns",
        160,
        40,
        // 20 units: the headline (RSS per unit) is measured from 10 units on.
        &[
            "--one-side",
            "turns",
            "--async-units",
            "20",
            "--thread-units",
            "20",
        ],
    );
    t.wait_for("the async side's turn", T, |s| {
        s.contains("taking turns of 10 s: async now")
    });
    t.wait_for("then the threads side's", T, |s| {
        s.contains("taking turns of 10 s: threads now")
    });
    t.wait_for("the turns compared", T, |s| {
        s.contains("each alone, in turns")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}

/// The saturation badge on screen: a million tasks waking every 100 ms ask ten million wake-ups a
/// second of 2 cores, so the async column says it is saturated and why (its figures then measure its
/// own backlog); the idle threads column says no such thing.
#[test]
fn a_side_that_cannot_keep_up_says_it_is_saturated() {
    let _cpu = crate::common::cpu_bound();
    let t = Tmux::start(
        "saturated",
        100,
        30,
        &[
            "--scenario",
            "memory",
            "--async-units",
            "1000000",
            "--set",
            "sleep_ms=100",
            "--one-side",
            "async",
        ],
    );
    let s = t.wait_for("the badge with a million tasks", T, |s| {
        tmux::figures(s, "units").first() == Some(&1_000_000) && s.contains("saturated: ")
    });
    // The badge is in the async column (the left half of each row), not the idle threads one.
    let left = |row: &str| row.chars().take(50).collect::<String>();
    let right = |row: &str| row.chars().skip(50).collect::<String>();
    assert!(s.lines().any(|r| left(r).contains("saturated")), "{s}");
    assert!(!s.lines().any(|r| right(r).contains("saturated")), "{s}");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}
