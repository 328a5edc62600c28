//! `sleep`: the I/O-bound idle case. Each unit sleeps, wakes, notes how late it woke, and sleeps again.
//! The two sides below differ only in which sleep they call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::timer::{self, TimerStamp, WakeStamp};
use super::{BuildCtx, Kind, Pace, ParamDef, UnitFuture, Workload};
use crate::figure;
use crate::workload::Unit;

pub const KIND: Kind = Kind {
    name: "sleep",
    summary: "idle units that sleep and wake on a timer (the I/O-bound case)",
    caption: "Same idle work, very different bill: each thread costs a stack and a kernel task, \
              each task a few hundred bytes. Watch OS threads, RSS per unit and context switches/s \
              (async lateness starts at tokio's 1 ms timer tick).",
    params: PARAMS,
    build,
    figures: &[],
    headline: &[&figure::RSS_PER_UNIT],
    pace: Some(Pace::PeriodMs {
        param: "sleep_ms",
        counted: true,
    }),
    churns: false,
    source: ("sleep.rs", include_str!("sleep.rs")),
};

const PARAMS: &[ParamDef] = &[ParamDef::int(
    "sleep_ms",
    100,
    1,
    3_600_000,
    "how long each unit sleeps between wake-ups, ms",
)];

struct Sleep {
    period: Duration,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    Ok(Arc::new(Sleep {
        period: Duration::from_millis(ctx.params.int("sleep_ms").max(1) as u64),
    }))
}

impl Sleep {
    /// Units start spread over one period so they do not all wake at once.
    fn first_deadline(&self, unit: &Unit) -> Instant {
        let phase = (unit.index.wrapping_mul(7919) % 1000) as u32;
        Instant::now() + self.period * phase / 1000
    }
}

impl Workload for Sleep {
    fn task(self: Arc<Self>, unit: Unit) -> UnitFuture {
        // `S` is a wake stamp for one unit in `timer::STAMP_EVERY`, `()` for the rest, so an
        // unstamped task's future is as small as a bare sleeping task's.
        async fn run<S: TimerStamp>(this: Arc<Sleep>, mut unit: Unit, stamp: S) {
            let mut deadline = this.first_deadline(&unit);
            // core loop
            loop {
                let fired = stamp.sleep_until(deadline).await;
                unit.record_wake(deadline, fired);
                unit.add_ops(1);
                if unit.retire_if_surplus() {
                    return;
                }
                deadline += this.period;
            }
        }
        if timer::stamped(unit.index) {
            Box::pin(run(self, unit, Arc::new(WakeStamp::default())))
        } else {
            Box::pin(run(self, unit, ()))
        }
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        let mut deadline = self.first_deadline(&unit);
        // core loop
        loop {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            // nanosleep has no tick: the timer could fire at the deadline itself.
            unit.record_wake(deadline, Some(deadline));
            unit.add_ops(1);
            if unit.retire_if_surplus() {
                return;
            }
            deadline += self.period;
        }
    }
}
