//! The rehearsal: `versus --talk NAME --headless` runs every step for its `rehearse` time on one
//! session, moving from step to step as the TUI does, and prints one JSON document of each step's
//! figures. Progress goes to stderr when it is a terminal; stdout holds the JSON alone.

use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Move, Runner, Talk};
use crate::config::RunConfig;
use crate::controller::{Event, Session, forward_signals};
use crate::headless::Ended;
use crate::model::{Figures, Status, headline};
use crate::protocol::Side;

/// How often the progress line on a terminal is redrawn.
const PROGRESS_EVERY: Duration = crate::progress::EVERY;

/// Rehearses from `first`, the run of the runner's first step.
pub fn run(mut runner: Runner, first: RunConfig) -> anyhow::Result<ExitCode> {
    let (tx, rx) = mpsc::channel();
    forward_signals(tx.clone())?;
    let started = Instant::now();
    let until_steady = first.until_steady;
    let mut session = Session::start(first, tx);
    let progress = Progress::new(&runner.talk);
    let mut steps = Vec::with_capacity(runner.talk.steps.len());
    let mut failures = Vec::new();
    let mut signal = None;
    for i in 0..runner.talk.steps.len() {
        if i > 0 {
            runner.go(&mut session, Move::Next);
        }
        let step = &runner.talk.steps[i];
        let step_start_s = session.now_s();
        let failed_before = failed(&session);
        let step_started = Instant::now();
        // What settled in the step before says nothing of this one.
        session.model.settle = Default::default();
        let ended;
        (signal, ended) = pump(&mut session, &rx, step.rehearse, until_steady, |left| {
            progress.show(i, left)
        });
        let (sides, headline) = step_figures(&session, step_start_s);
        let mut failed_sides = Vec::new();
        for (side, why) in Side::BOTH.iter().zip(failed(&session)) {
            if let Some(why) = why.filter(|w| !failed_before.contains(&Some(w.clone()))) {
                failures.push(format!(
                    "step {}/{} ({}): {} side failed: {why}",
                    i + 1,
                    runner.talk.steps.len(),
                    step.title,
                    side.name()
                ));
                failed_sides.push(side.name());
            }
        }
        steps.push(json!({
            "index": i + 1,
            "title": step.title,
            "scenario": session.cfg.scenario,
            "workload": session.cfg.workload,
            // How the workers were scheduled, as on stage (the header's mode line).
            "mode": session.cfg.mode(),
            "rehearse_s": step.rehearse.as_secs_f64(),
            // What ended the step (`steady` with --until-steady), and after how long.
            "ended": ended.name(),
            "ran_s": step_started.elapsed().as_secs_f64(),
            "headline": headline,
            "failed": failed_sides,
            "sides": sides,
        }));
        if signal.is_some() {
            break;
        }
    }
    session.stop_workers();
    progress.clear();
    let doc = json!({
        "versus": env!("CARGO_PKG_VERSION"),
        "talk": runner.talk.name,
        "title": runner.talk.title,
        "total_s": started.elapsed().as_secs_f64(),
        "steps": steps,
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    out.flush()?;
    for f in &failures {
        eprintln!("versus: rehearsal: {f}");
    }
    Ok(match signal {
        Some(sig) => ExitCode::from(128 + sig as u8),
        None if failures.is_empty() => ExitCode::SUCCESS,
        None => ExitCode::FAILURE,
    })
}

/// Each side's figures for the step, and the headline between them. A side whose steady state
/// began within the step gives its steady figures, as a headless run would; one that ran on from the
/// step before unchanged (a flag flipped live) gives what the screen shows at the end (the last
/// second), so no figure mixes two steps. `window` says which.
fn step_figures(
    session: &Session,
    step_start_s: f64,
) -> (Vec<serde_json::Value>, serde_json::Value) {
    let model = &session.model;
    let workload = &session.cfg.workload;
    let figures: Vec<(Option<Figures>, &str)> = Side::BOTH
        .iter()
        .map(|&side| {
            let m = model.side(side);
            let within = m
                .steady_from
                .as_ref()
                .is_some_and(|f| m.launched_at_s + f.worker.t_us as f64 / 1e6 >= step_start_s);
            if within {
                (m.final_figures(workload), "steady")
            } else {
                let f = m.figures.clone().map(|mut f| {
                    f.errors = m.error_list();
                    f
                });
                (f, "last second")
            }
        })
        .collect();
    let steady = [0, 1].map(|i| figures[i].0.as_ref());
    let headline = crate::headless::final_headline(model, steady);
    let sides = Side::BOTH
        .iter()
        .zip(figures)
        .map(|(&side, (f, window))| {
            // As in headless JSON: judged on steady figures, for a side that reported any.
            let saturated = f
                .as_ref()
                .filter(|_| headline::steady(model.side(side)))
                .and_then(|f| model.side(side).saturation.verdict(&model.run, f));
            let f = f.unwrap_or_else(|| crate::headless::no_sample(model, side, workload));
            let mut v = crate::headless::side_json(&f, saturated);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("window".into(), json!(window));
            }
            v
        })
        .collect();
    (sides, json!(headline))
}

/// Each side's failure reason, if it failed.
fn failed(session: &Session) -> [Option<String>; 2] {
    session.model.sides.each_ref().map(|m| match &m.status {
        Status::Failed(why) => Some(why.clone()),
        _ => None,
    })
}

/// Feeds the session for `duration`, or until every running side is steady with `until_steady`;
/// `tick` hears the time left now and then. A signal ends it early.
fn pump(
    session: &mut Session,
    rx: &Receiver<Event>,
    duration: Duration,
    until_steady: bool,
    mut tick: impl FnMut(Duration),
) -> (Option<i32>, Ended) {
    let deadline = Instant::now() + duration;
    let mut shown = Instant::now() - PROGRESS_EVERY;
    loop {
        let now = Instant::now();
        let left = deadline.saturating_duration_since(now);
        if left.is_zero() {
            return (None, Ended::Duration);
        }
        if until_steady && session.model.settle.settled(&session.model) {
            return (None, Ended::Steady);
        }
        if now >= shown + PROGRESS_EVERY {
            tick(left);
            shown = now;
        }
        match rx.recv_timeout(left.min(Duration::from_millis(250))) {
            Ok(Event::Worker(ev)) => session.on_worker(ev),
            Ok(Event::Loadgen(ev)) => session.on_loadgen(ev),
            Ok(Event::Signal(sig)) => return (Some(sig), Ended::Signal),
            Ok(Event::Input(_) | Event::Replay(_) | Event::Notes(_))
            | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return (None, Ended::Duration),
        }
        session.tick();
    }
}

/// "rehearsal step 3/12 · title · 4 s left (about 50 s in all)" on stderr, when it is a terminal.
struct Progress {
    on: bool,
    titles: Vec<String>,
    /// Rehearse time of each step, for the time left in all.
    times: Vec<Duration>,
}

impl Progress {
    fn new(talk: &Talk) -> Progress {
        Progress {
            on: crate::progress::on(),
            titles: talk.steps.iter().map(|s| s.title.clone()).collect(),
            times: talk.steps.iter().map(|s| s.rehearse).collect(),
        }
    }

    fn show(&self, i: usize, left: Duration) {
        if !self.on {
            return;
        }
        let rest: Duration = self.times.iter().skip(i + 1).sum::<Duration>() + left;
        let line = format!(
            "rehearsal step {}/{} · {} · {:.0} s left (about {:.0} s in all)",
            i + 1,
            self.titles.len(),
            self.titles[i],
            left.as_secs_f64().ceil(),
            rest.as_secs_f64().ceil()
        );
        crate::progress::draw(&line);
    }

    fn clear(&self) {
        if self.on {
            crate::progress::clear();
        }
    }
}
