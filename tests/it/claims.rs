//! The claims of the trade-off that need a workload of their own, checked on real workers headless.
#![allow(clippy::unwrap_used)]

use crate::common::*;

// Tests whose figures suffer from a busy CPU (lateness of timers beside spinners, CPU time per
// switch) take the suite's CPU lock first (`common::cpu_bound`), so no other test runs beside them.

/// (lateness p50 µs, lateness p99 µs, yields/s, cores of other load) of the async side of the
/// yield scenario with `yield_every_us` = `every_us` (0 = never) and `extra` arguments, started with
/// `limits` (a CPU of its own); the load is the run's `outside_load_cores`.
fn yield_run_on(every_us: u64, extra: &[&str], limits: &[Limit]) -> (f64, f64, f64, f64) {
    let set = format!("yield_every_us={every_us}");
    let mut args = vec![
        "--scenario",
        "yield",
        "--one-side",
        "async",
        "--until-steady",
        "--duration",
        STEADY_BOUND,
        "--set",
        &set,
    ];
    args.extend_from_slice(extra);
    let tag = unique_tag("yield");
    let Finished { code, doc, .. } = finish_headless(spawn_headless(&tag, &args, limits), &tag);
    assert_eq!(code, Some(0), "{doc}");
    let s = side(&doc, "async");
    assert_reported(s);
    assert!(num(s, "units") >= 100.0, "{s}");
    assert_eq!(num(s, "yield_every_us"), every_us as f64, "{s}");
    (
        num(s, "lateness_p50_us"),
        num(s, "lateness_p99_us"),
        num(s, "yields_per_sec"),
        doc["outside_load_cores"].as_f64().unwrap_or(0.0),
    )
}

/// A task that never yields holds its worker: the timers behind it fire up to a spin (200 ms) late,
/// half a spin in the median. With yield_every_us=500 the spinner yields every 500 µs and the timers
/// run at its next yield. On one runtime thread with 200 ms spins: a stall that long stands out of
/// any load the machine adds, which adds OS delay to both runs and never takes the stall away.
#[test]
fn a_spinning_task_delays_the_timers_unless_it_yields() {
    let _alone = cpu_bound();
    // Each run spins on its one runtime thread, on a core of its own (a spinner that never yields
    // would otherwise preempt the other run's thread now and then, and its p99 took up to 19 s to
    // hold): both runs at once fill the two cores and hold the lock, so nothing CPU-bound joins them.
    let one_thread = ["--runtime", "current-thread", "--set", "spin_ms=200"];
    let ((p50_held, p99_held, yields_held, _), (p50_yielding, _, yields, _)) =
        std::thread::scope(|s| {
            let held = s.spawn(|| yield_run_on(0, &one_thread, &[Limit::OnCpu(0)]));
            let yielding = yield_run_on(500, &one_thread, &[Limit::OnCpu(1)]);
            (held.join().unwrap(), yielding)
        });
    assert_eq!(yields_held, 0.0, "yield_every_us=0 still yielded");
    // It yields at all: a spinner yields once per 500 µs of its own running, and beside
    // `stress-ng --cpu 2` (the held run on the other core) it ran for 77 yields a second.
    assert!(yields > 10.0, "yield_every_us=500 yielded {yields}/s");
    assert!(
        p99_held >= 20_000.0,
        "no stall without yielding: p99 {p99_held} µs"
    );
    assert!(
        p50_held >= 3.0 * p50_yielding,
        "yielding did not help: p50 {p50_held} µs held vs {p50_yielding} µs yielding"
    );
    // The scenario as shipped (50 ms spins, one spinner per worker of a 2-thread runtime), run
    // after the above and not beside it (two runs at once would put 3 spinners on 2 cores): p99 of
    // tens of ms when nothing yields (issue 13: >= 20 ms). Yielding every 500 µs brings it to a few
    // ms on a quiet machine (issue 13: <= 5 ms), but a loaded machine preempts the spinning workers
    // themselves (p99 8.7 and 18 ms beside 1.4 cores of other load; docs/figures.md): the p99 is only
    // asserted lower, the median (1.5 ms vs 10 ms there) at least halved. Beside a core or more of
    // other load (`stress-ng --cpu 2`: 6.2 ms vs 10.9 ms, 1.8×) the OS's own preemption is most of
    // what is left when yielding: the median then 1.25× lower; the one-thread pair above holds its
    // 3× whatever the load.
    let (p50_never, p99_never, yields_never, load_never) = yield_run_on(0, &[], &[]);
    let (p50_yielding, p99_yielding, yields, load_yielding) = yield_run_on(500, &[], &[]);
    assert_eq!(yields_never, 0.0);
    assert!(yields > 10.0, "{yields}/s");
    assert!(p99_never >= 20_000.0, "never yielding: p99 {p99_never} µs");
    let load = load_never.max(load_yielding);
    let lower = if load >= 1.0 {
        println!("{load:.1} cores of other load: the shipped scenario's median only 1.25× lower");
        1.25
    } else {
        2.0
    };
    assert!(
        p99_yielding < p99_never && p50_yielding * lower <= p50_never,
        "yielding every 500 µs: p50 {p50_yielding} / p99 {p99_yielding} µs \
         vs p50 {p50_never} / p99 {p99_never} µs never ({load:.1} cores of other load)"
    );
}

/// Two locks in opposite order deadlock both sides, tasks as well as threads; in one order the work
/// flows. Each side's wait-for record finds the cycles. The two runs go at once (neither is busy:
/// units stuck on a lock take no CPU, and the flowing run's few hundred ops/s take little).
#[test]
fn locks_taken_in_opposite_order_deadlock_both_sides_and_in_one_order_they_do_not() {
    let flowing = std::thread::spawn(|| {
        headless_steady(&["--scenario", "deadlock", "--set", "inverted=false"])
    });
    let (code, stuck) = headless_steady(&["--scenario", "deadlock"]);
    assert_eq!(code, Some(0), "{stuck}");
    let (code, flowing) = flowing.join().expect("flowing run");
    assert_eq!(code, Some(0), "{flowing}");
    for name in ["async", "threads"] {
        let (s, f) = (side(&stuck, name), side(&flowing, name));
        assert_reported(s);
        assert_reported(f);
        assert!(num(s, "deadlocked_units") >= 2.0, "{name}: {s}");
        assert!(num(s, "deadlock_cycles") >= 1.0, "{name}: {s}");
        assert_eq!(num(f, "deadlocked_units"), 0.0, "{name}: {f}");
        assert!(num(f, "ops_per_sec") > 10.0, "{name}: no work flowed: {f}");
        // The rate is over the run's window, which can still hold the few operations done before
        // the last pair locked up (1.1/s once, against 580–660/s flowing): stuck means at most 5 %
        // of the flowing rate, not zero.
        assert!(
            num(s, "ops_per_sec") * 20.0 <= num(f, "ops_per_sec"),
            "{name} still works: {} ops/s deadlocked vs {} flowing",
            num(s, "ops_per_sec"),
            num(f, "ops_per_sec")
        );
    }
}

/// The OS sees threads, not tasks: in a default run the threads side's 1,000 threads sleep in one
/// kernel function, and the async side's 1,000 tasks are a handful of threads (issue 13).
#[test]
fn the_os_sees_a_thread_per_thread_and_a_handful_of_threads_for_a_thousand_tasks() {
    let (code, doc) = default_run();
    assert_eq!(code, Some(0), "{doc}");
    let top = |s: &serde_json::Value| {
        let channels = s["wait_channels"].as_array().unwrap();
        assert!(channels.len() <= 5, "{s}");
        let counts: Vec<f64> = channels.iter().map(|c| num(c, "count")).collect();
        assert!(
            counts.windows(2).all(|w| w[0] >= w[1]),
            "not largest first: {s}"
        );
        channels.first().map_or(0.0, |c| num(c, "count"))
    };
    let states_sum = |s: &serde_json::Value| -> f64 {
        let states = s["thread_states"].as_object().unwrap();
        states.values().map(|v| v.as_f64().unwrap()).sum()
    };
    let threads = side(&doc, "threads");
    assert_reported(threads);
    assert_eq!(num(threads, "units"), 1000.0, "{threads}");
    assert_eq!(threads["threads_sampled"], false, "{threads}");
    assert!(top(threads) >= 900.0, "threads side: {threads}");
    assert_eq!(
        states_sum(threads),
        num(threads, "threads_read"),
        "{threads}"
    );
    let tasks = side(&doc, "async");
    assert_reported(tasks);
    assert_eq!(num(tasks, "units"), 1000.0, "{tasks}");
    // The worker's own three (main, reporter, spawner) and the runtime's workers, as many as the run
    // used (one per core by default): however many cores, never a thread per task.
    let handful = 3.0 + num(&doc, "workers");
    assert!(num(tasks, "threads_read") >= 1.0, "no census: {tasks}");
    assert!(num(tasks, "threads_read") <= handful, "async side: {tasks}");
    assert!(top(tasks) <= handful, "async side: {tasks}");
}

/// tokio's own count of live tasks matches the async side's units (issue 13: within 2 %).
#[test]
fn the_runtime_counts_the_tasks_the_async_side_runs() {
    let (code, doc) = headless_steady(&["--one-side", "async"]);
    assert_eq!(code, Some(0), "{doc}");
    let s = side(&doc, "async");
    assert_reported(s);
    let units = num(s, "units");
    assert_eq!(units, 1000.0, "{s}");
    let alive = num(&s["runtime"], "tasks_alive");
    assert!(
        (alive - units).abs() <= 0.02 * units,
        "tasks_alive {alive} for {units} units: {s}"
    );
    // One busy figure per runtime worker the run used.
    assert_eq!(
        s["runtime"]["workers_busy_percent"]
            .as_array()
            .unwrap()
            .len() as f64,
        num(&doc, "workers"),
        "{s}"
    );
    assert!(side(&doc, "threads")["runtime"].is_null(), "{doc}");
}

/// The busiest tokio worker's busy % in the blocking scenario, with spawn_blocking off or on.
fn busiest_worker_percent(spawn_blocking: bool) -> f64 {
    let set = format!("spawn_blocking={spawn_blocking}");
    let (code, doc) = headless(&[
        "--scenario",
        "blocking",
        "--one-side",
        "async",
        "--until-steady",
        "--duration",
        STEADY_BOUND,
        "--set",
        "block_ms=200",
        "--set",
        &set,
    ]);
    assert_eq!(code, Some(0), "{doc}");
    let s = side(&doc, "async");
    assert_reported(s);
    let busy: Vec<f64> = s["runtime"]["workers_busy_percent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(!busy.is_empty(), "{s}");
    busy.into_iter().fold(0.0, f64::max)
}

/// A blocking call holds its worker: tokio counts it busy the whole 200 ms call (200 of every 210 ms,
/// so ~95 %), whatever the load on the machine. Through spawn_blocking the call leaves the worker,
/// and the same worker is busy a small fraction of the time.
#[test]
fn a_blocking_call_pins_a_tokio_worker_busy() {
    // A blocking sleep takes no CPU, and tokio's busy time counts the call however long the OS took
    // to run the worker: no lock, and the two runs at once.
    let (held, moved) = std::thread::scope(|s| {
        let held = s.spawn(|| busiest_worker_percent(false));
        let moved = busiest_worker_percent(true);
        (held.join().unwrap(), moved)
    });
    assert!(held >= 80.0, "blocking call: busiest worker {held}%");
    assert!(moved <= 40.0, "spawn_blocking: busiest worker {moved}%");
}

/// (async, threads) per-hop time of the switch scenario with `via`, ns of CPU time per switch. Over
/// channels (the preset's way) it is the run the switch headline reads (`headline.rs`).
fn switch_ns(via: &str) -> (f64, f64) {
    let set = format!("via={via}");
    let (code, doc) = match via {
        "channel" => preset_run("switch"),
        _ => shared_steady(
            Hold::CpuBound,
            &["--scenario", "switch", "--set", &set, "--nice", "0"],
        ),
    };
    assert_eq!(code, Some(0), "{doc}");
    let [a, t] = ["async", "threads"].map(|name| {
        let s = side(&doc, name);
        assert_reported(s);
        num(s, "switch_cpu_ns")
    });
    (a, t)
}

/// Over in-memory channels a task switch costs a fraction of a thread switch (13× here, 40× on a
/// quiet machine); when every hop waits on a pipe's readiness both sides pay the kernel, and the
/// per-hop times come close (1.03× here; jimblandy/context-switch: both near 1.7 µs).
#[test]
fn switching_over_pipes_costs_both_sides_about_the_same() {
    let (channel_async, channel_threads) = switch_ns("channel");
    let (pipe_async, pipe_threads) = switch_ns("pipe");
    let channel = channel_threads / channel_async;
    let pipe = pipe_threads / pipe_async;
    assert!(
        channel >= 3.0 * pipe && pipe < 3.0,
        "threads/async per hop: {channel:.1}× over channels, {pipe:.2}× over pipes \
         ({channel_async:.0}/{channel_threads:.0} ns, {pipe_async:.0}/{pipe_threads:.0} ns)"
    );
}
