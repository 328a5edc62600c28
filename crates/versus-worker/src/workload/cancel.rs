//! `cancel`: stopping units on request. Each unit waits, then does a two-step update (`a += 1`, a
//! short wait, `b += 1`). Every `cancel_every_s`, and at key `x`, the worker cancels every unit of
//! its side and spawns them again. A task is aborted: it is dropped at whatever `.await` it sits on,
//! at once, even between the two steps. A thread can only be asked: it sees a stop flag when it
//! looks, between updates, which in a blocking sleep is when the sleep ends (`wait = "sleep"`);
//! code written for cancellation waits with `park_timeout` and is unparked on stop (`wait = "park"`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use parking_lot::{Condvar, Mutex};

use super::unit::{new_histogram, percentiles};
use super::{BuildCtx, Kind, Pace, ParamDef, UnitFuture, Workload};
use crate::figure::{Direction, Figure, Format, Panel};
use crate::protocol::ParamValue;
use crate::workload::Unit;

pub const KIND: Kind = Kind {
    name: "cancel",
    summary: "units in a two-step update, all cancelled every few seconds and spawned again",
    caption: "Every unit is cancelled every cancel_every_s (x: now) and spawned again. Tasks stop at once \
              but mid-update: torn_updates counts those dropped between a += 1 and b += 1. Threads are \
              late to stop unless written for it: in a blocking sleep a thread hears the stop only when \
              the sleep ends (cancel p99 about sleep_ms). Press f for wait=park: they stop at once, never torn.",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&CANCEL_LATENCY_P99_US, &TORN_UPDATES],
    // Cancelled units miss wake-ups by design: only the lateness says whether a side keeps up.
    pace: Some(Pace::PeriodMs {
        param: "sleep_ms",
        counted: false,
    }),
    churns: true,
    source: ("cancel.rs", include_str!("cancel.rs")),
};

/// From the request until the unit is gone: its state dropped (the task's future, the thread's
/// stack frame) and, with it, its memory; since the start, or since `wait` last changed.
pub const CANCEL_LATENCY_P50_US: Figure = Figure::extra(
    "cancel_latency_p50_us",
    Format::Micros,
    Direction::LessIsBetter,
)
.panel(Panel::row("cancel p50"));
pub const CANCEL_LATENCY_P99_US: Figure = Figure::extra(
    "cancel_latency_p99_us",
    Format::Micros,
    Direction::LessIsBetter,
)
.panel(Panel::row("cancel p99"))
.headline("cancel_latency_p99_us", "cancel p99")
.more("later to stop");
/// Units cancelled since the start.
pub const CANCELLED_UNITS: Figure =
    Figure::extra("cancelled_units", Format::Count, Direction::Neutral)
        .panel(Panel::segment("cancelled", "{} units"))
        .running_total();
/// Cancelled units that had done `a += 1` and not yet `b += 1`.
pub const TORN_UPDATES: Figure =
    Figure::extra("torn_updates", Format::Count, Direction::LessIsBetter)
        .panel(Panel::segment("cancelled", "{} torn"))
        .headline("torn_updates", "torn updates")
        .running_total();
const FIGURES: &[Figure] = &[
    CANCEL_LATENCY_P50_US,
    CANCEL_LATENCY_P99_US,
    CANCELLED_UNITS,
    TORN_UPDATES,
];

const PARAMS: &[ParamDef] = &[
    ParamDef::int(
        "sleep_ms",
        1000,
        1,
        3_600_000,
        "how long each unit waits before its update, ms",
    ),
    ParamDef::int(
        "step_ms",
        200,
        1,
        60_000,
        "the wait between the update's two steps (a += 1, b += 1), ms",
    ),
    ParamDef::int(
        "cancel_every_s",
        5,
        0,
        3600,
        "cancel every unit this often, s (0: only at key x)",
    ),
    ParamDef::choice(
        "wait",
        &["sleep", "park"],
        0,
        "threads side: sleep (a blocking call, deaf to the stop) or park (park_timeout, unparked on \
         stop); f flips it live",
    )
    .cycling(&[0, 1]),
];

const LATENCY_SHARDS: usize = 64;

struct Cancel {
    period: Duration,
    step: Duration,
    every: Duration,
    /// `wait = "park"`: threads wait with park_timeout and look at the stop flag when unparked.
    park: AtomicBool,
    /// Bumped by each cancellation: a unit of an older generation is cancelled (the stop flag).
    generation: AtomicU64,
    /// When the newest cancellation was asked for, ns since `epoch`.
    asked_ns: AtomicU64,
    epoch: Instant,
    /// Units alive per generation; the canceller waits on `gone` until the older ones are none.
    live: Mutex<BTreeMap<u64, u64>>,
    gone: Condvar,
    /// Async side: the units' tasks, to abort.
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
    /// Threads side: the units' threads, to unpark.
    threads: Mutex<Vec<std::thread::Thread>>,
    /// Sharded by unit index, so a thousand threads stopping at once do not queue on one lock.
    latency: Vec<Mutex<Histogram<u64>>>,
    cancelled: AtomicU64,
    torn: AtomicU64,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    let ms = |name| Duration::from_millis(ctx.params.int(name).max(1) as u64);
    Ok(Arc::new(Cancel {
        period: ms("sleep_ms"),
        step: ms("step_ms"),
        every: Duration::from_secs(ctx.params.int("cancel_every_s").max(0) as u64),
        park: AtomicBool::new(ctx.params.int("wait") == 1),
        generation: AtomicU64::new(0),
        asked_ns: AtomicU64::new(0),
        epoch: Instant::now(),
        live: Mutex::new(BTreeMap::new()),
        gone: Condvar::new(),
        tasks: Mutex::new(Vec::new()),
        threads: Mutex::new(Vec::new()),
        latency: (0..LATENCY_SHARDS)
            .map(|_| Mutex::new(new_histogram()))
            .collect(),
        cancelled: AtomicU64::new(0),
        torn: AtomicU64::new(0),
    }))
}

/// A unit's state: its update (`a`, `b`) and its generation. Dropping it is the moment the unit is
/// gone: the task's future dropped by the abort, or the thread returning.
struct Update {
    this: Arc<Cancel>,
    unit: Option<Unit>,
    generation: u64,
    a: u64,
    b: u64,
}

impl Update {
    /// A cancellation went by since this unit started.
    fn stopped(&self) -> bool {
        self.this.generation.load(Ordering::SeqCst) != self.generation
    }

    fn unit(&self) -> &Unit {
        // Taken out only in drop.
        self.unit.as_ref().expect("a unit until dropped")
    }
}

impl Drop for Update {
    fn drop(&mut self) {
        let this = &self.this;
        if self.stopped() {
            let asked = Duration::from_nanos(this.asked_ns.load(Ordering::SeqCst));
            let took = this.epoch.elapsed().saturating_sub(asked);
            let index = self.unit.as_ref().map_or(0, |u| u.index) as usize;
            let _ = this.latency[index % LATENCY_SHARDS]
                .lock()
                .record((took.as_micros() as u64).max(1));
            this.cancelled.fetch_add(1, Ordering::Relaxed);
            if self.a != self.b {
                this.torn.fetch_add(1, Ordering::Relaxed);
            }
        }
        // The side counts the unit gone before the canceller wakes the spawner to replace it.
        drop(self.unit.take());
        let mut live = this.live.lock();
        if let Some(n) = live.get_mut(&self.generation) {
            *n -= 1;
            if *n == 0 {
                live.remove(&self.generation);
                this.gone.notify_all();
            }
        }
    }
}

impl Cancel {
    /// The unit's state, counted alive in the current generation.
    fn enter(self: &Arc<Self>, unit: Unit) -> Update {
        let mut live = self.live.lock();
        let generation = self.generation.load(Ordering::SeqCst);
        *live.entry(generation).or_default() += 1;
        Update {
            this: self.clone(),
            unit: Some(unit),
            generation,
            a: 0,
            b: 0,
        }
    }

    /// Units start spread over one period so they do not all wake at once.
    fn first_deadline(&self, unit: &Unit) -> Instant {
        let phase = (unit.index.wrapping_mul(7919) % 1000) as u32;
        Instant::now() + self.period * phase / 1000
    }

    /// A thread's wait until `until`: a blocking sleep that no stop can shorten, or (`wait = "park"`)
    /// park_timeout, which returns early once the unit is stopped and unparked.
    fn wait_until(&self, until: Instant, update: &Update) {
        loop {
            let now = Instant::now();
            if now >= until {
                return;
            }
            if !self.park.load(Ordering::Relaxed) {
                std::thread::sleep(until - now);
            } else if update.stopped() {
                return;
            } else {
                std::thread::park_timeout(until - now);
            }
        }
    }
}

impl Workload for Cancel {
    fn task(self: Arc<Self>, unit: Unit) -> UnitFuture {
        let mut update = self.enter(unit);
        Box::pin(async move {
            let this = update.this.clone();
            let mut deadline = this.first_deadline(update.unit());
            // core loop
            loop {
                tokio::time::sleep_until(deadline.into()).await;
                // Only a unit its abort missed (spawned as the cancellation went by) gets here stopped.
                if update.stopped() {
                    return;
                }
                update.unit().record_lateness(deadline.elapsed());
                update.a += 1;
                // An abort while this sleep waits drops the future here: a += 1 done, b += 1 never.
                tokio::time::sleep(this.step).await;
                update.b += 1;
                update.unit().add_ops(1);
                if update.unit.as_mut().is_some_and(Unit::retire_if_surplus) {
                    return;
                }
                deadline += this.period;
            }
        })
    }

    fn thread(self: Arc<Self>, unit: Unit) {
        let mut update = self.enter(unit);
        self.threads.lock().push(std::thread::current());
        let mut deadline = self.first_deadline(update.unit());
        // core loop
        loop {
            // The stop flag is read between updates only: a thread never stops mid-update.
            if update.stopped() {
                return;
            }
            self.wait_until(deadline, &update);
            if update.stopped() {
                return;
            }
            update.unit().record_lateness(deadline.elapsed());
            update.a += 1;
            // Parked, a stop cuts this wait short and the update ends at once.
            self.wait_until(Instant::now() + self.step, &update);
            update.b += 1;
            update.unit().add_ops(1);
            if update.unit.as_mut().is_some_and(Unit::retire_if_surplus) {
                return;
            }
            deadline += self.period;
        }
    }

    fn spawned(&self, task: &tokio::task::JoinHandle<()>) {
        self.tasks.lock().push(task.abort_handle());
    }

    fn cancel_every(&self) -> Option<Duration> {
        Some(self.every)
    }

    /// Stops every unit (abort each task; raise the flag and unpark each thread), then waits until
    /// they are gone, at most a whole update and 5 s more.
    fn cancel_units(&self) {
        let old = {
            let _live = self.live.lock();
            let asked = self.epoch.elapsed().as_nanos() as u64;
            self.asked_ns.store(asked, Ordering::SeqCst);
            self.generation.fetch_add(1, Ordering::SeqCst)
        };
        for task in std::mem::take(&mut *self.tasks.lock()) {
            task.abort();
        }
        for thread in std::mem::take(&mut *self.threads.lock()) {
            thread.unpark();
        }
        let bound = Instant::now() + self.period + self.step + Duration::from_secs(5);
        let mut live = self.live.lock();
        while live.range(..=old).next().is_some() {
            if self.gone.wait_until(&mut live, bound).timed_out() {
                return;
            }
        }
    }

    fn extra(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        let mut latency = new_histogram();
        for shard in &self.latency {
            // Shards share their bounds, so adding cannot fail.
            let _ = latency.add(&*shard.lock());
        }
        if let Some(p) = percentiles(&latency) {
            out.insert(CANCEL_LATENCY_P50_US.key.into(), p.p50_us as f64);
            out.insert(CANCEL_LATENCY_P99_US.key.into(), p.p99_us as f64);
        }
        let count = |n: &AtomicU64| n.load(Ordering::Relaxed) as f64;
        out.insert(CANCELLED_UNITS.key.into(), count(&self.cancelled));
        out.insert(TORN_UPDATES.key.into(), count(&self.torn));
        out
    }

    /// `wait` changes live; the latency starts over, so it is of the new wait alone.
    fn set_param(&self, name: &str, value: &ParamValue) -> Result<(), String> {
        let wait = super::params::live_param(PARAMS, "wait", name, value)?;
        self.park.store(wait.as_i64() == 1, Ordering::Relaxed);
        for shard in &self.latency {
            shard.lock().reset();
        }
        Ok(())
    }
}
