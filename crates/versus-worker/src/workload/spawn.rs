//! `spawn`: what it costs to start a unit of concurrency. Each unit starts a batch of children that do
//! almost nothing, waits for them all, and starts the next batch: tokio::spawn next to thread::spawn.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{BuildCtx, Kind, ParamDef, UnitFuture, Workload};
use crate::figure::{self, Csv, Direction, Figure, Format, Panel};
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
    headline: &[&SPAWN_CPU_NS],
    pace: None,
    churns: false,
    source: ("spawn.rs", include_str!("spawn.rs")),
};

/// CPU time per spawn + join: the process's CPU time ÷ children (`spawn_ns` before it had a wall
/// twin). Its own spawn cost replaces that of the one unit that does the spawning.
pub const SPAWN_CPU_NS: Figure =
    Figure::extra("spawn_cpu_ns", Format::Nanos, Direction::LessIsBetter)
        .panel(Panel::segment("per spawn", "{} CPU").replaces(figure::Generic::Spawn))
        .csv(Csv::Tenths)
        .headline("spawn_cpu_ns", "CPU per spawn")
        .was("spawn_ns");
/// Wall time per spawn + join: a batch's spawns and joins ÷ its children, as a program that
/// spawns and joins threads measures it.
pub const SPAWN_WALL_NS: Figure =
    Figure::extra("spawn_wall_ns", Format::Nanos, Direction::LessIsBetter)
        .panel(Panel::segment("per spawn", "{} wall").replaces(figure::Generic::Spawn))
        .csv(Csv::Tenths)
        .headline("spawn_wall_ns", "wall per spawn");
pub const SPAWNS_PER_SEC: Figure =
    Figure::extra("spawns_per_sec", Format::PerSec, Direction::MoreIsBetter)
        .panel(Panel::row("spawns"));
const FIGURES: &[Figure] = &[SPAWN_CPU_NS, SPAWN_WALL_NS, SPAWNS_PER_SEC];

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
    /// Wall time the batches took to spawn and join them, ns, summed over the units.
    wall_ns: AtomicU64,
    /// (children spawned and joined, CPU µs of the process, wall ns of the batches)
    window: Mutex<TotalsWindow<3>>,
    /// Threads side only: children alive at once, bounded by MAX_CHILD_THREADS.
    children: Mutex<u64>,
    children_done: Condvar,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    Ok(Arc::new(Spawn {
        batch: ctx.params.int("batch").clamp(1, MAX_CHILD_THREADS as i64) as u64,
        spawned: AtomicU64::new(0),
        wall_ns: AtomicU64::new(0),
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
    /// `children` more spawned and joined by one unit, in the wall time since `since`.
    fn tally(&self, unit: &Unit, children: u64, since: Instant) {
        let wall_ns = since.elapsed().as_nanos() as u64;
        self.wall_ns.fetch_add(wall_ns, Ordering::Relaxed);
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
            // core loop
            loop {
                let since = Instant::now();
                for i in 0..self.batch {
                    children.push(tokio::spawn(async move { child(i) }));
                }
                for c in children.drain(..) {
                    // A child cannot fail; a join error would still mean it was spawned and is gone.
                    let _ = c.await;
                }
                self.tally(&unit, self.batch, since);
                if unit.retire_if_surplus() {
                    return;
                }
            }
        })
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        let mut children = Vec::with_capacity(self.batch as usize);
        // core loop
        loop {
            self.admit_children(self.batch);
            let since = Instant::now();
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
            self.tally(&unit, spawned, since);
            self.release_children(self.batch);
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
    /// spawn_cpu_ns: CPU time of the side's process (getrusage, user + system, all threads) /
    /// children spawned and joined by all units together: a cost per spawn+join that holds at any
    /// unit count and does not count time the machine gave to other processes.
    /// spawn_wall_ns: the units' wall time for their batches (spawn them all, join them all) /
    /// children spawned and joined: what a program that spawns and joins measures with a clock.
    fn extra(&self) -> BTreeMap<String, f64> {
        let totals = [
            self.spawned.load(Ordering::Relaxed),
            sys::usage().cpu_us,
            self.wall_ns.load(Ordering::Relaxed),
        ];
        let mut out = BTreeMap::new();
        if let Some((secs, [spawned, cpu_us, wall_ns])) =
            self.window.lock().advance(Instant::now(), totals)
        {
            if secs > 0.0 {
                out.insert(SPAWNS_PER_SEC.key.into(), spawned as f64 / secs);
            }
            if spawned > 0 {
                out.insert(
                    SPAWN_CPU_NS.key.into(),
                    cpu_us as f64 * 1e3 / spawned as f64,
                );
                out.insert(SPAWN_WALL_NS.key.into(), wall_ns as f64 / spawned as f64);
            }
        }
        out
    }
}
