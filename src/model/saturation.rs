//! Saturation: a side that cannot keep up with what its units ask (wake-ups, requests) measures its own
//! backlog, not the cost of a unit, and says so.
//!
//! The backlog is measured directly, on one window's figures (`judge`): wake-ups done against those
//! asked, tokio's queue of tasks waiting to run against the units, and, for the periodic `sleep`
//! workload, lateness p99 against the period. A clear signal enters the saturated state at once; it
//! is left only after `CLEAN_FOR_S` of clean windows on the samples' own clock (`Hysteresis`), so a
//! load near the edge does not flicker between the two. Between a clear signal and a clean window,
//! the state holds.
//!
//! Wake-ups are owed only by units that have been alive a whole period (`units_alive_for`): a unit
//! sleeping 10 s wakes first 10 s after it was spawned, so a side that spawned 6,000 of them in the
//! last seconds owes none yet (the limits step once read "0/s of 62/s wake-ups" there, and the
//! overload relief scaled the side down in the middle of its reach).

use super::{Figures, RunInfo, SideModel};
use crate::workload::{self, Pace};

/// Below this share of the asked rate a side is saturated: a clear signal.
pub const KEEP_UP_SHARE: f64 = 0.8;
/// At least this share of the asked rate is "every wake-up done": a one-second window of wake-ups
/// spread over the period counts a few percent either way.
pub const CLEAN_SHARE: f64 = 0.95;
/// Lateness p99 (beyond the timer's own tick) over this many periods is a backlog: a clear signal.
pub const LATE_PERIODS: f64 = 2.0;
/// ... and under this many periods, a clean window.
pub const ON_TIME_PERIODS: f64 = 0.5;
/// Tasks waiting in tokio's shared queue deeper than this share of the units: a clear signal.
pub const QUEUE_SHARE: f64 = 0.1;
/// ... and deeper than this many tasks: one worker's local queue holds 256, so fewer waiting is a
/// batch being run (a tenth of 100 units is 10), not a backlog. tokio's local queue depths are
/// `tokio_unstable` only and hold at most 256 each: the shared queue is where a backlog piles up.
pub const QUEUE_FLOOR: u64 = 256;
/// A late p99 is the side's own backlog only while the side itself keeps this many cores busy: a
/// default launch (1,000 sleepers at 100 ms, 0.04 cores) beside a machine at load 400 woke 235 ms
/// late at p99 with every wake-up done; the lag was someone else's (as `controller::overload` says).
pub const OWN_CORES: f64 = 0.25;
/// Clean windows for this long, on the samples' clock, and a saturated side is no longer.
pub const CLEAN_FOR_S: f64 = 3.0;

/// What one window's figures say.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A clear sign of backlog, and why.
    Over(String),
    /// Every sign of keeping up.
    Clean,
    /// Neither: the state it was in holds.
    Unclear,
}

impl Verdict {
    /// Why, when the signal is clear.
    pub fn over(self) -> Option<String> {
        match self {
            Verdict::Over(why) => Some(why),
            _ => None,
        }
    }
}

/// A side's saturation over time: entered on a clear signal, left after `CLEAN_FOR_S` of clean
/// windows. Fed steady samples only, on their own clock (never wall time).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hysteresis {
    /// Why the side is saturated (the newest clear signal), None when it keeps up.
    pub why: Option<String>,
    /// Since when (samples' clock, s) every window has been clean while saturated.
    clean_since_s: Option<f64>,
}

impl Hysteresis {
    pub fn update(&mut self, verdict: Verdict, t_s: f64) {
        match verdict {
            Verdict::Over(why) => {
                self.why = Some(why);
                self.clean_since_s = None;
            }
            Verdict::Clean if self.why.is_some() => {
                let since = *self.clean_since_s.get_or_insert(t_s);
                if t_s - since >= CLEAN_FOR_S {
                    *self = Hysteresis::default();
                }
            }
            Verdict::Clean => {}
            Verdict::Unclear => self.clean_since_s = None,
        }
    }

    /// The verdict of a run's final figures (over its steady state): a clear signal or a clean
    /// state says so; in between, the state the side was in at the end holds.
    pub fn verdict(&self, run: &RunInfo, f: &Figures) -> Option<String> {
        match judge(run, f) {
            Verdict::Over(why) => Some(why),
            Verdict::Clean => None,
            Verdict::Unclear => self.why.clone(),
        }
    }
}

fn param(run: &RunInfo, name: &str) -> Option<f64> {
    run.params
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse::<f64>().ok())
}

/// Why side `m` is clearly saturated by its latest figures, None when it is not (or its workload
/// asks no pace); wake-ups are owed only by the units `m` has had for a whole period. One window, no
/// memory: the overload relief acts on this (during a ramp too).
pub fn saturation_of(run: &RunInfo, m: &SideModel) -> Option<String> {
    judge_aged(run, m.figures.as_ref()?, &|period_s| {
        units_alive_for(m, period_s)
    })
    .over()
}

/// What the figures of `f` (one window, or a steady state) say of its backlog. Pass figures of a
/// steady state for the rates: during a ramp they lag the unit count. Every unit counts as old
/// enough to owe its wake-ups (`judge_aged` when the side's history says otherwise).
pub fn judge(run: &RunInfo, f: &Figures) -> Verdict {
    judge_aged(run, f, &|_| f.units)
}

/// The units side `m` has had for the whole of the last `period_s`: the fewest over that span, 0
/// when it has not run that long (or its history does not reach back that far).
pub fn units_alive_for(m: &SideModel, period_s: f64) -> u64 {
    let Some(now) = m.history.last().map(|p| p.t_s) else {
        return 0;
    };
    let since = now - period_s;
    // The newest point at or before the span's start: the count the span began with.
    let Some(start) = m.history.iter().rposition(|p| p.t_s <= since) else {
        return 0;
    };
    m.history
        .iter()
        .skip(start)
        .map(|p| p.units)
        .fold(f64::INFINITY, f64::min)
        .max(0.0) as u64
}

/// `judge`, with `aged(period_s)` the units alive for a whole period, which alone owe a wake-up.
pub fn judge_aged(run: &RunInfo, f: &Figures, aged: &dyn Fn(f64) -> u64) -> Verdict {
    // How the workload's units ask for work, declared with the kind (`workload::Kind::pace`).
    let Some(ask) = workload::find(&run.workload).and_then(|k| k.pace) else {
        return Verdict::Clean;
    };
    let (Pace::PeriodMs { param: name, .. } | Pace::PerSec { param: name, .. }) = ask;
    let Some(pace) = param(run, name).filter(|&p| p > 0.0) else {
        return Verdict::Clean;
    };
    if f.units == 0 {
        return Verdict::Clean;
    }
    let rate = |done: f64, asked: f64, what: &str| {
        if done < KEEP_UP_SHARE * asked {
            Verdict::Over(format!(
                "saturated: {} of {}{what} asked",
                per_sec(done),
                per_sec(asked)
            ))
        } else if done >= CLEAN_SHARE * asked {
            Verdict::Clean
        } else {
            Verdict::Unclear
        }
    };
    match ask {
        // `blocking` and `yield`: a late p99 is their lesson, not a backlog; a median a whole
        // period late is.
        Pace::PeriodMs { counted: false, .. } => match f.lateness_p50_us {
            Some(p50) if p50 as f64 > pace * 1e3 => Verdict::Over(format!(
                "saturated: lateness p50 {} ms > {} ms period",
                p50 / 1000,
                pace
            )),
            _ => Verdict::Clean,
        },
        Pace::PeriodMs { counted: true, .. } => {
            let period_us = pace * 1e3;
            let queue = f.runtime.as_ref().map(|r| r.global_queue_depth);
            if let Some(q) =
                queue.filter(|&q| q > QUEUE_FLOOR && q as f64 > QUEUE_SHARE * f.units as f64)
            {
                return Verdict::Over(format!("saturated: {q} tasks queued for {} units", f.units));
            }
            // Lateness beyond the timer's own resolution (tokio rounds deadlines up to the next ms).
            let late = f
                .lateness_p99_us
                .map(|p| p.saturating_sub(f.timer_tick_us.unwrap_or(0)) as f64);
            if let Some(late) = late
                .filter(|&l| l > LATE_PERIODS * period_us)
                .filter(|_| f.cores_used >= OWN_CORES)
            {
                return Verdict::Over(format!(
                    "saturated: lateness p99 {} > {} ms period",
                    ms(late),
                    pace
                ));
            }
            let owing = aged(pace / 1e3).min(f.units);
            match rate(f.ops_per_sec, owing as f64 * 1e3 / pace, " wake-ups") {
                Verdict::Clean if late.is_some_and(|l| l < ON_TIME_PERIODS * period_us) => {
                    Verdict::Clean
                }
                Verdict::Clean => Verdict::Unclear,
                other => other,
            }
        }
        Pace::PerSec { done, .. } => match f.value(done) {
            Some(d) => rate(d, f.units as f64 * pace, ""),
            None => Verdict::Unclear,
        },
    }
}

/// "97 ms", "6.6 s": a lateness in the reason.
fn ms(us: f64) -> String {
    if us >= 1e6 {
        format!("{:.1} s", us / 1e6)
    } else {
        format!("{:.0} ms", us / 1e3)
    }
}

/// "612k/s", "1.0M/s": rates in the reason, as the panel prints them.
fn per_sec(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M/s", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k/s", v / 1e3)
    } else {
        format!("{v:.0}/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Side;

    fn run(workload: &str, params: &[(&str, &str)]) -> RunInfo {
        let mut r = crate::model::tests::run();
        r.workload = workload.into();
        r.params = params
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        r
    }

    fn figures(workload: &str, units: u64, ops_per_sec: f64, p50_us: u64) -> Figures {
        let mut f = Figures::empty(Side::Async, workload);
        f.units = units;
        f.ops_per_sec = ops_per_sec;
        f.lateness_p50_us = Some(p50_us);
        f
    }

    /// A `sleep` side at 100 ms of `units` doing `done` of its wake-ups with lateness p99 `p99_us`.
    fn sleepers(units: u64, done: f64, p99_us: u64, queue: Option<u64>) -> Figures {
        let mut f = figures("sleep", units, done * units as f64 * 10.0, 500);
        f.lateness_p99_us = Some(p99_us);
        f.cores_used = 1.0;
        f.runtime = queue.map(|q| super::super::RuntimeFigures {
            tasks_alive: units,
            global_queue_depth: q,
            workers_busy_percent: vec![],
            parks_per_sec: None,
        });
        f
    }

    /// Limits-like: threads sleeping 10 s, spawned over the last seconds, none woken yet. They owe
    /// no wake-up until each has slept a whole period; once the count has held that long, the same
    /// silence is a backlog.
    #[test]
    fn units_younger_than_their_period_owe_no_wake_up() {
        use crate::model::{Point, SideModel};
        let r = run("sleep", &[("sleep_ms", "10000")]);
        let mut m = SideModel::new(Side::Threads, 600);
        let mut f = sleepers(6_000, 0.0, 1_000, None);
        f.lateness_p99_us = None;
        m.figures = Some(f.clone());
        // Launched at 0 s, 1,000 more threads a second for 6 s.
        for i in 0..=6u32 {
            m.history.push(Point {
                t_s: f64::from(i),
                units: f64::from(i * 1_000),
                ..Point::default()
            });
        }
        assert_eq!(units_alive_for(&m, 10.0), 0, "the run is 6 s old");
        assert_eq!(units_alive_for(&m, 2.0), 4_000, "alive since 4 s");
        // Every unit counted as owing: the old reading, a false "saturated".
        assert_eq!(
            judge(&r, &f),
            Verdict::Over("saturated: 0/s of 600/s wake-ups asked".into())
        );
        assert!(
            judge_aged(&r, &f, &|p| units_alive_for(&m, p))
                .over()
                .is_none()
        );
        assert!(saturation_of(&r, &m).is_none());
        // The count held 6,000 for 11 s more: a whole period, and still no wake-up.
        for i in 7..=17u32 {
            m.history.push(Point {
                t_s: f64::from(i),
                units: 6_000.0,
                ..Point::default()
            });
        }
        assert_eq!(units_alive_for(&m, 10.0), 6_000);
        assert_eq!(
            saturation_of(&r, &m).as_deref(),
            Some("saturated: 0/s of 600/s wake-ups asked")
        );
    }

    #[test]
    fn sleepers_late_by_over_twice_their_period_are_saturated_and_under_half_are_clean() {
        let r = run("sleep", &[("sleep_ms", "100")]);
        // Every wake-up done: p99 decides, on both sides of each threshold.
        let v = judge(&r, &sleepers(1_000, 1.0, 200_001, None));
        assert_eq!(
            v,
            Verdict::Over("saturated: lateness p99 200 ms > 100 ms period".into())
        );
        assert_eq!(
            judge(&r, &sleepers(1_000, 1.0, 199_999, None)),
            Verdict::Unclear
        );
        // Late while the side itself is all but idle: the cores were someone else's.
        let mut idle = sleepers(1_000, 1.0, 235_000, None);
        idle.cores_used = OWN_CORES - 0.01;
        assert_eq!(judge(&r, &idle), Verdict::Unclear);
        idle.cores_used = OWN_CORES;
        assert!(judge(&r, &idle).over().is_some());
        assert_eq!(
            judge(&r, &sleepers(1_000, 1.0, 50_001, None)),
            Verdict::Unclear
        );
        assert_eq!(
            judge(&r, &sleepers(1_000, 1.0, 49_999, None)),
            Verdict::Clean
        );
        // tokio's 1 ms tick is resolution, not backlog: at 1 ms, 1.4 ms late is on time.
        let r1 = run("sleep", &[("sleep_ms", "1")]);
        let mut f = sleepers(10, 1.0, 1_400, None);
        f.ops_per_sec = 10_000.0;
        f.cores_used = 1.0;
        f.timer_tick_us = Some(1_000);
        assert_eq!(judge(&r1, &f), Verdict::Clean);
        f.lateness_p99_us = Some(3_100);
        assert!(judge(&r1, &f).over().is_some());
    }

    #[test]
    fn a_tokio_queue_deeper_than_a_tenth_of_the_units_is_saturated() {
        let r = run("sleep", &[("sleep_ms", "100")]);
        let v = judge(&r, &sleepers(1_000_000, 1.0, 1_000, Some(100_001)));
        assert_eq!(
            v,
            Verdict::Over("saturated: 100001 tasks queued for 1000000 units".into())
        );
        assert_eq!(
            judge(&r, &sleepers(1_000_000, 1.0, 1_000, Some(100_000))),
            Verdict::Clean
        );
        // Fewer than a local queue's worth waiting is a batch being run, however few the units.
        assert_eq!(
            judge(&r, &sleepers(100, 1.0, 1_000, Some(256))),
            Verdict::Clean
        );
        assert!(
            judge(&r, &sleepers(100, 1.0, 1_000, Some(257)))
                .over()
                .is_some()
        );
    }

    #[test]
    fn sleepers_that_wake_less_than_asked_are_saturated_and_all_done_is_clean() {
        let r = run("sleep", &[("sleep_ms", "1")]);
        // 10,000 units at 1 ms ask 10M wake-ups a second.
        let mut f = figures("sleep", 10_000, 2e6, 500);
        f.lateness_p99_us = Some(100);
        assert_eq!(
            judge(&r, &f).over().as_deref(),
            Some("saturated: 2.0M/s of 10.0M/s wake-ups asked")
        );
        f.ops_per_sec = 7.99e6;
        assert!(judge(&r, &f).over().is_some());
        f.ops_per_sec = 8.01e6;
        assert_eq!(judge(&r, &f), Verdict::Unclear);
        f.ops_per_sec = 9.49e6;
        assert_eq!(judge(&r, &f), Verdict::Unclear);
        f.ops_per_sec = 9.51e6;
        assert_eq!(judge(&r, &f), Verdict::Clean);
        // No lateness measured in the window: not clean, whatever the count.
        f.lateness_p99_us = None;
        assert_eq!(judge(&r, &f), Verdict::Unclear);
        // A workload that asks no pace is never saturated.
        assert_eq!(
            judge(&run("cpu", &[]), &figures("cpu", 4, 1.0, 0)),
            Verdict::Clean
        );
    }

    #[test]
    fn saturation_is_entered_at_once_and_left_after_clean_seconds() {
        let mut h = Hysteresis::default();
        h.update(Verdict::Clean, 0.0);
        h.update(Verdict::Unclear, 0.5);
        assert_eq!(h.why, None, "unclear keeps the state it was in");
        h.update(Verdict::Over("saturated: late".into()), 1.0);
        assert_eq!(h.why.as_deref(), Some("saturated: late"));
        // Clean for less than CLEAN_FOR_S, then unclear: the clock starts again.
        h.update(Verdict::Clean, 2.0);
        h.update(Verdict::Clean, 4.9);
        assert!(h.why.is_some());
        h.update(Verdict::Unclear, 5.0);
        h.update(Verdict::Clean, 5.5);
        h.update(Verdict::Clean, 8.4);
        assert!(h.why.is_some(), "2.9 clean seconds are not enough");
        h.update(Verdict::Clean, 8.5);
        assert_eq!(h.why, None, "3 clean seconds leave it");
        // A clear signal during the clean seconds starts them again.
        h.update(Verdict::Over("saturated: queue".into()), 10.0);
        h.update(Verdict::Clean, 11.0);
        h.update(Verdict::Over("saturated: queue".into()), 12.0);
        h.update(Verdict::Clean, 14.5);
        assert!(h.why.is_some());
        // The final verdict: clear or clean figures say so, unclear ones keep the state.
        let r = run("sleep", &[("sleep_ms", "100")]);
        assert_eq!(h.verdict(&r, &sleepers(1_000, 1.0, 1_000, None)), None);
        assert_eq!(
            h.verdict(&r, &sleepers(1_000, 0.9, 1_000, None)).as_deref(),
            Some("saturated: queue")
        );
        assert_eq!(
            Hysteresis::default().verdict(&r, &sleepers(1_000, 0.9, 1_000, None)),
            None
        );
    }

    #[test]
    fn timer_units_late_by_more_than_their_period_are_saturated() {
        for workload in ["yield", "blocking"] {
            let r = run(workload, &[("tick_ms", "10")]);
            let held = judge(&r, &figures(workload, 100, 0.0, 97_000)).over();
            assert!(
                held.as_deref()
                    .is_some_and(|w| w.contains("97 ms > 10 ms period")),
                "{workload}: {held:?}"
            );
            // The spinners' own ops count nothing asked, and a late p99 is the lesson: a yielding
            // run with its median on time is not saturated.
            let mut f = figures(workload, 100, 0.0, 1_100);
            f.lateness_p99_us = Some(900_000);
            assert_eq!(judge(&r, &f), Verdict::Clean, "{workload}");
        }
    }
}
