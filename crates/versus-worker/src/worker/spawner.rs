//! The spawner: brings a side to its target unit count, timing each spawn batch.
//! It runs on its own OS thread; scaling down needs no work here (surplus units retire themselves).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::limits::{self, SpawnGuard};
use crate::workload::{SideShared, Unit, Workload};

/// Spawns this many units between checks of the target, so a scale-down interrupts a big batch.
const CHUNK: u64 = 1024;

/// Async side: a gap at least this big is spawned from inside the runtime (`spawn_inside`); a
/// smaller one from this thread, so a few units still start when every worker is blocked.
const INSIDE_MIN: u64 = 4096;
/// Async side: units handed to the runtime's spawning tasks at a time.
const INSIDE_ROUND: u64 = 1 << 16;

/// How a unit is started on this side.
pub enum Launcher {
    /// The runtime and its number of worker threads.
    Async(tokio::runtime::Handle, usize),
    Threads {
        stack_bytes: Option<usize>,
    },
}

/// Wakes the spawner when the target changes.
#[derive(Default)]
pub struct Wake {
    changed: Mutex<bool>,
    cv: Condvar,
}

impl Wake {
    pub fn notify(&self) {
        *self.changed.lock() = true;
        self.cv.notify_one();
    }

    fn wait(&self) {
        let mut changed = self.changed.lock();
        while !*changed {
            self.cv.wait(&mut changed);
        }
        *changed = false;
    }
}

/// Mean ns per spawn of the last batch, read by the reporter.
pub type SpawnTiming = Arc<Mutex<Option<f64>>>;

pub fn run(
    workload: Arc<dyn Workload>,
    shared: Arc<SideShared>,
    launcher: Launcher,
    wake: Arc<Wake>,
    timing: SpawnTiming,
) {
    let mut next_index = 0u64;
    // Threads side only, made on this thread (new threads wake it as they start).
    let mut guard: Option<SpawnGuard> = None;
    let outstanding = Arc::new(Outstanding::default());
    loop {
        wake.wait();
        let started = Instant::now();
        let mut spawned = 0u64;
        'scaling: loop {
            let target = shared.target.load(Ordering::SeqCst);
            // Units handed to the runtime's spawning tasks count as on their way.
            let alive =
                shared.alive.load(Ordering::SeqCst) + outstanding.pending.load(Ordering::SeqCst);
            if alive >= target {
                break;
            }
            if let Launcher::Async(handle, workers) = &launcher
                && target - alive >= INSIDE_MIN
            {
                let n = (target - alive).min(INSIDE_ROUND);
                spawn_inside(
                    handle,
                    *workers,
                    &workload,
                    &shared,
                    (next_index, n),
                    &outstanding,
                );
                next_index += n;
                spawned += n;
                continue;
            }
            for _ in 0..(target - alive).min(CHUNK) {
                let unit = Unit::enlist(next_index, shared.clone());
                next_index += 1;
                let outcome = match &launcher {
                    Launcher::Async(handle, _) => {
                        // JoinHandles are dropped: units end on their own by retiring.
                        let task = handle.spawn(workload.clone().task(unit));
                        workload.spawned(&task);
                        drop(task);
                        Ok(())
                    }
                    // Every thread passes the guard: machine-wide margins, care near per-process
                    // limits, and a count of the threads that have not run yet (see limits::guard).
                    Launcher::Threads { stack_bytes } => {
                        let guard = guard.get_or_insert_with(|| {
                            SpawnGuard::new(
                                stack_bytes.map_or(limits::DEFAULT_STACK_BYTES, |b| b as u64),
                            )
                        });
                        let mut b = std::thread::Builder::new();
                        if let Some(bytes) = stack_bytes {
                            b = b.stack_size(*bytes);
                        }
                        let units = shared.alive.load(Ordering::SeqCst) - 1;
                        let workload = workload.clone();
                        // On a stop or a failure the closure, and the unit in it, is dropped:
                        // alive goes back down.
                        guard.spawn(b, units, move || workload.thread(unit))
                    }
                };
                if let Err((why, limit)) = outcome {
                    shared.hit_limit(why, Some(limit));
                    break 'scaling;
                }
                spawned += 1;
            }
        }
        // Timed until the runtime has spawned what it was handed, too.
        outstanding.wait();
        if spawned > 0 {
            *timing.lock() = Some(started.elapsed().as_nanos() as f64 / spawned as f64);
        }
    }
}

/// Spawning tasks not yet done, counted so the spawner can time the whole scale-up.
#[derive(Default)]
struct Outstanding {
    left: Mutex<u64>,
    cv: Condvar,
    /// Units handed to spawning tasks and not spawned yet (not alive yet either).
    pending: AtomicU64,
}

impl Outstanding {
    fn done(&self) {
        *self.left.lock() -= 1;
        self.cv.notify_one();
    }

    fn wait(&self) {
        let mut left = self.left.lock();
        while *left > 0 {
            self.cv.wait(&mut left);
        }
    }
}

/// Units a spawning task spawns between two checks of the target.
const INSIDE_CHECK: u64 = 1024;

/// Hands `n` units (indices from `first`) to the runtime to spawn from inside: one spawning task per
/// worker thread spawns its share with `tokio::spawn`, onto that worker's own queue, rather than every
/// unit passing the shared injection queue (and maybe waking a worker) from this thread. Ten million
/// sleeping tasks took 21 s from here one by one. A unit counts as alive as it is spawned (so RSS per
/// unit is over units that exist), as pending until then; a spawning task that finds the target
/// lowered drops the rest. Returns at once: `outstanding` counts the spawning tasks still at work.
fn spawn_inside(
    handle: &tokio::runtime::Handle,
    workers: usize,
    workload: &Arc<dyn Workload>,
    shared: &Arc<SideShared>,
    (first, n): (u64, u64),
    outstanding: &Arc<Outstanding>,
) {
    let parts = (workers.max(1) as u64).min(n);
    outstanding.pending.fetch_add(n, Ordering::SeqCst);
    *outstanding.left.lock() += parts;
    for p in 0..parts {
        let (from, to) = (first + n * p / parts, first + n * (p + 1) / parts);
        let (workload, shared, outstanding) =
            (workload.clone(), shared.clone(), outstanding.clone());
        drop(handle.spawn(async move {
            let mut index = from;
            while index < to {
                // Scaled down meanwhile: the units not spawned yet are not wanted after all.
                let (alive, pending) = (
                    shared.alive.load(Ordering::SeqCst),
                    outstanding.pending.load(Ordering::SeqCst),
                );
                if alive + pending > shared.target.load(Ordering::SeqCst) {
                    outstanding.pending.fetch_sub(to - index, Ordering::SeqCst);
                    break;
                }
                let end = (index + INSIDE_CHECK).min(to);
                shared.alive.fetch_add(end - index, Ordering::SeqCst);
                outstanding.pending.fetch_sub(end - index, Ordering::SeqCst);
                for i in index..end {
                    let unit = Unit::enlisted(i, shared.clone());
                    // JoinHandles are dropped: units end on their own by retiring.
                    drop(tokio::spawn(workload.clone().task(unit)));
                }
                index = (index + INSIDE_CHECK).min(to);
            }
            outstanding.done();
        }));
    }
}
