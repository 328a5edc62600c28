//! The reporter: a plain OS thread that samples its side every interval and writes one line to stdout.
//! It never runs on the measured runtime, so a stalled executor still gets reported.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::figure;
use crate::protocol::{
    FromWorker, MAX_RUNTIME_WORKERS, RuntimeCounters, Side, WorkerSample, encode,
};
use crate::workload::timer;
use crate::workload::unit::{new_histogram, percentiles};
use crate::workload::{SideShared, Workload};

use super::spawner::SpawnTiming;
use super::sys;

pub struct Reporter {
    pub side: Side,
    pub shared: Arc<SideShared>,
    pub workload: Arc<dyn Workload>,
    pub timing: SpawnTiming,
    pub interval: Duration,
    pub started: Instant,
    /// Filled in by `run` from the worker's main thread.
    pub baseline: Baseline,
    /// The async side's runtime, whose own counters go in each sample; None on threads.
    pub runtime: Option<tokio::runtime::Handle>,
}

/// tokio's counters of `rt` now (stable `RuntimeMetrics`, no `tokio_unstable` needed). Read from
/// this thread, not the runtime's: a worker stuck in a blocking call is still reported.
fn runtime_counters(rt: &tokio::runtime::Handle) -> RuntimeCounters {
    let m = rt.metrics();
    let workers = m.num_workers().min(MAX_RUNTIME_WORKERS);
    RuntimeCounters {
        tasks_alive: m.num_alive_tasks() as u64,
        global_queue_depth: m.global_queue_depth() as u64,
        workers_busy_us: (0..workers)
            .map(|w| m.worker_total_busy_duration(w).as_micros() as u64)
            .collect(),
        workers_parks: (0..workers).map(|w| m.worker_park_count(w)).collect(),
    }
}

/// The side before any unit, once its own threads have allocated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Baseline {
    pub rss_bytes: u64,
    pub virtual_bytes: u64,
    /// OS threads of the side at 0 units: main, reporter, spawner and the runtime's threads.
    pub os_threads: u64,
    /// Virtual size one more thread reserves for its stack (stack size + guard page).
    pub thread_stack_bytes: u64,
}

impl Reporter {
    /// Allocates (so this thread's malloc arena is in the baseline), tells `ready`, takes the baseline,
    /// then runs until stdout is gone (the controller closed the pipe) and ends the process.
    pub fn run(mut self, ready: &super::ready::Ready, baseline: &Receiver<Baseline>) {
        ready.arrive();
        // No baseline means the main thread failed; the worker is on its way out.
        self.baseline = baseline.recv().unwrap_or_default();
        let mut steady = new_histogram();
        let mut steady_sched = new_histogram();
        let mut last_counts = (u64::MAX, u64::MAX);
        let mut next = Instant::now() + self.interval;
        for seq in 0.. {
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
            next += self.interval;
            let sample = self.sample(seq, [&mut steady, &mut steady_sched], &mut last_counts);
            let line = encode(&FromWorker::Sample(Box::new(sample)));
            let mut out = std::io::stdout().lock();
            if out
                .write_all(line.as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                std::process::exit(0);
            }
        }
    }

    fn sample(
        &self,
        seq: u64,
        [steady, steady_sched]: [&mut hdrhistogram::Histogram<u64>; 2],
        last_counts: &mut (u64, u64),
    ) -> WorkerSample {
        let s = &self.shared;
        let units = s.alive.load(Ordering::SeqCst);
        let target_units = s.target.load(Ordering::SeqCst);
        let mut interval = new_histogram();
        s.drain_lateness(&mut interval);
        let mut sched = new_histogram();
        s.drain_sched_delay(&mut sched);
        if (units, target_units) != *last_counts {
            // The unit count moved: the steady state starts over.
            steady.reset();
            steady_sched.reset();
            *last_counts = (units, target_units);
        }
        let _ = steady.add(&interval);
        let _ = steady_sched.add(&sched);
        let timer_tick_us =
            (!interval.is_empty() || !steady.is_empty()).then_some(match self.side {
                Side::Async => timer::TOKIO_TICK_US,
                Side::Threads => timer::HRTIMER_TICK_US,
            });
        let usage = sys::usage();
        let (limit_hit, limit_name) = s
            .limit_hit()
            .map_or((None, None), |(why, name)| (Some(why), name));
        let mut extra = self.workload.extra();
        let b = &self.baseline;
        extra.insert(figure::VIRTUAL_BASELINE.key.into(), b.virtual_bytes as f64);
        extra.insert(figure::OS_THREADS_BASELINE.key.into(), b.os_threads as f64);
        extra.insert(figure::THREAD_STACK.key.into(), b.thread_stack_bytes as f64);
        WorkerSample {
            seq,
            t_us: self.started.elapsed().as_micros() as u64,
            units,
            target_units,
            ops_total: s.ops.load(Ordering::Relaxed),
            cpu_us: usage.cpu_us,
            ctx_voluntary: usage.ctx_voluntary,
            ctx_involuntary: usage.ctx_involuntary,
            lateness: percentiles(&interval),
            lateness_steady: percentiles(steady),
            sched_delay: percentiles(&sched),
            sched_delay_steady: percentiles(steady_sched),
            timer_tick_us,
            spawn_ns_per_unit: *self.timing.lock(),
            baseline_rss_bytes: self.baseline.rss_bytes,
            limit_hit,
            limit_name,
            extra,
            errors: s.take_errors(),
            runtime: self.runtime.as_ref().map(runtime_counters),
            // The controller reads this process from /proc itself.
            os: None,
        }
    }
}
