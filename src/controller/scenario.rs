//! The session's live scenario controls: switching scenarios, the runtime and stack toggles, the
//! workload's on/off parameter, and one side at a time. Each restarts only the worker it has to.

use super::{STOP_GRACE, Session};
use crate::action::{Action, Selection};
use crate::config::other;
use crate::model::Input;
use crate::protocol::{ParamValue, RuntimeFlavor, Side, ToWorker};
use crate::workload;

/// The small stack of the stack toggle; the other end is Rust's default (2 MiB).
pub const SMALL_STACK_BYTES: usize = 64 << 10;

impl Session {
    /// Applies the scenario and fairness actions; false for any other action.
    pub(crate) fn apply_scenario_action(&mut self, action: Action, selection: Selection) -> bool {
        match action {
            Action::SwitchScenario(i) => self.switch_scenario(i),
            Action::ToggleRuntime => self.toggle_runtime(),
            Action::ToggleStack => self.toggle_stack(),
            Action::FlipFlag => self.flip_flag(),
            Action::CancelUnits => self.cancel_units(),
            Action::OneSide => self.toggle_one_side(selection),
            Action::Select(sel) => self.select_one_side(sel),
            _ => return false,
        }
        true
    }

    /// With one side at a time on, scaling and start/stop act on the running side only.
    pub(crate) fn one_side_selection(&self, selection: Selection) -> Selection {
        self.cfg.one_side.map_or(selection, Selection::of)
    }

    /// Index of the current scenario in the catalog, if one runs.
    pub fn scenario_index(&self) -> Option<usize> {
        self.cfg
            .scenario
            .as_deref()
            .and_then(|n| self.cfg.catalog.position(n))
    }

    /// Both sides move to scenario `i` with fresh workers, so baselines and counters start clean.
    pub fn switch_scenario(&mut self, i: usize) {
        let Some(s) = self.cfg.catalog.0.get(i).cloned() else {
            self.notice = Some(format!(
                "no scenario {} (there are {}; p lists them)",
                i + 1,
                self.cfg.catalog.0.len()
            ));
            return;
        };
        if let Err(e) = self.cfg.apply_scenario(&s) {
            self.notice = Some(format!("scenario {}: {e}", s.name));
            return;
        }
        self.resume_units = self.cfg.units.map(|u| u.max(1));
        self.restart_all();
        self.settle_one_side();
    }

    /// After a launch with one side at a time: the stopped side's count is kept to come back to.
    pub(crate) fn settle_one_side(&mut self) {
        if let Some(run) = self.cfg.one_side {
            let stopped = other(run);
            let i = stopped.index();
            if self.cfg.units[i] > 0 {
                self.resume_units[i] = self.cfg.units[i];
            }
            self.cfg.units[i] = 0;
            self.feed(Input::Target {
                side: stopped,
                units: 0,
            });
        }
        self.refresh_run_info();
    }

    /// The header follows the configuration (runtime, parameters, mode).
    pub(crate) fn refresh_run_info(&mut self) {
        let run = self.cfg.run_info();
        self.feed(Input::Run { run });
    }

    /// Stops one side's worker and starts a new one with the current configuration.
    pub(crate) fn relaunch(&mut self, side: Side) {
        if let Some(mut w) = self.workers[side.index()].take() {
            w.stop(STOP_GRACE);
        }
        self.refresh_run_info();
        self.launch(side);
    }

    pub fn toggle_runtime(&mut self) {
        self.cfg.runtime = match self.cfg.runtime {
            RuntimeFlavor::CurrentThread => RuntimeFlavor::MultiThread,
            RuntimeFlavor::MultiThread => RuntimeFlavor::CurrentThread,
        };
        self.relaunch(Side::Async);
        self.notice = Some(format!(
            "async side restarted on a {} runtime",
            self.cfg.runtime.name()
        ));
    }

    pub fn toggle_stack(&mut self) {
        let small = self.cfg.stack_bytes.is_some_and(|b| b <= SMALL_STACK_BYTES);
        self.cfg.stack_bytes = if small { None } else { Some(SMALL_STACK_BYTES) };
        self.relaunch(Side::Threads);
        self.notice = Some(format!(
            "threads side restarted with {} stacks",
            if small { "2 MiB" } else { "64 KiB" }
        ));
    }

    /// Flips the workload's first on/off parameter on both sides, live (no restart): a flag, an
    /// integer between 0 and its last non-zero value (`ParamDef::flips_to`), or the next value of
    /// its cycle (`ParamDef::cycle`).
    pub fn flip_flag(&mut self) {
        let flag = workload::find(&self.cfg.workload).and_then(|k| {
            k.params.iter().find(|d| {
                matches!(d.default, ParamValue::Bool(_))
                    || d.flips_to.is_some()
                    || !d.cycle.is_empty()
            })
        });
        let Some(def) = flag else {
            self.notice = Some(format!(
                "the {} workload has no on/off parameter to flip",
                self.cfg.workload
            ));
            return;
        };
        let value = match def.flips_to {
            _ if !def.cycle.is_empty() => ParamValue::Int(
                def.next_in_cycle(self.cfg.params.int(def.name))
                    .unwrap_or_default(),
            ),
            Some(on) => {
                let now = self.cfg.params.int(def.name);
                if now != 0 {
                    self.flip_memory.insert(def.name, now);
                    ParamValue::Int(0)
                } else {
                    ParamValue::Int(self.flip_memory.get(def.name).copied().unwrap_or(on))
                }
            }
            None => ParamValue::Bool(!self.cfg.params.flag(def.name)),
        };
        let was = self.cfg.params.0.insert(def.name.to_string(), value);
        if def.restarts {
            // Taken by new workers: refused as a whole when the machine cannot give it.
            if let Err(e) = self.cfg.check_params() {
                if let Some(was) = was {
                    self.cfg.params.0.insert(def.name.to_string(), was);
                }
                self.notice = Some(e);
                return;
            }
            for side in Side::BOTH {
                self.relaunch(side);
            }
            self.notice = Some(format!(
                "{}={}: both sides restarted",
                def.name,
                def.show(&value)
            ));
            return;
        }
        self.refresh_run_info();
        for side in Side::BOTH {
            self.send(
                side,
                &ToWorker::SetParam {
                    name: def.name.to_string(),
                    value,
                },
            );
        }
        if self.notice.is_none() {
            self.notice = Some(format!("{}={}, changed live", def.name, def.show(&value)));
        }
    }

    /// Cancels every unit of both sides now; their workers spawn them again (the `cancel` workload).
    pub fn cancel_units(&mut self) {
        let cancels = self.cfg.workload == workload::cancel::KIND.name;
        if !cancels {
            self.notice = Some(format!(
                "the {} workload has no units to cancel (the cancel workload has)",
                self.cfg.workload
            ));
            return;
        }
        for side in Side::BOTH {
            self.send(side, &ToWorker::CancelUnits);
        }
        self.notice = Some("every unit cancelled; spawning them again".into());
    }

    /// Taking turns: once the running side has had its turn, its figures are kept and the other
    /// side runs alone. A turn lasts until the side has been steady (a slow start on a busy machine
    /// would leave nothing to compare), but at most `MAX_TURNS_LONG` turns.
    pub(crate) fn take_turns(&mut self, now_s: f64) {
        const MAX_TURNS_LONG: f64 = 3.0;
        let Some(run) = self.cfg.one_side.filter(|_| self.cfg.turns) else {
            return;
        };
        let (elapsed, turn) = (now_s - self.turn_started_s, self.cfg.turn.as_secs_f64());
        let measured = crate::model::headline::steady(self.model.side(run));
        // --until-steady: a turn ends as soon as its side has settled, its time the most.
        let settled = self.cfg.until_steady && self.model.settle.side_settled(self.model.side(run));
        if settled || (elapsed >= turn && (measured || elapsed >= MAX_TURNS_LONG * turn)) {
            self.feed(Input::EndTurn { side: run });
            self.run_alone(other(run));
            self.refresh_run_info();
        }
    }

    /// On: only the selected side runs (async when both are selected). Off: both run again.
    pub fn toggle_one_side(&mut self, selection: Selection) {
        match self.cfg.one_side {
            Some(run) => {
                self.cfg.one_side = None;
                self.cfg.turns = false;
                let stopped = other(run);
                self.set_units(stopped, self.resume_units[stopped.index()]);
            }
            None => {
                let run = match selection {
                    Selection::Threads => Side::Threads,
                    Selection::Async | Selection::Both => Side::Async,
                };
                self.run_alone(run);
            }
        }
        self.refresh_run_info();
    }

    /// With one side at a time on, selecting the other side swaps which runs; selecting both ends it.
    fn select_one_side(&mut self, selection: Selection) {
        match (self.cfg.one_side, selection) {
            (None, _) => {}
            (Some(_), Selection::Both) => self.toggle_one_side(selection),
            (Some(run), sel) if Selection::of(run) == sel => {}
            (Some(run), _) => {
                self.run_alone(other(run));
                self.refresh_run_info();
            }
        }
    }

    /// `run` goes (back) to its count, the other side to 0 units with its count kept.
    fn run_alone(&mut self, run: Side) {
        self.cfg.one_side = Some(run);
        self.turn_started_s = self.now_s();
        let stopped = other(run);
        if self.cfg.units[stopped.index()] > 0 {
            self.set_units(stopped, 0);
        }
        if self.cfg.units[run.index()] == 0 {
            self.set_units(run, self.resume_units[run.index()]);
        }
    }
}
