//! `spawn`: what it costs to start a unit of concurrency. Each unit starts a batch of children that do
//! almost nothing, waits for them all, and starts the next batch: tokio::spawn next to thread::spawn.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{BuildCtx, Kind, ParamDef, UnitFuture, Workload};
use crate::figure::{self, Direction, Figure, Format, Panel};
use crate::sys;
use crate::workload::Unit;
use crate::workload::unit::TotalsWindow;

pub const KIND: Kind = Kind {
    name: "spawn",
    summary: "units that spawn a batch of trivial children and join them, again and again",
    caption: "Starting a task is an allocation and a queue push; starting a thread is a clone(), a stack \
              mapping and a kernel task to schedule and reap. Compare spawns/s and ns per spawn+join.",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&SPAWN_NS],
    pace: None,
    source: ("spawn.rs", include_str!("spawn.rs")),
};

/// Its own spawn cost replaces that of the one unit that does the spawning.
pub const SPAWN_NS: Figure = Figure::extra("spawn_ns", Format::Nanos, Direction::LessIsBetter)
    .panel(Panel::row("per spawn").replaces(figure::Generic::Spawn))
    .headline("spawn_ns", "per spawn");
pub const SPAWNS_PER_SEC: Figure =
    Figure::extra("spawns_per_sec", Format::PerSec, Direction::MoreIsBetter)
        .panel(Panel::row("spawns"));
const FIGURES: &[Figure] = &[SPAWN_NS, SPAWNS_PER_SEC];

const PARAMS: &[ParamDef] = &[ParamDef::int(
    "batch",
    100,
    1,
    1_000,
    "children spawned, then joined, per round",
)];

/// Most child threads one side has alive at once, whatever the unit count: thread ids come from the
/// machine's shared pid space, which this kind must never drain.
const MAX_CHILD_THREADS: u64 = 1_024;

struct Spawn {
    batch: u64,
    /// Children spawned and joined, both sides.
    spawned: AtomicU64,
    /// (children spawned and joined, CPU µs of the process)
    window: Mutex<TotalsWindow<2>>,
    /// Threads side only: children alive at once, bounded by MAX_CHILD_THREADS.
    children: Mutex<u64>,
    children_done: Condvar,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    Ok(Arc::new(Spawn {
        batch: ctx.params.int("batch").clamp(1, MAX_CHILD_THREADS as i64) as u64,
        spawned: AtomicU64::new(0),
        window: Mutex::new(TotalsWindow::default()),
        children: Mutex::new(0),
        children_done: Condvar::new(),
    }))
}

/// What a child does: next to nothing, so the figure is the cost of its life cycle.
fn child(i: u64) -> u64 {
    black_box(i).wrapping_mul(31)
}

impl Spawn {
    fn tally(&self, unit: &Unit, children: u64) {
        self.spawned.fetch_add(children, Ordering::Relaxed);
        unit.add_ops(children);
    }

    /// Waits until `n` more child threads fit under MAX_CHILD_THREADS; uncontended with a few units.
    fn admit_children(&self, n: u64) {
        let mut alive = self.children.lock();
        while *alive + n > MAX_CHILD_THREADS {
            self.children_done.wait(&mut alive);
        }
        *alive += n;
    }

    fn release_children(&self, n: u64) {
        *self.children.lock() -= n;
        self.children_done.notify_all();
    }
}

impl Workload for Spawn {
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        Box::pin(async move {
            let mut children = Vec::with_capacity(self.batch as usize);
            loop {
                for i in 0..self.batch {
                    children.push(tokio::spawn(async move { child(i) }));
                }
                for c in children.drain(..) {
                    // A child cannot fail; a join error would still mean it was spawned and is gone.
                    let _ = c.await;
                }
                self.tally(&unit, self.batch);
                if unit.retire_if_surplus() {
                    return;
                }
            }
        })
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        let mut children = Vec::with_capacity(self.batch as usize);
        loop {
            self.admit_children(self.batch);
            for i in 0..self.batch {
                match std::thread::Builder::new().spawn(move || child(i)) {
                    Ok(c) => children.push(c),
                    Err(e) => {
                        unit.shared.push_error(format!(
                            "spawn: {}",
                            crate::limits::explain_spawn_error(&e)
                        ));
                        break;
                    }
                }
            }
            let spawned = children.len() as u64;
            for c in children.drain(..) {
                let _ = c.join();
            }
            self.release_children(self.batch);
            self.tally(&unit, spawned);
            if unit.retire_if_surplus() {
                return;
            }
            if spawned < self.batch {
                // The system refused a thread: give it a moment rather than spin on the error.
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// spawns_per_sec: children spawned and joined per second over the last second, all units.
    /// spawn_ns: CPU time of the side's process (getrusage, user + system, all threads) / children
    /// spawned and joined by all units together: a cost per spawn+join that holds at any unit count
    /// and does not count time the machine gave to other processes.
    fn extra(&self) -> BTreeMap<String, f64> {
        let totals = [self.spawned.load(Ordering::Relaxed), sys::usage().cpu_us];
        let mut out = BTreeMap::new();
        if let Some((secs, [spawned, cpu_us])) = self.window.lock().advance(Instant::now(), totals)
        {
            if secs > 0.0 {
                out.insert(SPAWNS_PER_SEC.key.into(), spawned as f64 / secs);
            }
            if spawned > 0 {
                out.insert(SPAWN_NS.key.into(), cpu_us as f64 * 1e3 / spawned as f64);
            }
        }
        out
    }
}
