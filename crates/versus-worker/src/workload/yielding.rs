//! `yield`: cooperative scheduling. A few units spin on the CPU for `spin_ms` at a time; all others
//! keep a timer and note how late it fires. A task is never preempted: a spinner that does not yield
//! holds its worker thread, and every timer behind it waits. With `yield_every_us` above 0 the spinners
//! call `tokio::task::yield_now().await` every `yield_every_us` of spinning (live: `f` flips it between
//! 0 and the period). The threads side runs the same spin and calls `std::thread::yield_now()` at the
//! same points, though the OS preempts it anyway.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::timer::{TimerStamp, WakeStamp};
use super::{BuildCtx, Kind, Pace, ParamDef, UnitFuture, Workload};
use crate::figure::{self, Direction, Figure, Format, Panel};
use crate::protocol::ParamValue;
use crate::workload::Unit;
use crate::workload::unit::{Roles, TotalsWindow};

pub const KIND: Kind = Kind {
    name: "yield",
    summary: "a few units spin on the CPU, the others keep a timer (cooperative yielding)",
    caption: "Tasks are never preempted: a spinning task holds its worker thread until it yields. By \
              default one unit per worker thread spins for spin_ms and never yields (yield_every_us=0), \
              and the async side's lateness p99 grows to about spin_ms. Press f (live): the spinners \
              yield every 500 µs and the timers fire on time again. Threads are preempted by the OS either way.",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&figure::LATENESS_P99],
    // The spinners never wake on the timer either; the timer units keep `tick_ms`.
    pace: Some(Pace::PeriodMs {
        param: "tick_ms",
        counted: false,
    }),
    churns: false,
    source: ("yielding.rs", include_str!("yielding.rs")),
};

pub const YIELDS_PER_SEC: Figure =
    Figure::extra("yields_per_sec", Format::PerSec, Direction::Neutral).panel(Panel::row("yields"));
/// The yield period in force, µs: it changes live, so the scenario's parameter may be stale.
pub const YIELD_EVERY_US: Figure =
    Figure::extra("yield_every_us", Format::Micros, Direction::Neutral);
const FIGURES: &[Figure] = &[YIELDS_PER_SEC, YIELD_EVERY_US];

const PARAMS: &[ParamDef] = &[
    ParamDef::int(
        "spinners",
        0,
        0,
        10_000,
        "units that spin, the others keep a timer; 0 = one per async worker thread",
    )
    .zero_means(super::params::Zero::PerWorker),
    ParamDef::int("spin_ms", 50, 1, 10_000, "how long each spin lasts, ms"),
    ParamDef::int(
        "yield_every_us",
        0,
        0,
        1_000_000,
        "spin time between two yields, µs; 0 = never yield; live, f flips it between 0 and 500 \
         (or the last period set)",
    )
    .flipping(500),
    ParamDef::int(
        "tick_ms",
        10,
        1,
        60_000,
        "timer period of the other units, and the pause between two spins, ms",
    ),
];

struct Yielding {
    /// 0: one per worker thread of the async runtime (per core on the threads side).
    spinners: u64,
    spin: Duration,
    /// Spin time between two yields, µs; 0 = never. Live.
    yield_every_us: AtomicU64,
    tick: Duration,
    /// Units that took the spinner role and still run.
    spinner_roles: Roles,
    yields: AtomicU64,
    window: Mutex<TotalsWindow<1>>,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    let ms = |name| Duration::from_millis(ctx.params.int(name).max(1) as u64);
    Ok(Arc::new(Yielding {
        spinners: ctx.params.int("spinners").max(0) as u64,
        spin: ms("spin_ms"),
        yield_every_us: AtomicU64::new(ctx.params.int("yield_every_us").max(0) as u64),
        tick: ms("tick_ms"),
        spinner_roles: Roles::default(),
        yields: AtomicU64::new(0),
        window: Mutex::new(TotalsWindow::default()),
    }))
}

impl Yielding {
    /// The next moment a spinner yields: one yield period from now, if yielding is on (a period
    /// above 0) and the spin that ends at `end` lasts past it. None: spin to the end without yielding.
    fn next_yield_point(&self, end: Instant) -> Option<Instant> {
        let every_us = self.yield_every_us.load(Ordering::Relaxed);
        if every_us == 0 {
            return None;
        }
        let point = Instant::now() + Duration::from_micros(every_us);
        (point < end).then_some(point)
    }

    /// Timer units start spread over one period so they do not all wake at once.
    fn first_deadline(&self, unit: &Unit) -> Instant {
        let phase = (unit.index.wrapping_mul(7919) % 1000) as u32;
        Instant::now() + self.tick * phase / 1000
    }
}

/// Busy work on this thread until `until`.
fn spin_until(until: Instant) {
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

impl Workload for Yielding {
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        Box::pin(async move {
            let workers = tokio::runtime::Handle::current().metrics().num_workers();
            if let Some(_role) = self.spinner_roles.claim(self.spinners, workers) {
                // core loop
                loop {
                    let end = Instant::now() + self.spin;
                    while let Some(point) = self.next_yield_point(end) {
                        spin_until(point);
                        // The only point where this task lets others run.
                        tokio::task::yield_now().await;
                        self.yields.fetch_add(1, Ordering::Relaxed);
                    }
                    spin_until(end);
                    if unit.retire_if_surplus() {
                        return;
                    }
                    tokio::time::sleep(self.tick).await;
                }
            }
            // Every timer unit is stamped here: this kind is about delay, not memory per task.
            let stamp = Arc::new(WakeStamp::default());
            let mut deadline = self.first_deadline(&unit);
            loop {
                let fired = stamp.sleep_until(deadline).await;
                unit.record_wake(deadline, fired);
                unit.add_ops(1);
                if unit.retire_if_surplus() {
                    return;
                }
                deadline += self.tick;
            }
        })
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        if let Some(_role) = self.spinner_roles.claim(self.spinners, cores) {
            // core loop
            loop {
                let end = Instant::now() + self.spin;
                while let Some(point) = self.next_yield_point(end) {
                    spin_until(point);
                    // The OS preempts this thread whether it yields or not.
                    std::thread::yield_now();
                    self.yields.fetch_add(1, Ordering::Relaxed);
                }
                spin_until(end);
                if unit.retire_if_surplus() {
                    return;
                }
                std::thread::sleep(self.tick);
            }
        }
        let mut deadline = self.first_deadline(&unit);
        loop {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            // nanosleep has no tick: the timer could fire at the deadline itself.
            unit.record_wake(deadline, Some(deadline));
            unit.add_ops(1);
            if unit.retire_if_surplus() {
                return;
            }
            deadline += self.tick;
        }
    }

    /// yields_per_sec over the last second; the effect shows in the timer units' lateness.
    fn extra(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        let totals = [self.yields.load(Ordering::Relaxed)];
        if let Some((secs, [yields])) = self.window.lock().advance(Instant::now(), totals)
            && secs > 0.0
        {
            out.insert(YIELDS_PER_SEC.key.into(), yields as f64 / secs);
        }
        // The period in force now: it changes live, so the scenario's parameter may be stale.
        out.insert(
            YIELD_EVERY_US.key.into(),
            self.yield_every_us.load(Ordering::Relaxed) as f64,
        );
        out
    }

    fn set_param(&self, name: &str, value: &ParamValue) -> Result<(), String> {
        let every_us = super::params::live_param(PARAMS, "yield_every_us", name, value)?;
        self.yield_every_us
            .store(every_us.as_i64().max(0) as u64, Ordering::Relaxed);
        Ok(())
    }
}
