//! The guard in front of every thread the threads side spawns. Machine-wide limits (pid_max,
//! threads-max) are never approached: the side stops a margin below them. Per-process limits
//! (vm.max_map_count, RLIMIT_AS) may be hit, since that is what the audience should see, but safely:
//! near them each thread is started alone (no half-started thread racing the next spawn for the last
//! maps or bytes), and a reserve held back meanwhile is handed back when the spawn fails, so the
//! worker that reached its limit keeps running and reporting.
//!
//! A thread takes its maps in two steps: its stack and guard page in `pthread_create`, then its
//! signal stack and guard page once it first runs (Rust's runtime, before the thread's closure). A
//! thread that is spawned but has not run yet holds only the first two, and when the second pair
//! cannot be mapped the whole worker aborts. Spawns therefore go through [`SpawnGuard::spawn`], which
//! knows how many of its threads have not run yet and counts their last two maps as taken.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::{self, Thread};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{
    MAPS_PER_THREAD, MAX_MAP_COUNT, Released, address_space_limit, diagnose_spawn_error,
    limit_values, machine_threads, read_u64, thread_limits, try_count_maps,
};

/// Threads the side may spawn between two reads of the machine's thread count.
const MACHINE_CHECK_EVERY: u64 = 64;
/// Maps below vm.max_map_count where careful spawning starts (about 1,000 threads before it).
const CAREFUL_MAPS: u64 = 4_096;
/// Held back near a per-process limit and handed back at the failure: maps for the
/// allocations that follow, address space for them under RLIMIT_AS.
const RESERVE_MAPS: u64 = 64;
const RESERVE_BYTES: u64 = 16 << 20;
/// Maps kept free beyond the next thread's own, for what the worker's other threads map meanwhile.
const SPAWN_SLACK_MAPS: u64 = 64;
/// Maps a new thread makes itself when it first runs: its signal stack and that stack's guard page.
/// Until then /proc/self/maps shows only its stack and guard page.
pub const MAPS_AT_START: u64 = 2;
/// Threads that may be spawned and not have run yet. Past it the spawner waits: it cannot run away
/// from its own threads (a spawner with a CPU of its own, beside threads waiting for one, once had
/// thousands spawned that had not run), so "units" are threads that run, and the maps they will still
/// make stay a small, counted number.
const MAX_NOT_YET_RUN: u64 = 256;
/// How long the spawner sleeps at most between two looks at threads that have not run yet (each
/// new thread wakes it as it starts; this only bounds a missed wake-up).
const START_POLL: Duration = Duration::from_millis(10);
/// Environment variable naming a file where the guard appends one line per decision it counts
/// for (maps counted, threads not yet run, verdict): the evidence for a stop, or for a crash.
pub const TRACE_ENV: &str = "VERSUS_GUARD_TRACE";

/// Test hook: this many maps taken at the first guard of a process and held for its life, so a test
/// drives the side to vm.max_map_count after a thousand threads instead of 16,000. The limit, the
/// kernel's refusals and the guard are all real; only the distance to them is shorter.
pub const BALLAST_ENV: &str = "VERSUS_MAP_BALLAST";

/// Why the side stopped spawning: (why, which limit).
pub type Stopped = (String, String);

/// What the guard says about the next spawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Spawn; when careful, wait until the new thread runs before the next spawn.
    Spawn { careful: bool },
    /// Do not spawn: (why, which limit).
    Stop { why: String, limit: String },
}

/// What the threads side leaves free of a machine-wide limit for everyone else: 10% or 2,000.
pub fn reserve(limit: u64) -> u64 {
    (limit / 10).max(2_000)
}

/// Why to stop before spawning `next` more threads when `in_use` exist machine-wide: (why, limit name).
/// Pure, so the rule is testable without a machine at its limit.
pub fn machine_stop(
    machine_wide: &[(&'static str, u64)],
    in_use: u64,
    next: u64,
    units: u64,
) -> Option<(String, String)> {
    machine_wide
        .iter()
        .filter(|&&(_, limit)| in_use + next + reserve(limit) > limit)
        .min_by_key(|&&(_, limit)| limit.saturating_sub(reserve(limit)))
        .map(|&(name, limit)| {
            let why = format!(
                "stopped at {units} threads: {name}={limit} would leave fewer than {} free for the rest of the \
                 machine ({in_use} threads in use machine-wide, from /proc/loadavg)",
                reserve(limit)
            );
            (why, name.to_string())
        })
}

/// Lives on the spawner thread of the threads side.
#[derive(Debug)]
pub struct SpawnGuard {
    stack_bytes: u64,
    machine_wide: Vec<(&'static str, u64)>,
    until_machine_check: u64,
    max_map_count: Option<u64>,
    /// Maps at the last count, and spawns until the next count.
    maps: u64,
    until_map_count: u64,
    /// RLIMIT_AS, when set: then every spawn is careful (it is rare, and the race is likely).
    address_space_limit: Option<u64>,
    held: Option<Held>,
    /// Threads spawned through [`SpawnGuard::spawn`], and how many of them have run.
    spawned: u64,
    starts: Arc<Starts>,
    trace: Option<std::fs::File>,
}

/// Shared with every thread the guard spawns: each counts itself as started when it first runs,
/// and wakes the spawning thread, which may be waiting for it.
#[derive(Debug)]
struct Starts {
    started: AtomicU64,
    spawner: Thread,
}

impl SpawnGuard {
    pub fn new(stack_bytes: u64) -> SpawnGuard {
        take_ballast();
        let machine_wide = thread_limits()
            .into_iter()
            .filter(|l| l.machine_wide)
            .filter_map(|l| Some((l.name, l.value?)))
            .collect();
        SpawnGuard {
            stack_bytes,
            machine_wide,
            until_machine_check: 0,
            max_map_count: read_u64("/proc/sys/vm/max_map_count"),
            maps: 0,
            until_map_count: 0,
            address_space_limit: address_space_limit(),
            held: None,
            spawned: 0,
            starts: Arc::new(Starts {
                started: AtomicU64::new(0),
                spawner: thread::current(),
            }),
            trace: std::env::var_os(TRACE_ENV).and_then(|path| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .ok()
            }),
        }
    }

    /// Spawns `body` on a new thread made by `builder`, through the guard. Ok once the thread is
    /// spawned (near a limit: once it runs, so its signal stack is mapped before the next spawn);
    /// Err with why and which limit when the side stops here or the spawn failed. Call it from the
    /// thread that made the guard: that is the thread new threads wake as they start.
    pub fn spawn<F>(&mut self, builder: thread::Builder, units: u64, body: F) -> Result<(), Stopped>
    where
        F: FnOnce() + Send + 'static,
    {
        self.wait_until_not_yet_run(MAX_NOT_YET_RUN - 1);
        let careful = match self.before_spawn(units) {
            Verdict::Stop { why, limit } => return Err((why, limit)),
            Verdict::Spawn { careful } => careful,
        };
        let starts = self.starts.clone();
        // On failure the closure, and whatever `body` owns, is dropped.
        let spawned = builder.spawn(move || {
            // Rust has mapped this thread's signal stack by now: all four of its maps are in place.
            starts.started.fetch_add(1, Ordering::Release);
            starts.spawner.unpark();
            body();
        });
        match spawned {
            Ok(_) => {
                self.spawned += 1;
                self.maps += MAPS_PER_THREAD;
                if careful {
                    self.wait_until_not_yet_run(0);
                }
                Ok(())
            }
            Err(e) => Err(self.spawn_failed(&e, units)),
        }
    }

    /// Threads spawned that have not run yet: each will still map its signal stack and guard page.
    pub fn not_yet_run(&self) -> u64 {
        self.spawned
            .saturating_sub(self.starts.started.load(Ordering::Acquire))
    }

    /// Returns once at most `n` of the threads spawned so far have not run.
    fn wait_until_not_yet_run(&self, n: u64) {
        while self.not_yet_run() > n {
            thread::park_timeout(START_POLL);
        }
    }

    /// One line of evidence per counted decision, when `VERSUS_GUARD_TRACE` names a file.
    fn trace(&mut self, units: u64, counted: Option<u64>, decision: &str) {
        let not_yet_run = self.not_yet_run();
        let (spawned, maps, max) = (self.spawned, self.maps, self.max_map_count);
        if let Some(file) = self.trace.as_mut() {
            let ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let _ = writeln!(
                file,
                "{ms} units={units} spawned={spawned} not_yet_run={not_yet_run} counted={} \
                 estimate={maps} max={} {decision}",
                counted.map_or_else(|| "failed".to_string(), |c| c.to_string()),
                max.map_or_else(|| "none".to_string(), |m| m.to_string()),
            );
        }
    }

    /// Called before each spawn with the side's units alive.
    pub(crate) fn before_spawn(&mut self, units: u64) -> Verdict {
        if let Some((why, limit)) = self.machine_check(units) {
            return Verdict::Stop { why, limit };
        }
        let near_maps = match self.map_check(units) {
            Ok(near) => near,
            Err((why, limit)) => return Verdict::Stop { why, limit },
        };
        let careful = near_maps || self.address_space_limit.is_some();
        if careful && self.held.is_none() {
            let bytes = if self.address_space_limit.is_some() {
                RESERVE_BYTES
            } else {
                0
            };
            match Held::reserve(RESERVE_MAPS, bytes) {
                Ok(held) => {
                    self.maps += held.maps;
                    self.held = Some(held);
                }
                Err(e) => {
                    let limit = if self.address_space_limit.is_some() {
                        super::RLIMIT_AS
                    } else {
                        super::MAX_MAP_COUNT
                    };
                    let why = format!(
                        "stopped at {units} threads: {limit}: no room left to hold {RESERVE_MAPS} maps and {} MiB back \
                         for the rest of the worker ({e})",
                        bytes >> 20
                    );
                    return Verdict::Stop {
                        why,
                        limit: limit.into(),
                    };
                }
            }
            // With the reserve's maps taken, is there still room for the thread? Count at once.
            if near_maps {
                self.until_map_count = 0;
                if let Err((why, limit)) = self.map_check(units) {
                    return Verdict::Stop { why, limit };
                }
            }
        }
        Verdict::Spawn { careful }
    }

    /// The memory maps against vm.max_map_count: Ok(near the limit: spawn carefully), or Err(why
    /// the side stops here, while the next thread still fits).
    ///
    /// The guard keeps an estimate of the maps: a count of /proc/self/maps, plus the two maps each
    /// thread that has not run yet will still make, plus four for every thread spawned since. The
    /// count reads a file of megabytes near the limit, so it is made again only once the estimate
    /// has used up half the room before the next threshold (the careful zone, then the stop): often
    /// when far from the limit, every few spawns at the end. Near the limit the guard first waits
    /// until every thread spawned has run, so that the count is exact: a thread takes its maps in
    /// two steps, its stack and guard page in `pthread_create`, then its signal stack and guard page
    /// as it starts, and when the second step fails Rust can only abort the whole worker.
    fn map_check(&mut self, units: u64) -> Result<bool, Stopped> {
        let Some(max) = self.max_map_count else {
            return Ok(false);
        };
        let needed = MAPS_PER_THREAD + SPAWN_SLACK_MAPS;
        if self.until_map_count == 0 || self.maps + needed > max {
            let near = self.maps + CAREFUL_MAPS >= max;
            if near {
                self.wait_until_not_yet_run(0);
            }
            // Read before the count: a thread that starts during it is counted twice, never missed.
            let not_yet_run = self.not_yet_run();
            let counted = try_count_maps();
            // A count that failed is taken as the limit itself (read as 0 maps, as it once was, it
            // let thousands of spawns go by uncounted).
            self.maps = counted
                .as_ref()
                .map_or(max, |c| c + MAPS_AT_START * not_yet_run);
            let free = max.saturating_sub(self.maps);
            self.until_map_count = if free > CAREFUL_MAPS {
                ((free - CAREFUL_MAPS) / MAPS_PER_THREAD / 2).max(64)
            } else {
                (free.saturating_sub(needed) / MAPS_PER_THREAD / 2).max(1)
            };
            let counted_ok = counted.as_ref().ok().copied();
            if self.maps + needed > max {
                self.trace(units, counted_ok, "stop");
                return Err(self.map_stop(units, max, counted.err()));
            }
            self.trace(
                units,
                counted_ok,
                if near { "near: spawn" } else { "spawn" },
            );
        }
        self.until_map_count -= 1;
        Ok(self.maps + CAREFUL_MAPS >= max)
    }

    /// The side stops at vm.max_map_count with room still left for the next thread: hands the
    /// reserve back and says why.
    fn map_stop(&mut self, units: u64, max: u64, count_error: Option<io::Error>) -> Stopped {
        let held = self.held.take().map_or(0, |h| h.release().maps);
        self.maps = self.maps.saturating_sub(held);
        if let Some(e) = count_error {
            let why = format!(
                "stopped at {units} threads: {MAX_MAP_COUNT}={max}: the maps could not be counted ({e}), and \
                 a thread spawned blind this close to the limit may abort the worker"
            );
            return (why, MAX_MAP_COUNT.into());
        }
        let why = format!(
            "stopped at {units} threads: {MAX_MAP_COUNT}={max}: this process has {} memory maps and keeps {} \
             free; a thread maps its stack and guard page, then its signal stack and guard page, and if the \
             second pair does not fit the worker aborts, so the side stops first; {held} maps held back for \
             the rest of the worker are handed back; limits: {}",
            self.maps + held,
            MAPS_PER_THREAD + SPAWN_SLACK_MAPS,
            limit_values()
        );
        (why, MAX_MAP_COUNT.into())
    }

    /// A spawn failed: hands the reserve back first (the diagnosis itself needs a little memory),
    /// then says why and which limit. The next spawn takes a new reserve if there is room.
    fn spawn_failed(&mut self, e: &io::Error, units: u64) -> Stopped {
        let released = self.held.take().map_or(Released::default(), Held::release);
        self.maps = self.maps.saturating_sub(released.maps);
        self.until_map_count = 0;
        diagnose_spawn_error(e, units, self.stack_bytes, released)
    }

    fn machine_check(&mut self, units: u64) -> Option<(String, String)> {
        if self.until_machine_check > 0 {
            self.until_machine_check -= 1;
            return None;
        }
        self.until_machine_check = MACHINE_CHECK_EVERY - 1;
        machine_stop(
            &self.machine_wide,
            machine_threads()?,
            MACHINE_CHECK_EVERY,
            units,
        )
    }
}

/// Takes the maps `VERSUS_MAP_BALLAST` asks for, once per process, and keeps them.
fn take_ballast() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let maps = std::env::var(BALLAST_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(maps) = maps.filter(|&m| m > 0)
            && let Ok(held) = Held::reserve(maps, 0)
        {
            std::mem::forget(held);
        }
    });
}

/// A reserve of maps and address space: one PROT_NONE mapping (no memory behind it) whose
/// alternate pages are made read-only so that it counts as `maps` separate maps.
#[derive(Debug)]
struct Held {
    addr: usize,
    len: usize,
    maps: u64,
}

impl Held {
    fn reserve(maps: u64, bytes: u64) -> io::Result<Held> {
        let page = crate::sys::page_size() as usize;
        let len = (bytes as usize).max(page * (maps as usize + 1));
        // SAFETY: a fresh anonymous mapping at an address the kernel picks; nothing else refers to it.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let mut held = Held {
            addr: addr as usize,
            len,
            maps: 1,
        };
        for i in 0..maps / 2 {
            let at = held.addr + (2 * i as usize + 1) * page;
            // SAFETY: `at` is a page inside the mapping made above.
            if unsafe { libc::mprotect(at as *mut libc::c_void, page, libc::PROT_READ) } != 0 {
                // Dropping `held` unmaps what was reserved.
                return Err(io::Error::last_os_error());
            }
            held.maps += 2;
        }
        Ok(held)
    }

    fn release(self) -> Released {
        let released = Released {
            maps: self.maps,
            bytes: self.len as u64,
        };
        drop(self);
        released
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `reserve` made; nothing points into it.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::super::{PID_MAX, THREADS_MAX, count_maps};
    use super::*;

    #[test]
    fn the_machine_keeps_its_reserve() {
        let limits = [(PID_MAX, 32_768), (THREADS_MAX, 192_729)];
        assert_eq!(machine_stop(&limits, 1_000, 64, 900), None);
        let (why, name) = machine_stop(&limits, 29_500, 64, 29_000).expect("within 10% of pid_max");
        assert_eq!(name, PID_MAX);
        assert!(
            why.contains(
                "stopped at 29000 threads: kernel.pid_max=32768 would leave fewer than 3276 free"
            ),
            "{why}"
        );
        // A small limit keeps at least 2,000 free.
        assert!(machine_stop(&[(PID_MAX, 4_096)], 2_050, 64, 1).is_some());
        assert!(machine_stop(&[(PID_MAX, 4_096)], 1_000, 64, 1).is_none());
    }

    #[test]
    fn the_machine_is_read_only_now_and_then() {
        let mut g = SpawnGuard::new(2 << 20);
        g.machine_wide = vec![(PID_MAX, 1)];
        assert!(
            matches!(g.before_spawn(0), Verdict::Stop { .. }),
            "checks on the first spawn"
        );
        for _ in 1..MACHINE_CHECK_EVERY {
            assert!(
                matches!(g.before_spawn(0), Verdict::Spawn { .. }),
                "then skips"
            );
        }
        assert!(matches!(g.before_spawn(0), Verdict::Stop { .. }));
    }

    #[test]
    fn near_the_map_limit_spawns_are_careful_and_hold_a_reserve() {
        let mut g = SpawnGuard::new(2 << 20);
        g.machine_wide.clear();
        g.address_space_limit = None;
        g.max_map_count = Some(1 << 30);
        assert_eq!(g.before_spawn(0), Verdict::Spawn { careful: false });
        let before = count_maps();
        g.max_map_count = Some(before + CAREFUL_MAPS / 2);
        g.until_map_count = 0;
        assert_eq!(g.before_spawn(0), Verdict::Spawn { careful: true });
        assert!(g.held.as_ref().is_some_and(|h| h.maps > RESERVE_MAPS));
        let (why, _) = g.spawn_failed(&io::Error::from_raw_os_error(libc::EAGAIN), 7);
        assert!(g.held.is_none(), "handed back");
        assert!(why.starts_with("thread spawn failed at 7 threads"), "{why}");
    }

    #[test]
    fn the_side_stops_while_the_next_thread_still_fits_in_the_maps() {
        let mut g = SpawnGuard::new(2 << 20);
        g.machine_wide.clear();
        g.address_space_limit = None;
        let now = count_maps();
        // Room for a thread, its slack and a reserve, inside the careful zone: careful spawns go on.
        // (Room to spare: the other tests in this process, run on several threads at once, map and
        // unmap between the count above and the one `before_spawn` takes.)
        g.max_map_count = Some(now + CAREFUL_MAPS / 2);
        g.until_map_count = 0;
        assert_eq!(g.before_spawn(5), Verdict::Spawn { careful: true });
        assert!(g.held.is_some());
        // No room once the reserve is counted: stop, hand it back. (Well below the count: the other
        // tests in this process start and end threads, each 4 maps, between two counts.)
        g.max_map_count = Some(g.maps.saturating_sub(64));
        let Verdict::Stop { why, limit } = g.before_spawn(6) else {
            panic!("spawned with no room for a thread");
        };
        assert_eq!(limit, MAX_MAP_COUNT);
        assert!(g.held.is_none(), "the reserve is handed back");
        assert!(
            why.starts_with("stopped at 6 threads: vm.max_map_count=")
                && why.contains(" memory maps and keeps 68 free;"),
            "{why}"
        );
    }

    #[test]
    fn threads_that_have_not_run_count_the_maps_they_will_make() {
        let mut g = SpawnGuard::new(2 << 20);
        g.machine_wide.clear();
        g.address_space_limit = None;
        // Room for 3,000 more maps before the careful zone: with every thread run, not careful.
        let base = count_maps();
        g.max_map_count = Some(base + CAREFUL_MAPS + 3_000);
        g.until_map_count = 0;
        assert_eq!(g.map_check(0), Ok(false));
        // 2,000 threads spawned that have not run yet will map 4,000 more: near the limit now.
        // (Counted as their two maps in /proc alone, the side went on and the worker aborted when
        // they ran.) The map check itself does not wait for them far from the limit.
        g.spawned = 2_000;
        g.until_map_count = 0;
        assert_eq!(g.not_yet_run(), 2_000);
        assert_eq!(g.map_check(0), Ok(true));
        // (Other tests of this process start and end threads meanwhile, 4 maps each: a margin.)
        assert!(
            g.maps >= base + 2 * 2_000 - 500,
            "estimate {} from {base}",
            g.maps
        );
        // 2,000 more would leave no room for a thread: the side stops, without counting them as run.
        g.spawned = 4_000;
        g.until_map_count = 0;
        g.maps = base;
        let Err((why, limit)) = g.map_check(9) else {
            panic!("spawned with 8,000 maps still to come and 7,096 free");
        };
        assert_eq!(limit, MAX_MAP_COUNT);
        assert!(
            why.starts_with("stopped at 9 threads: vm.max_map_count="),
            "{why}"
        );
    }

    #[test]
    fn a_careful_spawn_returns_once_every_thread_has_run() {
        let mut g = SpawnGuard::new(2 << 20);
        g.machine_wide.clear();
        // RLIMIT_AS makes every spawn careful.
        g.address_space_limit = Some(u64::MAX);
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..8 {
            let tx = tx.clone();
            g.spawn(thread::Builder::new(), i, move || {
                let _ = tx.send(i);
            })
            .expect("spawned");
            assert_eq!(
                g.not_yet_run(),
                0,
                "spawn {i} returned before its thread ran"
            );
        }
        drop(tx);
        assert_eq!(rx.iter().count(), 8, "every body ran");
        // A stop drops the body unrun.
        g.machine_wide = vec![(super::super::PID_MAX, 1)];
        g.until_machine_check = 0;
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let stopped = g.spawn(thread::Builder::new(), 8, move || {
            let _ = tx.send(());
        });
        assert!(stopped.is_err());
        assert!(rx.recv().is_err(), "the body was dropped, not run");
    }

    #[test]
    fn a_reserve_counts_as_the_maps_it_says() {
        let held = Held::reserve(RESERVE_MAPS, RESERVE_BYTES).expect("room for a reserve");
        let text = std::fs::read_to_string("/proc/self/maps").expect("maps");
        // Maps that overlap the reserve, not only those starting in it: a PROT_NONE neighbour (another
        // reserve, a thread's guard page) may merge with its first or last piece, and that merged map
        // starts or ends outside it but is still one of the maps the reserve is made of.
        let (start, end) = (held.addr, held.addr + held.len);
        let overlapping = text
            .lines()
            .filter_map(|l| {
                let (lo, hi) = l.split_whitespace().next()?.split_once('-')?;
                Some((
                    usize::from_str_radix(lo, 16).ok()?,
                    usize::from_str_radix(hi, 16).ok()?,
                ))
            })
            .filter(|&(lo, hi)| lo < end && hi > start)
            .count() as u64;
        assert_eq!(overlapping, held.maps);
        assert!(held.maps > RESERVE_MAPS && held.len as u64 >= RESERVE_BYTES);
    }
}
