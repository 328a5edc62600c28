//! The model: plain data built from worker samples. Bounded history, derived figures.
//! The controller mutates it; rendering only reads it.

pub mod figures;
pub mod headline;
pub mod input;
pub mod per_unit;
pub mod ring;
pub mod saturation;
pub mod settle;

pub use figures::{Figures, OsStat, RuntimeFigures, SideSample, ThreadCensus, WaitChannel, ratio};
pub use input::Input;
pub use ring::Ring;

use std::collections::BTreeMap;

use crate::protocol::{RuntimeFlavor, Side};

/// Errors kept per side (the newest).
const MAX_ERRORS: usize = 20;
/// Raw samples kept for rate computation.
const RECENT_SAMPLES: usize = 16;
/// Rates on screen are taken over about this long, so one late sample does not make a spike.
pub const RATE_WINDOW_S: f64 = 1.0;

/// One chart point of one side.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    /// Seconds since the controller started, on the worker's own clock.
    pub t_s: f64,
    pub units: f64,
    pub rss_bytes: f64,
    pub os_threads: f64,
    pub ctx_per_sec: f64,
    pub cpu_percent: f64,
    pub ops_per_sec: f64,
    pub lateness_p99_us: f64,
    /// The run's first two headline figures (`headline::figures_of`), NaN where not measured.
    pub headline: [f64; 2],
}

/// Whether a side runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// The worker process was launched and has not reported yet.
    Starting,
    Running,
    /// The worker lives but runs no unit.
    Stopped,
    /// No sample for a while (the reporter thread should never stall, so this is news).
    NotResponding,
    /// The worker exited or sent something it should not have; the reason says which.
    Failed(String),
}

impl Status {
    pub fn label(&self) -> String {
        match self {
            Status::Starting => "starting".into(),
            Status::Running => "running".into(),
            Status::Stopped => "stopped".into(),
            Status::NotResponding => "not responding".into(),
            Status::Failed(why) => format!("failed: {why}"),
        }
    }
}

/// Everything known about one side.
#[derive(Debug, Clone, PartialEq)]
pub struct SideModel {
    pub side: Side,
    pub status: Status,
    pub target_units: u64,
    /// Raw samples of the last few seconds, for rates.
    pub recent: Ring<SideSample>,
    /// Chart history over the window.
    pub history: Ring<Point>,
    /// Figures over the last RATE_WINDOW_S.
    pub figures: Option<Figures>,
    /// First sample after the unit count last settled: the start of the steady state.
    pub steady_from: Option<SideSample>,
    /// Per-unit memory as measured at the most units this side has had.
    pub peak: per_unit::PeakCost,
    /// Workload figures (`extra`) summed over the steady state: (sum, samples) per key, only of
    /// samples whose one-second window lies wholly inside it.
    pub steady_extra: BTreeMap<String, (f64, u32)>,
    pub errors: Ring<String>,
    pub limit_hit: Option<String>,
    /// When the sides take turns: this side's steady figures at the end of its last turn.
    pub turn_figures: Option<Figures>,
    /// The side's threads as the OS sees them, at the last census (at most one a second).
    pub census: Option<ThreadCensus>,
    /// Which limit that was (e.g. "vm.max_map_count"), to lead with on screen.
    pub limit_name: Option<String>,
    /// When this side's worker was launched, in seconds since the controller started.
    pub launched_at_s: f64,
    pub last_seen_s: f64,
    /// Whether it keeps up with what its units ask, judged on its steady windows with hysteresis.
    pub saturation: saturation::Hysteresis,
}

impl SideModel {
    pub fn new(side: Side, history_len: usize) -> Self {
        SideModel {
            side,
            status: Status::Starting,
            target_units: 0,
            recent: Ring::new(RECENT_SAMPLES),
            history: Ring::new(history_len),
            figures: None,
            steady_from: None,
            peak: per_unit::PeakCost::default(),
            steady_extra: BTreeMap::new(),
            errors: Ring::new(MAX_ERRORS),
            limit_hit: None,
            turn_figures: None,
            census: None,
            limit_name: None,
            launched_at_s: 0.0,
            last_seen_s: 0.0,
            saturation: saturation::Hysteresis::default(),
        }
    }

    pub fn latest(&self) -> Option<&SideSample> {
        self.recent.last()
    }

    /// Figures over the steady state (since the unit count settled) for a final report: rates and
    /// lateness between its first and last samples, workload figures (`extra`, reported per second
    /// by the worker) as their mean over it; falls back to the recent window when the steady state
    /// is shorter than a second.
    pub fn final_figures(&self, workload: &str) -> Option<Figures> {
        let last = self.latest()?;
        let mut f = match &self.steady_from {
            Some(from) if last.worker.t_us.saturating_sub(from.worker.t_us) >= 1_000_000 => {
                let mut f =
                    Figures::derive(self.side, workload, from, last, last.worker.lateness_steady);
                let sched = last.worker.sched_delay_steady.filter(|p| p.count > 0);
                f.sched_delay_p50_us = sched.map(|p| p.p50_us);
                f.sched_delay_p99_us = sched.map(|p| p.p99_us);
                // Workload figures: the mean of their per-second values over the steady state; a
                // count since the start (cancelled units) keeps its last value.
                for (k, v) in &mut f.extra {
                    if crate::catalog::find(k).is_some_and(|fig| fig.running_total) {
                        continue;
                    }
                    if let Some(&(sum, n)) = self.steady_extra.get(k).filter(|e| e.1 > 0) {
                        *v = figures::json_number(sum / f64::from(n));
                    }
                }
                f
            }
            _ => self.figures.clone()?,
        };
        let mut peak = self.peak;
        peak.apply(&mut f);
        f.apply_census(self.census.as_ref());
        f.errors = self.error_list();
        Some(f)
    }

    /// Every error of this side, the failure reason first.
    pub fn error_list(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if let Status::Failed(why) = &self.status {
            errors.push(why.clone());
        }
        if let Some(limit) = &self.limit_hit {
            errors.push(format!("limit hit: {limit}"));
        }
        errors.extend(self.errors.iter().cloned());
        errors
    }

    fn apply_sample(
        &mut self,
        workload: &str,
        headline: &[&'static crate::figure::Figure],
        mut s: SideSample,
        now_s: f64,
    ) {
        // A recording of before a figure was renamed (`switch_ns`): its values under today's key.
        for (was, key) in crate::catalog::renamed() {
            if let Some(v) = s.worker.extra.remove(was) {
                s.worker.extra.entry(key.into()).or_insert(v);
            }
        }
        if let Some(c) = &s.threads {
            self.census = Some(c.clone());
        }
        let w = &s.worker;
        self.last_seen_s = now_s;
        self.status = if w.target_units == 0 && w.units == 0 {
            Status::Stopped
        } else {
            Status::Running
        };
        for e in &w.errors {
            self.errors.push(e.clone());
        }
        if w.limit_hit.is_some() {
            self.limit_hit.clone_from(&w.limit_hit);
            self.limit_name.clone_from(&w.limit_name);
        }
        let steady_units = self
            .steady_from
            .as_ref()
            .map(|f| (f.worker.units, f.worker.target_units));
        // A kind whose units go and come back (cancel) stays steady through the dip, at its target.
        let churns = crate::workload::find(workload).is_some_and(|k| k.churns);
        let settled = w.units == w.target_units
            || (churns && steady_units.is_some_and(|(_, t)| t == w.target_units));
        let same = if churns {
            steady_units.map(|(_, t)| t) == Some(w.target_units)
        } else {
            steady_units == Some((w.units, w.target_units))
        };
        if !settled || !same {
            self.steady_from = settled.then(|| s.clone());
            self.steady_extra.clear();
        }
        if let Some(from) = &self.steady_from
            && w.t_us.saturating_sub(from.worker.t_us) as f64 >= RATE_WINDOW_S * 1e6
        {
            for (k, v) in w.extra.iter().filter(|(_, v)| v.is_finite()) {
                let e = self.steady_extra.entry(k.clone()).or_insert((0.0, 0));
                *e = (e.0 + v, e.1 + 1);
            }
        }
        // Rates over the newest sample at least RATE_WINDOW_S older, else the oldest we have.
        let from = self
            .recent
            .iter()
            .rev()
            .find(|r| w.t_us.saturating_sub(r.worker.t_us) as f64 >= RATE_WINDOW_S * 1e6)
            .or_else(|| self.recent.iter().next())
            .cloned();
        if let Some(from) = from {
            let mut f = Figures::derive(self.side, workload, &from, &s, w.lateness);
            self.peak.apply(&mut f);
            f.apply_census(self.census.as_ref());
            self.history.push(Point {
                t_s: self.launched_at_s + w.t_us as f64 / 1e6,
                units: w.units as f64,
                rss_bytes: f.rss_bytes as f64,
                os_threads: f.os_threads as f64,
                ctx_per_sec: f.ctx_switches_per_sec,
                cpu_percent: f.cpu_percent,
                ops_per_sec: f.ops_per_sec,
                lateness_p99_us: f.lateness_p99_us.unwrap_or(0) as f64,
                headline: [0, 1].map(|i| {
                    headline
                        .get(i)
                        .and_then(|def| f.value(def))
                        .unwrap_or(f64::NAN)
                }),
            });
            self.figures = Some(f);
        }
        self.recent.push(s);
    }
}

/// What runs, for the header.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunInfo {
    pub workload: String,
    /// Scenario name when one was picked.
    pub scenario: Option<String>,
    /// "what to look for" text of the scenario or workload.
    pub caption: String,
    /// Workload parameters as name=value, in table order.
    pub params: Vec<(String, String)>,
    pub runtime: RuntimeFlavor,
    pub workers: usize,
    pub interval_ms: u64,
    /// Fairness mode in words, e.g. "both sides share 2 cores · workers at nice 10".
    pub mode: String,
    /// The figures the scenario is about, its headline first; empty: the workload's (`headline`).
    #[serde(with = "input::figure_names")]
    pub headline: Vec<&'static crate::figure::Figure>,
    /// Which way is better for a headline figure where the preset says otherwise than the catalog
    /// (`headline_better = { cores_used = "more" }`), by the figure's headline name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headline_better: std::collections::BTreeMap<String, crate::figure::Direction>,
    /// One side at a time: the side that runs.
    pub one_side: Option<Side>,
    /// The sides take turns: each is measured alone and the headline compares the turns.
    #[serde(default)]
    pub turns: bool,
    /// The user's labels of the two columns (`--cmd`); None: the built-in sides' names.
    pub labels: Option<[String; 2]>,
}

impl RunInfo {
    /// A side's short name in sentences and the ratio line: its label, else "async" / "threads".
    pub fn side_name(&self, side: Side) -> &str {
        self.labels
            .as_ref()
            .map_or(side.name(), |l| l[side.index()].as_str())
    }

    /// A column's title: its label, else "async (tokio)" / "threads (std)".
    pub fn side_title(&self, side: Side) -> &str {
        self.labels
            .as_ref()
            .map_or(side.title(), |l| l[side.index()].as_str())
    }
}

/// The whole model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub run: RunInfo,
    pub sides: [SideModel; 2],
    /// Seconds since the controller started.
    pub now_s: f64,
    /// Chart window.
    pub window_s: f64,
    /// The headline line, smoothed and gated.
    pub headline: headline::Tracker,
    /// Cores kept busy on this machine by processes other than versus, over the last second or so
    /// (`collect::machine`); None before two readings.
    pub outside_cores: Option<f64>,
    /// Whether each side has settled (`--until-steady`).
    pub settle: settle::Watch,
}

/// Something that happened to a side, as the controller tells the model.
#[derive(Debug, Clone, PartialEq)]
pub enum SideEvent {
    Launched { target_units: u64 },
    Target { units: u64 },
    Sample(Box<SideSample>),
    Failed(String),
    Error(String),
}

impl Model {
    pub fn new(run: RunInfo, window_s: f64) -> Self {
        let history_len = history_len(window_s, run.interval_ms);
        Model {
            run,
            sides: [
                SideModel::new(Side::Async, history_len),
                SideModel::new(Side::Threads, history_len),
            ],
            now_s: 0.0,
            window_s,
            headline: headline::Tracker::default(),
            outside_cores: None,
            settle: settle::Watch::default(),
        }
    }

    pub fn side(&self, side: Side) -> &SideModel {
        &self.sides[side.index()]
    }

    pub fn apply(&mut self, side: Side, event: SideEvent, now_s: f64) {
        self.now_s = self.now_s.max(now_s);
        let workload = self.run.workload.clone();
        let history_len = history_len(self.window_s, self.run.interval_ms);
        let figures = headline::figures_of(&self.run);
        let m = &mut self.sides[side.index()];
        let sampled = matches!(event, SideEvent::Sample(_));
        match event {
            SideEvent::Launched { target_units } => {
                *m = SideModel::new(side, history_len);
                m.launched_at_s = now_s;
                m.last_seen_s = now_s;
                m.target_units = target_units;
            }
            SideEvent::Target { units } => m.target_units = units,
            SideEvent::Sample(s) => m.apply_sample(&workload, &figures, *s, now_s),
            SideEvent::Failed(why) => m.status = Status::Failed(why),
            SideEvent::Error(e) => m.errors.push(e),
        }
        if sampled {
            let t_s = m.history.last().map_or(now_s, |p| p.t_s);
            // Saturation on steady windows only (during a ramp the rates lag the unit count), on
            // the samples' clock.
            if headline::steady(m)
                && let Some(f) = &m.figures
            {
                let verdict =
                    saturation::judge_aged(&self.run, f, &|p| saturation::units_alive_for(m, p));
                m.saturation.update(verdict, t_s);
            }
            self.headline.on_sample(&self.run, m, t_s);
            let mut settle = std::mem::take(&mut self.settle);
            settle.on_sample(self, side, t_s);
            self.settle = settle;
        }
        self.headline.refresh(&self.run, &self.sides, self.now_s);
    }

    /// The sides take turns and `side`'s turn ends now: its steady figures are kept to compare with
    /// the other side's turn (a turn too short to be steady keeps nothing).
    pub fn end_turn(&mut self, side: Side) {
        let m = &mut self.sides[side.index()];
        if headline::steady(m) {
            m.turn_figures = m.final_figures(&self.run.workload);
        }
    }

    /// The figures a final report gives for `side`: those of its steady state, or, when the sides
    /// take turns and this one is idle now, those of its last turn.
    pub fn report_figures(&self, side: Side) -> Option<Figures> {
        let m = self.side(side);
        let idle = self.run.turns && !headline::steady(m);
        match &m.turn_figures {
            Some(f) if idle => Some(f.clone()),
            _ => m.final_figures(&self.run.workload),
        }
    }

    /// Time passes: a side silent for 4 intervals (and at least 2 s) is marked not responding.
    pub fn tick(&mut self, now_s: f64) {
        self.now_s = self.now_s.max(now_s);
        let silent_after = (4.0 * self.run.interval_ms as f64 / 1e3).max(2.0);
        for m in &mut self.sides {
            if matches!(
                m.status,
                Status::Running | Status::Stopped | Status::Starting
            ) && now_s - m.last_seen_s > silent_after
            {
                m.status = Status::NotResponding;
            }
        }
        self.headline.refresh(&self.run, &self.sides, self.now_s);
    }
}

fn history_len(window_s: f64, interval_ms: u64) -> usize {
    ((window_s * 1000.0 / interval_ms.max(1) as f64).ceil() as usize + 2).min(100_000)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::WorkerSample;

    /// A sleep run on a 2-worker runtime, for the model's tests (per_unit's, the overload guard's).
    pub(crate) fn run() -> RunInfo {
        RunInfo {
            workload: "sleep".into(),
            scenario: None,
            caption: String::new(),
            params: vec![],
            runtime: RuntimeFlavor::MultiThread,
            workers: 2,
            interval_ms: 250,
            mode: String::new(),
            headline: Vec::new(),
            headline_better: Default::default(),
            one_side: None,
            turns: false,
            labels: None,
        }
    }

    fn sample(t_ms: u64, units: u64, target: u64) -> SideEvent {
        SideEvent::Sample(Box::new(SideSample {
            worker: WorkerSample {
                t_us: t_ms * 1000,
                units,
                target_units: target,
                ..Default::default()
            },
            os: OsStat::default(),
            threads: None,
        }))
    }

    #[test]
    fn history_is_bounded_by_the_window() {
        let mut m = Model::new(run(), 10.0);
        for i in 0..1000 {
            m.apply(Side::Async, sample(i * 250, 5, 5), i as f64 / 4.0);
        }
        let cap = m.side(Side::Async).history.capacity();
        assert!(cap <= 50, "{cap}");
        assert_eq!(m.side(Side::Async).history.len(), cap);
    }

    #[test]
    fn steady_state_starts_when_units_settle() {
        let mut m = Model::new(run(), 10.0);
        m.apply(Side::Threads, sample(0, 3, 10), 0.0);
        assert!(m.side(Side::Threads).steady_from.is_none());
        m.apply(Side::Threads, sample(250, 10, 10), 0.25);
        m.apply(Side::Threads, sample(500, 10, 10), 0.5);
        assert_eq!(
            m.side(Side::Threads)
                .steady_from
                .as_ref()
                .map(|s| s.worker.t_us),
            Some(250_000)
        );
    }

    #[test]
    fn workload_figures_in_the_final_report_cover_the_steady_state() {
        use crate::workload::switch::SWITCH_CPU_NS;
        // Samples of an older recording, under the key the figure went by before (`switch_ns`).
        let old_key = SWITCH_CPU_NS.was.expect("renamed");
        let mut m = Model::new(run(), 10.0);
        let mut with = |t_ms: u64, units: u64, switch_ns: f64| {
            let mut s = SideSample {
                worker: WorkerSample {
                    t_us: t_ms * 1000,
                    units,
                    target_units: units,
                    ..Default::default()
                },
                os: OsStat::default(),
                threads: None,
            };
            let key = if t_ms < 1500 {
                old_key
            } else {
                SWITCH_CPU_NS.key
            };
            s.worker.extra.insert(key.into(), switch_ns);
            m.apply(
                Side::Async,
                SideEvent::Sample(Box::new(s)),
                t_ms as f64 / 1e3,
            );
        };
        // Before the count settles: left out. Then 1 s to fill the window, then 200 and 400 ns.
        with(0, 5, 9_999.0);
        for t in [250, 500, 750, 1000] {
            with(t, 10, 9_999.0);
        }
        for (t, ns) in [(1250, 200.0), (1500, 400.0), (1750, 200.0), (2000, 400.0)] {
            with(t, 10, ns);
        }
        let f = m
            .side(Side::Async)
            .final_figures("switch")
            .expect("figures");
        let ns = f.extra[SWITCH_CPU_NS.key].as_f64().expect("number");
        assert!(!f.extra.contains_key(old_key), "{:?}", f.extra);
        assert!((ns - 300.0).abs() < 1e-9, "{ns}");
    }

    #[test]
    fn silence_is_noticed() {
        let mut m = Model::new(run(), 10.0);
        m.apply(Side::Async, sample(0, 1, 1), 0.0);
        m.tick(1.0);
        assert_eq!(m.side(Side::Async).status, Status::Running);
        m.tick(5.0);
        assert_eq!(m.side(Side::Async).status, Status::NotResponding);
    }

    /// Cancel stops and respawns every unit: the dip under an unchanged target is its work, not a
    /// new ramp, so the steady state goes on; the same dip in a sleep run starts it over.
    #[test]
    fn a_churning_kind_stays_steady_through_its_dip_and_others_start_over() {
        for (workload, kept) in [("cancel", true), ("sleep", false)] {
            let mut m = Model::new(
                RunInfo {
                    workload: workload.into(),
                    ..run()
                },
                10.0,
            );
            m.apply(Side::Threads, sample(0, 100, 100), 0.0);
            m.apply(Side::Threads, sample(250, 40, 100), 0.25);
            m.apply(Side::Threads, sample(500, 100, 100), 0.5);
            let from = m
                .side(Side::Threads)
                .steady_from
                .as_ref()
                .map(|s| s.worker.t_us);
            assert_eq!(from == Some(0), kept, "{workload}: steady from {from:?}");
            // A new target starts it over either way.
            m.apply(Side::Threads, sample(750, 200, 200), 0.75);
            let from = m
                .side(Side::Threads)
                .steady_from
                .as_ref()
                .map(|s| s.worker.t_us);
            assert_eq!(from, Some(750_000), "{workload}");
        }
    }

    /// A count since the start (cancel's `cancelled_units`) ends a run at its last value; its mean
    /// over the steady state would be a count no moment had.
    #[test]
    fn a_running_total_ends_at_its_last_value_not_its_mean() {
        use crate::workload::cancel::CANCELLED_UNITS;
        let mut m = Model::new(run(), 10.0);
        for i in 0..12u64 {
            let mut s = SideSample {
                worker: WorkerSample {
                    t_us: i * 250_000,
                    units: 10,
                    target_units: 10,
                    ..Default::default()
                },
                os: OsStat::default(),
                threads: None,
            };
            s.worker
                .extra
                .insert(CANCELLED_UNITS.key.into(), (i * 100) as f64);
            m.apply(Side::Async, SideEvent::Sample(Box::new(s)), i as f64 / 4.0);
        }
        let f = m
            .side(Side::Async)
            .final_figures("cancel")
            .expect("figures");
        assert_eq!(f.extra[CANCELLED_UNITS.key].as_f64(), Some(1100.0));
    }
}
