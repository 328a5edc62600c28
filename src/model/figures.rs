//! Figures derived from two samples of one side: rates, per-unit costs. Pure functions of the samples.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::figure::{self, Field, Figure, Runtime, Source};
use crate::protocol::{Percentiles, RuntimeCounters, Side, WorkerSample};

/// How many threads of each state and wait channel one read saw.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ThreadCensus {
    /// Threads listed in /proc/<pid>/task when the read began.
    pub threads_seen: u64,
    /// Threads whose stat was read (all of them unless sampled; a thread that exits meanwhile is not).
    pub threads_read: u64,
    /// Scheduler state letter (third field of /proc/<pid>/task/<tid>/stat) → threads.
    pub states: BTreeMap<char, u64>,
    /// Kernel function each sleeping thread waits in (/proc/<pid>/task/<tid>/wchan), largest first;
    /// running threads (wchan "0" or empty) are left out.
    pub wait_channels: Vec<(String, u64)>,
}

impl ThreadCensus {
    /// True when only part of the threads were read.
    pub fn sampled(&self) -> bool {
        self.threads_read < self.threads_seen
    }
}

/// What the controller reads from /proc/<pid>/statm and /proc/<pid>/status of a worker.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct OsStat {
    /// /proc/<pid>/statm resident × page size
    pub rss_bytes: u64,
    /// /proc/<pid>/statm size × page size
    pub virtual_bytes: u64,
    /// /proc/<pid>/status Threads
    pub os_threads: u64,
}

/// One worker report joined with the OS figures read when it arrived.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SideSample {
    pub worker: WorkerSample,
    pub os: OsStat,
    /// The worker's threads by state and wait channel, on the samples a census was due (at most
    /// one a second, `collect::threads`); None on the others.
    pub threads: Option<ThreadCensus>,
}

/// One kernel wait channel and how many of the threads read sleep in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitChannel {
    pub name: String,
    pub count: u64,
}

/// The headline figures of one side; the headless JSON prints exactly this per side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub side: Side,
    pub workload: String,
    pub units: u64,
    pub os_threads: u64,
    /// OS threads at 0 units, read in the worker before its first unit: main, reporter and spawner,
    /// plus the runtime's workers on the async side. They are never counted as units.
    pub os_threads_baseline: u64,
    pub rss_bytes: u64,
    pub rss_baseline_bytes: u64,
    /// (RSS − baseline) / units, at the most units the side has had (see `per_unit`): after a
    /// scale-down it is the figure measured at that peak, never current RSS ÷ current units (freed
    /// memory stays with the process). Null below `per_unit::MIN_UNITS` units.
    pub rss_per_unit_bytes: Option<f64>,
    pub virtual_bytes: u64,
    pub virtual_baseline_bytes: u64,
    /// (virtual − baseline) / units, measured like `rss_per_unit_bytes`.
    pub virtual_per_unit_bytes: Option<f64>,
    /// Virtual size reserved for the stacks of threads beyond the baseline's: (OS threads − baseline
    /// threads) × (stack size + guard page). Computed from the stack size the worker sets, not read
    /// from /proc/<pid>/maps (which costs milliseconds at 10,000 threads).
    pub virtual_stacks_bytes: u64,
    /// virtual − baseline − stacks: heap, glibc malloc arenas (64 MiB reserved per arena, up to
    /// 8 per core, one taken by each thread's first malloc), other mappings.
    pub virtual_other_bytes: u64,
    /// The unit count the per-unit figures were measured at, when that is not the current count
    /// (after a scale-down); null when they are measured now.
    pub per_unit_measured_at_units: Option<u64>,
    /// Percent of one core.
    pub cpu_percent: f64,
    /// cpu_percent / 100: how many cores the side kept busy.
    pub cores_used: f64,
    pub ctx_voluntary: u64,
    pub ctx_involuntary: u64,
    pub ctx_switches_per_sec: f64,
    pub ops_per_sec: f64,
    pub lateness_p50_us: Option<u64>,
    pub lateness_p99_us: Option<u64>,
    pub lateness_max_us: Option<u64>,
    /// Resolution of the timer the units sleep on, µs: 1000 on tokio (deadlines round up to the next
    /// ms), 0 on threads (nanosleep, an hrtimer); null when no unit sleeps on a timer.
    pub timer_tick_us: Option<u64>,
    /// Wake-up − the moment the timer fired: tokio's driver calling the waker (one async unit in
    /// `timer::STAMP_EVERY`), the deadline on threads (so there it equals lateness).
    pub sched_delay_p50_us: Option<u64>,
    pub sched_delay_p99_us: Option<u64>,
    pub spawn_ns_per_unit: Option<f64>,
    /// The error that stopped scaling, with errno and text; null when none did.
    pub limit_hit: Option<String>,
    pub limit_name: Option<String>,
    /// Seconds between the two samples the rates were taken over.
    pub window_s: f64,
    /// Threads by scheduler state letter (R running, S sleeping, D uninterruptible, ...), from
    /// /proc/<pid>/task/*/stat at the side's last census (at most one a second,
    /// `collect::threads`); empty before the first. Counts of the threads read, never scaled up.
    pub thread_states: BTreeMap<char, u64>,
    /// The kernel functions those threads sleep in (/proc/<pid>/task/*/wchan), top five, largest
    /// first: what the OS, and every debugger and profiler built on it, sees.
    pub wait_channels: Vec<WaitChannel>,
    /// Threads the census read: all of them, or above `collect::threads::MAX_READ` an even stride.
    pub threads_read: u64,
    /// True when the census read only a stride of the threads (`threads_read` < threads listed).
    pub threads_sampled: bool,
    /// tokio's own figures of the async side's runtime; null on threads.
    pub runtime: Option<RuntimeFigures>,
    pub errors: Vec<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Figures {
    /// A side that never reported: levels zero, figures null, so the JSON keeps its shape.
    pub fn empty(side: Side, workload: &str) -> Figures {
        let blank = SideSample::default();
        let mut f = Figures::derive(side, workload, &blank, &blank, None);
        f.extra.clear();
        f
    }

    /// Rates over `from`..`to`; levels (RSS, units, totals) from `to`.
    pub fn derive(
        side: Side,
        workload: &str,
        from: &SideSample,
        to: &SideSample,
        lateness: Option<Percentiles>,
    ) -> Figures {
        let (a, b) = (&from.worker, &to.worker);
        let dt_s = b.t_us.saturating_sub(a.t_us) as f64 / 1e6;
        let rate = |x: u64, y: u64| {
            if dt_s > 0.0 {
                y.saturating_sub(x) as f64 / dt_s
            } else {
                0.0
            }
        };
        let per_unit = |level: u64, base: u64| {
            (b.units >= super::per_unit::MIN_UNITS)
                .then(|| level.saturating_sub(base) as f64 / b.units as f64)
        };
        let lateness = lateness.filter(|p| p.count > 0);
        let stacks_bytes = to
            .os
            .os_threads
            .saturating_sub(extra_u64(b, figure::OS_THREADS_BASELINE.key))
            .saturating_mul(extra_u64(b, figure::THREAD_STACK.key));
        Figures {
            side,
            workload: workload.to_string(),
            units: b.units,
            os_threads: to.os.os_threads,
            os_threads_baseline: extra_u64(b, figure::OS_THREADS_BASELINE.key),
            rss_bytes: to.os.rss_bytes,
            rss_baseline_bytes: b.baseline_rss_bytes,
            rss_per_unit_bytes: per_unit(to.os.rss_bytes, b.baseline_rss_bytes),
            virtual_bytes: to.os.virtual_bytes,
            virtual_baseline_bytes: baseline_virtual_bytes(b),
            virtual_per_unit_bytes: per_unit(to.os.virtual_bytes, baseline_virtual_bytes(b)),
            per_unit_measured_at_units: None,
            virtual_stacks_bytes: stacks_bytes,
            virtual_other_bytes: to
                .os
                .virtual_bytes
                .saturating_sub(baseline_virtual_bytes(b))
                .saturating_sub(stacks_bytes),
            cpu_percent: rate(a.cpu_us, b.cpu_us) / 1e4,
            cores_used: rate(a.cpu_us, b.cpu_us) / 1e6,
            ctx_voluntary: b.ctx_voluntary,
            ctx_involuntary: b.ctx_involuntary,
            ctx_switches_per_sec: rate(
                a.ctx_voluntary + a.ctx_involuntary,
                b.ctx_voluntary + b.ctx_involuntary,
            ),
            ops_per_sec: rate(a.ops_total, b.ops_total),
            lateness_p50_us: lateness.map(|p| p.p50_us),
            lateness_p99_us: lateness.map(|p| p.p99_us),
            lateness_max_us: lateness.map(|p| p.max_us),
            timer_tick_us: b.timer_tick_us,
            sched_delay_p50_us: b.sched_delay.filter(|p| p.count > 0).map(|p| p.p50_us),
            sched_delay_p99_us: b.sched_delay.filter(|p| p.count > 0).map(|p| p.p99_us),
            spawn_ns_per_unit: b.spawn_ns_per_unit,
            limit_hit: b.limit_hit.clone(),
            limit_name: b.limit_name.clone(),
            window_s: dt_s,
            thread_states: BTreeMap::new(),
            wait_channels: Vec::new(),
            threads_read: 0,
            threads_sampled: false,
            runtime: RuntimeFigures::derive(a.runtime.as_ref(), b.runtime.as_ref(), dt_s),
            errors: Vec::new(),
            extra: b
                .extra
                .iter()
                .filter(|(k, _)| !figure::WORKER.iter().any(|w| w.key == k.as_str()))
                .map(|(k, v)| (k.clone(), json_number(*v)))
                .collect(),
        }
    }
}

/// tokio's own figures of the async side, from its stable `RuntimeMetrics` (`RuntimeCounters`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuntimeFigures {
    /// Tasks alive as the runtime counts them (num_alive_tasks), at the later sample.
    pub tasks_alive: u64,
    /// Tasks in the runtime's shared queue (global_queue_depth), at the later sample.
    pub global_queue_depth: u64,
    /// Per worker thread: its busy time (worker_total_busy_duration) over the window ÷ the window, %.
    /// Empty when the earlier sample has no counters of the same workers.
    pub workers_busy_percent: Vec<f64>,
    /// Times the worker threads parked (worker_park_count, summed) over the window, per second.
    pub parks_per_sec: Option<f64>,
}

impl RuntimeFigures {
    fn derive(
        from: Option<&RuntimeCounters>,
        to: Option<&RuntimeCounters>,
        dt_s: f64,
    ) -> Option<RuntimeFigures> {
        let to = to?;
        let from = from.filter(|f| {
            dt_s > 0.0
                && f.workers_busy_us.len() == to.workers_busy_us.len()
                && f.workers_parks.len() == to.workers_parks.len()
        });
        let busy = from.map_or_else(Vec::new, |f| {
            f.workers_busy_us
                .iter()
                .zip(&to.workers_busy_us)
                .map(|(a, b)| b.saturating_sub(*a) as f64 / (dt_s * 1e6) * 100.0)
                .collect()
        });
        let parks = from.map(|f| {
            let sum = |v: &[u64]| v.iter().sum::<u64>();
            sum(&to.workers_parks).saturating_sub(sum(&f.workers_parks)) as f64 / dt_s
        });
        Some(RuntimeFigures {
            tasks_alive: to.tasks_alive,
            global_queue_depth: to.global_queue_depth,
            workers_busy_percent: busy,
            parks_per_sec: parks,
        })
    }

    /// The busiest worker's busy %, None before two samples.
    pub fn busiest_percent(&self) -> Option<f64> {
        self.workers_busy_percent.iter().copied().reduce(f64::max)
    }
}

impl Figures {
    /// Puts a side's last thread census (if any) into the figures.
    pub fn apply_census(&mut self, census: Option<&ThreadCensus>) {
        let Some(c) = census else { return };
        self.thread_states.clone_from(&c.states);
        self.wait_channels = c
            .wait_channels
            .iter()
            .map(|(name, count)| WaitChannel {
                name: name.clone(),
                count: *count,
            })
            .collect();
        self.threads_read = c.threads_read;
        self.threads_sampled = c.sampled();
    }
}

/// Virtual size before the first unit, sent by the worker in `extra` as it has no field of its own.
fn baseline_virtual_bytes(s: &WorkerSample) -> u64 {
    extra_u64(s, figure::VIRTUAL_BASELINE.key)
}

fn extra_u64(s: &WorkerSample, key: &str) -> u64 {
    s.extra.get(key).copied().unwrap_or(0.0) as u64
}

impl Figures {
    /// The value of catalog figure `fig` on this side; None when absent or null (not measured yet).
    pub fn value(&self, fig: &Figure) -> Option<f64> {
        match fig.source {
            Source::Extra => self.extra.get(fig.key).and_then(serde_json::Value::as_f64),
            Source::Runtime(r) => {
                let rt = self.runtime.as_ref()?;
                match r {
                    Runtime::TasksAlive => Some(rt.tasks_alive as f64),
                    Runtime::GlobalQueueDepth => Some(rt.global_queue_depth as f64),
                    Runtime::BusiestWorkerPercent => rt.busiest_percent(),
                    Runtime::ParksPerSec => rt.parks_per_sec,
                }
            }
            Source::Field(field) => {
                let int = |v: u64| Some(v as f64);
                let opt = |v: Option<u64>| v.map(|v| v as f64);
                match field {
                    Field::Units => int(self.units),
                    Field::OsThreads => int(self.os_threads),
                    Field::RssBytes => int(self.rss_bytes),
                    Field::RssPerUnit => self.rss_per_unit_bytes,
                    Field::VirtualBytes => int(self.virtual_bytes),
                    Field::VirtualPerUnit => self.virtual_per_unit_bytes,
                    Field::CpuPercent => Some(self.cpu_percent),
                    Field::CoresUsed => Some(self.cores_used),
                    Field::CtxVoluntary => int(self.ctx_voluntary),
                    Field::CtxInvoluntary => int(self.ctx_involuntary),
                    Field::CtxSwitchesPerSec => Some(self.ctx_switches_per_sec),
                    Field::OpsPerSec => Some(self.ops_per_sec),
                    Field::LatenessP50 => opt(self.lateness_p50_us),
                    Field::LatenessP99 => opt(self.lateness_p99_us),
                    Field::LatenessMax => opt(self.lateness_max_us),
                }
            }
        }
    }

    /// Whether this side reports `fig` at all (null counts: the figure exists, it is just not in yet).
    pub fn reports(&self, fig: &Figure) -> bool {
        match fig.source {
            Source::Extra => self.extra.contains_key(fig.key),
            Source::Runtime(_) => self.runtime.is_some(),
            Source::Field(_) => true,
        }
    }
}

/// NaN and infinities are not JSON; they become null.
pub(crate) fn json_number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// "21×" style ratio of b over a, None when either is missing or a is ~0.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if a > f64::EPSILON && b.is_finite() => Some(b / a),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t_s: u64, units: u64, rss: u64, ctx: u64, cpu_us: u64) -> SideSample {
        SideSample {
            worker: WorkerSample {
                t_us: t_s * 1_000_000,
                units,
                ctx_voluntary: ctx,
                cpu_us,
                ops_total: t_s * 100,
                baseline_rss_bytes: 1000,
                ..Default::default()
            },
            os: OsStat {
                rss_bytes: rss,
                virtual_bytes: 0,
                os_threads: 3,
            },
            threads: None,
        }
    }

    #[test]
    fn rates_and_per_unit_costs() {
        let f = Figures::derive(
            Side::Threads,
            "sleep",
            &sample(1, 10, 0, 100, 0),
            &sample(3, 10, 21_000, 500, 1_000_000),
            None,
        );
        assert_eq!(f.rss_per_unit_bytes, Some(2000.0));
        assert_eq!(f.ctx_switches_per_sec, 200.0);
        assert_eq!(f.cpu_percent, 50.0);
        assert_eq!(f.ops_per_sec, 100.0);
        assert_eq!(f.window_s, 2.0);
    }

    #[test]
    fn tokio_figures_are_rates_over_the_window_and_null_on_threads() {
        let counters = |busy: [u64; 2], parks: [u64; 2]| RuntimeCounters {
            tasks_alive: 1000,
            global_queue_depth: 3,
            workers_busy_us: busy.to_vec(),
            workers_parks: parks.to_vec(),
        };
        let mut a = sample(1, 10, 0, 0, 0);
        let mut b = sample(3, 10, 0, 0, 0);
        a.worker.runtime = Some(counters([0, 100], [5, 5]));
        b.worker.runtime = Some(counters([2_000_000, 200_100], [5, 45]));
        let f = Figures::derive(Side::Async, "blocking", &a, &b, None);
        let r = f.runtime.expect("runtime figures");
        assert_eq!((r.tasks_alive, r.global_queue_depth), (1000, 3));
        assert_eq!(r.workers_busy_percent, vec![100.0, 10.0]);
        assert_eq!(r.busiest_percent(), Some(100.0));
        assert_eq!(r.parks_per_sec, Some(20.0));
        // One sample alone: levels, no rates.
        let r = Figures::derive(Side::Async, "sleep", &b, &b, None).runtime;
        assert_eq!(r.as_ref().map(|r| r.workers_busy_percent.len()), Some(0));
        assert_eq!(r.and_then(|r| r.parks_per_sec), None);
        let t = sample(3, 10, 0, 0, 0);
        assert_eq!(
            Figures::derive(Side::Threads, "sleep", &t, &t, None).runtime,
            None
        );
    }

    #[test]
    fn no_units_no_per_unit_figure_and_no_division_by_zero() {
        let s = sample(1, 0, 5000, 10, 0);
        let f = Figures::derive(Side::Async, "sleep", &s, &s, None);
        assert_eq!(f.rss_per_unit_bytes, None);
        assert_eq!(f.ctx_switches_per_sec, 0.0);
        assert_eq!(ratio(Some(0.0), Some(3.0)), None);
        assert_eq!(ratio(Some(2.0), Some(42.0)), Some(21.0));
    }
}
