//! A deterministic model with ten seconds of made-up samples: for render tests, the render bench and
//! README screenshots. The numbers look like a real `sleep` run; nothing here is measured.

use crate::model::figures::BASELINE_VIRTUAL_KEY;
use crate::model::{Model, OsStat, RunInfo, SideEvent, SideSample};
use crate::protocol::{Percentiles, RuntimeFlavor, Side, WorkerSample};

const MIB: u64 = 1024 * 1024;
const INTERVAL_MS: u64 = 250;
const SAMPLES: u64 = 40;
const UNITS: u64 = 10_000;

/// The run both sides belong to, without samples.
pub fn run_info() -> RunInfo {
    RunInfo {
        workload: "sleep".into(),
        scenario: Some("ten-thousand-sleepers".into()),
        caption: "Same idle work, very different bill: each thread costs a stack and a kernel task, each task a \
                  few hundred bytes. Watch OS threads, RSS per unit and context switches/s."
            .into(),
        params: vec![("sleep_ms".into(), "100".into())],
        runtime: RuntimeFlavor::MultiThread,
        workers: 2,
        interval_ms: INTERVAL_MS,
        mode: "both sides share 2 cores · workers at nice 10".into(),
    }
}

/// A run that has just begun: no side has reported.
pub fn empty_model() -> Model {
    Model::new(run_info(), 10.0)
}

/// Both sides ramped to 10,000 units and ran for ten seconds.
pub fn demo_model() -> Model {
    let mut model = empty_model();
    for side in Side::BOTH {
        model.apply(side, SideEvent::Launched { target_units: UNITS }, 0.0);
    }
    for i in 0..SAMPLES {
        let now_s = (i * INTERVAL_MS) as f64 / 1e3;
        for side in Side::BOTH {
            model.apply(side, SideEvent::Sample(Box::new(sample(side, i))), now_s);
        }
    }
    model
}

/// `demo_model` after the threads worker died at the thread limit.
pub fn failed_model() -> Model {
    let mut model = demo_model();
    let now_s = model.now_s;
    let limit = "thread spawn failed: Resource temporarily unavailable (os error 11); see ulimit -u";
    let mut last = sample(Side::Threads, SAMPLES);
    last.worker.limit_hit = Some(limit.into());
    model.apply(Side::Threads, SideEvent::Sample(Box::new(last)), now_s + 0.25);
    model.apply(Side::Threads, SideEvent::Failed("worker exited with signal 9 (killed)".into()), now_s + 0.5);
    model
}

/// Sample `i` of a side: units ramp up over two seconds, then hold; totals grow at steady rates.
fn sample(side: Side, i: u64) -> SideSample {
    let units = (i * UNITS / 8).min(UNITS);
    let t_us = i * INTERVAL_MS * 1000;
    // A small deterministic wobble so charts look like measurements, not rulers.
    let wobble = [0, 3, 1, 4, 2][(i % 5) as usize];
    let per_interval = |per_s: u64| per_s * i * INTERVAL_MS / 1000 + wobble * per_s / 200;
    let (threads, rss, virt, vol_per_s, invol_per_s, cpu_per_s, late, spawn_ns) = match side {
        Side::Async => (3, 2 * MIB + units * 1024, 300 * MIB + units * 512, 400, 5, 30_000, [150, 900, 2100], 350.0),
        Side::Threads => {
            (3 + units, 2 * MIB + units * 15 * 1024, 300 * MIB + units * 8 * MIB, 100_000, 600, 350_000, [80, 450, 3200], 18_000.0)
        }
    };
    let lateness = Percentiles { count: units * 10 / 4, p50_us: late[0] + wobble * 10, p99_us: late[1] + wobble * 40, max_us: late[2] };
    let vol = per_interval(vol_per_s * units / UNITS);
    WorkerSample {
        seq: i,
        t_us,
        units,
        target_units: UNITS,
        ops_total: per_interval(10 * units),
        cpu_us: per_interval(cpu_per_s * units / UNITS),
        ctx_voluntary: vol,
        ctx_involuntary: per_interval(invol_per_s * units / UNITS),
        lateness: (units > 0).then_some(lateness),
        lateness_steady: (units > 0).then_some(lateness),
        spawn_ns_per_unit: (units > 0).then_some(spawn_ns),
        baseline_rss_bytes: 2 * MIB,
        limit_hit: None,
        extra: [(BASELINE_VIRTUAL_KEY.to_string(), (300 * MIB) as f64)].into(),
        errors: Vec::new(),
    }
    .into_sample(OsStat { rss_bytes: rss, virtual_bytes: virt, os_threads: threads })
}

trait IntoSample {
    fn into_sample(self, os: OsStat) -> SideSample;
}

impl IntoSample for WorkerSample {
    fn into_sample(self, os: OsStat) -> SideSample {
        SideSample { worker: self, os }
    }
}
