//! The spawner: brings a side to its target unit count, timing each spawn batch.
//! It runs on its own OS thread; scaling down needs no work here (surplus units retire themselves).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::limits::{self, SpawnGuard};
use crate::workload::{SideShared, Unit, Workload};

/// Spawns this many units between checks of the target, so a scale-down interrupts a big batch.
const CHUNK: u64 = 1024;

/// How a unit is started on this side.
pub enum Launcher {
    Async(tokio::runtime::Handle),
    Threads { stack_bytes: Option<usize> },
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
    loop {
        wake.wait();
        let started = Instant::now();
        let mut spawned = 0u64;
        'scaling: loop {
            let target = shared.target.load(Ordering::SeqCst);
            let alive = shared.alive.load(Ordering::SeqCst);
            if alive >= target {
                break;
            }
            for _ in 0..(target - alive).min(CHUNK) {
                let unit = Unit::enlist(next_index, shared.clone());
                next_index += 1;
                let outcome = match &launcher {
                    Launcher::Async(handle) => {
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
        if spawned > 0 {
            *timing.lock() = Some(started.elapsed().as_nanos() as f64 / spawned as f64);
        }
    }
}
