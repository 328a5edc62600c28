//! Helpers for the fault and soak tests: process trees, signals, terminal modes and the controller's
//! own resource counts, all read from /proc or the system's tools.
#![allow(dead_code, clippy::unwrap_used)]

use std::process::Command;

use std::time::{Duration, Instant};

pub use super::alive;

/// Every process below `pid` (children, their children, ...), whichever thread started them.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut queue = vec![pid];
    while let Some(p) = queue.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let path = task.path().join("children");
            for child in std::fs::read_to_string(path)
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok())
            {
                if !found.contains(&child) {
                    found.push(child);
                    queue.push(child);
                }
            }
        }
    }
    found
}

/// Sends `sig` to `pid`.
pub fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    let rc = unsafe { libc::kill(pid as libc::pid_t, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
}

/// Waits up to `timeout` for every pid to be gone; panics naming the ones left.
pub fn assert_all_gone(pids: &[u32], timeout: Duration, what: &str) {
    let start = Instant::now();
    while pids.iter().any(|&p| alive(p)) {
        assert!(
            start.elapsed() < timeout,
            "{what}: left behind after {timeout:?}: {:?}",
            pids.iter()
                .filter(|&&p| alive(p))
                .map(|&p| (p, cmdline(p)))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The command line of `pid`, arguments joined by spaces.
pub fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// Number of OS threads of `pid`, from /proc/<pid>/status.
pub fn threads(pid: u32) -> u64 {
    status_field(pid, "Threads:")
}

/// Polls until `pid` has at least `n` descendants; returns them.
pub fn wait_descendants(pid: u32, n: usize, timeout: Duration) -> Vec<u32> {
    let start = Instant::now();
    loop {
        let d = descendants(pid);
        if d.len() >= n {
            return d;
        }
        assert!(
            start.elapsed() < timeout,
            "{pid} has {} descendants, not {n}",
            d.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The controller's own resources, the things a leak would grow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub rss_bytes: u64,
    pub threads: u64,
    pub fds: u64,
}

pub fn usage(pid: u32) -> Usage {
    Usage {
        rss_bytes: status_field(pid, "VmRSS:") * 1024,
        threads: status_field(pid, "Threads:"),
        fds: std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|d| d.count() as u64)
            .unwrap_or(0),
    }
}

fn status_field(pid: u32, name: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `stty -a` of a terminal device, e.g. the pane's tty from tmux's `#{pane_tty}`.
pub fn stty(tty: &str) -> String {
    let out = Command::new("stty")
        .args(["-a", "-F", tty])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `stty -a` output shows the line discipline in its normal (cooked) mode.
pub fn cooked(stty: &str) -> bool {
    let flags: Vec<&str> = stty.split_whitespace().collect();
    flags.contains(&"icanon") && flags.contains(&"echo")
}
