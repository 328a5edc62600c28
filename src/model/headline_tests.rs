//! Tests of the headline: smoothing, no flipping, the reasons it gives when it cannot compare.

use super::*;
use crate::model::{Model, OsStat, SideEvent, SideSample};
use crate::protocol::{RuntimeFlavor, WorkerSample};

const INTERVAL_MS: u64 = 250;
const BASE: u64 = 1 << 20;

fn run(one_side: Option<Side>) -> RunInfo {
    RunInfo {
        workload: "sleep".into(),
        scenario: Some("memory".into()),
        caption: String::new(),
        params: vec![("sleep_ms".into(), "1000".into())],
        runtime: RuntimeFlavor::MultiThread,
        workers: 2,
        interval_ms: INTERVAL_MS,
        mode: String::new(),
        headline: vec![find("rss_per_unit").expect("listed")],
        one_side,
        turns: false,
        labels: None,
    }
}

/// Sample `i` of a side at `units`, RSS per unit `per_unit` bytes.
fn sample(i: u64, units: u64, per_unit: f64) -> SideEvent {
    SideEvent::Sample(Box::new(SideSample {
        worker: WorkerSample {
            seq: i,
            t_us: i * INTERVAL_MS * 1000,
            units,
            target_units: units,
            ops_total: i * units / 4,
            baseline_rss_bytes: BASE,
            ..WorkerSample::default()
        },
        os: OsStat {
            rss_bytes: BASE + (units as f64 * per_unit) as u64,
            virtual_bytes: 0,
            os_threads: 3,
        },
        threads: None,
    }))
}

/// Noise of ±`share` that never repeats in a short period (deterministic).
fn noise(i: u64, share: f64) -> f64 {
    let x = ((i.wrapping_mul(2_654_435_761) >> 7) % 1000) as f64 / 1000.0;
    1.0 + share * (2.0 * x - 1.0)
}

fn launched(run: RunInfo) -> Model {
    let mut m = Model::new(run, 60.0);
    for side in Side::BOTH {
        m.apply(side, SideEvent::Launched { target_units: 1000 }, 0.0);
    }
    m
}

/// Feeds samples `from..to` to both sides: async 500 B per unit, threads 10 KiB, with noise.
fn feed(m: &mut Model, from: u64, to: u64, units: [u64; 2], share: f64) {
    for i in from..to {
        let now = (i * INTERVAL_MS) as f64 / 1e3;
        m.apply(
            Side::Async,
            sample(i, units[0], 500.0 * noise(i, share)),
            now,
        );
        m.apply(
            Side::Threads,
            sample(i, units[1], 10_240.0 * noise(i + 7, share)),
            now,
        );
    }
}

fn first(m: &Model) -> &Headline {
    m.headline.shown.first().expect("a headline")
}

#[test]
fn the_headline_waits_for_the_steady_state_and_then_compares() {
    let mut m = launched(run(None));
    feed(&mut m, 0, 2, [1000, 1000], 0.0);
    assert_eq!(first(&m).reason.as_deref(), Some("settling…"));
    assert!(!first(&m).comparable);
    feed(&mut m, 2, 40, [1000, 1000], 0.0);
    let h = first(&m);
    assert!(h.comparable, "{h:?}");
    assert_eq!(h.figure.name(), "rss_per_unit");
    let ratio = h.ratio().expect("a ratio");
    assert!((ratio - 20.48).abs() < 0.5, "{ratio}");
    assert_eq!(h.bigger().map(|b| b.0), Some(Side::Threads));
}

#[test]
fn noisy_samples_give_a_steady_ratio_updated_once_a_second_and_never_another_figure() {
    let mut m = launched(run(None));
    // ±30% noise on every sample; the smoothed ratio must stay within 15% over 10 s.
    feed(&mut m, 0, 20, [1000, 1000], 0.3);
    let mut ratios = Vec::new();
    let mut changes = Vec::new();
    let mut last = first(&m).clone();
    for i in 20..80 {
        feed(&mut m, i, i + 1, [1000, 1000], 0.3);
        let h = first(&m);
        assert_eq!(h.figure.name(), "rss_per_unit", "the figure never changes");
        assert!(h.comparable, "{h:?}");
        if *h != last {
            changes.push(i);
            last = h.clone();
        }
        ratios.push(h.ratio().expect("a ratio"));
    }
    let (lo, hi) = ratios
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    assert!(hi / lo < 1.15, "ratio moved from {lo} to {hi}");
    // Samples come every 250 ms: a change at most every fourth sample.
    for w in changes.windows(2) {
        assert!(
            w[1] - w[0] >= 4,
            "updated twice within a second: {changes:?}"
        );
    }
}

#[test]
fn it_says_why_it_cannot_compare() {
    let mut m = launched(run(Some(Side::Async)));
    feed(&mut m, 0, 20, [1000, 1000], 0.0);
    assert_eq!(first(&m).reason.as_deref(), Some("one side at a time"));
    assert_eq!(first(&m).ratio(), None);

    let mut m = launched(run(None));
    feed(&mut m, 0, 20, [1000, 1000], 0.0);
    assert!(first(&m).comparable);
    m.apply(Side::Threads, SideEvent::Failed("killed".into()), 5.1);
    // At once, not a second later: a failed side never feeds the headline.
    assert_eq!(first(&m).reason.as_deref(), Some("threads side failed"));
    assert_eq!(first(&m).ratio(), None);

    let mut m = launched(run(None));
    feed(&mut m, 0, 20, [1000, 0], 0.0);
    assert_eq!(first(&m).reason.as_deref(), Some("threads side stopped"));
}

#[test]
fn taking_turns_compares_each_sides_last_turn() {
    for figure in ["rss_per_unit", "ops_per_sec"] {
        let mut r = run(Some(Side::Async));
        r.turns = true;
        r.headline = vec![find(figure).expect("listed")];
        let mut m = launched(r);
        // The async side's turn, the threads side idle at 0 units.
        feed(&mut m, 0, 20, [1000, 0], 0.0);
        assert_eq!(
            first(&m).reason.as_deref(),
            Some("taking turns: threads side not measured yet"),
            "{figure}"
        );
        m.end_turn(Side::Async);
        m.run.one_side = Some(Side::Threads);
        // The threads side's turn: the async side idle, compared by its last turn, at 1000 units
        // each although it runs 0 now (a total compares too).
        feed(&mut m, 20, 40, [0, 1000], 0.0);
        let h = first(&m);
        assert!(h.comparable, "{figure}: {h:?}");
        assert!(h.values.iter().all(Option::is_some), "{h:?}");
        assert!(
            m.report_figures(Side::Async)
                .is_some_and(|f| f.units == 1000)
        );
        // A failed side never feeds it, turn or not.
        m.apply(Side::Async, SideEvent::Failed("killed".into()), 10.1);
        assert_eq!(first(&m).reason.as_deref(), Some("async side failed"));
    }
    // Without turns, the same states are one side at a time and never compared.
    let mut m = launched(run(Some(Side::Threads)));
    feed(&mut m, 0, 20, [0, 1000], 0.0);
    assert_eq!(first(&m).reason.as_deref(), Some("one side at a time"));
}

#[test]
fn a_new_unit_count_settles_before_it_is_compared_again() {
    let mut m = launched(run(None));
    feed(&mut m, 0, 20, [1000, 1000], 0.0);
    assert!(first(&m).comparable);
    // Async scales up: the old series does not mix into the new steady state.
    feed(&mut m, 20, 21, [10_000, 1000], 0.0);
    assert_eq!(first(&m).reason.as_deref(), Some("settling…"));
    feed(&mut m, 21, 40, [10_000, 1000], 0.0);
    assert!(first(&m).comparable, "{:?}", first(&m));
}

#[test]
fn totals_compare_only_at_equal_unit_counts() {
    let mut r = run(None);
    r.headline = vec![find("ops_per_sec").expect("listed")];
    let mut m = launched(r);
    feed(&mut m, 0, 20, [1000, 100], 0.0);
    let h = first(&m);
    assert!(!h.comparable);
    assert!(
        h.reason
            .as_deref()
            .is_some_and(|r| r.contains("1000 vs 100")),
        "{h:?}"
    );
}

#[test]
fn every_workload_has_a_headline_and_every_name_is_known() {
    for kind in crate::workload::KINDS {
        let figures = default_for(kind.name);
        assert!(!figures.is_empty(), "{} has no headline", kind.name);
    }
    for kind in crate::workload::KINDS {
        for f in kind.headline {
            assert!(find(f.name()).is_some(), "{}", f.name());
        }
    }
}
