//! `pool`: a thread pool, the usual middle ground. Each unit wakes every `sleep_ms` and runs a job
//! that takes `job_ms`. On the async side the job is `sleep(job_ms).await`: it holds nothing while
//! it waits. On the threads side the units are no threads of their own: they wait in the pool's
//! timer queue, and a job blocks one of `pool_threads` std threads (`f` cycles 2 / 8 / 32). Few
//! threads and little memory, but 8 threads serve 800 jobs of 10 ms a second: the rest queue.

use std::cmp::Ordering as Order;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{BuildCtx, Kind, Pace, ParamDef, UnitFuture, Workload};
use crate::figure::{self, Direction, Figure, Format, Panel};
use crate::protocol::{ParamValue, Side};
use crate::workload::Unit;

pub const KIND: Kind = Kind {
    name: "pool",
    summary: "units that wake and run a short blocking job: tasks vs a fixed pool of threads",
    caption: "1,000 units a side wake every second for a 10 ms job. The pool keeps OS threads at its size and \
              RSS small, but 8 threads serve 800 jobs a second: the rest queue (queue depth) and the \
              threads' lateness grows. f cycles the pool through 2 / 8 / 32 threads.",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&figure::LATENESS_P99, &figure::OS_THREADS],
    pace: Some(Pace::PeriodMs {
        param: "sleep_ms",
        counted: true,
    }),
    churns: false,
    source: ("pool.rs", include_str!("pool.rs")),
};

/// Jobs due and waiting for a thread: the pool's units past their wake-up (threads); the tasks in
/// tokio's shared run queue (async).
pub const QUEUE_DEPTH: Figure =
    Figure::extra("queue_depth", Format::Count, Direction::LessIsBetter)
        .panel(Panel::segment("queue", "{} jobs waiting"));
const FIGURES: &[Figure] = &[QUEUE_DEPTH];

const PARAMS: &[ParamDef] = &[
    ParamDef::int(
        "sleep_ms",
        1000,
        1,
        3_600_000,
        "how long each unit waits between jobs, ms",
    ),
    ParamDef::int(
        "job_ms",
        10,
        1,
        60_000,
        "how long a job takes: a sleep, blocking a pool thread on the threads side, ms",
    ),
    ParamDef::int(
        "pool_threads",
        8,
        1,
        1024,
        "threads side: threads of the pool that runs the jobs; f cycles 2 / 8 / 32 live",
    )
    .cycling(&[2, 8, 32]),
];

struct Pool {
    side: Side,
    period: Duration,
    job: Duration,
    state: Mutex<PoolState>,
    /// Pool threads wait here for the next wake-up, a new unit or a change of size.
    changed: Condvar,
    /// The pool has started (its first unit came): a new size takes effect at once.
    started: AtomicBool,
    /// Async side: the runtime, for its shared queue's depth.
    runtime: OnceLock<tokio::runtime::Handle>,
    seq: AtomicU64,
    /// Itself, for the threads it starts from `set_param`.
    me: std::sync::Weak<Pool>,
}

struct PoolState {
    /// Units waiting for their wake-up or for a free thread, soonest first.
    due: BinaryHeap<Due>,
    /// Threads the pool should have, and has.
    size: usize,
    threads: usize,
}

/// A unit of the threads side, waiting in the pool's queue for `at`.
struct Due {
    at: Instant,
    /// Ties broken by arrival, so the heap's order is total.
    seq: u64,
    unit: Unit,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Order> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    /// Reversed: the heap's top is the soonest.
    fn cmp(&self, other: &Self) -> Order {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    let ms = |name| Duration::from_millis(ctx.params.int(name).max(1) as u64);
    Ok(Arc::new_cyclic(|me| Pool {
        side: ctx.side,
        period: ms("sleep_ms"),
        job: ms("job_ms"),
        state: Mutex::new(PoolState {
            due: BinaryHeap::new(),
            size: ctx.params.int("pool_threads").max(1) as usize,
            threads: 0,
        }),
        changed: Condvar::new(),
        started: AtomicBool::new(false),
        runtime: OnceLock::new(),
        seq: AtomicU64::new(0),
        me: me.clone(),
    }))
}

impl Pool {
    /// Units start spread over one period so they do not all wake at once.
    fn first_deadline(&self, unit: &Unit) -> Instant {
        let phase = (unit.index.wrapping_mul(7919) % 1000) as u32;
        Instant::now() + self.period * phase / 1000
    }

    /// Queues `unit` for `at` and wakes the pool's threads when it is the soonest.
    fn queue(&self, at: Instant, unit: Unit) {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut state = self.state.lock();
        state.due.push(Due { at, seq, unit });
        if state.due.peek().is_some_and(|d| d.seq == seq) {
            self.changed.notify_all();
        }
    }

    /// Starts threads until the pool has its size (a pool that shrinks loses threads in `serve`).
    fn grow(&self) {
        let mut state = self.state.lock();
        while state.threads < state.size {
            let Some(pool) = self.me.upgrade() else {
                return;
            };
            let spawned = std::thread::Builder::new()
                .name("pool".into())
                .spawn(move || pool.serve());
            match spawned {
                Ok(_) => state.threads += 1,
                Err(e) => {
                    if let Some(d) = state.due.peek() {
                        d.unit.shared.push_error(format!(
                            "pool thread: {e} (the pool keeps {})",
                            state.threads
                        ));
                    }
                    state.size = state.threads;
                    return;
                }
            }
        }
        // Fewer: the surplus threads see it and end.
        self.changed.notify_all();
    }

    /// A pool thread: takes the soonest unit once it is due, runs its job (blocking this thread),
    /// and queues it for its next wake-up.
    fn serve(&self) {
        let mut state = self.state.lock();
        loop {
            if state.threads > state.size {
                state.threads -= 1;
                return;
            }
            let soonest = state.due.peek().map(|d| d.at);
            match soonest {
                Some(at) if at <= Instant::now() => {
                    let Some(Due { at, mut unit, .. }) = state.due.pop() else {
                        continue;
                    };
                    drop(state);
                    unit.record_lateness(at.elapsed());
                    // The job: a blocking call holds this thread, and every unit due behind it waits.
                    std::thread::sleep(self.job);
                    unit.add_ops(1);
                    if !unit.retire_if_surplus() {
                        self.queue(at + self.period, unit);
                    }
                    state = self.state.lock();
                }
                Some(at) => {
                    self.changed.wait_until(&mut state, at);
                }
                None => self.changed.wait(&mut state),
            }
        }
    }
}

impl Workload for Pool {
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        Box::pin(async move {
            let _ = self.runtime.get_or_init(tokio::runtime::Handle::current);
            let mut deadline = self.first_deadline(&unit);
            // core loop
            loop {
                tokio::time::sleep_until(deadline.into()).await;
                unit.record_lateness(deadline.elapsed());
                // The job: a sleep that holds no thread while it waits.
                tokio::time::sleep(self.job).await;
                unit.add_ops(1);
                if unit.retire_if_surplus() {
                    return;
                }
                deadline += self.period;
            }
        })
    }

    /// Hands the unit to the pool and returns: the spawner's thread for it ends at once, and the
    /// side's OS threads are the pool's.
    fn thread(self: Arc<Self>, unit: Unit) {
        let at = self.first_deadline(&unit);
        if !self.started.swap(true, Ordering::SeqCst) {
            self.grow();
        }
        // core loop
        self.queue(at, unit);
    }

    fn extra(&self) -> BTreeMap<String, f64> {
        let depth = match self.side {
            Side::Threads => {
                let now = Instant::now();
                let state = self.state.lock();
                state.due.iter().filter(|d| d.at <= now).count()
            }
            Side::Async => self
                .runtime
                .get()
                .map_or(0, |rt| rt.metrics().global_queue_depth()),
        };
        BTreeMap::from([(QUEUE_DEPTH.key.to_string(), depth as f64)])
    }

    /// `pool_threads` changes live: the pool grows at once, or its surplus threads end after their job.
    fn set_param(&self, name: &str, value: &ParamValue) -> Result<(), String> {
        let size = super::params::live_param(PARAMS, "pool_threads", name, value)?;
        self.state.lock().size = size.as_i64().max(1) as usize;
        if self.started.load(Ordering::SeqCst) {
            self.grow();
        }
        Ok(())
    }
}
