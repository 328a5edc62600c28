//! The headline: the one figure a scenario is about (declared in its preset, `headline = [...]`), both
//! sides next to each other, smoothed over the steady window and shown only while the two sides can be
//! compared; otherwise the reason why not. Plain data derived from the samples; the UI only renders it.

use crate::figure::{Direction, Figure, Format};
use crate::model::{Figures, Ring, RunInfo, SideModel, Status};
use crate::protocol::Side;

/// Smoothing window: the median of the per-sample figures of the last this many seconds.
pub const SMOOTH_S: f64 = 5.0;
/// The shown values change at most this often, so a speaker can read them out.
pub const UPDATE_S: f64 = 1.0;
/// Fewer steady samples than this and the headline still says "settling…".
const MIN_POINTS: usize = 3;
/// Points kept per side and figure: enough for the smoothing window at a fast sample interval.
const SERIES_LEN: usize = 200;
/// A steady state shorter than this (the rate window) still carries figures of before it.
const STEADY_MIN_US: u64 = 1_000_000;
/// Closer than this to 1× the sides are "about even".
pub const EVEN_FACTOR: f64 = 1.1;

/// The headline figure named `name` (`catalog::headline`).
pub fn find(name: &str) -> Option<&'static Figure> {
    crate::catalog::headline(name)
}

/// "rss_per_unit, spawn_ns, ..." for messages.
pub fn names() -> String {
    crate::catalog::headline_names()
}

/// The headline figures of a workload run without a scenario (`workload::Kind::headline`).
pub fn default_for(workload: &str) -> Vec<&'static Figure> {
    crate::workload::find(workload).map_or_else(Vec::new, |k| k.headline.to_vec())
}

/// The run's figures, its own or its workload's.
pub fn figures_of(run: &RunInfo) -> Vec<&'static Figure> {
    if run.headline.is_empty() {
        default_for(&run.workload)
    } else {
        run.headline.clone()
    }
}

/// Which way is better for `figure` in this run: the preset's `headline_better` where it says so,
/// else the catalog's.
pub fn direction(run: &RunInfo, figure: &Figure) -> Direction {
    run.headline_better
        .get(figure.name())
        .copied()
        .unwrap_or(figure.direction)
}

/// What a comparison says in words, and the side it favours.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// "threads 16× heavier", "about even", "not compared: settling…": the side named is the one the
    /// word describes.
    pub words: String,
    /// The side that does better, by the figure's direction; None when even, neutral or not compared.
    pub better: Option<Side>,
}

/// How many times bigger: "2.1×", "16×", "3,334×" (finite `r`).
pub fn factor(r: f64) -> String {
    if r < 9.95 {
        format!("{r:.1}×")
    } else {
        thousands(r.round() as u64) + "×"
    }
}

/// "1,000,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value that prints as "0" or "<0.001": a factor against it says nothing a speaker can use.
fn reads_as_zero(format: Format, v: f64) -> bool {
    match format {
        Format::Count => v < 0.5,
        Format::Ratio => v < 0.0005,
        _ => v <= f64::EPSILON,
    }
}

/// One figure of both sides, as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub figure: &'static Figure,
    /// Which way is better in this run (`direction`).
    pub direction: Direction,
    /// Indexed by `Side::index`.
    pub values: [Option<f64>; 2],
    /// The unequal connection counts a comparison of two programs ran at, named beside its verdict.
    pub counts: Option<[u64; 2]>,
    /// Both sides run, are steady and measure the same thing: the ratio may be said.
    pub comparable: bool,
    /// Why not comparable, in words ("settling…", "threads side stopped", "one side at a time").
    pub reason: Option<String>,
}

impl Headline {
    /// threads ÷ async, when comparable and both are measured.
    pub fn ratio(&self) -> Option<f64> {
        if !self.comparable {
            return None;
        }
        super::ratio(self.values[0], self.values[1])
    }

    /// The side with the bigger value and by how much (≥ 1), when comparable.
    pub fn bigger(&self) -> Option<(Side, f64)> {
        let r = self.ratio().or_else(|| {
            // threads ÷ async is undefined at async 0; say it the other way round.
            super::ratio(self.values[1], self.values[0])
                .filter(|_| self.comparable)
                .map(|r| 1.0 / r)
        })?;
        if r >= 1.0 {
            Some((Side::Threads, r))
        } else if r > 0.0 {
            Some((Side::Async, 1.0 / r))
        } else {
            None
        }
    }

    /// The side that does better when `bigger` has the bigger value.
    fn better_of(&self, bigger: Side) -> Option<Side> {
        match self.direction {
            Direction::MoreIsBetter => Some(bigger),
            Direction::LessIsBetter => Some(other(bigger)),
            Direction::Neutral => None,
        }
    }

    /// The comparison in words: the side with the bigger value, by how much, and the figure's word
    /// for it ("threads 16× heavier", "async 61× more"); the better side first where the word does
    /// not say the bigger side does worse ("async better: threads 823× more" OS switches, "async
    /// better, near 0" against a value that reads 0); "about even" within `EVEN_FACTOR`;
    /// "not compared: why" when the sides cannot be compared.
    pub fn verdict(&self, run: &RunInfo) -> Verdict {
        let (true, Some(a), Some(t)) = (self.comparable, self.values[0], self.values[1]) else {
            let why = self.reason.as_deref().unwrap_or("not comparable");
            return Verdict {
                words: format!("not compared: {why}"),
                better: None,
            };
        };
        let word = self.figure.more_word(self.direction);
        // The bigger side does worse and the word does not say so: the verdict names the winner.
        let unsaid = |bigger: Side| {
            !self.figure.word_judges(self.direction)
                && self.better_of(bigger) == Some(other(bigger))
        };
        let zero = [a, t].map(|v| reads_as_zero(self.figure.format, v));
        let (mut words, better) = match (zero, self.bigger()) {
            ([true, true], _) => ("about even".to_string(), None),
            ([true, false] | [false, true], _) => {
                let bigger = if zero[0] { Side::Threads } else { Side::Async };
                let small = self.values[other(bigger).index()].unwrap_or(0.0);
                let at = if small == 0.0 { "at 0" } else { "near 0" };
                let words = if unsaid(bigger) {
                    format!("{} better, {at}", run.side_name(other(bigger)))
                } else {
                    format!(
                        "{} {word}, {} {at}",
                        run.side_name(bigger),
                        run.side_name(other(bigger))
                    )
                };
                (words, self.better_of(bigger))
            }
            (_, Some((_, f))) if f < EVEN_FACTOR => ("about even".to_string(), None),
            (_, Some((side, f))) => {
                let words = format!("{} {} {word}", run.side_name(side), factor(f));
                let words = if unsaid(side) {
                    format!("{} better: {words}", run.side_name(other(side)))
                } else {
                    words
                };
                (words, self.better_of(side))
            }
            // Both measured and neither reads as 0, so a ratio exists; said plainly if not.
            (_, None) => ("not compared: no ratio".to_string(), None),
        };
        if let Some([x, y]) = self.counts {
            words.push_str(&format!(
                " at {} vs {} connections",
                thousands(x),
                thousands(y)
            ));
        }
        Verdict { words, better }
    }
}

/// The other side.
fn other(side: Side) -> Side {
    match side {
        Side::Async => Side::Threads,
        Side::Threads => Side::Async,
    }
}

/// Whether both sides are in a state to be compared; the reason when not.
pub fn gate(run: &RunInfo, sides: &[SideModel; 2]) -> Result<(), String> {
    if run.one_side.is_some() && !run.turns {
        return Err("one side at a time".into());
    }
    for m in sides {
        let name = run.side_name(m.side);
        match &m.status {
            Status::Failed(_) => return Err(format!("{name} side failed")),
            Status::NotResponding => return Err(format!("{name} side not responding")),
            // Taking turns, the idle side is compared by its last turn.
            Status::Stopped if run.turns => {}
            Status::Stopped => return Err(format!("{name} side stopped")),
            Status::Starting | Status::Running => {}
        }
    }
    if run.turns || sides.iter().all(steady) {
        Ok(())
    } else {
        Err("settling…".into())
    }
}

/// Running with the unit count settled for at least the rate window, so the figures of its latest
/// sample cover the steady state only.
pub fn steady(m: &SideModel) -> bool {
    m.status == Status::Running
        && match (&m.steady_from, m.latest()) {
            (Some(from), Some(last)) => {
                last.worker.t_us.saturating_sub(from.worker.t_us) >= STEADY_MIN_US
            }
            _ => false,
        }
}

/// The headline of one figure from the values of both sides, once the gate has been passed (or not).
fn judge(
    figure: &'static Figure,
    gate: &Result<(), String>,
    run: &RunInfo,
    values: [Option<f64>; 2],
    units: [u64; 2],
) -> Headline {
    let turns = run.turns;
    let unmeasured = Side::BOTH.into_iter().find(|s| values[s.index()].is_none());
    let reason = match (gate, unmeasured) {
        (Err(why), _) => Some(why.clone()),
        (Ok(()), Some(side)) if turns => Some(format!(
            "taking turns: {} side not measured yet",
            side.name()
        )),
        (Ok(()), Some(_)) => Some("settling…".into()),
        (Ok(()), None) if figure.total_of_side() && units[0] != units[1] => Some(format!(
            "a total, and the sides run {} vs {} units",
            units[0], units[1]
        )),
        (Ok(()), None) => None,
    };
    // Two programs are driven at the connections the user set per side: a figure compared at
    // unequal counts names them (a total is not compared at all, above).
    let counts =
        (reason.is_none() && run.labels.is_some() && units[0] != units[1]).then_some(units);
    Headline {
        figure,
        direction: direction(run, figure),
        values,
        counts,
        comparable: reason.is_none(),
        reason,
    }
}

/// The headline of a finished run (headless): each side's steady-state figures, the same gate.
pub fn final_line(
    run: &RunInfo,
    sides: &[SideModel; 2],
    figures: [Option<&Figures>; 2],
) -> Vec<Headline> {
    let gate = gate(run, sides);
    // A side that is not running steadily (stopped, failed, idle) feeds no value at all, unless the
    // sides take turns and the figures are those of its last turn.
    let figures = [0, 1].map(|i| {
        figures[i].filter(|_| steady(&sides[i]) || (run.turns && sides[i].turn_figures.is_some()))
    });
    let units = figures.map(|f| f.map_or(0, |f| f.units));
    figures_of(run)
        .into_iter()
        .map(|def| {
            let values = figures.map(|f| f.and_then(|f| f.value(def)));
            judge(def, &gate, run, values, units)
        })
        .collect()
}

/// Smooths the headline figures over the steady window and decides, at most once a second, what the
/// headline line shows. Lives in the model; fed by `Model::apply` and `Model::tick`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tracker {
    figures: Vec<&'static Figure>,
    /// Per figure, per side: (seconds, value) of each steady sample.
    series: Vec<[Ring<(f64, f64)>; 2]>,
    /// The steady start (worker clock) the series of each side belong to.
    steady_key: [Option<u64>; 2],
    /// The unit count of each side's series (taking turns, the idle side's last turn).
    series_units: [u64; 2],
    /// What the series were measured under: parameters and runtime (a live flip starts them over).
    run_key: Vec<String>,
    /// The gate as of the last update.
    shown_gate: Option<Result<(), String>>,
    /// What the line shows now, the scenario's headline first; empty before the first update.
    pub shown: Vec<Headline>,
    shown_at_s: f64,
}

impl Tracker {
    /// Starts over when the run's figures change (another scenario or workload).
    fn follow(&mut self, run: &RunInfo) {
        let figures = figures_of(run);
        let mut run_key: Vec<String> = run.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        run_key.push(run.runtime.name().to_string());
        if figures != self.figures || run_key != self.run_key {
            *self = Tracker {
                series: figures
                    .iter()
                    .map(|_| [Ring::new(SERIES_LEN), Ring::new(SERIES_LEN)])
                    .collect(),
                figures,
                run_key,
                ..Tracker::default()
            };
        }
    }

    /// A side's sample arrived: its figures join the series while it is steady.
    pub fn on_sample(&mut self, run: &RunInfo, m: &SideModel, t_s: f64) {
        self.follow(run);
        let i = m.side.index();
        let key = m.steady_from.as_ref().map(|s| s.worker.t_us);
        // Taking turns, an idle side keeps the series of its last turn until its next one settles.
        let keep = run.turns && !steady(m);
        if !keep && (key != self.steady_key[i] || !steady(m)) {
            // A new unit count is a new steady state: figures of the old one do not mix in.
            self.steady_key[i] = key;
            for s in &mut self.series {
                s[i].clear();
            }
        }
        let Some(f) = m.figures.as_ref().filter(|_| steady(m)) else {
            return;
        };
        self.series_units[i] = f.units;
        for (def, s) in self.figures.iter().zip(&mut self.series) {
            if let Some(v) = f.value(def).filter(|v| v.is_finite()) {
                s[i].push((t_s, v));
            }
        }
    }

    /// Updates what is shown: at once when the gate opens or closes, else at most once a second.
    pub fn refresh(&mut self, run: &RunInfo, sides: &[SideModel; 2], now_s: f64) {
        self.follow(run);
        let gate = gate(run, sides);
        let gate_changed = self.shown_gate.as_ref() != Some(&gate);
        if !gate_changed && now_s - self.shown_at_s < UPDATE_S {
            return;
        }
        let units = if run.turns {
            self.series_units
        } else {
            [0, 1].map(|i| sides[i].figures.as_ref().map_or(0, |f| f.units))
        };
        self.shown = self
            .figures
            .iter()
            .zip(&self.series)
            .map(|(&def, s)| {
                let values = [0, 1].map(|i| smoothed(&s[i], now_s));
                judge(def, &gate, run, values, units)
            })
            .collect();
        self.shown_at_s = now_s;
        self.shown_gate = Some(gate);
    }
}

impl Tracker {
    /// Each side's smoothed value of the run's headline figure now (as the line would show it
    /// updated now), None before `MIN_POINTS` steady samples.
    pub fn medians(&self, now_s: f64) -> [Option<f64>; 2] {
        self.series
            .first()
            .map_or([None, None], |s| [0, 1].map(|i| smoothed(&s[i], now_s)))
    }
}

/// The median of the points of the last `SMOOTH_S`, None with fewer than `MIN_POINTS`.
fn smoothed(series: &Ring<(f64, f64)>, now_s: f64) -> Option<f64> {
    let newest = series.last().map_or(now_s, |p| p.0);
    let mut v: Vec<f64> = series
        .iter()
        .filter(|p| p.0 >= newest - SMOOTH_S)
        .map(|p| p.1)
        .collect();
    if v.len() < MIN_POINTS {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

#[cfg(test)]
#[path = "headline_tests.rs"]
mod tests;
