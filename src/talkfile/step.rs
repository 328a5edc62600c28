//! One step of a talk and what it does to the run: it changes only what it names. A scenario resets
//! the run to that preset; a workload switches the kind (parameters back to its defaults); then its
//! parameters and settings apply over whatever ran before.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::{RunConfig, cores};
use crate::protocol::ParamValue;
use crate::scenario::Given;
use crate::scenario::node::Node;
use crate::scenario::settings::{Setting, Settings};
use crate::workload::Kind;

#[derive(Debug, Clone)]
pub struct Step {
    pub title: String,
    /// A scenario of the catalog: the run starts over from its preset.
    pub scenario: Option<String>,
    /// A workload kind instead of a scenario.
    pub workload: Option<&'static Kind>,
    /// Parameters of the step's workload, checked against its table when the talk was read.
    pub params: BTreeMap<String, ParamValue>,
    /// Settings the step names (async_units, runtime, ...), as written; checked when read.
    pub settings: Vec<(&'static Setting, Node)>,
    /// On screen while the step runs: what to look at.
    pub say: String,
    /// For the speaker only; never drawn.
    pub notes: String,
    /// Under `--loop`, how long the step stays before the next.
    pub advance_after: Option<Duration>,
    /// How long the rehearsal runs it.
    pub rehearse: Duration,
    /// An earlier step (from 0) whose headline shows beside this one's: "was 47.1 ms in step 8".
    pub pair: Option<usize>,
    /// The rows of the columns' tables the step is about (their labels, as in
    /// `catalog::row_labels`); the others are dimmed. Empty: none dimmed.
    pub focus: Vec<&'static str>,
}

impl Step {
    /// Applies what the step names to `cfg`; the rest of `cfg` stays.
    pub fn apply(&self, cfg: &mut RunConfig) -> Result<(), String> {
        if let Some(name) = &self.scenario {
            let s = cfg.catalog.get(name)?.clone();
            cfg.apply_scenario(&s)?;
        }
        if let Some(kind) = self.workload
            && kind.name != cfg.workload
        {
            cfg.switch_workload(kind.name)?;
        }
        for (name, value) in &self.params {
            cfg.params.0.insert(name.clone(), *value);
        }
        let mut s = Settings {
            units: cfg.units,
            runtime: cfg.runtime,
            workers: Some(cfg.workers),
            stack_bytes: cfg.stack_bytes,
            one_side: cfg.one_side,
            turns: cfg.turns,
        };
        for (setting, value) in &self.settings {
            setting.apply(&mut s, Given::Toml(value))?;
        }
        cfg.units = s.units;
        cfg.runtime = s.runtime;
        cfg.workers = s.workers.unwrap_or_else(cores);
        cfg.stack_bytes = s.stack_bytes;
        cfg.one_side = s.one_side;
        cfg.turns = s.turns && s.one_side.is_some();
        Ok(())
    }
}

/// The run at step `index`: every step up to it applied in order over `base`.
pub fn run_at(steps: &[Step], index: usize, base: &RunConfig) -> Result<RunConfig, String> {
    let mut cfg = base.clone();
    for step in steps.iter().take(index + 1) {
        step.apply(&mut cfg)?;
    }
    Ok(cfg)
}
