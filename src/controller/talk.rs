//! A talk step on a running session: from what runs now to what the step asks for, restarting only
//! what has to restart. Units change as the keys change them (the worker ramps to its new count);
//! the runtime and stack restart one side each, as m and k do; another scenario restarts both.

use super::Session;
use crate::config::{RunConfig, other};
use crate::protocol::{ParamValue, Side, ToWorker};
use crate::workload;

impl Session {
    /// What runs now as a configuration, with the count a one-side-stopped side comes back to.
    pub fn talk_snapshot(&self) -> RunConfig {
        let mut cfg = self.cfg.clone();
        if let Some(run) = cfg.one_side {
            let stopped = other(run).index();
            cfg.units[stopped] = self.resume_units[stopped];
        }
        cfg
    }

    /// Moves the run to `target` (a snapshot with a step applied, or a talk's state at a step).
    pub fn go_to(&mut self, target: &RunConfig) {
        self.notice = None;
        let cfg = &self.cfg;
        let flag = live_flag(&target.workload);
        let params_live = target.params.0.iter().all(|(name, value)| {
            cfg.params.0.get(name) == Some(value) || Some(name.as_str()) == flag
        });
        if target.workload != cfg.workload || target.scenario != cfg.scenario || !params_live {
            self.take_run(target);
            self.resume_units = self.cfg.units.map(|u| u.max(1));
            self.restart_all();
            self.settle_one_side();
            return;
        }
        if let Some(name) = flag
            && let Some(&value) = target.params.0.get(name)
            && self.cfg.params.0.get(name) != Some(&value)
        {
            self.cfg.params.0.insert(name.to_string(), value);
            for side in Side::BOTH {
                let cmd = ToWorker::SetParam {
                    name: name.to_string(),
                    value,
                };
                self.send(side, &cmd);
            }
        }
        let async_restart =
            target.runtime != self.cfg.runtime || target.workers != self.cfg.workers;
        let threads_restart = target.stack_bytes != self.cfg.stack_bytes;
        self.cfg.runtime = target.runtime;
        self.cfg.workers = target.workers;
        self.cfg.stack_bytes = target.stack_bytes;
        self.cfg.caption.clone_from(&target.caption);
        // Counts first, so a restarted side starts at its new count.
        self.cfg.one_side = target.one_side;
        let mut counts = [0; 2];
        for side in Side::BOTH {
            let i = side.index();
            let wanted = target.units[i];
            self.resume_units[i] = wanted.max(1);
            counts[i] = match target.one_side {
                Some(run) if run != side => 0,
                _ => wanted,
            };
        }
        for (side, restart) in [
            (Side::Async, async_restart),
            (Side::Threads, threads_restart),
        ] {
            if restart {
                self.cfg.units[side.index()] = counts[side.index()];
                self.relaunch(side);
            } else if self.cfg.units[side.index()] != counts[side.index()] {
                self.set_units(side, counts[side.index()]);
            }
        }
        self.refresh_run_info();
    }

    /// Takes over everything `target` says runs; launch options and the catalog stay.
    fn take_run(&mut self, target: &RunConfig) {
        let c = &mut self.cfg;
        c.workload.clone_from(&target.workload);
        c.scenario.clone_from(&target.scenario);
        c.caption.clone_from(&target.caption);
        c.params = target.params.clone();
        c.units = target.units;
        c.runtime = target.runtime;
        c.workers = target.workers;
        c.stack_bytes = target.stack_bytes;
        c.one_side = target.one_side;
    }
}

/// The one parameter of a workload that changes live (its first on/off one), as `f` flips it.
fn live_flag(kind: &str) -> Option<&'static str> {
    workload::find(kind).and_then(|k| {
        k.params
            .iter()
            .find(|d| matches!(d.default, ParamValue::Bool(_)))
            .map(|d| d.name)
    })
}
