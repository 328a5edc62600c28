//! Headless runner: the same session as the TUI, no terminal. Prints one JSON document of the final
//! figures, or CSV rows (one per side per sample) as they arrive.

use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::catalog;
use crate::cli::Format;
use crate::collect::Incoming;
use crate::config::RunConfig;
use crate::controller::{Event, Session, forward_signals};
use crate::figure::Csv;
use crate::model::headline;
use crate::model::{Figures, Model};
use crate::protocol::Side;

/// The CSV header: time, side and workload, then the catalog's CSV columns (`catalog::csv_columns`).
pub fn csv_header() -> String {
    let mut cols = vec!["t_s", "side", "workload"];
    cols.extend(catalog::csv_columns().map(|f| f.key));
    cols.join(",")
}

pub fn run(cfg: RunConfig, format: Format) -> anyhow::Result<ExitCode> {
    let duration = cfg.duration.unwrap_or(Duration::from_secs(10));
    let (tx, rx) = mpsc::channel();
    forward_signals(tx.clone())?;
    let recorder = crate::record::open(&cfg, true)?;
    let mut session = Session::start_with(cfg, tx, recorder);
    let mut out = std::io::stdout().lock();
    if format == Format::Csv {
        writeln!(out, "{}", csv_header())?;
    }
    let deadline = Instant::now() + duration;
    // Time left on stderr, when it is a terminal and the wait is long enough to wonder.
    let progress = duration >= crate::progress::AFTER && crate::progress::on();
    let mut drawn: Option<Instant> = None;
    let mut signal = None;
    let started = Instant::now();
    let mut ended = Ended::Duration;
    while signal.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        if session.cfg.until_steady && session.model.settle.settled(&session.model) {
            ended = Ended::Steady;
            break;
        }
        if progress && drawn.is_none_or(|t| t.elapsed() >= crate::progress::EVERY) {
            crate::progress::draw(&crate::progress::headless_line(left, duration));
            drawn = Some(Instant::now());
        }
        match rx.recv_timeout(left.min(Duration::from_millis(250))) {
            Ok(Event::Worker(ev)) => {
                let (side, is_sample) = (ev.side, matches!(ev.incoming, Incoming::Sample(_)));
                session.on_worker(ev);
                if is_sample
                    && format == Format::Csv
                    && let Some(f) = &session.model.side(side).figures
                {
                    writeln!(out, "{}", csv_row(session.model.now_s, f))?;
                }
            }
            Ok(Event::Signal(sig)) => signal = Some(sig),
            Ok(Event::Loadgen(ev)) => session.on_loadgen(ev),
            Ok(Event::Input(_) | Event::Replay(_) | Event::Notes(_))
            | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        session.tick();
    }
    if progress {
        crate::progress::clear();
    }
    if signal.is_some() {
        ended = Ended::Signal;
    }
    let ran_s = started.elapsed().as_secs_f64();
    session.note(crate::record::Note::Ended {
        ended: ended.name().into(),
        ran_s,
    });
    session.stop_workers();
    if format == Format::Json {
        let mut doc = report(&session.model, &session.cfg, duration);
        say_ended(&mut doc, ended.name(), ran_s);
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    }
    out.flush()?;
    Ok(match signal {
        Some(sig) => ExitCode::from(128 + sig as u8),
        None if session.any_failed() => ExitCode::FAILURE,
        None => ExitCode::SUCCESS,
    })
}

/// What ended a run (headless JSON `ended`; a rehearsal's step's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `--until-steady`: every running side was steady (`model::settle`).
    Steady,
    /// `--duration` (a step's `rehearse` time) ran out.
    Duration,
    /// SIGINT, SIGTERM or SIGHUP.
    Signal,
}

impl Ended {
    pub fn name(self) -> &'static str {
        match self {
            Ended::Steady => "steady",
            Ended::Duration => "duration",
            Ended::Signal => "signal",
        }
    }
}

/// The JSON's `ended` and `ran_s`: what ended the run, after how many seconds.
pub fn say_ended(doc: &mut serde_json::Value, ended: &str, ran_s: f64) {
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("ended".into(), json!(ended));
        obj.insert("ran_s".into(), json!(ran_s));
    }
}

/// The figures of a side that never reported: its errors, or "no sample arrived".
pub(crate) fn no_sample(model: &Model, side: Side, workload: &str) -> Figures {
    let mut f = Figures::empty(side, workload);
    f.errors = model.side(side).error_list();
    if f.errors.is_empty() {
        f.errors.push("no sample arrived".into());
    }
    f
}

/// A side's figures as JSON, with whether it was saturated and why (None: it kept up, or was not
/// judged).
pub(crate) fn side_json(f: &Figures, saturated: Option<String>) -> serde_json::Value {
    let mut v = serde_json::to_value(f).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("saturated".into(), json!(saturated.is_some()));
        obj.insert("saturation".into(), json!(saturated));
    }
    v
}

/// The JSON document: what ran, then the final figures of each side.
pub fn report(model: &Model, cfg: &RunConfig, duration: Duration) -> serde_json::Value {
    let sides: Vec<Figures> = Side::BOTH
        .iter()
        .map(|&side| {
            model
                .report_figures(side)
                .unwrap_or_else(|| no_sample(model, side, &cfg.workload))
        })
        .collect();
    // A side's steady figures, only when it reported any: a placeholder feeds no comparison.
    let steady = Side::BOTH.map(|side| {
        let m = model.side(side);
        m.latest().is_some().then_some(&sides[side.index()])
    });
    let headline = final_headline(model, steady);
    let sides: Vec<serde_json::Value> = sides
        .iter()
        .zip(steady)
        .map(|(f, measured)| {
            // Judged on the steady figures, and only for a side that ran to the end.
            let m = model.side(f.side);
            let saturated = measured
                .filter(|_| headline::steady(m) || (model.run.turns && m.turn_figures.is_some()))
                .and_then(|f| m.saturation.verdict(&model.run, f));
            let mut v = side_json(f, saturated);
            if let Some(obj) = v.as_object_mut() {
                // The column's name: the user's label with --cmd; `side` stays async / threads.
                obj.insert("label".into(), json!(model.run.side_name(f.side)));
            }
            v
        })
        .collect();
    json!({
        "versus": env!("CARGO_PKG_VERSION"),
        "workload": cfg.workload,
        "scenario": cfg.scenario,
        "duration_s": duration.as_secs_f64(),
        "interval_ms": cfg.interval_ms,
        "runtime": cfg.runtime.name(),
        "workers": cfg.workers,
        // As the model has it: a replay gives the recorded machine's words, not this one's.
        "mode": model.run.mode,
        "params": cfg.params.0,
        // The switch workload's: where each side's pairs ran (`placement`), by name and CPUs.
        "placement": cfg.placement_used(),
        "headline": headline,
        "outside_load_cores": model.outside_cores,
        "sides": sides,
        "commands": cfg.programs.as_ref().map(|p| p.clone().map(|p| json!({"label": p.label, "command": p.command}))),
    })
}

/// The run's headline as headless JSON has it (`{figure, async, threads, ratio, better, verdict,
/// comparable, reason}`),
/// judged on `steady`, each side's steady figures; the talk rehearsal reports its steps with it too.
pub fn final_headline(model: &Model, steady: [Option<&Figures>; 2]) -> Option<serde_json::Value> {
    headline::final_line(&model.run, &model.sides, steady)
        .into_iter()
        .next()
        .map(|h| {
            let verdict = h.verdict(&model.run);
            json!({
                "figure": h.figure.name(),
                "async": h.values[0],
                "threads": h.values[1],
                "ratio": h.ratio(),
                // The side that does better by the figure's direction (`async` / `threads`, the
                // left / right column with --cmd), and the comparison in the words on screen.
                "better": verdict.better.map(Side::name),
                "verdict": verdict.words,
                "comparable": h.comparable,
                "reason": h.reason,
            })
        })
}

/// One CSV row of a side's figures, in the columns of `csv_header`; a figure not measured is empty.
pub fn csv_row(t_s: f64, f: &Figures) -> String {
    let mut row = format!("{t_s:.3},{},{}", f.side.name(), f.workload);
    for col in catalog::csv_columns() {
        row.push(',');
        match (col.csv, f.value(col)) {
            (Some(Csv::Int), Some(v)) => row.push_str(&(v as u64).to_string()),
            (Some(Csv::Tenths), Some(v)) => row.push_str(&format!("{v:.1}")),
            _ => {}
        }
    }
    row
}
