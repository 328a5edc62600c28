//! The limit, stressed: the threads side is driven to vm.max_map_count again and again, in every
//! scheduling mode the workers run in, with small and default stacks, beside CPU load, all at once.
//! Every run must stop with the limit named and the worker alive and reporting: never an abort.
//!
//! A ballast of maps (`VERSUS_MAP_BALLAST`, held by the worker for its life) brings the limit to
//! about 1,500 threads, so each run takes seconds instead of the 16,000 threads of a real run. The
//! limit, the kernel's refusals and the guard in front of every spawn are the real ones.

use std::io::{BufRead, BufReader, Write};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use versus::collect::{Priority, spawn_guarded};
use versus::limits::{BALLAST_ENV, MAX_MAP_COUNT};
use versus::protocol::{
    self, FromWorker, PROTOCOL_VERSION, ParamValue, RuntimeFlavor, Side, ToWorker, WorkerSpec,
};

/// Maps left between the ballast and vm.max_map_count: about 1,500 threads of 4 maps.
const ROOM_MAPS: u64 = 6_000;
/// A bound for a stalled machine, not a target: a run reaches its stop in seconds.
const BOUND: Duration = Duration::from_secs(120);
/// Reports the worker must still send after its stop: it goes on running.
const REPORTS_AFTER_STOP: usize = 3;
/// Runs of each mode and stack, all at once: 12 runs of ~1,450 threads keep well inside kernel.pid_max
/// (32,768 here), whose last 10% the guard leaves to the rest of the machine.
const REPEATS: usize = 2;

#[derive(Debug)]
struct Outcome {
    case: String,
    units: u64,
    limit_name: Option<String>,
    limit_hit: Option<String>,
    /// Lines of /proc/<pid>/maps once stopped, and the worker's state then.
    maps_after: Option<u64>,
    alive_after: bool,
    stderr: Vec<String>,
    ended: String,
}

fn max_map_count() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn count_maps(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    Some(text.lines().count() as u64)
}

/// One run on its own thread (a worker dies with the thread that started it): the threads side asks
/// for 100,000 sleeping threads and is read until it stops, then for a few reports more.
fn drive(case: String, prio: Priority, stack_bytes: Option<usize>, ballast: u64) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_versus"));
    cmd.arg("worker").env(BALLAST_ENV, ballast.to_string());
    let mut child = spawn_guarded(cmd, prio, &[]).expect("worker starts");
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let spec = WorkerSpec {
        side: Side::Threads,
        workload: "sleep".into(),
        // Idle units: one wake-up every 10 s, as in the limits scenario.
        params: [("sleep_ms".to_string(), ParamValue::Int(10_000))].into(),
        units: 100_000,
        runtime: RuntimeFlavor::MultiThread,
        workers: 1,
        interval_ms: 200,
        stack_bytes,
    };
    let start = protocol::encode(&ToWorker::Start {
        version: PROTOCOL_VERSION,
        spec,
    });
    stdin.write_all(start.as_bytes()).expect("start sent");
    let (err_tx, err_rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = err_tx.send(line);
        }
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let deadline = Instant::now() + BOUND;
    let (mut units, mut limit_name, mut limit_hit) = (0, None, None);
    let mut after_stop = 0;
    let mut maps_after = None;
    let ended = loop {
        if Instant::now() > deadline {
            break format!("no stop within {} s at {units} threads", BOUND.as_secs());
        }
        let Some(Ok(line)) = lines.next() else {
            break "the worker's stdout closed".to_string();
        };
        let Ok(FromWorker::Sample(s)) = protocol::decode::<FromWorker>(line.as_bytes()) else {
            continue;
        };
        units = s.units;
        if limit_name.is_none() && s.limit_name.is_some() {
            (limit_name, limit_hit) = (s.limit_name.clone(), s.limit_hit.clone());
            maps_after = count_maps(pid);
        }
        if limit_name.is_some() {
            after_stop += 1;
            if after_stop > REPORTS_AFTER_STOP {
                break "stopped and still reporting".to_string();
            }
        }
    };
    let alive_after = child.try_wait().ok().flatten().is_none();
    drop(stdin);
    let _ = child.kill();
    let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
    let stderr: Vec<String> = err_rx.try_iter().collect();
    Outcome {
        case,
        units,
        limit_name,
        limit_hit,
        maps_after,
        alive_after,
        stderr,
        ended: format!("{ended} ({status})"),
    }
}

#[test]
fn every_run_stops_at_the_map_limit_in_every_mode_and_stack_beside_cpu_load() {
    let Some(max) = max_map_count() else {
        eprintln!("skipped: /proc/sys/vm/max_map_count cannot be read");
        return;
    };
    // Its spinner and 17,000 threads would starve, and share kernel.pid_max with, the other
    // CPU-bound tests: it runs alone among them.
    let _cpu = crate::common::cpu_bound();
    let ballast = max.saturating_sub(ROOM_MAPS);
    // CPU load beside the runs: a busy loop at nice 0 (the runs themselves add more).
    let busy = Arc::new(AtomicBool::new(true));
    let spinner = {
        let busy = busy.clone();
        std::thread::spawn(move || {
            let mut x = 0u64;
            while busy.load(Ordering::Relaxed) {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        })
    };
    let modes = [
        // The TUI's default where autogroup applies: the worker's own session at nice 10.
        (
            "group",
            Priority {
                nice: 10,
                group: true,
                idle: false,
            },
        ),
        // Where it does not: every worker thread SCHED_IDLE.
        (
            "idle",
            Priority {
                nice: 10,
                group: false,
                idle: true,
            },
        ),
        // Headless runs: each thread at nice 10.
        (
            "normal",
            Priority {
                nice: 10,
                group: false,
                idle: false,
            },
        ),
    ];
    let stacks = [("2 MiB stacks", None), ("64 KiB stacks", Some(64 << 10))];
    let runs: Vec<_> = modes
        .iter()
        .flat_map(|&(mode, prio)| {
            stacks.iter().flat_map(move |&(stack, bytes)| {
                (1..=REPEATS).map(move |run| {
                    let case = format!("{mode}, {stack}, run {run}");
                    std::thread::spawn(move || drive(case, prio, bytes, ballast))
                })
            })
        })
        .collect();
    let outcomes: Vec<Outcome> = runs
        .into_iter()
        .map(|r| r.join().expect("run thread"))
        .collect();
    busy.store(false, Ordering::Relaxed);
    let _ = spinner.join();
    let bad: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| {
            o.limit_name.as_deref() != Some(MAX_MAP_COUNT)
                || !o.alive_after
                // Nothing on stderr: an abort prints "fatal runtime error", "memory allocation of
                // ... failed" or a panic there before the signal.
                || !o.stderr.is_empty()
                || !o.ended.starts_with("stopped and still reporting")
                || o.maps_after.is_none_or(|m| m > max)
                // Stopped near the limit, not early: ~1,500 threads fit in the room left.
                || o.units < 1_000
        })
        .collect();
    assert!(
        bad.is_empty(),
        "runs that did not stop cleanly at {MAX_MAP_COUNT}={max}: {bad:#?}"
    );
    for o in &outcomes {
        eprintln!(
            "{}: stopped at {} threads, {} maps: {}",
            o.case,
            o.units,
            o.maps_after.unwrap_or(0),
            o.limit_hit.as_deref().unwrap_or("")
        );
    }
}
