//! The controller: owns the worker processes and the model, applies actions and worker events.
//! Both the TUI and the headless runner drive one `Session`; neither touches a worker directly.

mod feed;
pub mod guard;
mod loadgen;
pub mod overload;
mod programs;
pub mod replay;
mod scenario;
mod talk;

use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::action::{Action, Selection, scaled};
use crate::collect::{self, Incoming, WorkerEvent, WorkerHandle};
use crate::config::RunConfig;
use crate::model::{Input, Model, Status};
use crate::protocol::{Side, ToWorker};
use crate::record::Recorder;
use crate::workload;

/// How long a worker gets to exit after its stdin closes before it is killed.
const STOP_GRACE: Duration = Duration::from_millis(1000);

/// Everything the controller's loop waits on.
#[derive(Debug)]
pub enum Event {
    Worker(WorkerEvent),
    Input(ratatui::crossterm::event::Event),
    /// SIGTERM, SIGHUP or SIGINT arrived.
    Signal(i32),
    /// From the load generator of the `echo` workload.
    Loadgen(crate::collect::loadgen::LoadgenEvent),
    /// From a recording played back (`versus replay`).
    Replay(crate::record::player::Replayed),
    /// The speaker's → / ← from `versus notes`, read off the talk's socket.
    Notes(crate::notes_wire::ToTalk),
}

impl From<crate::record::player::Replayed> for Event {
    fn from(e: crate::record::player::Replayed) -> Self {
        Event::Replay(e)
    }
}

impl From<WorkerEvent> for Event {
    fn from(e: WorkerEvent) -> Self {
        Event::Worker(e)
    }
}

impl From<crate::collect::loadgen::LoadgenEvent> for Event {
    fn from(e: crate::collect::loadgen::LoadgenEvent) -> Self {
        Event::Loadgen(e)
    }
}

pub struct Session {
    pub cfg: RunConfig,
    pub model: Model,
    pub(crate) workers: [Option<WorkerHandle>; 2],
    pub(crate) generation: u64,
    /// Units to come back to when a stopped side is started again.
    pub(crate) resume_units: [u64; 2],
    pub(crate) tx: Sender<Event>,
    pub(crate) started: Instant,
    /// A one-line message for the screen (a refusal, a restart).
    pub notice: Option<String>,
    /// The `echo` workload's load generator (idle for other workloads).
    pub(crate) loadgen: loadgen::Loadgen,
    /// Memory budget per side and the backstop's state.
    pub(crate) guard: guard::Guard,
    /// CPU time spent by others on the machine, for the header.
    machine: collect::machine::MachineLoad,
    /// When the running side's turn began (seconds since start), when the sides take turns.
    pub(crate) turn_started_s: f64,
    /// When a side was last scaled down to give the screen back (`overload`).
    pub(crate) last_relief_s: Option<f64>,
    /// The non-zero value an integer flipped off by `f` had, to flip back to.
    pub(crate) flip_memory: std::collections::BTreeMap<&'static str, i64>,
    /// `--record`: where every input of the model goes too.
    pub(crate) recorder: Option<Recorder>,
    /// The notice as last recorded.
    pub(crate) recorded_notice: Option<String>,
    /// `versus replay`: the recording being played instead of workers.
    pub replay: Option<replay::ReplayState>,
}

impl Session {
    /// Launches both sides.
    pub fn start(cfg: RunConfig, tx: Sender<Event>) -> Session {
        Session::start_with(cfg, tx, None)
    }

    /// Launches both sides, recording from the first input when `recorder` is given.
    pub fn start_with(cfg: RunConfig, tx: Sender<Event>, recorder: Option<Recorder>) -> Session {
        let mut s = Session::idle(cfg, tx);
        s.recorder = recorder;
        // The first input: a replay rebuilds from here.
        s.feed(Input::Reset {
            run: s.cfg.run_info(),
            window_s: s.cfg.window.as_secs_f64(),
        });
        for side in Side::BOTH {
            s.launch(side);
        }
        s.settle_one_side();
        s.start_loadgen();
        s
    }

    /// A session with no worker yet.
    fn idle(cfg: RunConfig, tx: Sender<Event>) -> Session {
        let model = Model::new(cfg.run_info(), cfg.window.as_secs_f64());
        let resume_units = cfg.units.map(|u| u.max(1));
        let budget = cfg.memory_budget;
        Session {
            cfg,
            model,
            workers: [None, None],
            generation: 0,
            resume_units,
            tx,
            started: Instant::now(),
            notice: None,
            loadgen: loadgen::Loadgen::default(),
            guard: guard::Guard::new(budget),
            machine: collect::machine::MachineLoad::default(),
            turn_started_s: 0.0,
            last_relief_s: None,
            flip_memory: std::collections::BTreeMap::new(),
            recorder: None,
            recorded_notice: None,
            replay: None,
        }
    }

    pub fn now_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    pub(crate) fn launch(&mut self, side: Side) {
        self.generation += 1;
        let spec = self.worker_spec(side);
        self.feed(Input::Launched {
            side,
            target_units: self.cfg.units[side.index()],
        });
        let (opts, tx) = (&self.cfg.launch, self.tx.clone());
        let launched = match self.program(side) {
            Some(p) => collect::external::launch(&spec, p, opts, self.generation, tx),
            None => collect::launch(&spec, opts, self.generation, tx),
        };
        match launched {
            Ok(handle) => self.workers[side.index()] = Some(handle),
            Err(e) => {
                self.workers[side.index()] = None;
                let why = format!("could not start worker: {e}");
                self.feed(Input::Failed { side, why });
            }
        }
    }

    /// Applies what a worker's reader thread sent.
    pub fn on_worker(&mut self, ev: WorkerEvent) {
        let side = ev.side;
        let current = self.workers[side.index()].as_ref().map(|w| w.generation);
        if current != Some(ev.generation) {
            return; // from a worker that was replaced or stopped on purpose
        }
        match ev.incoming {
            Incoming::Sample(mut s) => {
                self.merge_load(side, &mut s);
                self.feed(Input::Sample { side, sample: s });
                self.enforce_memory_budget(side);
            }
            Incoming::Stderr(text) => self.feed(Input::Error { side, text }),
            Incoming::Fatal(msg) => self.fail(side, msg),
            Incoming::Protocol(e) => self.fail(side, format!("bad message from worker: {e}")),
            // How the process ended says it all ("killed by SIGKILL (signal 9)"), and short enough
            // to fit a narrow column.
            Incoming::Closed => self.fail(side, String::new()),
        }
    }

    /// Marks a side failed with the reason and how its process ended; the other side goes on.
    pub(crate) fn fail(&mut self, side: Side, why: String) {
        let status = self.workers[side.index()]
            .take()
            .map(|mut w| w.stop(STOP_GRACE));
        let reason = match status {
            // A watcher's own exit adds nothing to its message, which has the program's.
            Some(_) if !why.is_empty() && self.program(side).is_some() => why,
            Some(st) if why.is_empty() => st,
            Some(st) => format!("{why}; {st}"),
            None if why.is_empty() => "worker stopped reporting".into(),
            None => why,
        };
        self.feed(Input::Failed { side, why: reason });
    }

    /// Marks silent sides; call it now and then.
    pub fn tick(&mut self) {
        if self.replay.is_some() {
            return; // a replay's model is fed from the recording alone
        }
        self.feed(Input::Tick);
        let now = self.now_s();
        self.take_turns(now);
        // Ours: the controller, each worker as it reports itself, the load generator.
        let workers: f64 = Side::BOTH
            .iter()
            .filter_map(|&s| self.model.side(s).latest())
            .map(|s| s.worker.cpu_us as f64 / 1e6)
            .sum();
        let loadgen = self
            .loadgen_pid()
            .and_then(collect::machine::process_cpu_s)
            .unwrap_or(0.0);
        let ours = collect::machine::own_cpu_s() + workers + loadgen;
        if let Some(cores) = self.machine.sample(ours) {
            self.feed(Input::Outside { cores });
        }
        self.record_notice();
    }

    pub(crate) fn send(&mut self, side: Side, cmd: &ToWorker) {
        if let Some(w) = self.workers[side.index()].as_mut()
            && let Err(e) = w.send(cmd)
        {
            self.notice = Some(format!(
                "{} worker did not take the command: {e}",
                side.name()
            ));
        }
    }

    pub fn set_units(&mut self, side: Side, units: u64) {
        let cap = if side == Side::Async {
            crate::scenario::settings::MAX_ASYNC_UNITS
        } else {
            crate::scenario::settings::MAX_THREAD_UNITS
        };
        let units = units.min(cap);
        if let Err(why) = self.check_memory_budget(side, units) {
            self.notice = Some(why);
            return;
        }
        self.cfg.units[side.index()] = units;
        if units > 0 {
            self.resume_units[side.index()] = units;
        }
        self.feed(Input::Target { side, units });
        self.stop_or_go_program(side, units);
        if self.is_echo() {
            self.set_connections(side, units);
        } else {
            self.send(side, &ToWorker::SetUnits { units });
        }
    }

    /// No worker, or one that stopped reporting (stopped, hung): `r` replaces it, and dropping
    /// the old handle kills a hung process.
    pub(crate) fn is_dead(&self, side: Side) -> bool {
        self.workers[side.index()].is_none()
            || self.model.side(side).status == Status::NotResponding
    }

    /// Applies a controller action to the selected side(s). View-only actions are ignored here.
    pub fn apply(&mut self, action: Action, selection: Selection) {
        self.notice = None;
        if self.replay.is_some() {
            return self.apply_in_replay(action);
        }
        if let Some(why) = Side::BOTH
            .iter()
            .filter(|&&s| selection.includes(s))
            .find_map(|&s| self.refused_for_program(action, s))
        {
            self.notice = Some(why);
            return;
        }
        if self.apply_scenario_action(action, selection) {
            return;
        }
        let selection = self.one_side_selection(selection);
        for &side in selection.sides() {
            let units = self.cfg.units[side.index()];
            match action {
                Action::ScaleUp => self.set_units(side, scaled(units, true)),
                Action::ScaleDown => self.set_units(side, scaled(units, false)),
                Action::StartStop if units == 0 => {
                    self.set_units(side, self.resume_units[side.index()])
                }
                Action::StartStop => self.set_units(side, 0),
                Action::Restart if self.is_dead(side) => {
                    self.launch(side);
                    self.notice = Some(format!("{} side restarted", side.name()));
                }
                Action::Restart => {}
                _ => {}
            }
        }
        if action == Action::NextWorkload {
            self.next_workload();
        }
    }

    /// Both sides move to the next kind: fresh workers, so baselines and counters start clean.
    pub fn next_workload(&mut self) {
        let kinds = workload::KINDS;
        let i = kinds
            .iter()
            .position(|k| k.name == self.cfg.workload)
            .map_or(0, |i| (i + 1) % kinds.len());
        if let Err(e) = self.cfg.switch_workload(kinds[i].name) {
            self.notice = Some(e);
            return;
        }
        self.restart_all();
    }

    /// Relaunches both workers with the current configuration.
    pub fn restart_all(&mut self) {
        self.stop_workers();
        self.turn_started_s = self.now_s();
        self.flip_memory.clear();
        self.feed(Input::Reset {
            run: self.cfg.run_info(),
            window_s: self.cfg.window.as_secs_f64(),
        });
        for side in Side::BOTH {
            self.launch(side);
        }
        self.start_loadgen();
    }

    /// Closes every worker's stdin at once, then waits for each (killing stragglers).
    /// The load generator goes first, so no server's exit shows up as its error.
    pub fn stop_workers(&mut self) {
        self.stop_loadgen();
        let mut handles: Vec<WorkerHandle> =
            self.workers.iter_mut().filter_map(Option::take).collect();
        std::thread::scope(|s| {
            for h in &mut handles {
                s.spawn(|| h.stop(STOP_GRACE));
            }
        });
    }

    pub fn any_failed(&self) -> bool {
        self.model
            .sides
            .iter()
            .any(|m| matches!(m.status, Status::Failed(_)))
    }

    /// PIDs of the live workers (tests and diagnostics).
    pub fn worker_pids(&self) -> Vec<u32> {
        self.workers.iter().flatten().map(|w| w.pid).collect()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop_workers();
    }
}

/// Forwards SIGTERM, SIGHUP and SIGINT as events so every exit path runs the same clean-up.
pub fn forward_signals(tx: Sender<Event>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if tx.send(Event::Signal(sig)).is_err() {
                    return;
                }
            }
        })?;
    Ok(())
}
