//! The source view in a real terminal: `v` shows the running workload's two halves side by side at
//! their core loop, the arrows scroll them, `v` closes it and the figures are back; other keys wait
//! meanwhile.
#![allow(clippy::unwrap_used)]

use crate::common::tmux;

use std::time::Duration;

use tmux::Tmux;

/// The longest a condition is waited for: a bound for a stalled machine, not a target (both sides
/// showed no sample for over 15 s once, at load average ~18, in a fresh-clone run).
const T: Duration = Duration::from_secs(60);

#[test]
fn v_shows_the_code_being_measured_and_closes_again() {
    let t = Tmux::start(
        "source",
        100,
        30,
        &["--async-units", "10", "--thread-units", "10"],
    );
    t.wait_for("both sides running", T, |s| {
        s.matches("running").count() >= 2 && s.contains("OS threads")
    });

    t.keys(&["v"]);
    let s = t.wait_for("the sleep halves", T, |s| {
        s.contains("fn task") && s.contains("fn thread") && s.contains("src/workload/sleep.rs")
    });
    assert!(s.contains("sleep_until"), "{s}");
    assert!(s.contains("thread::sleep"), "{s}");
    assert!(!s.contains("OS threads"), "the panels are covered: {s}");
    // It opens at the core loop, in both columns, and says how to close it.
    assert_eq!(s.matches("// core loop").count(), 2, "{s}");
    assert!(!s.contains("fn task("), "{s}");
    assert!(s.contains("v or Esc closes"), "{s}");

    // + scales nothing while the view is open: it is not a key of the view; ↑ scrolls up to the
    // start of both halves.
    t.keys(&["+", "Up", "Up", "Up", "Up", "Up", "Up", "Up", "Up"]);
    t.wait_for("scrolled up to the top", T, |s| {
        s.contains("fn task(") && s.contains("fn thread(")
    });

    t.keys(&["v"]);
    let s = t.wait_for("the panels again", T, |s| s.contains("OS threads"));
    assert_eq!(tmux::figures(&s, "units"), vec![10, 10], "{s}");

    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}
