//! Figures that must mean what their labels say at any unit count and after any scale change
//! (issue 9): per-operation costs, per-unit memory, baselines, the timer tick. Real workers, headless,
//! with margins safe on a busy 2-core machine.
#![allow(clippy::unwrap_used)]

use crate::common::*;

/// `key` of the async side of a one-side, current-thread run of `workload` at `units` units.
fn async_figure(workload: &str, units: &str, key: &str) -> f64 {
    let mut args = vec![
        "--workload",
        workload,
        "--async-units",
        units,
        "--thread-units",
        "0",
        "--runtime",
        "current-thread",
        // On equal terms with whatever else runs: at nice 10 beside other builds the worker's CPU
        // time per operation moved with the preemptions it took.
        "--nice",
        "0",
    ];
    if workload == "switch" {
        // The figure's accounting is under test, not where pairs run: the default placement
        // (same-cpu) would put both runs of `at_1_and_100` on the first CPU; the scheduler spreads
        // them.
        args.extend(["--set", "placement=os"]);
    }
    let (code, doc) = headless_steady(&args);
    assert_eq!(code, Some(0), "{doc}");
    let a = side(&doc, "async");
    assert_eq!(num(a, "units"), units.parse::<f64>().unwrap(), "{doc}");
    num(a, key)
}

/// `key` at 1 and at 100 units (`async_figure`). The two runs take one core each (one runtime
/// thread) and run at once, holding the CPU lock: CPU time per operation does not depend on the
/// share of the machine a run gets, and nothing else CPU-bound runs beside them.
fn at_1_and_100(workload: &str, key: &str) -> (f64, f64) {
    let _cpu = cpu_bound();
    std::thread::scope(|s| {
        let hundred = s.spawn(|| async_figure(workload, "100", key));
        let one = async_figure(workload, "1", key);
        (one, hundred.join().unwrap())
    })
}

/// A per-operation cost is the side's CPU time over the operations of all its units: on one thread,
/// 100 pairs switch no cheaper or dearer per switch than one pair. Summing the busy time of
/// concurrent units (the old figure) grew ~70× from 1 to 100 pairs. Measured 1.1–1.5× apart; once
/// past 2.5× at load average ~20, so the margin is 4×, still far below the bug's 70×.
const SAME_COST_FACTOR: f64 = 4.0;
#[test]
fn ns_per_switch_holds_from_1_to_100_pairs() {
    let (one, hundred) = at_1_and_100("switch", "switch_cpu_ns");
    let r = hundred.max(one) / hundred.min(one);
    assert!(
        r < SAME_COST_FACTOR,
        "switch_cpu_ns 1 pair {one:.0} vs 100 pairs {hundred:.0}"
    );
}

#[test]
fn ns_per_spawn_holds_from_1_to_100_units() {
    let (one, hundred) = at_1_and_100("spawn", "spawn_cpu_ns");
    let r = hundred.max(one) / hundred.min(one);
    assert!(
        r < SAME_COST_FACTOR,
        "spawn_cpu_ns 1 unit {one:.0} vs 100 units {hundred:.0}"
    );
}

/// Lateness keeps tokio's 1 ms tick in it; scheduling delay starts when the timer fired, so on the
/// async side it sits well below lateness, and each side names its timer's tick.
#[test]
fn scheduling_delay_leaves_out_the_timer_tick() {
    let (code, doc) = headless_steady(&[
        "--workload",
        "sleep",
        "--async-units",
        "200",
        "--thread-units",
        "200",
    ]);
    assert_eq!(code, Some(0), "{doc}");
    let a = side(&doc, "async");
    // Per wake-up, lateness − delay is the timer's own part: on tokio ~0.5 ms for rounding the
    // deadline up to the next ms, ~0.5 ms for parking in whole ms, whatever the load.
    let (late, delay) = (num(a, "lateness_p50_us"), num(a, "sched_delay_p50_us"));
    assert!(
        late - delay >= 300.0,
        "async lateness p50 {late} vs delay p50 {delay}: {doc}"
    );
}

/// The baseline is read once the worker's own threads have taken their malloc arenas, so it no
/// longer depends on which thread allocated first (it came out 12.5 / 79.6 / 146.8 MB in three runs);
/// the threads side's virtual size splits into its thread stacks and the rest.
#[test]
fn virtual_baseline_is_steady_and_stacks_are_split_out() {
    let mut baselines = Vec::new();
    for _ in 0..3 {
        let (code, doc) = headless(&[
            "--workload",
            "sleep",
            "--duration",
            "2s",
            "--async-units",
            "20",
            "--thread-units",
            "20",
        ]);
        assert_eq!(code, Some(0), "{doc}");
        let (a, t) = (side(&doc, "async"), side(&doc, "threads"));
        baselines.push(num(a, "virtual_baseline_bytes"));
        // Main, reporter and spawner; the async side adds its runtime workers, as many as the run
        // used (the machine's cores by default).
        let workers = num(&doc, "workers");
        assert_eq!(num(t, "os_threads_baseline"), 3.0, "{doc}");
        assert_eq!(num(a, "os_threads_baseline"), 3.0 + workers, "{doc}");
        // The stacks split out lie inside what the kernel says the threads added to the address
        // space (the rest is their malloc arenas), and hold at least a 2 MiB stack per unit thread.
        let grown = num(t, "virtual_bytes") - num(t, "virtual_baseline_bytes");
        let stacks = num(t, "virtual_stacks_bytes");
        assert!(stacks <= grown, "stacks {stacks} of {grown} grown: {doc}");
        assert!(stacks >= 20.0 * (2 << 20) as f64, "{doc}");
        assert_eq!(num(a, "virtual_stacks_bytes"), 0.0, "{doc}");
    }
    let (lo, hi) = baselines
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), &b| (lo.min(b), hi.max(b)));
    assert!(hi / lo < 1.2, "async virtual baselines {baselines:?}");
}
