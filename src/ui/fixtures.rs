//! Models for render tests, the render bench and README screenshots, each one a moment of a real run:
//! the recordings under `tests/fixtures/recordings/`, made by `scripts/record-fixtures.sh` (`just
//! fixtures`) with the release binary, headless until steady, 2 tokio workers, a 10 s window. Nothing
//! here is invented: a snapshot shows what versus showed, and re-making a recording re-makes it.
//!
//! The recordings: one per built-in preset (`<name>.jsonl`), `default` (the sleep run at 10,000 units
//! a side), `talk-step-1` (step 1 of the built-in talk), `failed` (the default run with its threads
//! worker SIGKILLed).

use std::path::PathBuf;

use crate::model::{Input, Model, RunInfo};
use crate::record::replay::Recording;
use crate::record::{Line, Note};

/// Where the recordings are.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings");

/// The script that makes them, for messages.
pub const SCRIPT: &str = "scripts/record-fixtures.sh";

/// The path of recording `name`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(DIR).join(format!("{name}.jsonl"))
}

/// Recording `name`, read and checked; panics (this is test code) naming the script that makes it.
pub fn recording(name: &str) -> Recording {
    let path = path(name);
    if !path.exists() {
        panic!(
            "no recording {}: run {SCRIPT} (just fixtures) to record it",
            path.display()
        );
    }
    crate::record::replay::load(&path).unwrap_or_else(|e| panic!("{e} (re-make it with {SCRIPT})"))
}

/// When the run of `rec` ended: its `ended` note (a headless run stops its workers after it), else
/// its last line.
pub fn end_us(rec: &Recording) -> u64 {
    rec.lines
        .iter()
        .find(|(_, line)| matches!(line, Line::Note(Note::Ended { .. })))
        .map_or_else(|| rec.end_us(), |(t, _)| *t)
}

/// Recording `name` at its end, as `versus replay` draws it.
pub fn recorded(name: &str) -> Model {
    let rec = recording(name);
    model_of(&rec, None, end_us(&rec))
}

/// Every model line of `rec` up to `at_us` fed to a fresh model, as `replay::model_at` does; with
/// `run`, that run stands for the recorded one (its headline figures, say).
fn model_of(rec: &Recording, run: Option<&RunInfo>, at_us: u64) -> Model {
    let cfg = crate::record::config_of(&rec.header)
        .unwrap_or_else(|e| panic!("recording header: {e} (re-make it with {SCRIPT})"));
    // Until the recording's own reset line, the header's mode, not this machine's (`cfg.run_info`
    // reads the cores here).
    let mut first = run.cloned().unwrap_or_else(|| cfg.run_info());
    first.mode.clone_from(&rec.header.config.mode);
    let mut model = Model::new(first, cfg.window.as_secs_f64());
    for (t_us, line) in &rec.lines[..rec.index_after(at_us)] {
        let Line::Model(input) = line else { continue };
        let input = match (input, run) {
            (Input::Reset { window_s, .. }, Some(run)) => Input::Reset {
                run: run.clone(),
                window_s: *window_s,
            },
            (Input::Run { .. }, Some(run)) => Input::Run { run: run.clone() },
            (input, _) => input.clone(),
        };
        model.feed(input, *t_us as f64 / 1e6);
    }
    model
}

/// The run of the default recording (sleep, 10,000 units a side), without samples.
pub fn run_info() -> RunInfo {
    demo_model().run
}

/// A run that has just begun: no side has reported (no figure, so nothing to record).
pub fn empty_model() -> Model {
    let demo = demo_model();
    Model::new(demo.run, demo.window_s)
}

/// The default run (`versus --async-units 10000 --thread-units 10000`, the README's demo) once
/// both sides were steady.
pub fn demo_model() -> Model {
    recorded("default")
}

/// The samples of `demo_model` under another run (a scenario's headline figures, say).
pub fn demo_model_for(run: RunInfo) -> Model {
    let rec = recording("default");
    model_of(&rec, Some(&run), end_us(&rec))
}

/// Built-in scenario `name` once steady (`versus --scenario NAME`).
pub fn scenario_model(name: &str) -> Model {
    recorded(name)
}

/// The limits scenario after its threads side stopped at its limit.
pub fn limit_model() -> Model {
    scenario_model("limits")
}

/// `demo_model`'s run after its threads worker was SIGKILLed (`kill -9`, or the OOM killer).
pub fn failed_model() -> Model {
    recorded("failed")
}

/// Step 1 of the built-in talk `async-vs-threads`, run as the talk sets it.
pub fn talk_step_model() -> Model {
    recorded("talk-step-1")
}
