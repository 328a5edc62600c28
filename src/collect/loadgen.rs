//! The controller's end of the load generator: starts the process the way workers are started
//! (`collect::spawn_child`), sends it commands, and turns its output into events on a reader thread.

use std::io::{BufReader, Read};
use std::sync::mpsc::Sender;
use std::time::Duration;

use crate::collect;
use crate::loadgen::protocol::{FromLoadgen, LOADGEN_VERSION, LoadSideSample, LoadSpec, ToLoadgen};
use crate::protocol::{self, DecodeError};

/// Longest stderr line kept.
const MAX_STDERR_LINE: usize = 400;

/// What the reader threads learned.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadIncoming {
    Side(Box<LoadSideSample>),
    Fatal(String),
    Protocol(String),
    Stderr(String),
    Closed,
}

/// An event from the load generator; `generation` tells a replaced one's events from the current one's.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadgenEvent {
    pub generation: u64,
    pub incoming: LoadIncoming,
}

/// The running load generator process.
#[derive(Debug)]
pub struct LoadgenHandle {
    pub pid: u32,
    pub generation: u64,
    pipe: collect::ChildPipe,
}

/// Starts `versus loadgen` at `nice` (the workers' level, so it neither starves nor outruns them),
/// sends it `spec`, and starts its reader threads, which send to `tx`.
pub fn launch<E: From<LoadgenEvent> + Send + 'static>(
    spec: &LoadSpec,
    nice: collect::Priority,
    generation: u64,
    tx: Sender<E>,
) -> std::io::Result<LoadgenHandle> {
    let child = collect::spawn_child("loadgen", nice, &[])?;
    let mut handle = LoadgenHandle {
        pid: child.id(),
        generation,
        pipe: collect::ChildPipe::new(child),
    };
    handle.send(&ToLoadgen::Start {
        version: LOADGEN_VERSION,
        spec: spec.clone(),
    })?;
    if let Some(out) = handle.pipe.child_mut().stdout.take() {
        let tx = tx.clone();
        std::thread::Builder::new()
            .name("read-loadgen".into())
            .spawn(move || read_stdout(generation, out, &tx))?;
    }
    if let Some(err) = handle.pipe.child_mut().stderr.take() {
        std::thread::Builder::new()
            .name("stderr-loadgen".into())
            .spawn(move || read_stderr(generation, err, &tx))?;
    }
    Ok(handle)
}

fn read_stdout<E: From<LoadgenEvent>>(generation: u64, out: impl Read, tx: &Sender<E>) {
    let mut r = BufReader::new(out);
    let mut buf = Vec::new();
    loop {
        let incoming = match protocol::read_line_bounded(&mut r, &mut buf) {
            Ok(None) | Err(_) => LoadIncoming::Closed,
            Ok(Some(Err(e))) => LoadIncoming::Protocol(e.to_string()),
            Ok(Some(Ok(()))) => match protocol::decode::<FromLoadgen>(&buf) {
                Ok(FromLoadgen::Side(s)) => LoadIncoming::Side(s),
                Ok(FromLoadgen::Hello { version, .. }) if version == LOADGEN_VERSION => continue,
                Ok(FromLoadgen::Hello { version, .. }) => LoadIncoming::Protocol(format!(
                    "load generator speaks protocol {version}, not {LOADGEN_VERSION}"
                )),
                Ok(FromLoadgen::Fatal { message }) => LoadIncoming::Fatal(message),
                Err(e) => LoadIncoming::Protocol(e.to_string()),
            },
        };
        let last = matches!(incoming, LoadIncoming::Closed | LoadIncoming::Protocol(_));
        let sent = tx
            .send(
                LoadgenEvent {
                    generation,
                    incoming,
                }
                .into(),
            )
            .is_ok();
        if !sent || last {
            return;
        }
    }
}

fn read_stderr<E: From<LoadgenEvent>>(generation: u64, err: impl Read, tx: &Sender<E>) {
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
        let event = LoadgenEvent {
            generation,
            incoming: LoadIncoming::Stderr(line.clone()),
        };
        if !line.is_empty() && tx.send(event.into()).is_err() {
            return;
        }
    }
}

impl LoadgenHandle {
    /// Sends a command; an error means the process is gone (its reader reports why).
    pub fn send(&mut self, cmd: &ToLoadgen) -> std::io::Result<()> {
        self.pipe.send(cmd)
    }

    /// How the process ended, waiting at most `grace` after closing stdin, then SIGKILL.
    pub fn stop(&mut self, grace: Duration) -> String {
        self.pipe.stop(grace)
    }
}
