//! `versus replay FILE`: a recording played instead of workers. In the TUI (the same loop and
//! screen as live), headless (the same JSON or CSV the live headless run printed), or one moment
//! drawn as SVG without a terminal (`--at 30s --svg OUT.svg`).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{Format, ReplayArgs};
use crate::config::RunConfig;
use crate::headless::{csv_header, csv_row, report};
use crate::model::{Input, Model, Status};
use crate::record::replay::{self, Recording};
use crate::record::{Line, Note};
use crate::ui::{self, ViewState, replay_bar::ReplayView};

pub fn run(args: &ReplayArgs) -> ExitCode {
    let rec = match replay::load(&args.file) {
        Ok(rec) => rec,
        Err(e) => {
            eprintln!("versus: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(w) = &rec.warning {
        eprintln!("versus: {w}");
    }
    let mut cfg = match crate::record::config_of(&rec.header) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("versus: {}:1: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    cfg.export_chrome = args.export_chrome;
    let result = if args.headless {
        headless(rec, &cfg, args.format)
    } else if let Some(out) = &args.svg {
        svg(&rec, &cfg, args.at, args.size, out)
    } else {
        crate::tui::replay(cfg, Arc::new(rec))
    };
    result.unwrap_or_else(|e| {
        eprintln!("versus: {e:#}");
        ExitCode::FAILURE
    })
}

/// Every line fed in order; the output and the exit code as the live headless run had them.
fn headless(rec: Recording, cfg: &RunConfig, format: Format) -> anyhow::Result<ExitCode> {
    let mut model = Model::new(cfg.run_info(), cfg.window.as_secs_f64());
    let mut out = std::io::stdout().lock();
    if format == Format::Csv {
        writeln!(out, "{}", csv_header())?;
    }
    let mut ended = None;
    for (t_us, line) in rec.lines {
        if let Line::Note(Note::Ended { ended: why, ran_s }) = &line {
            ended = Some((why.clone(), *ran_s));
        }
        let Line::Model(input) = line else { continue };
        let sampled = match &input {
            Input::Sample { side, .. } => Some(*side),
            _ => None,
        };
        model.feed(input, t_us as f64 / 1e6);
        if format == Format::Csv
            && let Some(f) = sampled.and_then(|side| model.side(side).figures.as_ref())
        {
            writeln!(out, "{}", csv_row(model.now_s, f))?;
        }
    }
    if format == Format::Json {
        let duration = cfg.duration.unwrap_or(Duration::from_secs(10));
        let mut doc = report(&model, cfg, duration);
        // As the live run said (a recording of before `ended` lines says nothing).
        if let Some((why, ran_s)) = ended {
            crate::headless::say_ended(&mut doc, &why, ran_s);
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    }
    out.flush()?;
    let failed = model
        .sides
        .iter()
        .any(|m| matches!(m.status, Status::Failed(_)));
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The screen at `at` (default: the end) as `out` and a `.txt` beside it.
fn svg(
    rec: &Recording,
    cfg: &RunConfig,
    at: Option<Duration>,
    (width, height): (u16, u16),
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let end_us = rec.end_us();
    let at_us = at.map_or(end_us, |d| d.as_micros() as u64);
    if at_us > end_us {
        eprintln!(
            "versus: --at {} is past the end of the recording ({}); drawing the end",
            ui::replay_bar::clock(at_us / 1000),
            ui::replay_bar::clock(end_us / 1000)
        );
    }
    let at_us = at_us.min(end_us);
    let (model, notice) = model_at(rec, cfg, at_us);
    let recorded = format!(
        "recorded {} · {}",
        crate::utc::readable(rec.header.started_unix_s),
        rec.header.machine.summary()
    );
    let view = ViewState {
        caption: model.run.scenario.is_some(),
        notice,
        replay: Some(ReplayView::new(&recorded, at_us, end_us, true, 1.0)),
        ..ViewState::default()
    };
    let view = ui::export::exported(&view, cfg.export_chrome);
    let buf = ui::export::screen(&model, &view, width, height);
    let svg = ui::svg::to_svg(&buf);
    // Never ship a broken picture: the check costs microseconds.
    ui::xml::check_well_formed(&svg).map_err(|e| anyhow::anyhow!("SVG not well-formed: {e}"))?;
    let txt = out.with_extension("txt");
    std::fs::write(out, svg).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    std::fs::write(&txt, ui::svg::to_text(&buf))
        .map_err(|e| anyhow::anyhow!("{}: {e}", txt.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// The model and the notice as they were at `at_us`.
pub fn model_at(rec: &Recording, cfg: &RunConfig, at_us: u64) -> (Model, Option<String>) {
    let mut model = Model::new(cfg.run_info(), cfg.window.as_secs_f64());
    let mut notice = None;
    for (t_us, line) in &rec.lines[..rec.index_after(at_us)] {
        match line {
            Line::Model(input) => model.feed(input.clone(), *t_us as f64 / 1e6),
            Line::Note(Note::Notice { text }) => notice.clone_from(text),
            Line::Note(_) => {}
        }
    }
    (model, notice)
}
