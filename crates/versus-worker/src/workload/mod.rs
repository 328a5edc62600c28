//! Workloads: one file per kind, the async side and the thread side of the same work next to each other.
//! A kind is a row in `KINDS`: its name, caption, parameter table, constructor, the figures it reports
//! of its own, the pace its units ask for and its file for the source view, all declared in its file.

pub mod blocking;
pub mod cancel;
pub mod contention;
pub mod cpu;
pub mod deadlock;
pub mod echo;
pub mod params;
pub mod pool;
pub mod sleep;
pub mod source;
pub mod spawn;
pub mod switch;
pub mod timer;
pub mod unit;
pub mod weight;
pub mod yielding;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use params::{ParamDef, Params};
pub use unit::{SideShared, Unit};

use crate::figure::Figure;
use crate::protocol::ParamValue;

/// A boxed unit future for the async side.
pub type UnitFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The same work written twice: once as a tokio task, once as a std thread.
pub trait Workload: Send + Sync + 'static {
    /// One unit on the async side; it ends when `unit.retire_if_surplus()` says so.
    fn task(self: Arc<Self>, unit: Unit) -> UnitFuture;
    /// One unit on the threads side; it ends when `unit.retire_if_surplus()` says so.
    fn thread(self: Arc<Self>, unit: Unit);
    /// Figures of this kind beyond ops and lateness, read by the reporter once per interval; each key
    /// is a figure of its `Kind::figures` (a test runs every kind and fails on a key not declared).
    fn extra(&self) -> BTreeMap<String, f64> {
        BTreeMap::new()
    }
    /// Runs on each thread of the async side's runtime as it starts (before any unit), so a kind
    /// can place it (`switch` pins it to a CPU).
    fn runtime_thread_started(&self) {}
    /// Changes a parameter while the units run; kinds that support none refuse.
    fn set_param(&self, name: &str, _value: &ParamValue) -> Result<(), String> {
        Err(format!("parameter {name} cannot change while running"))
    }
    /// The spawner hands over each async unit's task as it spawns it (a kind that aborts tasks keeps
    /// `JoinHandle::abort_handle`); the others ignore it.
    fn spawned(&self, _task: &tokio::task::JoinHandle<()>) {}
    /// How often the worker cancels every unit on its own (zero: never), on top of each
    /// `ToWorker::CancelUnits` (key `x`); None: the kind cancels nothing and the worker starts no
    /// canceller.
    fn cancel_every(&self) -> Option<std::time::Duration> {
        None
    }
    /// Cancels every unit of the side and returns once they are gone (or a bound has passed); the
    /// spawner then brings the side back to its target.
    fn cancel_units(&self) {}
}

/// What the worker needs from a kind to build it for one side.
pub struct BuildCtx<'a> {
    pub params: &'a Params,
    pub shared: &'a Arc<SideShared>,
    pub side: crate::protocol::Side,
}

/// A row of the workload table.
pub struct Kind {
    pub name: &'static str,
    /// One line for `--help` and `--list`.
    pub summary: &'static str,
    /// What to look for on screen, in a sentence or two.
    pub caption: &'static str,
    pub params: &'static [ParamDef],
    pub build: fn(&BuildCtx<'_>) -> Result<Arc<dyn Workload>, String>,
    /// The figures it reports of its own (`Workload::extra`), each declared here and nowhere else.
    pub figures: &'static [Figure],
    /// The figures it is about when it runs without a scenario, its headline first (a scenario's
    /// preset names its own with `headline = [...]`).
    pub headline: &'static [&'static Figure],
    /// How its units ask for work, so a side that cannot keep up says so; None: they ask no pace.
    pub pace: Option<Pace>,
    /// Its units go and come back as part of the work (cancel stops and respawns them all): a dip in
    /// the unit count under an unchanged target does not restart the steady state.
    pub churns: bool,
    /// Its file for the source view: the name under `crates/versus-worker/src/workload/` and the text, as compiled.
    pub source: (&'static str, &'static str),
}

/// How a kind's units ask for work: the parameter that sets the pace, and what counts what was done.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// Each unit wakes once every `param` ms; `ops_per_sec` counts wake-ups (when `counted`).
    PeriodMs { param: &'static str, counted: bool },
    /// Each unit asks `param` a second, counted in `done`; 0 is "as fast as possible", which asks
    /// nothing in particular.
    PerSec {
        param: &'static str,
        done: &'static Figure,
    },
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kind")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every workload kind, in the order `w` cycles through them.
pub const KINDS: &[Kind] = &[
    sleep::KIND,
    cpu::KIND,
    spawn::KIND,
    switch::KIND,
    contention::KIND,
    blocking::KIND,
    yielding::KIND,
    deadlock::KIND,
    echo::KIND,
    cancel::KIND,
    pool::KIND,
    weight::KIND,
];

pub fn find(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// "sleep, cpu" for error messages.
pub fn names() -> String {
    KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}
