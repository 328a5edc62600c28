//! The watcher: the side's child process when the user runs their own program (`--cmd`). It speaks
//! the worker protocol, runs the program through `sh -c`, and at each interval reports the program's
//! process tree as read from /proc, from outside. It exits when stdin closes, taking the program along.

mod program;
pub mod tree;

use std::io::BufReader;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::figure::{self, Direction, Figure, Format, Generic, Panel};
use crate::protocol::{self, FromWorker, OsFigures, PROTOCOL_VERSION, ToWorker, WorkerSample};
use crate::workload::echo::{CONNECTIONS_KEY, PORT_KEY};

/// Figures of a program watched from outside (`--cmd`), beside those of the echo kind it shares
/// (`port`, `connections`). A program reports no ops of its own, so its throughput row (ops/s) would
/// be a made-up 0: the process count stands in for it, with how many threads were read this interval
/// (fewer than the OS threads: sampled).
pub const PROCESSES: Figure = Figure::extra("processes", Format::Count, Direction::Neutral)
    .panel(Panel::segment("processes", "{} in the tree").replaces(Generic::Throughput));
pub const THREADS_READ: Figure = Figure::extra("threads_read", Format::Count, Direction::Neutral)
    .panel(Panel::segment("processes", "{} threads read"));
pub const FIGURES: &[Figure] = &[PROCESSES, THREADS_READ];

/// The placeholder in a command that versus replaces by the port it picked.
pub const PORT_PLACEHOLDER: &str = "{port}";
/// How long a program gets to accept its first connection.
pub const ACCEPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the watcher waits for the program's last stderr lines once it has exited.
const STDERR_DRAIN: Duration = Duration::from_millis(300);

fn send(msg: &FromWorker) {
    protocol::send_to_controller(msg);
}

fn fatal(message: String) -> ExitCode {
    send(&FromWorker::Fatal { message });
    ExitCode::from(2)
}

/// `versus watch LABEL COMMAND`: waits for Start, then runs and reports COMMAND.
pub fn main(label: &str, command: &str) -> ExitCode {
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    // Commands come on their own thread so the sampling keeps its pace.
    std::thread::spawn(move || {
        let mut input = BufReader::new(std::io::stdin().lock());
        let mut buf = Vec::new();
        loop {
            let cmd = match protocol::read_line_bounded(&mut input, &mut buf) {
                Ok(Some(Ok(()))) => protocol::decode::<ToWorker>(&buf).map_err(|e| e.to_string()),
                Ok(Some(Err(e))) => Err(e.to_string()),
                Ok(None) | Err(_) => return, // stdin closed: dropping tx ends the watcher
            };
            let last = cmd.is_err();
            if tx.send(cmd).is_err() || last {
                return;
            }
        }
    });
    let interval = match rx.recv() {
        Ok(Ok(ToWorker::Start { version, spec })) if version == PROTOCOL_VERSION => {
            Duration::from_millis(spec.interval_ms.max(10))
        }
        Ok(Ok(other)) => return fatal(format!("expected start, got {other:?}")),
        Ok(Err(e)) => return fatal(format!("bad command: {e}")),
        Err(_) => return ExitCode::SUCCESS,
    };
    let port = match command.contains(PORT_PLACEHOLDER).then(free_port) {
        Some(Err(e)) => return fatal(format!("{label}: no free loopback port: {e}")),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    let shell_command = port.map_or_else(
        || command.to_string(),
        |p| command.replace(PORT_PLACEHOLDER, &p.to_string()),
    );
    let mut prog = match program::Program::start(&shell_command) {
        Ok(p) => p,
        Err(e) => return fatal(format!("{label}: could not start sh: {e}")),
    };
    send(&FromWorker::Hello {
        version: PROTOCOL_VERSION,
        pid: std::process::id(),
    });
    let mut w = Watch {
        label,
        port,
        accepting: port.is_none(),
        started,
        baseline: None,
        tree: tree::Tree::default(),
        stopped: false,
    };
    for seq in 0.. {
        let deadline = Instant::now() + interval;
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Ok(ToWorker::SetUnits { units })) => w.stop_or_go(&prog, units == 0),
                Ok(Ok(ToWorker::SetParam { .. } | ToWorker::CancelUnits)) => {}
                Ok(Ok(ToWorker::Start { .. })) => return fatal("start sent twice".into()),
                Ok(Err(e)) => return fatal(format!("bad command: {e}")),
                // Out at once; dropping the program kills its group.
                Err(RecvTimeoutError::Disconnected) => return ExitCode::SUCCESS,
                Err(RecvTimeoutError::Timeout) => break,
            }
        }
        if let Some(how) = prog.try_exit() {
            let _ = prog.stderr_done.recv_timeout(STDERR_DRAIN);
            let last = prog.last_stderr.lock().clone();
            let last = if last.is_empty() {
                String::new()
            } else {
                format!(": {last}")
            };
            return fatal(format!("{how}{last}"));
        }
        if let Err(e) = w.check_accepting() {
            return fatal(e);
        }
        if let Some(sample) = w.sample(&prog, seq) {
            send(&FromWorker::Sample(Box::new(sample)));
        }
    }
    ExitCode::SUCCESS
}

/// A port the OS says is free on 127.0.0.1 now; the program binds it a moment later.
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// The watcher's state between samples.
struct Watch<'a> {
    label: &'a str,
    port: Option<u16>,
    /// The program accepts connections on `port` (always true without one).
    accepting: bool,
    started: Instant,
    /// The tree when the program first accepted (or at the first sample), before any load.
    baseline: Option<tree::TreeSample>,
    tree: tree::Tree,
    stopped: bool,
}

impl Watch<'_> {
    fn stop_or_go(&mut self, prog: &program::Program, stop: bool) {
        if stop != self.stopped {
            prog.signal_group(if stop { libc::SIGSTOP } else { libc::SIGCONT });
            self.stopped = stop;
        }
    }

    /// Until the program accepts on its port: try once per interval, give up after ACCEPT_TIMEOUT.
    fn check_accepting(&mut self) -> Result<(), String> {
        let Some(port) = self.port.filter(|_| !self.accepting) else {
            return Ok(());
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            self.accepting = true;
            self.baseline = None; // taken again, now that the program has set up
            return Ok(());
        }
        if self.started.elapsed() > ACCEPT_TIMEOUT {
            return Err(format!(
                "{}: the program did not accept connections on 127.0.0.1:{port} within {} s",
                self.label,
                ACCEPT_TIMEOUT.as_secs()
            ));
        }
        Ok(())
    }

    fn sample(&mut self, prog: &program::Program, seq: u64) -> Option<WorkerSample> {
        let t = self.tree.sample(prog.pid)?;
        let base = *self.baseline.get_or_insert(t);
        let mut extra = std::collections::BTreeMap::new();
        extra.insert(
            figure::OS_THREADS_BASELINE.key.into(),
            base.os_threads as f64,
        );
        extra.insert(
            figure::VIRTUAL_BASELINE.key.into(),
            base.virtual_bytes as f64,
        );
        extra.insert(PROCESSES.key.into(), t.processes as f64);
        extra.insert(THREADS_READ.key.into(), t.threads_read as f64);
        let units = u64::from(!self.stopped);
        if let Some(port) = self.port.filter(|_| self.accepting) {
            extra.insert(PORT_KEY.into(), f64::from(port));
            extra.insert(CONNECTIONS_KEY.into(), tree::established_on(port) as f64);
        }
        Some(WorkerSample {
            seq,
            t_us: self.started.elapsed().as_micros() as u64,
            units,
            target_units: units,
            cpu_us: t.cpu_us,
            ctx_voluntary: t.ctx_voluntary,
            ctx_involuntary: t.ctx_involuntary,
            baseline_rss_bytes: base.rss_bytes,
            extra,
            os: Some(OsFigures {
                rss_bytes: t.rss_bytes,
                virtual_bytes: t.virtual_bytes,
                os_threads: t.os_threads,
            }),
            ..WorkerSample::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::protocol::{FromWorker, decode};

    #[test]
    fn a_program_s_os_figures_are_validated_like_any_message() {
        let ok = br#"{"kind":"sample","seq":1,"t_us":5,"units":1,"target_units":1,"ops_total":0,"cpu_us":0,"ctx_voluntary":0,"ctx_involuntary":0,"lateness":null,"lateness_steady":null,"spawn_ns_per_unit":null,"baseline_rss_bytes":0,"limit_hit":null,"limit_name":null,"extra":{},"errors":[],"os":{"rss_bytes":4096,"virtual_bytes":8192,"os_threads":3}}"#;
        match decode::<FromWorker>(ok) {
            Ok(FromWorker::Sample(s)) => assert_eq!(s.os.map(|o| o.os_threads), Some(3)),
            other => panic!("{other:?}"),
        }
        let text = std::str::from_utf8(ok).unwrap_or_default();
        for bad in [
            text.replace("\"rss_bytes\":4096", "\"rss_bytes\":-1"),
            text.replace("\"os_threads\":3", "\"os_threads\":3,\"x\":1"),
            text.replace("\"os_threads\":3", "\"os_threads\":\"3\""),
        ] {
            assert!(decode::<FromWorker>(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
