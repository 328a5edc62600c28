//! Deterministic models with ten seconds of made-up samples: for render tests, the render bench and
//! README screenshots. `demo_model` looks like a real `sleep` run, `scenario_model` like a run of each
//! built-in scenario on a 2-core machine (its units, runtime, one side at a time, its own figures);
//! the figures are shaped after real runs, nothing here is measured.

use crate::figure::Figure;
use crate::model::{Model, OsStat, RunInfo, RuntimeFigures, SideEvent, SideSample};
use crate::protocol::{Percentiles, RuntimeFlavor, Side, WorkerSample};
use crate::scenario::Catalog;
use crate::workload::{
    blocking, cancel, contention, deadlock, echo, pool, spawn, switch, weight, yielding,
};

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
        headline_better: Default::default(),
        one_side: None,
        turns: false,
        labels: None,
    }
}

/// A run that has just begun: no side has reported.
pub fn empty_model() -> Model {
    Model::new(run_info(), 10.0)
}

/// Both sides ramped to 10,000 units and ran for ten seconds.
pub fn demo_model() -> Model {
    demo_model_for(run_info())
}

/// The samples of `demo_model` under another run (a scenario's headline figures, say).
pub fn demo_model_for(run: RunInfo) -> Model {
    let mut model = Model::new(run, 10.0);
    let shapes = [
        SideShape::new(
            &ASYNC,
            UNITS,
            async_fixed_threads(RuntimeFlavor::MultiThread, 2),
        ),
        SideShape::new(&THREADS, UNITS, FIXED_THREADS),
    ];
    ramp(&mut model, &shapes);
    model
}

/// The threads every worker has besides its units': main, reporter, spawner.
const FIXED_THREADS: u64 = 3;

/// The async side's threads besides its units': the fixed ones and the runtime's (`workers` tokio
/// workers, or the one "tokio-rt" thread of a current-thread runtime).
fn async_fixed_threads(runtime: RuntimeFlavor, workers: usize) -> u64 {
    FIXED_THREADS
        + match runtime {
            RuntimeFlavor::MultiThread => workers as u64,
            RuntimeFlavor::CurrentThread => 1,
        }
}

/// Launches both sides and feeds them `SAMPLES` samples, `INTERVAL_MS` apart.
fn ramp(model: &mut Model, shapes: &[SideShape; 2]) {
    for side in Side::BOTH {
        model.apply(
            side,
            SideEvent::Launched {
                target_units: shapes[side.index()].units,
            },
            0.0,
        );
    }
    for i in 0..SAMPLES {
        let now_s = (i * INTERVAL_MS) as f64 / 1e3;
        for side in Side::BOTH {
            let s = sample(&shapes[side.index()], i);
            model.apply(side, SideEvent::Sample(Box::new(s)), now_s);
        }
    }
}

/// Built-in scenario `name` as a 2-core machine shows it after ten seconds: the header, caption and
/// mode its settings give, each side at the scenario's units (0 for the side one-side-at-a-time
/// keeps idle), costs shaped like that workload's, and the figures of its own that a real run
/// reported ([async, threads] per key, see `scenario_extras`).
pub fn scenario_model(name: &str) -> Model {
    let catalog = Catalog::load(None).unwrap_or_else(|e| panic!("scenario {name}: {e}"));
    let run = catalog
        .get(name)
        .unwrap_or_else(|e| panic!("scenario {name}: {e}"))
        .clone();
    let mut cfg = crate::config::RunConfig::new(&run, catalog)
        .unwrap_or_else(|e| panic!("scenario {name}: {e}"));
    cfg.workers = 2;
    // Not from this machine's autogroup setting: the snapshots must read the same everywhere.
    cfg.launch.sched = crate::collect::Sched::Group;
    let mut model = Model::new(cfg.run_info(), 10.0);
    model.run.mode = cfg.mode_for(2);
    let costs = workload_costs(&cfg.workload);
    let units = Side::BOTH.map(|side| cfg.spec(side).units);
    let echo_acceptor = u64::from(cfg.workload == "echo");
    let pool_threads = if cfg.workload == "pool" {
        cfg.params.int("pool_threads").max(0) as u64
    } else {
        0
    };
    let mut shapes = [
        SideShape::new(
            costs[0],
            units[0],
            async_fixed_threads(cfg.runtime, cfg.workers),
        ),
        SideShape::new(
            costs[1],
            units[1],
            FIXED_THREADS + echo_acceptor + pool_threads,
        ),
    ];
    if matches!(
        cfg.workload.as_str(),
        "sleep" | "cancel" | "pool" | "weight"
    ) {
        let sleep_ms = cfg.params.int("sleep_ms").max(1) as f64;
        for shape in &mut shapes {
            shape.rate_scale = shape.units as f64 * 1000.0 / sleep_ms / SLEEP_WAKEUPS_PER_S;
        }
    }
    ramp(&mut model, &shapes);
    let extras = scenario_extras(name);
    for (i, side) in model.sides.iter_mut().enumerate() {
        let Some(f) = side.figures.as_mut() else {
            continue;
        };
        if f.units == 0 {
            continue;
        }
        for (figure, values) in extras.iter().filter(|(_, v)| !v[i].is_nan()) {
            f.extra
                .insert(figure.key.into(), serde_json::json!(values[i]));
        }
    }
    // The headline smooths what the sides report: a second of these figures for it to show.
    let now = model.now_s;
    for k in 1..=4 {
        for i in 0..2 {
            let side = model.sides[i].clone();
            model
                .headline
                .on_sample(&model.run, &side, now + k as f64 * 0.25);
        }
    }
    model.headline.refresh(&model.run, &model.sides, now + 1.0);
    model
}

/// `model` with tokio's own figures on its async side, as a real run reports them (the threads side
/// has none): its tasks alive, an empty shared queue, two workers about a third busy.
pub fn with_runtime(mut model: Model) -> Model {
    if let Some(f) = model.sides[Side::Async.index()].figures.as_mut() {
        f.runtime = Some(RuntimeFigures {
            tasks_alive: f.units + 1,
            global_queue_depth: 0,
            workers_busy_percent: vec![31.5, 28.0],
            parks_per_sec: Some(1_850.0),
        });
    }
    model
}

/// The figures of its own each scenario's workload reports, [async, threads] per key, as a real
/// run on a 2-core machine gave them.
pub fn scenario_extras(name: &str) -> &'static [(&'static Figure, [f64; 2])] {
    match name {
        "switch" => &[
            (&switch::SWITCH_CPU_NS, [478.7, 4146.4]),
            (&switch::SWITCH_WALL_NS, [512.3, 9_870.2]),
            (&switch::OS_SWITCHES_PER_ROUND_TRIP, [0.000_094_7, 2.034]),
        ],
        "spawn" => &[
            (&spawn::SPAWNS_PER_SEC, [1_204_700.0, 11_760.4]),
            (&spawn::SPAWN_CPU_NS, [829.5, 84_956.8]),
            (&spawn::SPAWN_WALL_NS, [1_032.6, 47_310.5]),
        ],
        "contention" => &[
            (&contention::LOCK_WAIT_P50, [45.27, 109.16]),
            (&contention::LOCK_WAIT_P99, [14_142.3, 231.4]),
            (&contention::LOCK_WAIT_MAX, [56_877.5, 12_722.7]),
            (&contention::ACQUISITIONS_PER_SEC, [42_189.2, 114_643.5]),
            (&contention::OS_SWITCHES_PER_ACQUISITION, [0.002_16, 1.777]),
        ],
        "echo" => &[
            (&echo::PORT, [41_355.0, 38_743.0]),
            (&echo::CONNECTIONS, [1000.0, 1000.0]),
            (&echo::CLIENT_CONNECTIONS, [1000.0, 1000.0]),
            (&echo::REQUESTS_PER_SEC, [894.0, 893.0]),
            (&echo::REQUEST_ERRORS, [0.0, 0.0]),
            (&echo::REQUEST_P50, [2431.0, 1591.0]),
            (&echo::REQUEST_P99, [428_031.0, 419_839.0]),
            (&echo::REQUEST_MAX, [581_631.0, 428_031.0]),
            (&echo::RSS_PER_CONNECTION, [2023.4, 10_227.7]),
            (&echo::SPAWN_NS_PER_CONNECTION, [7156.7, 144_586.9]),
        ],
        "blocking" => &[
            (&blocking::BLOCKING_CALLS_PER_SEC, [33.6, 32.0]),
            (&blocking::SPAWN_BLOCKING, [0.0, 0.0]),
        ],
        "yield" => &[
            (&yielding::YIELDS_PER_SEC, [0.0, 0.0]),
            (&yielding::YIELD_EVERY_US, [0.0, 0.0]),
        ],
        // `versus --scenario cancel --headless --duration 12s` (load average 9).
        "cancel" => &[
            (&cancel::CANCEL_LATENCY_P50_US, [766.0, 301_055.0]),
            (&cancel::CANCEL_LATENCY_P99_US, [991.0, 790_527.0]),
            (&cancel::CANCELLED_UNITS, [1000.0, 100.0]),
            (&cancel::TORN_UPDATES, [167.0, 0.0]),
        ],
        // `versus --scenario weight --headless --duration 8s`: no future on the threads side.
        "weight" => &[
            (&weight::FUTURE_BYTES, [4296.0, f64::NAN]),
            (&weight::HELD_BYTES, [4096.0, 4096.0]),
        ],
        // `versus --scenario pool --headless --duration 10s` (load average 12).
        "pool" => &[(&pool::QUEUE_DEPTH, [0.0, 848.0])],
        "deadlock" => &[
            (&deadlock::DEADLOCKED_UNITS, [10.0, 10.0]),
            (&deadlock::DEADLOCK_CYCLES, [5.0, 5.0]),
            (&deadlock::ROUNDS_PER_SEC, [0.0, 0.0]),
        ],
        _ => &[],
    }
}

/// The limits scenario after the threads side stopped at vm.max_map_count, with the diagnosis a
/// 2-core Debian machine gave (`versus --scenario limits --headless --duration 20s`).
pub fn limit_model() -> Model {
    let mut model = scenario_model("limits");
    let now_s = model.now_s;
    let reached = 16_332;
    let mut shape = SideShape::new(workload_costs("sleep")[1], reached, FIXED_THREADS);
    shape.rate_scale = reached as f64 * 1000.0 / 10_000.0 / SLEEP_WAKEUPS_PER_S;
    let mut last = sample(&shape, SAMPLES);
    last.worker.target_units = 100_000;
    last.worker.limit_hit = Some(format!(
        "stopped at {reached} threads: vm.max_map_count=65530: this process has 65466 memory maps and \
         keeps 68 free; a thread maps its stack and guard page, then its signal stack and guard page, and \
         if the second pair does not fit the worker aborts, so the side stops first; 65 maps held back \
         for the rest of the worker are handed back; limits: kernel.threads-max=192730, \
         kernel.pid_max=32768, vm.max_map_count=65530, ulimit -u (RLIMIT_NPROC)=96365, \
         ulimit -v (RLIMIT_AS)=unlimited"
    ));
    last.worker.limit_name = Some(crate::limits::MAX_MAP_COUNT.into());
    model.apply(
        Side::Threads,
        SideEvent::Sample(Box::new(last)),
        now_s + 0.25,
    );
    model
}

/// `demo_model` after the threads worker died at the thread limit.
pub fn failed_model() -> Model {
    let mut model = demo_model();
    let now_s = model.now_s;
    let limit =
        "thread spawn failed: Resource temporarily unavailable (os error 11); see ulimit -u";
    let shape = SideShape::new(&THREADS, UNITS, FIXED_THREADS);
    let mut last = sample(&shape, SAMPLES);
    last.worker.limit_hit = Some(limit.into());
    last.worker.limit_name = Some("ulimit -u".into());
    model.apply(
        Side::Threads,
        SideEvent::Sample(Box::new(last)),
        now_s + 0.25,
    );
    // What the controller says of a worker SIGKILLed (by the OOM killer, or `kill -9`).
    let killed = {
        use std::os::unix::process::ExitStatusExt;
        crate::collect::describe(std::process::ExitStatus::from_raw(libc::SIGKILL))
    };
    model.apply(Side::Threads, SideEvent::Failed(killed), now_s + 0.5);
    model
}

/// What one side costs once all its units run: per unit where it is memory or threads, per second
/// for the whole side where it is a rate.
struct Costs {
    /// The worker's own threads (main, reporter, spawner, the runtime's) come on top.
    os_threads_per_unit: u64,
    rss_per_unit: u64,
    virtual_per_unit: u64,
    voluntary_per_s: u64,
    involuntary_per_s: u64,
    cpu_us_per_s: u64,
    ops_per_s: u64,
    /// p50, p99, max wake-up lateness, for workloads that measure it
    lateness_us: Option<[u64; 3]>,
    spawn_ns: f64,
}

/// 10,000 sleeping tasks waking 10 times a second (100,000 wake-ups/s; see `wakeups_per_s`).
const ASYNC: Costs = Costs {
    os_threads_per_unit: 0,
    rss_per_unit: 1024,
    virtual_per_unit: 512,
    voluntary_per_s: 400,
    involuntary_per_s: 5,
    cpu_us_per_s: 30_000,
    ops_per_s: 100_000,
    lateness_us: Some([150, 900, 2100]),
    spawn_ns: 350.0,
};

/// 10,000 sleeping threads waking 10 times a second: each wake-up is a context switch.
const THREADS: Costs = Costs {
    os_threads_per_unit: 1,
    rss_per_unit: 15 * 1024,
    virtual_per_unit: 8 * MIB,
    voluntary_per_s: 100_000,
    involuntary_per_s: 600,
    cpu_us_per_s: 350_000,
    ops_per_s: 100_000,
    lateness_us: Some([80, 450, 3200]),
    spawn_ns: 18_000.0,
};

/// `pool`: the units wait in the pool's queue, 8 threads run their jobs at 789 a second of the
/// 1,000 asked, each job two context switches; lateness grows past a second
/// (`versus --scenario pool --headless --duration 10s`).
const THREADS_POOL: Costs = Costs {
    os_threads_per_unit: 0,
    rss_per_unit: 1024,
    virtual_per_unit: 512,
    voluntary_per_s: 157_800,
    involuntary_per_s: 500,
    ops_per_s: 78_900,
    lateness_us: Some([1_007_615, 2_031_615, 2_490_000]),
    ..THREADS
};

/// `weight` with hold_bytes=4096: 4,096 more bytes a task than an empty sleep loop; a thread's
/// stack pages were resident already (`versus --scenario weight --headless --duration 8s`).
const ASYNC_WEIGHT: Costs = Costs {
    rss_per_unit: 4516,
    ..ASYNC
};
const THREADS_WEIGHT: Costs = Costs {
    rss_per_unit: 26_382,
    ..THREADS
};

/// CPU-bound units on a current-thread runtime: one core, whatever the unit count.
const ASYNC_CPU: Costs = Costs {
    rss_per_unit: 2048,
    voluntary_per_s: 20,
    involuntary_per_s: 200,
    cpu_us_per_s: 990_000,
    ops_per_s: 8_000,
    lateness_us: None,
    spawn_ns: 900.0,
    ..ASYNC
};

/// CPU-bound threads: both cores, preempted by the scheduler.
const THREADS_CPU: Costs = Costs {
    rss_per_unit: 20 * 1024,
    voluntary_per_s: 200,
    involuntary_per_s: 800,
    cpu_us_per_s: 1_970_000,
    ops_per_s: 16_000,
    lateness_us: None,
    spawn_ns: 20_000.0,
    ..THREADS
};

/// A pair of tasks bouncing a message: ~1M round trips/s on one core, next to no OS switch.
const ASYNC_SWITCH: Costs = Costs {
    voluntary_per_s: 100,
    involuntary_per_s: 50,
    cpu_us_per_s: 1_000_000,
    ops_per_s: 1_040_000,
    ..ASYNC_CPU
};

/// A pair of threads: two OS switches per round trip.
const THREADS_SWITCH: Costs = Costs {
    voluntary_per_s: 245_000,
    involuntary_per_s: 500,
    cpu_us_per_s: 1_150_000,
    ops_per_s: 120_000,
    ..THREADS_CPU
};

/// Spawn and join in batches: 1.2M tasks/s.
const ASYNC_SPAWN: Costs = Costs {
    voluntary_per_s: 50,
    involuntary_per_s: 100,
    cpu_us_per_s: 1_000_000,
    ops_per_s: 1_200_000,
    ..ASYNC_CPU
};

/// 11.8k threads/s, each a clone, a wake-up and a join.
const THREADS_SPAWN: Costs = Costs {
    voluntary_per_s: 24_000,
    involuntary_per_s: 2_000,
    cpu_us_per_s: 1_500_000,
    ops_per_s: 11_760,
    ..THREADS_CPU
};

/// 16 tasks taking a lock in turn on one runtime thread (nice 10 beside a busy machine: 15% of a core).
const ASYNC_CONTENTION: Costs = Costs {
    voluntary_per_s: 5,
    involuntary_per_s: 85,
    cpu_us_per_s: 150_000,
    ops_per_s: 42_000,
    ..ASYNC_CPU
};

/// 16 threads taking a lock in turn on two cores: each waiter parks in the kernel.
const THREADS_CONTENTION: Costs = Costs {
    voluntary_per_s: 108_000,
    involuntary_per_s: 83_000,
    cpu_us_per_s: 890_000,
    ops_per_s: 115_000,
    ..THREADS_CPU
};

/// Units that wait on something else (a socket, a blocking call): sleep-like costs, with lateness.
const ASYNC_WAITING: Costs = Costs {
    cpu_us_per_s: 60_000,
    ops_per_s: 5_000,
    ..ASYNC
};

const THREADS_WAITING: Costs = Costs {
    voluntary_per_s: 12_000,
    cpu_us_per_s: 250_000,
    ops_per_s: 5_000,
    ..THREADS
};

/// Deadlocked pairs: nothing runs, nothing switches, no lateness is measured.
const ASYNC_DEADLOCKED: Costs = Costs {
    voluntary_per_s: 8,
    involuntary_per_s: 0,
    cpu_us_per_s: 1_000,
    ops_per_s: 0,
    lateness_us: None,
    ..ASYNC
};

const THREADS_DEADLOCKED: Costs = Costs {
    voluntary_per_s: 8,
    involuntary_per_s: 0,
    cpu_us_per_s: 1_000,
    ops_per_s: 0,
    lateness_us: None,
    ..THREADS
};

/// [async, threads] costs of a workload kind.
fn workload_costs(workload: &str) -> [&'static Costs; 2] {
    match workload {
        "cpu" => [&ASYNC_CPU, &THREADS_CPU],
        "switch" => [&ASYNC_SWITCH, &THREADS_SWITCH],
        "spawn" => [&ASYNC_SPAWN, &THREADS_SPAWN],
        "contention" => [&ASYNC_CONTENTION, &THREADS_CONTENTION],
        "echo" | "blocking" | "yield" => [&ASYNC_WAITING, &THREADS_WAITING],
        "deadlock" => [&ASYNC_DEADLOCKED, &THREADS_DEADLOCKED],
        "pool" => [&ASYNC, &THREADS_POOL],
        "weight" => [&ASYNC_WEIGHT, &THREADS_WEIGHT],
        _ => [&ASYNC, &THREADS],
    }
}

/// Wake-ups a second the sleep costs above are for: 10,000 units at `sleep_ms=100`.
const SLEEP_WAKEUPS_PER_S: f64 = 100_000.0;

/// One side of a fixture: its costs, how many units it ramps to, the threads it has besides and
/// how its rates scale (sleeping units: with their wake-ups a second).
struct SideShape {
    costs: &'static Costs,
    units: u64,
    fixed_threads: u64,
    rate_scale: f64,
}

impl SideShape {
    fn new(costs: &'static Costs, units: u64, fixed_threads: u64) -> SideShape {
        SideShape {
            costs,
            units,
            fixed_threads,
            rate_scale: 1.0,
        }
    }
}

/// Sample `i` of a side: units ramp up over two seconds, then hold; totals grow at steady rates.
/// Rates in `Costs` are for a side at full strength; they scale with the units running.
fn sample(shape: &SideShape, i: u64) -> SideSample {
    let c = shape.costs;
    let full = shape.units.max(1);
    let units = (i * shape.units / 8).min(shape.units);
    // A small deterministic wobble so charts look like measurements, not rulers.
    let wobble = [0, 3, 1, 4, 2][(i % 5) as usize];
    let total = |per_s_at_full: u64| {
        let per_s = (per_s_at_full as f64 * shape.rate_scale) as u64 * units / full;
        per_s * i * INTERVAL_MS / 1000 + wobble * per_s / 200
    };
    let lateness = c
        .lateness_us
        .filter(|_| units > 0)
        .map(|[p50, p99, max]| Percentiles {
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
            target_units: shape.units,
            ops_total: total(c.ops_per_s),
            cpu_us: total(c.cpu_us_per_s),
            ctx_voluntary: total(c.voluntary_per_s),
            ctx_involuntary: total(c.involuntary_per_s),
            lateness,
            lateness_steady: lateness,
            spawn_ns_per_unit: (units > 0).then_some(c.spawn_ns),
            baseline_rss_bytes: BASELINE_RSS,
            extra: [(
                crate::figure::VIRTUAL_BASELINE.key.to_string(),
                BASELINE_VIRTUAL as f64,
            )]
            .into(),
            ..WorkerSample::default()
        },
        os: OsStat {
            rss_bytes: BASELINE_RSS + units * c.rss_per_unit,
            virtual_bytes: BASELINE_VIRTUAL + units * c.virtual_per_unit,
            os_threads: shape.fixed_threads + units * c.os_threads_per_unit,
        },
        threads: None,
    }
}
