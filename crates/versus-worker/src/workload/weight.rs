//! `weight`: what a task weighs. The `sleep` workload, each unit holding a buffer of `hold_bytes`
//! alive and touched across its wait: on the async side in its future's state (the future is as big
//! as what it holds across `.await`), on the threads side on its stack. A future's size is fixed
//! when it is compiled, so each size is its own const-generic instance of the same code.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{BuildCtx, Kind, Pace, ParamDef, UnitFuture, Workload};
use crate::figure::{self, Direction, Figure, Format, Panel};
use crate::workload::Unit;

pub const KIND: Kind = Kind {
    name: "weight",
    summary: "idle units that hold a buffer across their wait (what a task weighs)",
    caption: "A task weighs what its future holds across .await: each unit keeps hold_bytes alive while it \
              sleeps, in its future on tokio, on its stack on a thread. A task's RSS grows by about \
              hold_bytes (future size: exact); a thread's stack had its first pages resident already.",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&figure::RSS_PER_UNIT, &FUTURE_BYTES],
    pace: Some(Pace::PeriodMs {
        param: "sleep_ms",
        counted: true,
    }),
    churns: false,
    source: ("weight.rs", include_str!("weight.rs")),
};

/// `size_of_val` of a unit's future, as spawned (async side).
pub const FUTURE_BYTES: Figure =
    Figure::extra("future_bytes", Format::Bytes, Direction::LessIsBetter)
        .panel(Panel::segment("future", "{} per task"))
        .headline("future_bytes", "future size");
/// The bytes each unit holds across its wait, as compiled (the `hold_bytes` in force), both sides.
pub const HELD_BYTES: Figure = Figure::extra("held_bytes", Format::Bytes, Direction::Neutral)
    .panel(Panel::segment("held", "{} per unit"));
const FIGURES: &[Figure] = &[HELD_BYTES, FUTURE_BYTES];

/// The sizes `hold_bytes` takes, each a const-generic instance below.
const SIZES: &[&str] = &["0", "1024", "4096", "16384"];

const PARAMS: &[ParamDef] = &[
    ParamDef::int(
        "sleep_ms",
        1000,
        1,
        3_600_000,
        "how long each unit sleeps between wake-ups, ms",
    ),
    ParamDef::choice(
        "hold_bytes",
        SIZES,
        0,
        "bytes each unit keeps alive and touched across its wait",
    ),
];

struct Weight {
    period: Duration,
    /// Index into SIZES.
    hold: i64,
    /// Bytes held: SIZES[hold].
    held: u64,
    future_bytes: AtomicU64,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    Ok(Arc::new(Weight {
        period: Duration::from_millis(ctx.params.int("sleep_ms").max(1) as u64),
        hold: ctx.params.int("hold_bytes"),
        held: usize::try_from(ctx.params.int("hold_bytes"))
            .ok()
            .and_then(|i| SIZES.get(i))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        future_bytes: AtomicU64::new(0),
    }))
}

impl Weight {
    /// Units start spread over one period so they do not all wake at once.
    fn first_deadline(&self, unit: &Unit) -> Instant {
        let phase = (unit.index.wrapping_mul(7919) % 1000) as u32;
        Instant::now() + self.period * phase / 1000
    }

    /// The task of `N` held bytes, its future's size noted.
    fn task_of<const N: usize>(self: Arc<Self>, unit: Unit) -> UnitFuture {
        let task = run_task::<N>(self.clone(), unit);
        self.future_bytes
            .store(std::mem::size_of_val(&task) as u64, Ordering::Relaxed);
        Box::pin(task)
    }
}

/// Every byte written: the pages are resident, not just reserved.
fn touch(held: &mut [u8], index: u64) {
    held.fill(index as u8);
    std::hint::black_box(held);
}

async fn run_task<const N: usize>(this: Arc<Weight>, mut unit: Unit) {
    // Held across the `.await` below: it lives in the future's state.
    let mut held = [0u8; N];
    let mut deadline = this.first_deadline(&unit);
    loop {
        touch(&mut held, unit.index);
        tokio::time::sleep_until(deadline.into()).await;
        std::hint::black_box(&held);
        unit.record_lateness(deadline.elapsed());
        unit.add_ops(1);
        if unit.retire_if_surplus() {
            return;
        }
        deadline += this.period;
    }
}

fn run_thread<const N: usize>(this: &Weight, mut unit: Unit) {
    // On this thread's stack, alive across the sleep below.
    let mut held = [0u8; N];
    let mut deadline = this.first_deadline(&unit);
    loop {
        touch(&mut held, unit.index);
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        std::hint::black_box(&held);
        unit.record_lateness(deadline.elapsed());
        unit.add_ops(1);
        if unit.retire_if_surplus() {
            return;
        }
        deadline += this.period;
    }
}

impl Workload for Weight {
    fn task(self: Arc<Self>, unit: Unit) -> UnitFuture {
        // core loop
        match self.hold {
            1 => self.task_of::<1024>(unit),
            2 => self.task_of::<4096>(unit),
            3 => self.task_of::<16384>(unit),
            _ => self.task_of::<0>(unit),
        }
    }

    fn thread(self: Arc<Self>, unit: Unit) {
        // core loop
        match self.hold {
            1 => run_thread::<1024>(&self, unit),
            2 => run_thread::<4096>(&self, unit),
            3 => run_thread::<16384>(&self, unit),
            _ => run_thread::<0>(&self, unit),
        }
    }

    fn extra(&self) -> BTreeMap<String, f64> {
        let bytes = self.future_bytes.load(Ordering::Relaxed);
        let mut out = BTreeMap::from([(HELD_BYTES.key.to_string(), self.held as f64)]);
        if bytes > 0 {
            out.insert(FUTURE_BYTES.key.into(), bytes as f64);
        }
        out
    }
}
