//! The guard in front of every thread the threads side spawns. Machine-wide limits (pid_max,
//! threads-max) are never approached: the side stops a margin below them. Per-process limits
//! (vm.max_map_count, RLIMIT_AS) may be hit, since that is what the audience should see, but safely:
//! near them each thread is started alone (no half-started thread racing the next spawn for the last
//! maps or bytes), and a reserve held back meanwhile is handed back when the spawn fails, so the
//! worker that reached its limit keeps running and reporting.

use std::io;

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
/// Maps below vm.max_map_count where every spawn first counts the maps exactly: within them a count
/// every 64 spawns is too coarse to tell whether the next thread fits.
const EXACT_MAPS: u64 = 512;
/// Maps kept free beyond the next thread's own, for what the worker's other threads map meanwhile.
/// 4 was not enough: beside `stress-ng --cpu 2` a worker still aborted at 16,528 threads with the
/// count saying there was room (a test run of `limits` at nice 0); 64 costs the side about 16 threads.
const SPAWN_SLACK_MAPS: u64 = 64;

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
}

impl SpawnGuard {
    pub fn new(stack_bytes: u64) -> SpawnGuard {
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
        }
    }

    /// Called before each spawn with the side's units alive.
    pub fn before_spawn(&mut self, units: u64) -> Verdict {
        if let Some((why, limit)) = self.machine_check(units) {
            return Verdict::Stop { why, limit };
        }
        let careful = self.near_max_map_count() || self.address_space_limit.is_some();
        if careful && self.held.is_none() {
            let bytes = if self.address_space_limit.is_some() {
                RESERVE_BYTES
            } else {
                0
            };
            match Held::reserve(RESERVE_MAPS, bytes) {
                Ok(held) => self.held = Some(held),
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
        }
        if let Some((why, limit)) = self.no_room_for_a_thread(units) {
            return Verdict::Stop { why, limit };
        }
        Verdict::Spawn { careful }
    }

    /// In the last maps before vm.max_map_count, the maps are counted before every spawn and the side
    /// stops while the next thread still fits: a thread takes its maps in two steps, its stack and
    /// guard page in `pthread_create`, then its signal stack and guard as it starts. With two or three
    /// maps left, the first step succeeds and the second fails in the new thread, where Rust can only
    /// abort: the whole worker died by SIGABRT that way instead of reporting the limit.
    fn no_room_for_a_thread(&mut self, units: u64) -> Option<(String, String)> {
        let max = self.max_map_count?;
        if self.maps + EXACT_MAPS < max {
            return None;
        }
        let counted = try_count_maps();
        self.maps = *counted.as_ref().unwrap_or(&max);
        if self.maps + MAPS_PER_THREAD + SPAWN_SLACK_MAPS <= max {
            return None;
        }
        let held = self.held.take().map_or(0, |h| h.release().maps);
        if let Err(e) = counted {
            let why = format!(
                "stopped at {units} threads: {MAX_MAP_COUNT}={max}: the maps could not be counted ({e}), and \
                 a thread spawned blind this close to the limit may abort the worker"
            );
            return Some((why, MAX_MAP_COUNT.into()));
        }
        let why = format!(
            "stopped at {units} threads: {MAX_MAP_COUNT}={max}: this process has {} memory maps and keeps {} \
             free; a thread maps its stack and guard page, then its signal stack and guard page, and if the \
             second pair does not fit the worker aborts, so the side stops first; {held} maps held back for \
             the rest of the worker are handed back; limits: {}",
            self.maps,
            MAPS_PER_THREAD + SPAWN_SLACK_MAPS,
            limit_values()
        );
        Some((why, MAX_MAP_COUNT.into()))
    }

    /// A spawn failed: hands the reserve back first (the diagnosis itself needs a little memory),
    /// then says why and which limit. The next spawn takes a new reserve if there is room.
    pub fn spawn_failed(&mut self, e: &io::Error, units: u64) -> (String, String) {
        let released = self.held.take().map_or(Released::default(), Held::release);
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

    /// Counting maps reads a file of up to megabytes, so it is done again only after half the
    /// spawns that could bring the process to the careful zone.
    fn near_max_map_count(&mut self) -> bool {
        let Some(max) = self.max_map_count else {
            return false;
        };
        if self.until_map_count == 0 {
            // A count that failed is taken as the limit itself: careful, and counted again at once
            // (read as 0 maps, as before, it let thousands of spawns go by uncounted).
            self.maps = try_count_maps().unwrap_or(max);
            let room = max.saturating_sub(self.maps + CAREFUL_MAPS);
            self.until_map_count = (room / MAPS_PER_THREAD / 2).max(64);
        }
        self.until_map_count -= 1;
        self.maps + CAREFUL_MAPS >= max
    }
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
        let page = crate::worker::sys::page_size() as usize;
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
        // Room for a thread, its slack and a reserve: careful spawns go on.
        g.max_map_count = Some(now + 3 * RESERVE_MAPS);
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
        // The screen's split finds the limit and the detail in it.
        let (head, detail) = crate::ui::limit::split(&why, MAX_MAP_COUNT).expect("split");
        assert!(head.starts_with("vm.max_map_count="), "{head}");
        assert!(detail.starts_with("this process has "), "{detail}");
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
