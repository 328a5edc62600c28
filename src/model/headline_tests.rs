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
        headline_better: Default::default(),
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

/// A comparable headline of `name` with these values (async, threads), as `run` judges it.
fn judged(r: &RunInfo, name: &str, values: [f64; 2], units: [u64; 2]) -> Headline {
    judge(
        find(name).expect("listed"),
        &Ok(()),
        r,
        values.map(Some),
        units,
    )
}

#[test]
fn the_verdict_names_the_bigger_side_with_a_word_that_says_who_wins() {
    let r = run(None);
    // Less is better, threads bigger: threads heavier, async wins.
    let v = judged(&r, "rss_per_unit", [610.0, 9_800.0], [10, 10]).verdict(&r);
    assert_eq!(v.words, "threads 16× heavier");
    assert_eq!(v.better, Some(Side::Async));
    // Less is better, async bigger: async later, threads win.
    let v = judged(&r, "lateness_p99", [47_100.0, 94.0], [10, 10]).verdict(&r);
    assert_eq!(v.words, "async 501× later");
    assert_eq!(v.better, Some(Side::Threads));
    // More is better, async bigger: async more, async wins.
    let v = judged(&r, "units_reached", [1_000_000.0, 16_332.0], [10, 10]).verdict(&r);
    assert_eq!(v.words, "async 61× more");
    assert_eq!(v.better, Some(Side::Async));
    // Within 10%: about even, nobody wins.
    let v = judged(&r, "rss_per_unit", [1000.0, 1050.0], [10, 10]).verdict(&r);
    assert_eq!(v.words, "about even");
    assert_eq!(v.better, None);
    // A neutral figure says which has more, and names no winner.
    let v = judged(&r, "cores_used", [1.0, 4.0], [4, 4]).verdict(&r);
    assert_eq!(v.words, "threads 4.0× more");
    assert_eq!(v.better, None);
    // Against a value that reads as 0 there is no factor, but still a winner; where "more" does not
    // say the bigger side does worse, the verdict names the better side.
    let v = judged(&r, "os_switches_per_acquisition", [0.0, 0.8], [8, 8]).verdict(&r);
    assert_eq!(v.words, "async better, at 0");
    assert_eq!(v.better, Some(Side::Async));
    let v = judged(&r, "os_switches_per_acquisition", [0.000_3, 1.2], [8, 8]).verdict(&r);
    assert_eq!(v.words, "async better, near 0");
    assert_eq!(v.better, Some(Side::Async));
    let v = judged(&r, "os_switches_per_acquisition", [0.002, 1.78], [8, 8]).verdict(&r);
    assert_eq!(v.words, "async better: threads 890× more");
    assert_eq!(v.better, Some(Side::Async));
    // The other way round, threads do better.
    let v = judged(&r, "os_switches_per_acquisition", [1.78, 0.002], [8, 8]).verdict(&r);
    assert_eq!(v.words, "threads better: async 890× more");
}

#[test]
fn a_preset_may_say_more_is_better_for_a_neutral_figure() {
    let mut r = run(None);
    r.headline_better
        .insert("cores_used".into(), crate::figure::Direction::MoreIsBetter);
    let h = judged(&r, "cores_used", [1.0, 4.0], [4, 4]);
    assert_eq!(h.direction, crate::figure::Direction::MoreIsBetter);
    let v = h.verdict(&r);
    assert_eq!(v.words, "threads 4.0× more");
    assert_eq!(v.better, Some(Side::Threads));
}

#[test]
fn a_headline_that_is_not_compared_says_why_and_names_no_winner() {
    let r = run(None);
    let h = judge(
        find("rss_per_unit").expect("listed"),
        &Err("settling…".into()),
        &r,
        [Some(600.0), None],
        [10, 10],
    );
    let v = h.verdict(&r);
    assert_eq!(v.words, "not compared: settling…");
    assert_eq!(v.better, None);
}

#[test]
fn programs_at_unequal_connection_counts_name_them() {
    let mut r = run(None);
    r.labels = Some(["asyncio".into(), "threads".into()]);
    let h = judged(&r, "request_p99", [1_200.0, 1_250.0], [100, 1000]);
    assert!(h.comparable);
    assert_eq!(
        h.verdict(&r).words,
        "about even at 100 vs 1,000 connections"
    );
    // A total at unequal counts is not compared at all, as for the built-in sides.
    let h = judged(&r, "requests_per_sec", [100.0, 1000.0], [100, 1000]);
    assert!(!h.comparable, "{h:?}");
    // At equal counts nothing is added.
    let h = judged(&r, "request_p99", [1_200.0, 12_000.0], [100, 100]);
    assert_eq!(h.verdict(&r).words, "threads 10× slower");
}

#[test]
fn factors_read_as_a_speaker_says_them() {
    assert_eq!(factor(2.14), "2.1×");
    assert_eq!(factor(30.2), "30×");
    assert_eq!(factor(3334.0), "3,334×");
}
