//! What the OS sees of a process: its threads by scheduler state (R, S, D, …) and the kernel functions
//! they sleep in, from /proc/<pid>/task/*/stat and wchan. The kernel, and every debugger and profiler
//! built on it, sees threads, never tasks: 10,000 threads in `hrtimer_nanosleep` next to two workers in
//! `ep_poll` holding 100,000 tasks.
//!
//! Cost is bounded: above `max_read` threads only an even stride of them is read, and the census says
//! so (`threads_read < threads_seen`); counts are never scaled up into an estimate.

use std::collections::BTreeMap;
use std::path::Path;

/// How many threads of each state and wait channel one read saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThreadCensus {
    /// Threads listed in /proc/<pid>/task when the read began.
    pub threads_seen: u64,
    /// Threads whose stat was read (all of them unless sampled; a thread that exits meanwhile is not).
    pub threads_read: u64,
    /// Scheduler state letter (third field of /proc/<pid>/task/<tid>/stat) → threads.
    pub states: BTreeMap<char, u64>,
    /// Kernel function each sleeping thread waits in (/proc/<pid>/task/<tid>/wchan), largest first;
    /// running threads (wchan "0" or empty) are left out.
    pub wait_channels: Vec<(String, u64)>,
}

impl ThreadCensus {
    /// True when only part of the threads were read.
    pub fn sampled(&self) -> bool {
        self.threads_read < self.threads_seen
    }
}

/// Reads the threads of `pid`, at most `max_read` of them (an even stride over the task list), and
/// keeps the `top` largest wait channels.
pub fn census(pid: u32, max_read: usize, top: usize) -> std::io::Result<ThreadCensus> {
    census_at(&Path::new("/proc").join(pid.to_string()), max_read, top)
}

fn census_at(proc_dir: &Path, max_read: usize, top: usize) -> std::io::Result<ThreadCensus> {
    let mut tids: Vec<u64> = std::fs::read_dir(proc_dir.join("task"))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_unstable();
    let mut census = ThreadCensus {
        threads_seen: tids.len() as u64,
        ..ThreadCensus::default()
    };
    let stride = tids.len().div_ceil(max_read.max(1)).max(1);
    let mut channels: BTreeMap<String, u64> = BTreeMap::new();
    for tid in tids.iter().step_by(stride) {
        let task = proc_dir.join("task").join(tid.to_string());
        // A thread may exit between the listing and the read: it is simply not counted.
        let Some(state) = std::fs::read_to_string(task.join("stat"))
            .ok()
            .as_deref()
            .and_then(state_of)
        else {
            continue;
        };
        census.threads_read += 1;
        *census.states.entry(state).or_default() += 1;
        if let Ok(wchan) = std::fs::read_to_string(task.join("wchan")) {
            let wchan = wchan.trim();
            if !wchan.is_empty() && wchan != "0" {
                *channels.entry(wchan.to_string()).or_default() += 1;
            }
        }
    }
    let mut channels: Vec<(String, u64)> = channels.into_iter().collect();
    channels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    channels.truncate(top);
    census.wait_channels = channels;
    Ok(census)
}

/// The state letter of a stat line: the first field after the command name, which is in
/// parentheses and may itself hold spaces and parentheses.
fn state_of(stat: &str) -> Option<char> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().next()?.chars().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    #[test]
    fn the_state_is_read_past_a_command_name_with_spaces_and_parentheses() {
        assert_eq!(state_of("42 (a) b (c)) S 1 2 3"), Some('S'));
        assert_eq!(state_of("7 (versus) R 1"), Some('R'));
        assert_eq!(state_of("garbage"), None);
        assert_eq!(state_of("1 (x)"), None);
    }

    /// Threads of this very process, parked in a sleep, are seen sleeping in the kernel's nanosleep.
    #[test]
    fn sleeping_threads_are_counted_by_state_and_wait_channel() {
        const N: usize = 40;
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                })
            })
            .collect();
        let pid = std::process::id();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = ThreadCensus::default();
        // Wait on the condition: most of the sleepers in nanosleep at one read.
        let found = loop {
            last = census(pid, 10_000, 5).unwrap_or(last);
            let nanosleep = last
                .wait_channels
                .iter()
                .find(|(name, _)| name.contains("nanosleep"))
                .map_or(0, |c| c.1);
            if nanosleep >= (N as u64) * 3 / 4 {
                break true;
            }
            if Instant::now() > deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            let _ = h.join();
        }
        assert!(found, "no nanosleep majority: {last:?}");
        assert!(last.threads_seen > N as u64, "{last:?}");
        assert!(!last.sampled());
        assert!(last.states.get(&'S').copied().unwrap_or(0) >= (N as u64) * 3 / 4);
        assert!(last.wait_channels.len() <= 5);
        let counts: Vec<u64> = last.wait_channels.iter().map(|c| c.1).collect();
        assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    }

    #[test]
    fn above_the_bound_only_a_sample_is_read_and_it_says_so() {
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                })
            })
            .collect();
        let c = census(std::process::id(), 8, 5);
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            let _ = h.join();
        }
        let c = c.unwrap_or_default();
        assert!(c.threads_seen > 20, "{c:?}");
        assert!(c.threads_read <= 8 && c.threads_read > 0, "{c:?}");
        assert!(c.sampled());
        assert_eq!(c.states.values().sum::<u64>(), c.threads_read);
    }

    #[test]
    fn a_process_that_is_gone_is_an_error_not_a_panic() {
        assert!(census(u32::MAX, 10, 5).is_err());
    }
}
