//! The spawner: brings a side to its target unit count, timing each spawn batch.
//! It runs on its own OS thread; scaling down needs no work here (surplus units retire themselves).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::limits::{self, SpawnGuard, Verdict};
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
    // Threads side only: every spawn passes the guard (machine-wide margins, care near per-process limits).
    let mut guard = match &launcher {
        Launcher::Threads { stack_bytes } => Some(SpawnGuard::new(
            stack_bytes.map_or(limits::DEFAULT_STACK_BYTES, |b| b as u64),
        )),
        Launcher::Async(_) => None,
    };
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
                let careful = match guard
                    .as_mut()
                    .map(|g| g.before_spawn(shared.alive.load(Ordering::SeqCst)))
                {
                    Some(Verdict::Stop { why, limit }) => {
                        shared.hit_limit(why, Some(limit));
                        break 'scaling;
                    }
                    Some(Verdict::Spawn { careful }) => careful,
                    None => false,
                };
                let unit = Unit::enlist(next_index, shared.clone());
                next_index += 1;
                if let Err(e) = spawn_one(&launcher, workload.clone(), unit, careful) {
                    let units = shared.alive.load(Ordering::SeqCst);
                    if let Some(g) = guard.as_mut() {
                        let (why, limit) = g.spawn_failed(&e, units);
                        shared.hit_limit(why, Some(limit));
                    }
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

/// Starts one unit. A careful spawn returns only once the new thread runs, so it has mapped its
/// signal stack before the next thread's stack can take the last maps or bytes.
fn spawn_one(
    launcher: &Launcher,
    workload: Arc<dyn Workload>,
    unit: Unit,
    careful: bool,
) -> std::io::Result<()> {
    match launcher {
        Launcher::Async(handle) => {
            // JoinHandles are dropped: units end on their own by retiring.
            drop(handle.spawn(workload.task(unit)));
            Ok(())
        }
        Launcher::Threads { stack_bytes } => {
            let mut b = std::thread::Builder::new();
            if let Some(bytes) = stack_bytes {
                b = b.stack_size(*bytes);
            }
            // On failure the closure, and the unit in it, is dropped: alive goes back down.
            if !careful {
                return b.spawn(move || workload.thread(unit)).map(drop);
            }
            let running = Arc::new(AtomicBool::new(false));
            let (flag, spawner) = (running.clone(), std::thread::current());
            b.spawn(move || {
                flag.store(true, Ordering::Release);
                spawner.unpark();
                workload.thread(unit);
            })?;
            while !running.load(Ordering::Acquire) {
                std::thread::park();
            }
            Ok(())
        }
    }
}
