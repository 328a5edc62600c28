//! Collection: launches a worker process per side and turns its output into events, off the render path.
//! One reader thread per worker joins each sample with the OS figures read from /proc when it arrives.

pub mod procstat;

use std::io::{BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::model::SideSample;
use crate::protocol::{
    self, DecodeError, FromWorker, PROTOCOL_VERSION, Side, ToWorker, WorkerSpec,
};

/// Longest stderr line of a worker kept (a panic message fits).
const MAX_STDERR_LINE: usize = 400;

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
    /// stdout closed: the worker is exiting or gone.
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
    /// CPUs a side is pinned to, by side index; empty = no pinning.
    pub cpus: [Vec<usize>; 2],
}

/// A running worker process.
#[derive(Debug)]
pub struct WorkerHandle {
    pub side: Side,
    pub pid: u32,
    pub generation: u64,
    child: Child,
    stdin: Option<ChildStdin>,
}

/// Starts `versus worker` for `spec.side` and its reader threads, which send to `tx`.
pub fn launch<E: From<WorkerEvent> + Send + 'static>(
    spec: &WorkerSpec,
    opts: &LaunchOpts,
    generation: u64,
    tx: Sender<E>,
) -> std::io::Result<WorkerHandle> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg("worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let nice = opts.nice;
    let cpus = opts.cpus[spec.side.index()].clone();
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe syscalls
    // (prctl, getppid, setpgid, setpriority, sched_setaffinity) on data prepared before the fork.
    let parent = std::process::id() as libc::pid_t;
    let cpuset = cpu_set(&cpus);
    unsafe {
        cmd.pre_exec(move || {
            // The worker dies with the controller, even on SIGKILL.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            // Its own process group: terminal signals (Ctrl-C, Ctrl-Z) go to the controller only.
            libc::setpgid(0, 0);
            if nice != 0 {
                libc::setpriority(libc::PRIO_PROCESS, 0, nice);
            }
            if let Some(set) = &cpuset {
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set);
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let mut stdin = child.stdin.take();
    let start = ToWorker::Start {
        version: PROTOCOL_VERSION,
        spec: spec.clone(),
    };
    if let Some(w) = stdin.as_mut() {
        w.write_all(protocol::encode(&start).as_bytes())?;
        w.flush()?;
    }
    let side = spec.side;
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::Builder::new()
            .name(format!("read-{}", side.name()))
            .spawn(move || read_stdout(side, generation, pid, out, &tx))?;
    }
    if let Some(err) = child.stderr.take() {
        std::thread::Builder::new()
            .name(format!("stderr-{}", side.name()))
            .spawn(move || read_stderr(side, generation, err, &tx))?;
    }
    Ok(WorkerHandle {
        side,
        pid,
        generation,
        child,
        stdin,
    })
}

fn cpu_set(cpus: &[usize]) -> Option<libc::cpu_set_t> {
    if cpus.is_empty() {
        return None;
    }
    // SAFETY: cpu_set_t is plain bits; CPU_SET only sets one of them.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus.iter().filter(|&&c| c < libc::CPU_SETSIZE as usize) {
        // SAFETY: c is below CPU_SETSIZE, so the bit is inside the set.
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    Some(set)
}

fn read_stdout<E: From<WorkerEvent>>(
    side: Side,
    generation: u64,
    pid: u32,
    out: impl Read,
    tx: &Sender<E>,
) {
    let send = |incoming| {
        tx.send(
            WorkerEvent {
                side,
                generation,
                incoming,
            }
            .into(),
        )
        .is_ok()
    };
    let mut r = BufReader::new(out);
    let mut buf = Vec::new();
    loop {
        let incoming = match protocol::read_line_bounded(&mut r, &mut buf) {
            Ok(None) | Err(_) => Incoming::Closed,
            Ok(Some(Err(e))) => Incoming::Protocol(e.to_string()),
            Ok(Some(Ok(()))) => match protocol::decode::<FromWorker>(&buf) {
                Ok(FromWorker::Sample(worker)) => {
                    // Read right away so the OS figures and the worker's counters describe one moment.
                    let os = procstat::read(pid).unwrap_or_default();
                    Incoming::Sample(Box::new(SideSample {
                        worker: *worker,
                        os,
                    }))
                }
                Ok(FromWorker::Hello { version, .. }) if version == PROTOCOL_VERSION => continue,
                Ok(FromWorker::Hello { version, .. }) => Incoming::Protocol(format!(
                    "worker speaks protocol {version}, not {PROTOCOL_VERSION}"
                )),
                Ok(FromWorker::Fatal { message }) => Incoming::Fatal(message),
                Err(e) => Incoming::Protocol(e.to_string()),
            },
        };
        let last = matches!(incoming, Incoming::Closed | Incoming::Protocol(_));
        if !send(incoming) || last {
            // Dropping stdout makes a worker still writing get EPIPE and exit.
            return;
        }
    }
}

fn read_stderr<E: From<WorkerEvent>>(side: Side, generation: u64, err: impl Read, tx: &Sender<E>) {
    let mut r = BufReader::new(err);
    let mut buf = Vec::new();
    while let Ok(Some(res)) = protocol::read_line_bounded(&mut r, &mut buf) {
        let line = match res {
            Ok(()) => String::from_utf8_lossy(&buf)
                .trim_end()
                .chars()
                .take(MAX_STDERR_LINE)
                .collect::<String>(),
            Err(DecodeError::TooLong) => "(overlong stderr line)".into(),
            Err(e) => e.to_string(),
        };
        if !line.is_empty()
            && tx
                .send(
                    WorkerEvent {
                        side,
                        generation,
                        incoming: Incoming::Stderr(line),
                    }
                    .into(),
                )
                .is_err()
        {
            return;
        }
    }
}

impl WorkerHandle {
    /// Sends a command; an error means the worker is gone (its reader reports why).
    pub fn send(&mut self, cmd: &ToWorker) -> std::io::Result<()> {
        let w = self.stdin.as_mut().ok_or(std::io::ErrorKind::BrokenPipe)?;
        w.write_all(protocol::encode(cmd).as_bytes())?;
        w.flush()
    }

    /// How the process ended, waiting at most `grace` after closing stdin, then SIGKILL.
    pub fn stop(&mut self, grace: Duration) -> String {
        self.stdin = None;
        let deadline = Instant::now() + grace;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return describe(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                _ => break,
            }
        }
        let _ = self.child.kill();
        self.child
            .wait()
            .map_or_else(|e| format!("wait failed: {e}"), describe)
    }

    /// Exit status if the process has ended.
    pub fn try_status(&mut self) -> Option<String> {
        self.child.try_wait().ok().flatten().map(describe)
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.stop(Duration::from_millis(500));
    }
}

/// "exited with code 2", "killed by SIGKILL (signal 9)".
pub fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return format!("exited with code {code}");
    }
    match status.signal() {
        Some(sig) => format!("killed by {} (signal {sig})", signal_name(sig)),
        None => "ended".into(),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGINT => "SIGINT",
        libc::SIGHUP => "SIGHUP",
        libc::SIGPIPE => "SIGPIPE",
        _ => "a signal",
    }
}
