//! `contention`: units that take one shared lock, in turn, around a critical section.
//! A thread that finds it taken parks in the kernel until its turn; a task that finds it taken goes
//! back to the runtime's queue, and its one OS thread runs another task meanwhile.

use std::collections::{BTreeMap, VecDeque};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use parking_lot::{FairMutex, Mutex};

use super::cpu::chunk;
use super::{BuildCtx, Kind, ParamDef, UnitFuture, Workload};
use crate::figure::{Direction, Figure, Format, Panel};
use crate::protocol::ParamValue;
use crate::sys;
use crate::workload::Unit;
use crate::workload::unit::{TOTALS_WINDOW, TotalsWindow};

pub const KIND: Kind = Kind {
    name: "contention",
    summary: "units that take one shared lock, in turn, around a critical section",
    caption: "Every unit takes one shared lock in turn. A thread that finds it taken parks in the kernel: \
              one or two OS switches per acquisition. A task that finds it taken yields to the runtime: no OS \
              switch. Compare OS switches per acquisition; parking_lot=false gives the threads std's \
              Mutex, live.",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&OS_SWITCHES_PER_ACQUISITION, &ACQUISITIONS_PER_SEC],
    pace: None,
    churns: false,
    source: ("contention.rs", include_str!("contention.rs")),
};

pub const LOCK_WAIT_P50: Figure =
    Figure::extra("lock_wait_p50_us", Format::Micros, Direction::LessIsBetter)
        .panel(Panel::segment("lock wait", "p50 {}"));
pub const LOCK_WAIT_P99: Figure =
    Figure::extra("lock_wait_p99_us", Format::Micros, Direction::LessIsBetter)
        .panel(Panel::segment("lock wait", "p99 {}"));
pub const LOCK_WAIT_MAX: Figure =
    Figure::extra("lock_wait_max_us", Format::Micros, Direction::LessIsBetter)
        .panel(Panel::segment("lock wait", "max {}"));
pub const ACQUISITIONS_PER_SEC: Figure = Figure::extra(
    "acquisitions_per_sec",
    Format::PerSec,
    Direction::MoreIsBetter,
)
.panel(Panel::row("acquire"))
.total("acquisitions_per_sec", "lock acquisitions/s");
pub const OS_SWITCHES_PER_ACQUISITION: Figure = Figure::extra(
    "os_switches_per_acquisition",
    Format::Ratio,
    Direction::LessIsBetter,
)
.panel(Panel::segment("acquire", "{} OS sw each"))
.headline("os_switches_per_acquisition", "OS switches/acquisition");
const FIGURES: &[Figure] = &[
    LOCK_WAIT_P50,
    LOCK_WAIT_P99,
    LOCK_WAIT_MAX,
    ACQUISITIONS_PER_SEC,
    OS_SWITCHES_PER_ACQUISITION,
];

const PARAMS: &[ParamDef] = &[
    ParamDef::flag(
        "parking_lot",
        true,
        "threads' lock: parking_lot::FairMutex, in turn like tokio's (true) or std::sync::Mutex (false); live",
    ),
    ParamDef::int(
        "hold_iters",
        100,
        0,
        1_000_000,
        "hash rounds inside the lock (~3 ns each)",
    ),
    ParamDef::int(
        "free_iters",
        100,
        0,
        1_000_000,
        "hash rounds between acquisitions, outside the lock",
    ),
];

/// Wait histograms are sharded by unit index so recording them is not a second contended lock.
const SHARDS: usize = 16;
/// A unit moves its waits into the shared shard after this many acquisitions or this long.
const FLUSH_EVERY: u64 = 256;
const FLUSH_AFTER: Duration = Duration::from_millis(50);

struct Contention {
    use_parking_lot: AtomicBool,
    hold_iters: u64,
    free_iters: u64,
    /// The one shared lock, as each side takes it.
    ///
    /// Threads: parking_lot's FairMutex (by default). Its unlock hands the lock to the thread that
    /// has waited longest, as tokio's Mutex does for tasks, so both sides take turns in the same
    /// order and differ only in how a waiter waits: a thread that finds it taken (with others
    /// already parked) parks in the kernel at once (a futex wait: one OS switch), and is woken when
    /// its turn comes. std's Mutex (parking_lot=false) lets the thread that just unlocked take the
    /// lock straight back before the woken waiter runs: one thread does most of the work while the
    /// others sleep, few switches per acquisition (0.017 measured), and the turns are not the same
    /// as the tasks' turns.
    fair_lock: FairMutex<u64>,
    std_lock: std::sync::Mutex<u64>,
    /// Tasks: tokio's Mutex, first come first served. A task that finds it taken returns Pending
    /// to the runtime, which polls another task on the same OS thread: no OS switch.
    tokio_lock: tokio::sync::Mutex<u64>,
    acquisitions: AtomicU64,
    /// ns from just before lock() to holding the lock, as units flush them
    waits: Vec<Mutex<Histogram<u64>>>,
    /// The waits of the reports of about the last second, so the percentiles are as steady as the rates.
    recent_waits: Mutex<VecDeque<(Instant, Histogram<u64>)>>,
    /// (acquisitions, OS context switches of the process)
    window: Mutex<TotalsWindow<2>>,
}

fn wait_histogram() -> Histogram<u64> {
    // 1 ns to 60 s; longer waits are clamped.
    Histogram::new_with_bounds(1, 60_000_000_000, 2).expect("constant histogram bounds are valid")
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    Ok(Arc::new(Contention {
        use_parking_lot: AtomicBool::new(ctx.params.flag("parking_lot")),
        hold_iters: ctx.params.int("hold_iters").max(0) as u64,
        free_iters: ctx.params.int("free_iters").max(0) as u64,
        fair_lock: FairMutex::new(0),
        std_lock: std::sync::Mutex::new(0),
        tokio_lock: tokio::sync::Mutex::new(0),
        acquisitions: AtomicU64::new(0),
        waits: (0..SHARDS).map(|_| Mutex::new(wait_histogram())).collect(),
        recent_waits: Mutex::new(VecDeque::new()),
        window: Mutex::new(TotalsWindow::default()),
    }))
}

/// Waits one unit measured since its last flush; kept local so recording costs no lock.
struct UnitWaits {
    ns: Histogram<u64>,
    since: Instant,
}

impl Contention {
    /// Half of the critical section (`half` 0, then 1): change the shared value, then work that needs it.
    fn critical(&self, value: &mut u64, half: u64) {
        *value = value.wrapping_add(1);
        let first = self.hold_iters / 2;
        let iters = if half == 0 {
            first
        } else {
            self.hold_iters - first
        };
        black_box(chunk(*value, iters));
    }

    fn new_waits(&self) -> UnitWaits {
        UnitWaits {
            ns: wait_histogram(),
            since: Instant::now(),
        }
    }

    fn record(&self, unit: &Unit, waits: &mut UnitWaits, asked: Instant, got: Instant) {
        let _ = waits.ns.record((got - asked).as_nanos().max(1) as u64);
        if waits.ns.len() >= FLUSH_EVERY || got - waits.since >= FLUSH_AFTER {
            self.flush(unit, waits, got);
        }
    }

    fn flush(&self, unit: &Unit, waits: &mut UnitWaits, now: Instant) {
        let n = waits.ns.len();
        let _ = self.waits[unit.index as usize % SHARDS]
            .lock()
            .add(&waits.ns);
        waits.ns.reset();
        waits.since = now;
        self.acquisitions.fetch_add(n, Ordering::Relaxed);
        unit.add_ops(n);
    }
}

impl Workload for Contention {
    // task() and thread() do the same work line by line; the differences are the lock and the await.
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        Box::pin(async move {
            let mut waits = self.new_waits();
            let mut seed = unit.index;
            // core loop
            loop {
                let asked = Instant::now();
                // Taken: this task is set aside and the runtime's thread runs another task.
                let mut value = self.tokio_lock.lock().await;
                let got = Instant::now();
                self.critical(&mut value, 0);
                // An .await inside the lock (a write to a socket, say): what tokio's Mutex is for.
                // The tasks behind it come to the lock while it is held, and wait for their turn.
                tokio::task::yield_now().await;
                self.critical(&mut value, 1);
                drop(value);
                self.record(&unit, &mut waits, asked, got);
                seed = chunk(seed, self.free_iters);
                if unit.retire_if_surplus() {
                    return self.flush(&unit, &mut waits, Instant::now());
                }
                tokio::task::yield_now().await;
            }
        })
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        let mut waits = self.new_waits();
        let mut seed = unit.index;
        // core loop
        loop {
            let asked = Instant::now();
            let got = if self.use_parking_lot.load(Ordering::Relaxed) {
                // Taken: this thread parks in the kernel (futex) until the lock is handed to it.
                let mut value = self.fair_lock.lock();
                let got = Instant::now();
                self.critical(&mut value, 0);
                // No yield point needed: the other threads run on other cores, or preempt this one.
                self.critical(&mut value, 1);
                got
            } else {
                let mut value = self.std_lock.lock().unwrap_or_else(PoisonError::into_inner);
                let got = Instant::now();
                self.critical(&mut value, 0);
                self.critical(&mut value, 1);
                got
            };
            self.record(&unit, &mut waits, asked, got);
            seed = chunk(seed, self.free_iters);
            if unit.retire_if_surplus() {
                return self.flush(&unit, &mut waits, Instant::now());
            }
        }
    }

    /// Over about the last second: acquisitions_per_sec, os_switches_per_acquisition (Δ ru_nvcsw +
    /// ru_nivcsw of the process / Δ acquisitions), lock_wait_p50_us / p99_us / max_us from the units'
    /// timestamps.
    fn extra(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        let now = Instant::now();
        let mut interval = wait_histogram();
        for shard in &self.waits {
            let mut h = shard.lock();
            let _ = interval.add(&*h);
            h.reset();
        }
        let mut recent = self.recent_waits.lock();
        recent.push_back((now, interval));
        while recent
            .front()
            .is_some_and(|(t, _)| *t + TOTALS_WINDOW < now)
        {
            recent.pop_front();
        }
        let mut waits = wait_histogram();
        for (_, h) in recent.iter() {
            let _ = waits.add(h);
        }
        drop(recent);
        if !waits.is_empty() {
            out.insert(
                LOCK_WAIT_P50.key.into(),
                waits.value_at_quantile(0.5) as f64 / 1e3,
            );
            out.insert(
                LOCK_WAIT_P99.key.into(),
                waits.value_at_quantile(0.99) as f64 / 1e3,
            );
            // A holder preempted inside the critical section stalls everyone for a time slice:
            // rare per acquisition (below p99 on a busy box), so the max is where it shows.
            out.insert(LOCK_WAIT_MAX.key.into(), waits.max() as f64 / 1e3);
        }
        let u = sys::usage();
        let totals = [
            self.acquisitions.load(Ordering::Relaxed),
            u.ctx_voluntary + u.ctx_involuntary,
        ];
        if let Some((secs, [acquisitions, os_switches])) = self.window.lock().advance(now, totals) {
            if secs > 0.0 {
                out.insert(ACQUISITIONS_PER_SEC.key.into(), acquisitions as f64 / secs);
            }
            if acquisitions > 0 {
                out.insert(
                    OS_SWITCHES_PER_ACQUISITION.key.into(),
                    os_switches as f64 / acquisitions as f64,
                );
            }
        }
        out
    }

    fn set_param(&self, name: &str, value: &ParamValue) -> Result<(), String> {
        let on = super::params::live_flag(PARAMS, "parking_lot", name, value)?;
        self.use_parking_lot.store(on, Ordering::Relaxed);
        Ok(())
    }
}
