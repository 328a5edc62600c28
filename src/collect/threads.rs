//! What the OS sees of a process: its threads by scheduler state (R, S, D, …) and the kernel functions
//! they sleep in, from /proc/<pid>/task/*/stat and wchan. The kernel, and every debugger and profiler
//! built on it, sees threads, never tasks: 10,000 threads in `hrtimer_nanosleep` next to two workers in
//! `ep_poll` holding 100,000 tasks.
//!
//! Cost is bounded: above `max_read` threads only an even stride of them is read, and the census says
//! so (`threads_read < threads_seen`); counts are never scaled up into an estimate.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

pub use crate::model::ThreadCensus;

/// Threads read at most per census: above it an even stride is read and the census says "sampled".
/// Above the default 1,000 units plus a side's own threads, so a default run is read whole; at
/// 10,000 threads one census reads 1 thread in 6 (docs/figures.md: the controller with `d` open).
pub const MAX_READ: usize = 2_000;
/// Wait channels kept, largest first.
pub const TOP: usize = 5;
/// A side's threads are read at most this often.
pub const EVERY: Duration = Duration::from_secs(1);
/// ... and never more than 1/`COST_SHARE` of the time: a census that took 15 ms (10,000 threads on
/// a loaded machine) waits 3 s for the next, so the reader stays under 0.5 % of a core for it.
pub const COST_SHARE: u32 = 200;

/// When the next census of one worker is due: at most one per `EVERY`, and spaced so that censuses
/// take at most 1/`COST_SHARE` of the wall clock, unless the worker's thread count moved by a tenth
/// since the last one: then that census describes threads that are no longer the side's (a census of
/// 598 threads during a ramp stood for 1,003 in a headless run's final figures, on a loaded machine
/// where the spacing put the next one past the end of the run).
#[derive(Debug, Default)]
pub struct Pacer {
    last: Option<Instant>,
    /// Wall time the last census took (preemption included, so a loaded machine reads less often).
    cost: Duration,
    /// The worker's OS threads when the last census was taken.
    seen: u64,
}

impl Pacer {
    /// True, and the clock restarts, when the next census is due for a worker with `threads` OS
    /// threads now (the first one always is).
    pub fn due(&mut self, now: Instant, threads: u64) -> bool {
        let moved = threads.abs_diff(self.seen) * 10 >= self.seen.max(1);
        let gap = if moved {
            EVERY
        } else {
            EVERY.max(self.cost * COST_SHARE)
        };
        let due = self.last.is_none_or(|t| now.duration_since(t) >= gap);
        if due {
            self.last = Some(now);
            self.seen = threads;
        }
        due
    }

    /// Runs `read` if a census is due for a worker with `threads` OS threads, noting how long it took.
    pub fn run<T>(&mut self, threads: u64, read: impl FnOnce() -> T) -> Option<T> {
        let start = Instant::now();
        if !self.due(start, threads) {
            return None;
        }
        let out = read();
        self.cost = start.elapsed();
        Some(out)
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
        // A running thread waits in nothing: its wchan is "0", not worth a read.
        if state == 'R' {
            continue;
        }
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

    /// Threads of this very process, parked on a futex, are seen sleeping in it. Parked, not in short
    /// sleeps: on a loaded machine a thread between two sleeps waits on the run queue (state R).
    #[test]
    fn sleeping_threads_are_counted_by_state_and_wait_channel() {
        const N: usize = 40;
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::park_timeout(Duration::from_secs(60));
                    }
                })
            })
            .collect();
        let pid = std::process::id();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = ThreadCensus::default();
        // Wait on the condition: most of the parked threads asleep in the futex at one read.
        let found = loop {
            last = census(pid, 10_000, 5).unwrap_or(last);
            let futex = last
                .wait_channels
                .iter()
                .find(|(name, _)| name.contains("futex"))
                .map_or(0, |c| c.1);
            if futex >= (N as u64) * 3 / 4 {
                break true;
            }
            if Instant::now() > deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        stop.store(true, Ordering::Relaxed);
        for h in &handles {
            h.thread().unpark();
        }
        for h in handles {
            let _ = h.join();
        }
        assert!(found, "no futex majority: {last:?}");
        // Other tests of this binary start and end threads meanwhile: bounds, not equalities.
        assert!(last.threads_seen > N as u64, "{last:?}");
        assert!(last.states.get(&'S').copied().unwrap_or(0) >= (N as u64) * 3 / 4);
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
                        std::thread::park_timeout(Duration::from_millis(20));
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
    fn a_census_is_due_at_most_once_per_period() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        assert!(p.due(t0, 1000));
        assert!(!p.due(t0 + EVERY / 2, 1000));
        assert!(p.due(t0 + EVERY, 1000));
        assert!(!p.due(t0 + EVERY + EVERY / 2, 1000));
        // A census that took 10 ms spaces the next 2 s out.
        p.cost = Duration::from_millis(10);
        assert!(!p.due(t0 + EVERY * 2 + Duration::from_millis(500), 1000));
        assert!(!p.due(t0 + EVERY * 2 + Duration::from_millis(500), 1050));
        assert!(p.due(t0 + EVERY * 3, 1000));
        let mut fresh = Pacer::default();
        assert_eq!(fresh.run(5, || 7), Some(7));
        assert_eq!(fresh.run(5, || 8), None);
    }

    #[test]
    fn a_thread_count_that_moved_by_a_tenth_is_read_again_after_a_second() {
        let mut p = Pacer::default();
        let t0 = Instant::now();
        assert!(p.due(t0, 598));
        p.cost = Duration::from_millis(15);
        // Spacing alone would wait 3 s; 1,003 threads are not the 598 read.
        assert!(!p.due(t0 + EVERY / 2, 1003), "still at most once a second");
        assert!(p.due(t0 + EVERY, 1003));
        // Back to the spacing once the count holds.
        assert!(!p.due(t0 + EVERY * 2, 1003));
        assert!(p.due(t0 + EVERY + EVERY * 3, 1003));
    }

    #[test]
    fn a_process_that_is_gone_is_an_error_not_a_panic() {
        assert!(census(u32::MAX, 10, 5).is_err());
    }
}
