//! The reader threads of one worker: its stdout becomes samples (joined with /proc figures), its stderr
//! becomes error lines. Whatever the worker writes, memory stays bounded and nothing panics.

use std::io::{BufReader, Read};
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use super::{Incoming, WorkerEvent, procstat, threads};
use crate::model::SideSample;
use crate::protocol::{self, DecodeError, FromWorker, PROTOCOL_VERSION, Side};

/// Longest stderr line of a worker kept (a panic message fits).
const MAX_STDERR_LINE: usize = 400;
/// Stderr lines forwarded per second at most: a worker flooding stderr (10,000 threads panicking at
/// once) must not flood the controller's channel and starve its drawing.
const STDERR_LINES_PER_S: u32 = 20;
/// How long the stdout reader waits, once stdout closes, for the last stderr lines (a panic message)
/// so they reach the model before the side is marked failed.
const STDERR_DRAIN: Duration = Duration::from_millis(300);
/// Lines Rust adds to every panic message; they say nothing about this worker.
const NOISE_PREFIXES: &[&str] = &["note: run with `RUST_BACKTRACE=1`"];

/// Where a reader thread's events go, tagged with the worker they come from.
pub struct Tagged<E> {
    pub side: Side,
    pub generation: u64,
    pub tx: Sender<E>,
}

impl<E: From<WorkerEvent>> Tagged<E> {
    /// False once the receiver is gone: time to stop reading.
    fn send(&self, incoming: Incoming) -> bool {
        let ev = WorkerEvent {
            side: self.side,
            generation: self.generation,
            incoming,
        };
        self.tx.send(ev.into()).is_ok()
    }
}

/// Reads protocol lines until stdout closes or a line is invalid; the last event is `Closed` or
/// `Protocol`. `stderr_done` disconnects when the stderr reader has finished.
pub fn read_stdout<E: From<WorkerEvent>>(
    to: &Tagged<E>,
    pid: u32,
    out: impl Read,
    stderr_done: &Receiver<()>,
) {
    let mut r = BufReader::new(out);
    let mut buf = Vec::new();
    let mut census = threads::Pacer::default();
    loop {
        let incoming = match protocol::read_line_bounded(&mut r, &mut buf) {
            Ok(None) | Err(_) => {
                // Both pipes close when the worker dies; its last words are on stderr.
                let _ = stderr_done.recv_timeout(STDERR_DRAIN);
                Incoming::Closed
            }
            Ok(Some(Err(e))) => Incoming::Protocol(e.to_string()),
            Ok(Some(Ok(()))) => match protocol::decode::<FromWorker>(&buf) {
                Ok(FromWorker::Sample(worker))
                    if let Some(Err(e)) = worker.runtime.as_ref().map(|r| r.check()) =>
                {
                    Incoming::Protocol(e)
                }
                Ok(FromWorker::Sample(worker)) => {
                    // Read right away so the OS figures and the worker's counters describe one moment.
                    let os = match worker.os {
                        // A watcher's program, not the watcher itself.
                        Some(o) => crate::model::OsStat {
                            rss_bytes: o.rss_bytes,
                            virtual_bytes: o.virtual_bytes,
                            os_threads: o.os_threads,
                        },
                        None => procstat::read(pid).unwrap_or_default(),
                    };
                    // What the OS sees of the threads: at most once a second, bounded, here on
                    // the reader thread and never on the render path. Not for a watcher: its own
                    // threads are not the program's.
                    let threads = census
                        .run(os.os_threads, || {
                            threads::census(pid, threads::MAX_READ, threads::TOP).ok()
                        })
                        .flatten()
                        .filter(|_| worker.os.is_none());
                    Incoming::Sample(Box::new(SideSample {
                        worker: *worker,
                        os,
                        threads,
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
        if !to.send(incoming) || last {
            // Dropping stdout makes a worker still writing get EPIPE and exit.
            return;
        }
    }
}

/// Forwards stderr lines, cut to MAX_STDERR_LINE, at most STDERR_LINES_PER_S a second; the rest are
/// counted and reported in one line.
pub fn read_stderr<E: From<WorkerEvent>>(to: &Tagged<E>, err: impl Read) {
    let mut r = BufReader::new(err);
    let mut buf = Vec::new();
    let mut window_start = Instant::now();
    let (mut sent, mut dropped) = (0u32, 0u64);
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
        if line.is_empty() || NOISE_PREFIXES.iter().any(|p| line.starts_with(p)) {
            continue;
        }
        if window_start.elapsed() >= Duration::from_secs(1) {
            if dropped > 0
                && !to.send(Incoming::Stderr(format!(
                    "({dropped} stderr lines dropped)"
                )))
            {
                return;
            }
            window_start = Instant::now();
            (sent, dropped) = (0, 0);
        }
        if sent >= STDERR_LINES_PER_S {
            dropped += 1;
            continue;
        }
        sent += 1;
        if !to.send(Incoming::Stderr(line)) {
            return;
        }
    }
    if dropped > 0 {
        to.send(Incoming::Stderr(format!(
            "({dropped} stderr lines dropped)"
        )));
    }
}
