//! OS figures of a user's program and every process it forked, read from /proc from outside.
//! Cost is bounded: at most `MAX_TASK_READS` per-thread files are read per interval; above that the
//! threads take turns and a thread's last figures stand in until its turn comes ("sampled").

use std::collections::{HashMap, HashSet};

/// Per-thread reads (status + children) per interval at most: ~10 µs each, so ≤ ~5 ms per interval.
pub const MAX_TASK_READS: usize = 512;
/// Processes followed at most (a fork bomb must not make the watcher read forever).
const MAX_PROCESSES: usize = 256;

/// What the tree adds up to at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TreeSample {
    pub processes: u64,
    /// sum of /proc/<pid>/status Threads over the tree
    pub os_threads: u64,
    /// sum of /proc/<pid>/statm resident × page size (pages shared between processes count twice)
    pub rss_bytes: u64,
    /// sum of /proc/<pid>/statm size × page size
    pub virtual_bytes: u64,
    /// /proc/<pid>/stat utime + stime + cutime + cstime, summed: includes exited threads and
    /// waited-for children
    pub cpu_us: u64,
    /// sum of voluntary_ctxt_switches in /proc/<pid>/task/*/status: live threads only
    pub ctx_voluntary: u64,
    /// sum of nonvoluntary_ctxt_switches in /proc/<pid>/task/*/status: live threads only
    pub ctx_involuntary: u64,
    /// Threads whose status was read this interval (the others: their last reading).
    pub threads_read: u64,
}

impl TreeSample {
    pub fn sampled(&self) -> bool {
        self.threads_read < self.os_threads
    }
}

/// A thread's last reading: context switches and the processes it forked.
#[derive(Debug, Clone, Default)]
struct TaskReading {
    voluntary: u64,
    involuntary: u64,
    children: Vec<u32>,
}

/// Reads a process tree interval after interval, keeping what it needs to take turns.
#[derive(Debug, Default)]
pub struct Tree {
    readings: HashMap<u32, TaskReading>,
    /// Where the turns start in this interval's list of threads.
    turn: usize,
}

impl Tree {
    /// The tree under `root`, or None once `root` is gone.
    pub fn sample(&mut self, root: u32) -> Option<TreeSample> {
        let page = procfs::page_size();
        let tick_us = 1_000_000 / procfs::ticks_per_second().max(1);
        let mut s = TreeSample::default();
        let (mut queue, mut seen) = (vec![root], HashSet::from([root]));
        let mut live = HashSet::new();
        let mut budget = MAX_TASK_READS;
        while let Some(pid) = queue.pop() {
            let Some((rss, virt)) = statm(pid) else {
                if pid == root {
                    return None;
                }
                continue;
            };
            s.processes += 1;
            s.rss_bytes += rss * page;
            s.virtual_bytes += virt * page;
            s.cpu_us += cpu_ticks(pid).unwrap_or(0) * tick_us;
            let tids = tasks(pid);
            s.os_threads += tids.len() as u64;
            let n = tids.len().max(1);
            let start = self.turn % n;
            // The main thread always, then the others from this interval's turn on.
            for i in 0..tids.len() {
                let tid = tids[(start + i) % n];
                let fresh = (budget > 0 || tid == pid)
                    .then(|| read_task(pid, tid))
                    .flatten();
                if let Some(r) = fresh {
                    budget = budget.saturating_sub(1);
                    s.threads_read += 1;
                    self.readings.insert(tid, r);
                }
                live.insert(tid);
                if let Some(r) = self.readings.get(&tid) {
                    s.ctx_voluntary += r.voluntary;
                    s.ctx_involuntary += r.involuntary;
                    for &c in &r.children {
                        if seen.len() < MAX_PROCESSES && seen.insert(c) {
                            queue.push(c);
                        }
                    }
                }
            }
        }
        self.readings.retain(|tid, _| live.contains(tid));
        self.turn = self.turn.wrapping_add(MAX_TASK_READS);
        Some(s)
    }
}

fn statm(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let mut f = text.split_ascii_whitespace().map(|x| x.parse::<u64>().ok());
    let size = f.next()??;
    let resident = f.next()??;
    Some((resident, size))
}

/// utime + stime + cutime + cstime, in clock ticks, from /proc/<pid>/stat (fields 14–17).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_ascii_whitespace().collect();
    // rest starts at field 3 (state), so field k is f[k - 3].
    let sum = (14..=17).map(|k| f.get(k - 3).and_then(|x| x.parse::<u64>().ok()));
    sum.sum()
}

fn tasks(pid: u32) -> Vec<u32> {
    let mut tids: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    tids.sort_unstable();
    tids
}

fn read_task(pid: u32, tid: u32) -> Option<TaskReading> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Needs CONFIG_PROC_CHILDREN; without it no child process is followed.
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/children"))
        .unwrap_or_default()
        .split_ascii_whitespace()
        .filter_map(|c| c.parse().ok())
        .collect();
    Some(TaskReading {
        voluntary: field("voluntary_ctxt_switches:"),
        involuntary: field("nonvoluntary_ctxt_switches:"),
        children,
    })
}

/// Established TCP connections whose local port is `port` (the server's ends), from
/// /proc/net/tcp and /proc/net/tcp6 of this network namespace.
pub fn established_on(port: u16) -> u64 {
    let want = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|text| {
            text.lines()
                .skip(1)
                .filter(|l| {
                    let mut f = l.split_ascii_whitespace();
                    let local = f.nth(1).unwrap_or("");
                    // st is the 4th field: 01 = ESTABLISHED.
                    local.ends_with(&want) && f.nth(1) == Some("01")
                })
                .count() as u64
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shell_and_its_children_are_one_tree() {
        // sh forks two sleeps and waits: three processes, each at least one thread.
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("sleep 30 & sleep 30 & wait")
            .spawn()
            .expect("sh");
        let pid = child.id();
        let mut tree = Tree::default();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut s = TreeSample::default();
        while std::time::Instant::now() < deadline {
            s = tree.sample(pid).expect("sh is alive");
            // Three processes, and one of them has gone to sleep (a sleep, or sh in wait): until
            // then a busy machine may not have run them far enough to block.
            if s.processes >= 3 && s.ctx_voluntary > 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // pkill by pid only: the group of this sh is ours (same as the test's), so kill the kids.
        let _ = std::process::Command::new("pkill")
            .args(["-P", &pid.to_string()])
            .status();
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(s.processes, 3, "{s:?}");
        assert!(s.os_threads >= 3 && s.rss_bytes > 0 && s.virtual_bytes >= s.rss_bytes);
        assert!(s.ctx_voluntary > 0, "sh waited at least once: {s:?}");
        assert!(!s.sampled());
        assert!(tree.sample(pid).is_none(), "gone once reaped");
    }

    #[test]
    fn this_process_threads_take_turns_above_the_budget() {
        let mut tree = Tree::default();
        let s = tree.sample(std::process::id()).expect("self");
        assert!(s.os_threads >= 1 && s.threads_read >= 1);
        // The other tests of this process start and end threads between the listing and the reads:
        // one that ended is listed and not read. Under the budget every other one is read; over it,
        // the budget (and the main thread) at most.
        assert!(s.threads_read <= s.os_threads, "{s:?}");
        if s.os_threads as usize > MAX_TASK_READS {
            assert!(
                s.sampled() && s.threads_read as usize <= MAX_TASK_READS + 1,
                "{s:?}"
            );
        } else {
            assert!(2 * s.threads_read >= s.os_threads, "{s:?}");
        }
    }
}
