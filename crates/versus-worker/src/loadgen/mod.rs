//! The load generator: a child process (`versus loadgen`, hidden) that opens the `echo` workload's
//! connections to both servers, sends the requests and measures them with its own clock, so each
//! side's process figures are its server's alone. It is the same for both sides. Commands arrive as
//! JSON lines on stdin; a reporter thread writes one sample per side per interval to stdout; it
//! exits when stdin closes. (The controller's end, which starts it, is `collect::loadgen`.) It competes with the servers for CPU (2 cores: keep busy runs short).

pub mod conn;
pub mod protocol;
pub mod stats;

use std::io::{BufRead, BufReader};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::AbortHandle;

use self::protocol::{FromLoadgen, LOADGEN_VERSION, LoadSpec, ToLoadgen};
use self::stats::{SideReport, SideStats};
use crate::limits::fds;
use crate::protocol::{Side, decode, read_line_bounded};

/// Connects in flight at once per side.
const CONNECTING: usize = 256;

fn send(msg: &FromLoadgen) {
    crate::protocol::send_to_controller(msg);
}

fn fatal(message: String) -> ExitCode {
    send(&FromLoadgen::Fatal {
        message: message.clone(),
    });
    eprintln!("versus loadgen: {message}");
    ExitCode::from(2)
}

fn next_command<R: BufRead>(input: &mut R, buf: &mut Vec<u8>) -> Result<Option<ToLoadgen>, String> {
    match read_line_bounded(input, buf) {
        Ok(None) => Ok(None),
        Ok(Some(Ok(()))) => decode(buf)
            .map(Some)
            .map_err(|e| format!("bad command: {e}")),
        Ok(Some(Err(e))) => Err(format!("bad command: {e}")),
        Err(e) => Err(format!("reading stdin: {e}")),
    }
}

pub fn main() -> ExitCode {
    fds::raise_nofile();
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut buf = Vec::new();
    let spec = match next_command(&mut input, &mut buf) {
        Ok(Some(ToLoadgen::Start { version, spec })) if version == LOADGEN_VERSION => spec,
        Ok(Some(ToLoadgen::Start { version, .. })) => {
            return fatal(format!(
                "protocol version {version} is not {LOADGEN_VERSION}"
            ));
        }
        Ok(Some(other)) => return fatal(format!("expected start, got {other:?}")),
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => return fatal(e),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(spec.workers.max(1))
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fatal(format!("tokio runtime: {e}")),
    };
    send(&FromLoadgen::Hello {
        version: LOADGEN_VERSION,
        pid: std::process::id(),
    });
    let mut fleets = Side::BOTH.map(|side| Fleet::new(side, &spec));
    let stats = fleets.each_ref().map(|f| f.shared.stats.clone());
    let interval = Duration::from_millis(spec.interval_ms.max(10));
    if let Err(e) = std::thread::Builder::new()
        .name("reporter".into())
        .spawn(move || report(&stats, interval))
    {
        return fatal(format!("reporter thread: {e}"));
    }
    let code = loop {
        match next_command(&mut input, &mut buf) {
            Ok(None) => break ExitCode::SUCCESS,
            Ok(Some(ToLoadgen::Target {
                side,
                port,
                connections,
            })) => fleets[side.index()].retarget(rt.handle(), port, connections),
            Ok(Some(ToLoadgen::Start { .. })) => break fatal("start sent twice".into()),
            Err(e) => break fatal(e),
        }
    };
    // Thousands of sockets close with the process; waiting for each task to wind down buys nothing.
    rt.shutdown_background();
    code
}

/// The connections of one side.
struct Fleet {
    shared: Arc<conn::Shared>,
    port: Option<u16>,
    /// Newest last, so scaling down closes the newest first.
    tasks: Vec<AbortHandle>,
    next_conn: u64,
}

impl Fleet {
    fn new(side: Side, spec: &LoadSpec) -> Fleet {
        let period = (spec.requests_per_sec_per_conn > 0.0)
            .then(|| Duration::from_secs_f64(1.0 / spec.requests_per_sec_per_conn.min(1e6)));
        Fleet {
            shared: Arc::new(conn::Shared {
                stats: Arc::new(SideStats::new(side)),
                connecting: Arc::new(Semaphore::new(CONNECTING)),
                period,
                request_bytes: spec.request_bytes.clamp(1, 1 << 20),
            }),
            port: None,
            tasks: Vec::new(),
            next_conn: 0,
        }
    }

    /// Brings the side to `target` connections to `port`: connections that failed are replaced,
    /// surplus ones closed, and all of them when the port changes or goes.
    fn retarget(&mut self, rt: &tokio::runtime::Handle, port: Option<u16>, target: u64) {
        let target = if port.is_some() { target } else { 0 };
        self.shared.stats.retarget(target);
        if port != self.port {
            self.tasks.drain(..).for_each(|t| t.abort());
            self.port = port;
        }
        self.tasks.retain(|t| !t.is_finished());
        let Some(port) = port else { return };
        while self.tasks.len() as u64 > target {
            if let Some(t) = self.tasks.pop() {
                t.abort();
            }
        }
        while (self.tasks.len() as u64) < target {
            let conn = self.next_conn;
            self.next_conn += 1;
            let task = rt.spawn(conn::run(conn, port, self.shared.clone()));
            self.tasks.push(task.abort_handle());
        }
    }
}

/// The reporter thread: one sample per side per interval until stdout closes.
fn report(stats: &[Arc<SideStats>; 2], interval: Duration) {
    let mut reports: [SideReport; 2] = Default::default();
    let mut next = Instant::now() + interval;
    loop {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        next += interval;
        let now = Instant::now();
        for (s, r) in stats.iter().zip(reports.iter_mut()) {
            send(&FromLoadgen::Side(Box::new(r.sample(s, now))));
        }
    }
}
