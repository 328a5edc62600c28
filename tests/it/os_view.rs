//! Issue 13's keys in a real terminal: `d` shows what the OS sees of each side and closes again;
//! `f` in the yield scenario flips yield_every_us between 0 and 500 live, and the worker takes it.
#![allow(clippy::unwrap_used)]

use crate::common::tmux;

use std::time::Duration;

use tmux::Tmux;

/// The longest a condition is waited for: a bound for a stalled machine, not a target (both sides
/// showed no sample for over 15 s once, at load average ~18, in a fresh-clone run).
const T: Duration = Duration::from_secs(60);

#[test]
fn d_shows_threads_by_wait_channel_and_closes_again() {
    let t = Tmux::start(
        "osview",
        100,
        30,
        &["--async-units", "50", "--thread-units", "50"],
    );
    t.wait_for("both sides running", T, |s| {
        s.matches("running").count() >= 2 && s.contains("OS threads")
    });
    t.keys(&["d"]);
    // The sleep's wait channel by its family: `hrtimer_nanosleep` here, `do_nanosleep` or
    // `clock_nanosleep` on other kernels.
    let s = t.wait_for("the threads asleep in nanosleep", T, |s| {
        s.contains("sees threads, not tasks") && s.contains("nanosleep")
    });
    assert!(s.contains("what the OS sees"), "{s}");
    assert!(!s.contains("ctx switch"), "the panels are covered: {s}");
    t.keys(&["d"]);
    t.wait_for("the panels again", T, |s| {
        s.contains("ctx switch") && !s.contains("sees threads, not tasks")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}

#[test]
fn f_flips_the_yield_period_between_never_and_500_us_live() {
    // Yield's units spin: at the tests' nice 0 they would take both cores from the other test in this
    // file (as switch once did in tests/it/export.rs), so they keep versus's own default, nice 10.
    let t = Tmux::start(
        "yieldflip",
        120,
        40,
        &["--scenario", "yield", "--nice", "10"],
    );
    t.wait_for("the scenario never yielding", T, |s| {
        s.contains("yield_every_us=0") && s.matches("running").count() >= 2
    });
    t.keys(&["f"]);
    t.wait_for("the period set live", T, |s| {
        s.contains("yield_every_us=500, changed live")
    });
    t.keys(&["f"]);
    let s = t.wait_for("back to never", T, |s| {
        s.contains("yield_every_us=0, changed live")
    });
    assert!(!s.contains("cannot change"), "a worker refused it: {s}");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}
