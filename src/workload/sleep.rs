//! `sleep`: the I/O-bound idle case. Each unit sleeps, wakes, notes how late it woke, and sleeps again.
//! The two sides below differ only in which sleep they call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{BuildCtx, Kind, ParamDef, UnitFuture, Workload};
use crate::workload::Unit;

pub const KIND: Kind = Kind {
    name: "sleep",
    summary: "idle units that sleep and wake on a timer (the I/O-bound case)",
    caption: "Same idle work, very different bill: each thread costs a stack and a kernel task, \
              each task a few hundred bytes. Watch OS threads, RSS per unit and context switches/s.",
    params: PARAMS,
    build,
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
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        Box::pin(async move {
            let mut deadline = self.first_deadline(&unit);
            loop {
                tokio::time::sleep_until(deadline.into()).await;
                unit.record_lateness(deadline.elapsed());
                unit.add_ops(1);
                if unit.retire_if_surplus() {
                    return;
                }
                deadline += self.period;
            }
        })
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        let mut deadline = self.first_deadline(&unit);
        loop {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            unit.record_lateness(deadline.elapsed());
            unit.add_ops(1);
            if unit.retire_if_surplus() {
                return;
            }
            deadline += self.period;
        }
    }
}
