//! A deterministic model with ten seconds of made-up samples: for render tests, the render bench and
//! README screenshots. The numbers look like a real `sleep` run; nothing here is measured.

use crate::model::figures::BASELINE_VIRTUAL_KEY;
use crate::model::{Model, OsStat, RunInfo, SideEvent, SideSample};
use crate::protocol::{Percentiles, RuntimeFlavor, Side, WorkerSample};

const MIB: u64 = 1024 * 1024;
const INTERVAL_MS: u64 = 250;
const SAMPLES: u64 = 40;
const UNITS: u64 = 10_000;
const BASELINE_RSS: u64 = 2 * MIB;
const BASELINE_VIRTUAL: u64 = 300 * MIB;

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
        headline: Vec::new(),
        one_side: None,
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
        model.apply(
            side,
            SideEvent::Launched {
                target_units: UNITS,
            },
            0.0,
        );
    }
    for i in 0..SAMPLES {
        let now_s = (i * INTERVAL_MS) as f64 / 1e3;
        for side in Side::BOTH {
            model.apply(side, SideEvent::Sample(Box::new(sample(side, i))), now_s);
        }
    }
    model
}

/// The samples of `demo_model` under another run (a scenario's headline figures, say).
pub fn demo_model_for(run: RunInfo) -> Model {
    let mut model = Model::new(run, 10.0);
    for side in Side::BOTH {
        model.apply(
            side,
            SideEvent::Launched {
                target_units: UNITS,
            },
            0.0,
        );
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
    let limit =
        "thread spawn failed: Resource temporarily unavailable (os error 11); see ulimit -u";
    let mut last = sample(Side::Threads, SAMPLES);
    last.worker.limit_hit = Some(limit.into());
    last.worker.limit_name = Some("ulimit -u".into());
    model.apply(
        Side::Threads,
        SideEvent::Sample(Box::new(last)),
        now_s + 0.25,
    );
    model.apply(
        Side::Threads,
        SideEvent::Failed("worker exited with signal 9 (killed)".into()),
        now_s + 0.5,
    );
    model
}

/// What one side costs at full strength, per second where it is a rate.
struct Costs {
    /// The runtime's own threads (main, reporter, tokio workers) come on top.
    os_threads_per_unit: u64,
    rss_per_unit: u64,
    virtual_per_unit: u64,
    voluntary_per_s: u64,
    involuntary_per_s: u64,
    cpu_us_per_s: u64,
    /// p50, p99, max wake-up lateness
    lateness_us: [u64; 3],
    spawn_ns: f64,
}

const ASYNC: Costs = Costs {
    os_threads_per_unit: 0,
    rss_per_unit: 1024,
    virtual_per_unit: 512,
    voluntary_per_s: 400,
    involuntary_per_s: 5,
    cpu_us_per_s: 30_000,
    lateness_us: [150, 900, 2100],
    spawn_ns: 350.0,
};

const THREADS: Costs = Costs {
    os_threads_per_unit: 1,
    rss_per_unit: 15 * 1024,
    virtual_per_unit: 8 * MIB,
    voluntary_per_s: 100_000,
    involuntary_per_s: 600,
    cpu_us_per_s: 350_000,
    lateness_us: [80, 450, 3200],
    spawn_ns: 18_000.0,
};

/// Sample `i` of a side: units ramp up over two seconds, then hold; totals grow at steady rates.
fn sample(side: Side, i: u64) -> SideSample {
    let c = match side {
        Side::Async => &ASYNC,
        Side::Threads => &THREADS,
    };
    let units = (i * UNITS / 8).min(UNITS);
    // A small deterministic wobble so charts look like measurements, not rulers.
    let wobble = [0, 3, 1, 4, 2][(i % 5) as usize];
    let total = |per_s_at_full: u64| {
        let per_s = per_s_at_full * units / UNITS;
        per_s * i * INTERVAL_MS / 1000 + wobble * per_s / 200
    };
    let [p50, p99, max] = c.lateness_us;
    let lateness = (units > 0).then_some(Percentiles {
        count: units * 10 / 4,
        p50_us: p50 + wobble * 10,
        p99_us: p99 + wobble * 40,
        max_us: max,
    });
    SideSample {
        worker: WorkerSample {
            seq: i,
            t_us: i * INTERVAL_MS * 1000,
            units,
            target_units: UNITS,
            ops_total: total(10 * UNITS),
            cpu_us: total(c.cpu_us_per_s),
            ctx_voluntary: total(c.voluntary_per_s),
            ctx_involuntary: total(c.involuntary_per_s),
            lateness,
            lateness_steady: lateness,
            spawn_ns_per_unit: (units > 0).then_some(c.spawn_ns),
            baseline_rss_bytes: BASELINE_RSS,
            extra: [(BASELINE_VIRTUAL_KEY.to_string(), BASELINE_VIRTUAL as f64)].into(),
            ..WorkerSample::default()
        },
        os: OsStat {
            rss_bytes: BASELINE_RSS + units * c.rss_per_unit,
            virtual_bytes: BASELINE_VIRTUAL + units * c.virtual_per_unit,
            os_threads: 3 + units * c.os_threads_per_unit,
        },
    }
}
