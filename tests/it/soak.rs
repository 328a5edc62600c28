//! Soak: the TUI runs while keys scale both sides up and down, stop and start them, freeze, and cycle
//! through every workload kind (fresh workers each time). The controller's RSS must stay bounded (its
//! history is ring buffers of fixed size) and its threads and file descriptors must not leak.
//! The suite runs a short soak; `just soak 3600` sets VERSUS_SOAK_SECS for an hour and prints the
//! controller's figures every minute.
#![allow(clippy::unwrap_used)]

use crate::common::{faults, tmux};

use std::time::{Duration, Instant};

use faults::Usage;
use tmux::Tmux;

/// The longest a condition is waited for: a bound for a stalled machine, not a target (both sides
/// showed no sample for over 15 s once, at load average ~18, in a fresh-clone run).
const T: Duration = Duration::from_secs(60);
/// Length of the soak in the test suite.
const SHORT_SOAK_S: u64 = 15;
/// RSS the controller may gain between the first and the last measurement: allocator arenas and
/// caches settle in the first minutes; anything that grows with time (an unbounded buffer) passes it.
const RSS_SLACK_BYTES: u64 = 8 << 20;

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1048576.0
}

fn line(t_s: f64, u: Usage) -> String {
    format!(
        "soak t={t_s:>7.1}s controller rss={:.1} MiB threads={} fds={}",
        mib(u.rss_bytes),
        u.threads,
        u.fds
    )
}

/// Presses `keys` one at a time, `gap` apart.
fn press(t: &Tmux, keys: &[&str], gap: Duration) {
    for k in keys {
        t.keys(&[k]);
        std::thread::sleep(gap);
    }
}

/// Waits until `kind` runs on both sides (the header names it).
fn wait_kind(t: &Tmux, kind: &str) {
    t.wait_for(&format!("{kind} running on both sides"), T, |s| {
        let header = s.lines().next().unwrap_or_default();
        header.split_whitespace().nth(1) == Some(kind) && s.matches("running").count() >= 2
    });
}

/// One round: for every kind, scale both sides and each side up and down, stop and start, freeze,
/// open and close the help, then move on to the next kind. Ends on the kind it started on.
fn round(t: &Tmux) {
    let gap = Duration::from_millis(60);
    let kinds = versus::workload::KINDS;
    for i in 0..kinds.len() {
        press(t, &["+", "-", "t", "+", "-", "a", "+", "-", "b"], gap);
        press(t, &["s", "s", "Space", "Space", "?", "x"], gap);
        t.keys(&["w"]);
        wait_kind(t, kinds[(i + 1) % kinds.len()].name);
    }
}

/// The controller's steady figures once both sides of the first kind run again, so every
/// measurement sees the same workers, readers and (young) history: the least threads and fds over a
/// second of samples 50 ms apart. A /proc file a reader has open for a moment, or a thread of a
/// replaced worker still ending, shows in some samples, not in all twenty.
fn settled(t: &Tmux, pid: u32) -> Usage {
    wait_kind(t, versus::workload::KINDS[0].name);
    let mut least = faults::usage(pid);
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(50));
        let u = faults::usage(pid);
        least.threads = least.threads.min(u.threads);
        least.fds = least.fds.min(u.fds);
        least.rss_bytes = u.rss_bytes;
    }
    least
}

/// Waits until the controller is back to `first`'s threads and fds (readers of replaced workers
/// end on their own time); a leak never gets there and fails after `T` with the figures seen.
fn back_to(pid: u32, first: Usage) -> Usage {
    let started = Instant::now();
    loop {
        let u = faults::usage(pid);
        if u.threads <= first.threads && u.fds <= first.fds {
            return u;
        }
        assert!(
            started.elapsed() < T,
            "threads or file descriptors leaked: {first:?} -> {u:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_controller_stays_flat_while_keys_churn_both_sides() {
    let secs: u64 = std::env::var("VERSUS_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SHORT_SOAK_S);
    let t = Tmux::start(
        "soak",
        120,
        40,
        &[
            // The TUI's own nice (10, the workers in a session of their own): the soak churns every
            // kind, spinners too, for its whole run without the CPU lock, and what it measures is
            // the controller, not the workers' pace. At nice 0 its spinners took cores from the
            // CPU-bound tests (the parallel turns took twice as long to be steady beside it).
            "--nice",
            "10",
            "--workload",
            versus::workload::KINDS[0].name,
            "--async-units",
            "100",
            "--thread-units",
            "100",
            "--interval-ms",
            "100",
            "--window",
            "5s",
        ],
    );
    let started = Instant::now();
    wait_kind(&t, versus::workload::KINDS[0].name);
    let pid = t.app_pid();
    let first = settled(&t, pid);
    eprintln!("{}", line(started.elapsed().as_secs_f64(), first));
    let mut rounds = 0;
    let mut last_print = Instant::now();
    while started.elapsed() < Duration::from_secs(secs) || rounds == 0 {
        round(&t);
        rounds += 1;
        if last_print.elapsed() >= Duration::from_secs(60) {
            eprintln!(
                "{} (round {rounds})",
                line(started.elapsed().as_secs_f64(), faults::usage(pid))
            );
            last_print = Instant::now();
        }
    }
    wait_kind(&t, versus::workload::KINDS[0].name);
    let last = back_to(pid, first);
    eprintln!(
        "{} after {rounds} rounds",
        line(started.elapsed().as_secs_f64(), last)
    );
    assert!(
        last.rss_bytes <= first.rss_bytes + RSS_SLACK_BYTES,
        "controller RSS grew {:.1} MiB: {first:?} -> {last:?}",
        mib(last.rss_bytes.saturating_sub(first.rss_bytes))
    );
    let children = faults::descendants(pid);
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
    faults::assert_all_gone(&children, Duration::from_secs(1), "workers after the soak");
}
