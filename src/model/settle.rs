//! When a run has settled, for `--until-steady`: a headless run (or a rehearsal's step) ends once every
//! running side is steady, `--duration` (the step's `rehearse`) the upper bound. Plain data, fed by
//! `Model::apply` after each sample.
//!
//! Steady means, for a rate or a cost (most headlines): the side's headline median (the smoothed
//! value the headline shows) stayed within `WITHIN` of its newest value for `HOLD_S`, or, for a
//! value near zero next to the other side's, within `NEAR` of the other side's value (contention's
//! async side, about 0.01 OS switches per acquisition against the threads' 1.4, moves by half from
//! second to second: its own 10 % took 6–30 s to hold, while no move that small can change the
//! comparison). A lateness also holds within one timer tick of its side (`Rule::Tick`): tokio's
//! timer fires on a 1 ms tick, and a yielding spinner's p99 of 1–2 ms, which moves by a tick from
//! second to second, took 21–31 s to hold within 10 % in the suite. With both sides running, the
//! headline gate is open too, whatever the rule. A headline whose end state is not a rate says what steady
//! means for it in `RULES`: how far a side scales (`units_reached`) is steady once the side is at its
//! target or stopped at a limit with its unit count unchanged for `HOLD_S`; a count the run ends in
//! (`deadlocked_units`) once it stayed the same for `HOLD_S`. Sides taking turns are done once both
//! have had a measured turn. A failed side, or one at 0 units, runs nothing to wait for.

use std::collections::VecDeque;

use crate::figure::Figure;
use crate::model::{Model, SideModel, Status, headline};
use crate::protocol::Side;

/// A median within this share of its newest value is the same value.
pub const WITHIN: f64 = 0.10;
/// How long the value must hold.
pub const HOLD_S: f64 = 3.0;
/// A side's value may move by this share of the other side's and still hold: the smaller side of a
/// comparison of 100× and more, whose own noise is its whole value.
pub const NEAR: f64 = 0.01;

/// What steady means for a headline figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A rate or a cost: the smoothed median stays within `WITHIN` for `HOLD_S`.
    Rate,
    /// A lateness: as `Rate`, or within one timer tick of the side (`Figures::timer_tick_us`), the
    /// finest step its timer can show.
    Tick,
    /// How far a side scales: at its target or stopped at a limit, the unit count unchanged for `HOLD_S`.
    Reach,
    /// A count the run ends in: the same value for `HOLD_S`.
    Count,
}

/// The headline figures whose end state is not a rate (catalog rows, so a key is typed once); every
/// other is a `Rule::Rate`.
pub const RULES: &[(&Figure, Rule)] = &[
    (&crate::figure::UNITS, Rule::Reach),
    (&crate::workload::deadlock::DEADLOCKED_UNITS, Rule::Count),
    (&crate::figure::LATENESS_P99, Rule::Tick),
];

/// The rule of a headline figure.
pub fn rule_of(figure: &Figure) -> Rule {
    RULES
        .iter()
        .find(|(f, _)| f.key == figure.key)
        .map_or(Rule::Rate, |&(_, rule)| rule)
}

/// A value held over time: the observations of the last `HOLD_S` (and the one just before).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hold {
    points: VecDeque<(f64, f64)>,
}

impl Hold {
    /// A new value at `t_s`; None (not measured, not in the state the rule wants) starts over.
    pub fn observe(&mut self, t_s: f64, v: Option<f64>) {
        let Some(v) = v.filter(|v| v.is_finite()) else {
            self.points.clear();
            return;
        };
        self.points.push_back((t_s, v));
        // Keep one point at or before the start of the hold, to know it spans HOLD_S.
        while self.points.len() > 2 && self.points[1].0 <= t_s - HOLD_S {
            self.points.pop_front();
        }
    }

    /// Every value since at least `HOLD_S` before the newest one lies within `within` (a share) of it.
    pub fn held(&self, within: f64) -> bool {
        self.held_near(within, 0.0)
    }

    /// As `held`, with `floor` the least distance from the newest value that still holds.
    pub fn held_near(&self, within: f64, floor: f64) -> bool {
        let (Some(first), Some(&(t, newest))) = (self.points.front(), self.points.back()) else {
            return false;
        };
        let tolerance = (within * newest.abs()).max(floor);
        first.0 <= t - HOLD_S
            && self
                .points
                .iter()
                .all(|&(_, v)| (v - newest).abs() <= tolerance)
    }

    /// The newest value.
    fn newest(&self) -> Option<f64> {
        self.points.back().map(|&(_, v)| v)
    }

    pub fn clear(&mut self) {
        self.points.clear();
    }
}

/// Whether each side has settled, by the rule of the run's headline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Watch {
    /// The figure the holds follow (another scenario starts them over).
    figure: Option<&'static str>,
    holds: [Hold; 2],
}

impl Watch {
    /// A sample of `side` arrived at `t_s` (the model's headline tracker has taken it in).
    pub fn on_sample(&mut self, model: &Model, side: Side, t_s: f64) {
        let def = headline::figures_of(&model.run).first().copied();
        let name = def.map(Figure::name);
        if name != self.figure {
            *self = Watch {
                figure: name,
                ..Watch::default()
            };
        }
        let m = model.side(side);
        let value = def.and_then(|def| match rule_of(def) {
            Rule::Rate | Rule::Tick => {
                model.headline.medians(t_s)[side.index()].filter(|_| headline::steady(m))
            }
            Rule::Reach => {
                let last = m.latest()?;
                let (units, target) = (last.worker.units, last.worker.target_units);
                (m.status == Status::Running && (units == target || m.limit_hit.is_some()))
                    .then_some(units as f64)
            }
            Rule::Count => m
                .figures
                .as_ref()
                .filter(|_| headline::steady(m))
                .and_then(|f| f.value(def)),
        });
        self.holds[side.index()].observe(t_s, value);
    }

    /// `side` has settled by itself: failed, or its value held (the gate aside).
    pub fn side_settled(&self, m: &SideModel) -> bool {
        matches!(m.status, Status::Failed(_)) || {
            let hold = &self.holds[m.side.index()];
            let rule = self.figure.and_then(headline::find).map(rule_of);
            match rule {
                Some(Rule::Rate | Rule::Tick) => {
                    // The other side's newest value, while it is measured (a side alone has none).
                    let other = self.holds[1 - m.side.index()].newest();
                    let near = other.map_or(0.0, |o| NEAR * o.abs());
                    let tick = match rule {
                        Some(Rule::Tick) => m
                            .figures
                            .as_ref()
                            .and_then(|f| f.timer_tick_us)
                            .unwrap_or(0) as f64,
                        _ => 0.0,
                    };
                    hold.held_near(WITHIN, near.max(tick))
                }
                _ => hold.held(0.0),
            }
        }
    }

    /// Every running side of the run is steady (`--until-steady` may end it).
    pub fn settled(&self, model: &Model) -> bool {
        let run = &model.run;
        if run.turns {
            // Turns both done: each side's figures of a measured turn are kept.
            return model
                .sides
                .iter()
                .all(|m| m.turn_figures.is_some() || matches!(m.status, Status::Failed(_)));
        }
        // A side kept at 0 units (one side at a time, or 0 asked for) runs nothing to wait for.
        let running: Vec<&SideModel> = model
            .sides
            .iter()
            .filter(|m| run.one_side.is_none_or(|s| s == m.side) && m.status != Status::Stopped)
            .collect();
        let all_running = running.len() == 2 && !running.iter().any(|m| failed(m));
        // Both sides compared: the headline gate is open too, whatever the rule. A side at its
        // target holds its count before its figures cover a steady window: a limits run once ended
        // there with the async side still "settling…" in the final headline.
        (!all_running || headline::gate(run, &model.sides).is_ok())
            && running.iter().all(|m| self.side_settled(m))
    }
}

fn failed(m: &SideModel) -> bool {
    matches!(m.status, Status::Failed(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hold fed `values` at one a quarter second.
    fn hold(values: &[f64]) -> Hold {
        let mut h = Hold::default();
        for (i, &v) in values.iter().enumerate() {
            h.observe(i as f64 * 0.25, Some(v));
        }
        h
    }

    #[test]
    fn a_value_within_ten_percent_for_three_seconds_holds() {
        // 13 points: 0 to 3 s.
        let mut v = vec![100.0; 13];
        v[3] = 109.0; // 9 % off the newest
        assert!(hold(&v).held(WITHIN));
        v[3] = 111.0; // 11 % off: not yet
        assert!(!hold(&v).held(WITHIN));
        v[3] = 91.0;
        assert!(hold(&v).held(WITHIN));
        v[3] = 89.0;
        assert!(!hold(&v).held(WITHIN));
    }

    #[test]
    fn a_value_holds_only_after_three_seconds() {
        // 0 to 2.75 s: short of HOLD_S.
        assert!(!hold(&[100.0; 12]).held(WITHIN));
        assert!(hold(&[100.0; 13]).held(WITHIN));
        // An outlier older than the hold no longer counts.
        let mut v = vec![500.0];
        v.extend([100.0; 13]);
        assert!(hold(&v).held(WITHIN));
        v.truncate(13);
        assert!(!hold(&v).held(WITHIN));
    }

    #[test]
    fn a_gap_starts_the_hold_over() {
        let mut h = hold(&[100.0; 13]);
        assert!(h.held(WITHIN));
        h.observe(3.25, None);
        h.observe(3.5, Some(100.0));
        assert!(!h.held(WITHIN));
        for i in 0..12 {
            h.observe(3.75 + i as f64 * 0.25, Some(100.0));
        }
        assert!(h.held(WITHIN));
    }

    #[test]
    fn a_count_holds_only_when_unchanged() {
        assert!(hold(&[10.0; 13]).held(0.0));
        let mut v = vec![10.0; 13];
        v[5] = 9.0;
        assert!(!hold(&v).held(0.0));
        // Zero (nothing deadlocked, a stable count too) holds.
        assert!(hold(&[0.0; 13]).held(0.0));
    }

    /// A limits-like run: async reaches its target, threads stop short at a limit.
    #[test]
    fn a_reach_is_steady_at_the_target_or_the_limit_once_the_count_holds() {
        use crate::model::{OsStat, SideEvent, SideSample};
        use crate::protocol::WorkerSample;
        let mut run = crate::model::tests::run();
        run.headline = vec![headline::find("units_reached").expect("headline")];
        let mut model = Model::new(run, 60.0);
        let sample = |t_ms: u64, units: u64, target: u64, limit: bool| {
            SideEvent::Sample(Box::new(SideSample {
                worker: WorkerSample {
                    t_us: t_ms * 1000,
                    units,
                    target_units: target,
                    limit_hit: limit.then(|| "vm.max_map_count".into()),
                    ..Default::default()
                },
                os: OsStat::default(),
                threads: None,
            }))
        };
        // Still scaling for 4 s: never steady.
        for i in 0..16u64 {
            let t = i * 250;
            model.apply(
                Side::Async,
                sample(t, 1000 + i * 100, 100_000, false),
                t as f64 / 1e3,
            );
            model.apply(
                Side::Threads,
                sample(t, 10 + i, 100_000, false),
                t as f64 / 1e3,
            );
        }
        assert!(!model.settle.settled(&model));
        // Both sides at `t` ms: async at its target, threads stopped at a limit aiming at `target`.
        let at_limit = |model: &mut Model, t: u64, target: u64| {
            model.apply(
                Side::Async,
                sample(t, 100_000, 100_000, false),
                t as f64 / 1e3,
            );
            model.apply(
                Side::Threads,
                sample(t, 16_332, target, true),
                t as f64 / 1e3,
            );
        };
        // Threads stopped at a limit, their target lowered to what is alive as the worker does
        // (`hit_limit`): short of the hold, then past it.
        for i in 16..=40u64 {
            at_limit(&mut model, i * 250, 16_332);
            let held_s = (i - 16) as f64 * 0.25;
            assert_eq!(model.settle.settled(&model), held_s >= HOLD_S, "{held_s} s");
        }
        // Threads still aiming past their limit: the count holds, but the side's figures never
        // cover a settled count, so the gate stays closed and the run would end with "settling…"
        // in its headline. Not steady, however long it holds.
        let mut gated = Model::new(model.run.clone(), 60.0);
        for i in 0..=40u64 {
            at_limit(&mut gated, i * 250, 100_000);
            assert!(
                !gated.settle.settled(&gated),
                "gate closed at {} ms",
                i * 250
            );
        }
        // Stopped short of its target without a limit: not steady.
        let mut short = Watch::default();
        model.apply(
            Side::Threads,
            SideEvent::Launched { target_units: 1000 },
            20.0,
        );
        for i in 0..20u64 {
            let t = i * 250;
            model.apply(
                Side::Threads,
                sample(t + 20_000, 500, 1000, false),
                (t + 20_000) as f64 / 1e3,
            );
            short.on_sample(&model, Side::Threads, (t + 20_000) as f64 / 1e3);
        }
        assert!(!short.side_settled(model.side(Side::Threads)));
    }

    /// A deadlock-like run (a count): a side at 0 units waits for nothing, one still changing does.
    #[test]
    fn a_side_at_zero_units_is_not_waited_for_and_a_changing_count_is() {
        use crate::model::{OsStat, SideEvent, SideSample};
        use crate::protocol::WorkerSample;
        let mut run = crate::model::tests::run();
        run.headline = vec![
            headline::find(crate::workload::deadlock::DEADLOCKED_UNITS.key).expect("headline"),
        ];
        let sample = |t_ms: u64, units: u64, count: f64| {
            let mut worker = WorkerSample {
                t_us: t_ms * 1000,
                units,
                target_units: units,
                ..Default::default()
            };
            worker.extra.insert(
                crate::workload::deadlock::DEADLOCKED_UNITS.key.into(),
                count,
            );
            SideEvent::Sample(Box::new(SideSample {
                worker,
                os: OsStat::default(),
                threads: None,
            }))
        };
        // Threads at 0 units: async alone decides.
        let mut model = Model::new(run.clone(), 60.0);
        let mut settled_at = None;
        for i in 0..40u64 {
            let t = i * 250;
            model.apply(Side::Async, sample(t, 10, 10.0), t as f64 / 1e3);
            model.apply(Side::Threads, sample(t, 0, 0.0), t as f64 / 1e3);
            if settled_at.is_none() && model.settle.settled(&model) {
                settled_at = Some(t);
            }
        }
        let at = settled_at.expect("settled with the threads side at 0 units");
        // Steady after 1 s (the rate window), then the count held 3 s.
        assert!((4000..=5000).contains(&at), "{at} ms");
        // Threads running, its count still changing every sample: never settled.
        let mut model = Model::new(run, 60.0);
        for i in 0..40u64 {
            let t = i * 250;
            model.apply(Side::Async, sample(t, 10, 10.0), t as f64 / 1e3);
            model.apply(Side::Threads, sample(t, 10, (i % 2) as f64), t as f64 / 1e3);
            assert!(!model.settle.settled(&model), "{t} ms");
        }
    }

    /// Contention-like: the async value, about 0.01 against the threads' 1.4, moves by half from one
    /// sample to the next. Next to the other side's value it holds; alone, or next to a value of
    /// its own size, it must hold within its own 10 %.
    #[test]
    fn a_value_near_zero_next_to_the_other_side_s_holds_within_a_share_of_that() {
        let model = Model::new(crate::model::tests::run(), 60.0);
        let async_side = model.side(Side::Async);
        let figure = Some(crate::workload::contention::OS_SWITCHES_PER_ACQUISITION.name());
        let noisy: Vec<f64> = (0..13).map(|i| [0.006, 0.014][i % 2]).collect();
        let watch = |async_values: &[f64], threads_values: &[f64]| Watch {
            figure,
            holds: [hold(async_values), hold(threads_values)],
        };
        assert!(watch(&noisy, &[1.4; 13]).side_settled(async_side));
        // The same noise alone (the other side not measured) does not hold.
        assert!(!watch(&noisy, &[]).side_settled(async_side));
        // Nor next to a value 10× its own: 1 % of 0.1 is far below its moves.
        assert!(!watch(&noisy, &[0.1; 13]).side_settled(async_side));
        // Sides of one size: 15 % moves do not hold however the other side stands.
        let moving: Vec<f64> = (0..13).map(|i| [0.85, 1.0][i % 2]).collect();
        assert!(!watch(&moving, &[1.2; 13]).side_settled(async_side));
        assert!(watch(&[1.0; 13], &[1.2; 13]).side_settled(async_side));
    }

    /// Yield-like: a yielding spinner's lateness p99 moves between 1.2 and 2.0 ms from one sample to
    /// the next, under one tick of tokio's timer (1 ms): it holds. The same moves on a side whose
    /// timer has a finer tick, or on a figure that is no lateness, do not.
    #[test]
    fn a_lateness_holds_within_one_timer_tick_of_its_side() {
        let p99: Vec<f64> = (0..13).map(|i| [1_200.0, 2_000.0][i % 2]).collect();
        // The async side with its figures' timer tick `tick_us`, its headline `figure` at `p99`.
        let settled = |figure: &Figure, tick_us: Option<u64>| {
            let mut side = SideModel::new(Side::Async, 10);
            let mut f = crate::model::Figures::empty(Side::Async, "yield");
            f.timer_tick_us = tick_us;
            side.figures = Some(f);
            Watch {
                figure: Some(figure.name()),
                holds: [hold(&p99), Hold::default()],
            }
            .side_settled(&side)
        };
        assert_eq!(rule_of(&crate::figure::LATENESS_P99), Rule::Tick);
        assert!(settled(&crate::figure::LATENESS_P99, Some(1_000)));
        // The threads side sleeps on hrtimers: no tick (`HRTIMER_TICK_US`, 0).
        assert!(!settled(&crate::figure::LATENESS_P99, Some(0)));
        assert!(!settled(&crate::figure::LATENESS_P99, None));
        let rate = headline::find("rss_per_unit").expect("headline");
        assert!(!settled(rate, Some(1_000)));
    }

    #[test]
    fn the_rule_table_names_headline_figures() {
        for (fig, rule) in RULES {
            let name = fig.name();
            let def = headline::find(name).unwrap_or_else(|| panic!("{name} is no headline"));
            assert_eq!(rule_of(def), *rule);
        }
        let rate = headline::find("rss_per_unit").expect("headline");
        assert_eq!(rule_of(rate), Rule::Rate);
    }
}
