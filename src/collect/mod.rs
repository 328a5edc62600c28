//! Collection: launches a worker process per side and turns its output into events, off the render path.
//! One reader thread per worker joins each sample with the OS figures read from /proc when it arrives.

mod child;
pub mod external;
pub mod loadgen;
pub mod machine;
pub mod procstat;
mod reader;
#[cfg(test)]
mod tests;
pub mod threads;

use std::process::Child;
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

pub use crate::sys::describe_exit as describe;
pub use child::{ChildPipe, Priority, spawn_child, spawn_guarded};

use crate::model::SideSample;
use crate::protocol::{PROTOCOL_VERSION, Side, ToWorker, WorkerSpec};

/// What a reader thread learned.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Sample(Box<SideSample>),
    /// The worker said why it cannot go on.
    Fatal(String),
    /// The worker sent something that is not a valid message; reading stopped.
    Protocol(String),
    /// A line the worker wrote to stderr (a panic message, say).
    Stderr(String),
    /// stdout closed: the worker is exiting or gone. Its stderr lines, if any, came before.
    Closed,
}

/// An event from one worker; `generation` tells a restarted worker's events from its predecessor's.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerEvent {
    pub side: Side,
    pub generation: u64,
    pub incoming: Incoming,
}

/// How worker processes are started.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LaunchOpts {
    /// Nice level of the workers (the controller stays at its own), so keys stay responsive.
    pub nice: i32,
    /// How workers (and the echo load generator) yield to the UI and the terminal.
    pub sched: Sched,
    /// CPUs a side is pinned to, by side index; empty = no pinning.
    pub cpus: [Vec<usize>; 2],
}

/// How a side yields to the UI and the terminal (see `Priority`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sched {
    /// Each side a scheduling group (autogroup) at --nice: weighed as one task, not per thread.
    #[default]
    Group,
    /// Every worker thread SCHED_IDLE: where autogroup does not apply.
    Idle,
    /// Each thread at --nice, as before issue 10: 1,000 busy threads outweigh the terminal.
    Normal,
}

impl Sched {
    /// `Group` where autogroup applies (on, and this process in the root cpu cgroup, the only
    /// place the kernel uses it), else `Idle`.
    pub fn group_or_idle() -> Sched {
        let on = std::fs::read_to_string("/proc/sys/kernel/sched_autogroup_enabled")
            .is_ok_and(|s| s.trim() == "1");
        let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        if on && in_root_cpu_cgroup(&cgroup) {
            Sched::Group
        } else {
            Sched::Idle
        }
    }
}

/// Whether /proc/self/cgroup puts the process in the root of the cpu controller (v1 `N:cpu...:/`)
/// or, with no v1 cpu line, in the v2 root (`0::/`).
fn in_root_cpu_cgroup(cgroup: &str) -> bool {
    let mut v2_root = false;
    for line in cgroup.lines() {
        let mut f = line.splitn(3, ':');
        let (_, controllers, path) = (f.next(), f.next().unwrap_or(""), f.next().unwrap_or(""));
        if controllers.split(',').any(|c| c == "cpu") {
            return path == "/";
        }
        if controllers.is_empty() {
            v2_root = path == "/";
        }
    }
    v2_root
}

impl LaunchOpts {
    pub fn priority(&self) -> Priority {
        Priority {
            nice: self.nice,
            group: self.sched == Sched::Group,
            idle: self.sched == Sched::Idle,
        }
    }
}

/// A running worker process. Dropping it stops the process (stdin closed, then SIGKILL).
#[derive(Debug)]
pub struct WorkerHandle {
    pub side: Side,
    pub pid: u32,
    pub generation: u64,
    pipe: ChildPipe,
}

/// Starts `versus worker` for `spec.side` and its reader threads, which send to `tx`.
pub fn launch<E: From<WorkerEvent> + Send + 'static>(
    spec: &WorkerSpec,
    opts: &LaunchOpts,
    generation: u64,
    tx: Sender<E>,
) -> std::io::Result<WorkerHandle> {
    let child = spawn_child("worker", opts.priority(), &opts.cpus[spec.side.index()])?;
    attach(child, spec, generation, tx)
}

/// Sends `Start` to a child with piped stdio and starts its reader threads. Apart from `launch` so
/// tests can attach a fake worker (`sh -c ...`) that does what a real one should not.
pub fn attach<E: From<WorkerEvent> + Send + 'static>(
    mut child: Child,
    spec: &WorkerSpec,
    generation: u64,
    tx: Sender<E>,
) -> std::io::Result<WorkerHandle> {
    let (out, err) = (child.stdout.take(), child.stderr.take());
    // The handle first: on any error below, dropping it kills and reaps the child.
    let mut handle = WorkerHandle {
        side: spec.side,
        pid: child.id(),
        generation,
        pipe: ChildPipe::new(child),
    };
    let start = ToWorker::Start {
        version: PROTOCOL_VERSION,
        spec: spec.clone(),
    };
    match handle.send(&start) {
        // A worker that died at once: its reader reports how, with its stderr.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e),
        _ => {}
    }
    let (side, pid) = (spec.side, handle.pid);
    let tagged = move || reader::Tagged {
        side,
        generation,
        tx: tx.clone(),
    };
    let (stderr_done_tx, stderr_done) = mpsc::channel::<()>();
    if let Some(err) = err {
        let to = tagged();
        std::thread::Builder::new()
            .name(format!("stderr-{}", side.name()))
            .spawn(move || {
                let _done = stderr_done_tx;
                reader::read_stderr(&to, err);
            })?;
    }
    if let Some(out) = out {
        let to = tagged();
        std::thread::Builder::new()
            .name(format!("read-{}", side.name()))
            .spawn(move || reader::read_stdout(&to, pid, out, &stderr_done))?;
    }
    Ok(handle)
}

impl WorkerHandle {
    /// Sends a command; an error means the worker is gone (its reader reports why).
    pub fn send(&mut self, cmd: &ToWorker) -> std::io::Result<()> {
        self.pipe.send(cmd)
    }

    /// How the process ended, waiting at most `grace` after closing stdin, then SIGKILL.
    pub fn stop(&mut self, grace: Duration) -> String {
        self.pipe.stop(grace)
    }

    /// Exit status if the process has ended.
    pub fn try_status(&mut self) -> Option<String> {
        self.pipe.try_status()
    }
}

#[cfg(test)]
mod sched_tests {
    use super::in_root_cpu_cgroup;

    #[test]
    fn autogroup_applies_only_in_the_root_cpu_cgroup() {
        assert!(in_root_cpu_cgroup("0::/\n"));
        assert!(!in_root_cpu_cgroup(
            "0::/user.slice/user-1000.slice/session-2.scope\n"
        ));
        assert!(in_root_cpu_cgroup("4:memory:/a\n1:cpu,cpuacct:/\n0::/b\n"));
        assert!(!in_root_cpu_cgroup("1:cpu,cpuacct:/user.slice\n0::/\n"));
        assert!(!in_root_cpu_cgroup(""));
    }
}
