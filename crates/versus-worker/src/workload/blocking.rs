//! `blocking`: a blocking call inside async code. A few units make a blocking call (a sleep standing in
//! for file I/O or a slow library) in a loop; all others keep a timer and note how late it fires.
//! On the async side the blocking call stalls every task of that worker thread, unless it goes
//! through spawn_blocking; the threads side makes the same calls on its own threads and does not care.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::timer::{TimerStamp, WakeStamp};
use super::{BuildCtx, Kind, Pace, ParamDef, UnitFuture, Workload};
use crate::figure::{self, Direction, Figure, Format, Panel};
use crate::protocol::ParamValue;
use crate::workload::Unit;
use crate::workload::unit::{Roles, TotalsWindow};

pub const KIND: Kind = Kind {
    name: "blocking",
    summary: "a few units make a blocking call, the others keep a timer (blocking inside async code)",
    caption: "A blocking call on a runtime worker thread stalls every task queued behind it. By default one \
              unit per worker thread blocks, so the async side's lateness p99 jumps to about block_ms. Turn \
              spawn_blocking on (live): lateness falls back and the blocking pool's threads show in OS threads.",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&figure::LATENESS_P99],
    // Some blocking units never wake on the timer: only the lateness says whether it keeps up.
    pace: Some(Pace::PeriodMs {
        param: "tick_ms",
        counted: false,
    }),
    churns: false,
    source: ("blocking.rs", include_str!("blocking.rs")),
};

pub const BLOCKING_CALLS_PER_SEC: Figure =
    Figure::extra("blocking_calls_per_sec", Format::PerSec, Direction::Neutral)
        .panel(Panel::segment("blocking", "calls {}"));
/// The `spawn_blocking` parameter in force (1 or 0): it changes live.
pub const SPAWN_BLOCKING: Figure =
    Figure::extra("spawn_blocking", Format::Count, Direction::Neutral);
const FIGURES: &[Figure] = &[BLOCKING_CALLS_PER_SEC, SPAWN_BLOCKING];

const PARAMS: &[ParamDef] = &[
    ParamDef::int(
        "blockers",
        0,
        0,
        10_000,
        "units that make the blocking call, the others keep a timer; 0 = one per async worker thread",
    )
    .zero_means(super::params::Zero::PerWorker),
    ParamDef::int(
        "block_ms",
        50,
        1,
        10_000,
        "how long each blocking call lasts, ms",
    ),
    ParamDef::flag(
        "spawn_blocking",
        false,
        "async side: move the blocking call to tokio's blocking pool; live",
    ),
    ParamDef::int(
        "tick_ms",
        10,
        1,
        60_000,
        "timer period of the other units, and the pause between blocking calls, ms",
    ),
];

struct Blocking {
    /// 0: one per worker thread of the async runtime (per core on the threads side).
    blockers: u64,
    block: Duration,
    tick: Duration,
    spawn_blocking: AtomicBool,
    /// Units that took the blocker role and still run.
    blocker_roles: Roles,
    blocking_calls: AtomicU64,
    window: Mutex<TotalsWindow<1>>,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    let ms = |name| Duration::from_millis(ctx.params.int(name).max(1) as u64);
    Ok(Arc::new(Blocking {
        blockers: ctx.params.int("blockers").max(0) as u64,
        block: ms("block_ms"),
        tick: ms("tick_ms"),
        spawn_blocking: AtomicBool::new(ctx.params.flag("spawn_blocking")),
        blocker_roles: Roles::default(),
        blocking_calls: AtomicU64::new(0),
        window: Mutex::new(TotalsWindow::default()),
    }))
}

impl Blocking {
    /// Timer units start spread over one period so they do not all wake at once.
    fn first_deadline(&self, unit: &Unit) -> Instant {
        let phase = (unit.index.wrapping_mul(7919) % 1000) as u32;
        Instant::now() + self.tick * phase / 1000
    }
}

impl Workload for Blocking {
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        Box::pin(async move {
            let workers = tokio::runtime::Handle::current().metrics().num_workers();
            if let Some(_role) = self.blocker_roles.claim(self.blockers, workers) {
                // core loop
                loop {
                    if self.spawn_blocking.load(Ordering::Relaxed) {
                        let block = self.block;
                        let _ =
                            tokio::task::spawn_blocking(move || std::thread::sleep(block)).await;
                    } else {
                        // The mistake on show: a blocking call on a runtime worker thread.
                        std::thread::sleep(self.block);
                    }
                    self.blocking_calls.fetch_add(1, Ordering::Relaxed);
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
        if let Some(_role) = self.blocker_roles.claim(self.blockers, cores) {
            // core loop
            loop {
                // On its own thread a blocking call only blocks itself; spawn_blocking has no meaning here.
                std::thread::sleep(self.block);
                self.blocking_calls.fetch_add(1, Ordering::Relaxed);
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

    /// blocking_calls_per_sec over the last second; the stall itself shows in the timer units' lateness.
    fn extra(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        let totals = [self.blocking_calls.load(Ordering::Relaxed)];
        if let Some((secs, [calls])) = self.window.lock().advance(Instant::now(), totals)
            && secs > 0.0
        {
            out.insert(BLOCKING_CALLS_PER_SEC.key.into(), calls as f64 / secs);
        }
        out.insert(
            SPAWN_BLOCKING.key.into(),
            f64::from(u8::from(self.spawn_blocking.load(Ordering::Relaxed))),
        );
        out
    }

    fn set_param(&self, name: &str, value: &ParamValue) -> Result<(), String> {
        let on = super::params::live_flag(PARAMS, "spawn_blocking", name, value)?;
        self.spawn_blocking.store(on, Ordering::Relaxed);
        Ok(())
    }
}
