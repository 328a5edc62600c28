//! Controller <-> worker messages: one JSON object per line over the child's stdin/stdout.
//! Versioned and size-bounded; a line that does not decode marks the side failed, never panics.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

/// Bumped whenever a message changes shape; a worker of another version is refused.
pub const PROTOCOL_VERSION: u32 = 1;
/// No message may be longer than this; a longer line is a protocol error.
pub const MAX_LINE_BYTES: usize = 256 * 1024;

/// Which side a worker process runs.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Async,
    Threads,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::Async, Side::Threads];

    pub fn index(self) -> usize {
        match self {
            Side::Async => 0,
            Side::Threads => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Side::Async => "async",
            Side::Threads => "threads",
        }
    }

    /// The column title on screen.
    pub fn title(self) -> &'static str {
        match self {
            Side::Async => "async (tokio)",
            Side::Threads => "threads (std)",
        }
    }
}

/// tokio runtime flavor of the async side. (`--runtime` reads it by `name` in cli.rs: the wire
/// protocol does not depend on the command line.)
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeFlavor {
    CurrentThread,
    #[default]
    MultiThread,
}

impl RuntimeFlavor {
    pub const ALL: [RuntimeFlavor; 2] = [RuntimeFlavor::CurrentThread, RuntimeFlavor::MultiThread];

    pub fn name(self) -> &'static str {
        match self {
            RuntimeFlavor::CurrentThread => "current-thread",
            RuntimeFlavor::MultiThread => "multi-thread",
        }
    }
}

/// A workload parameter's value. Kept to three kinds so a TOML file and `--set` can name any of them.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl ParamValue {
    pub fn as_i64(&self) -> i64 {
        match *self {
            ParamValue::Bool(b) => i64::from(b),
            ParamValue::Int(i) => i,
            ParamValue::Float(f) => f as i64,
        }
    }
    pub fn as_f64(&self) -> f64 {
        match *self {
            ParamValue::Bool(b) => f64::from(u8::from(b)),
            ParamValue::Int(i) => i as f64,
            ParamValue::Float(f) => f,
        }
    }
    pub fn as_bool(&self) -> bool {
        match *self {
            ParamValue::Bool(b) => b,
            ParamValue::Int(i) => i != 0,
            ParamValue::Float(f) => f != 0.0,
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
        }
    }
}

/// Everything a worker needs to run its side. Sent once, as the first message.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WorkerSpec {
    pub side: Side,
    pub workload: String,
    pub params: BTreeMap<String, ParamValue>,
    pub units: u64,
    pub runtime: RuntimeFlavor,
    /// tokio worker threads for the multi-thread flavor.
    pub workers: usize,
    pub interval_ms: u64,
    /// Stack size of each unit thread on the threads side; None = Rust's default (2 MiB).
    pub stack_bytes: Option<usize>,
}

/// Controller -> worker.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ToWorker {
    Start {
        version: u32,
        spec: WorkerSpec,
    },
    /// Scale to this many units (0 stops the side's work but keeps the process).
    SetUnits {
        units: u64,
    },
    /// Change one workload parameter live (e.g. spawn_blocking).
    SetParam {
        name: String,
        value: ParamValue,
    },
    /// Cancel every unit now and spawn them again (the `cancel` workload, key `x`).
    CancelUnits,
}

/// p50 / p99 / max of a histogram of microseconds.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Default)]
pub struct Percentiles {
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

/// One report of a worker, taken by its reporter thread (never on the measured runtime).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct WorkerSample {
    pub seq: u64,
    /// Microseconds since the worker started, on the worker's monotonic clock.
    pub t_us: u64,
    /// Units alive now.
    pub units: u64,
    /// Units asked for.
    pub target_units: u64,
    /// Units of work done since start (wake-ups, chunks, round trips, ...).
    pub ops_total: u64,
    /// from getrusage(RUSAGE_SELF).ru_utime + ru_stime, includes exited threads
    pub cpu_us: u64,
    /// from getrusage(RUSAGE_SELF).ru_nvcsw, includes exited threads
    pub ctx_voluntary: u64,
    /// from getrusage(RUSAGE_SELF).ru_nivcsw, includes exited threads
    pub ctx_involuntary: u64,
    /// Wake-up lateness during this interval, timestamps taken inside the units.
    pub lateness: Option<Percentiles>,
    /// Wake-up lateness since the unit count last changed (the steady state).
    pub lateness_steady: Option<Percentiles>,
    /// Scheduling delay during this interval: wake-up − the moment the timer fired (`workload::timer`).
    #[serde(default)]
    pub sched_delay: Option<Percentiles>,
    /// Scheduling delay since the unit count last changed.
    #[serde(default)]
    pub sched_delay_steady: Option<Percentiles>,
    /// Resolution of the timer the side's units sleep on, µs: 1000 for tokio, 0 for nanosleep
    /// (an hrtimer); None when no unit sleeps on a timer.
    #[serde(default)]
    pub timer_tick_us: Option<u64>,
    /// Mean time to spawn one unit in the last spawn batch.
    pub spawn_ns_per_unit: Option<f64>,
    /// RSS read from /proc/self/statm before the first unit existed.
    pub baseline_rss_bytes: u64,
    /// The error that stopped scaling (e.g. thread spawn failed), with the limit that applies.
    pub limit_hit: Option<String>,
    /// Which limit stopped scaling (e.g. "vm.max_map_count"), when one did.
    pub limit_name: Option<String>,
    /// Figures particular to the workload (switch_ns, lock_wait_p99_us, ...).
    pub extra: BTreeMap<String, f64>,
    /// Errors since the last sample.
    pub errors: Vec<String>,
    /// tokio's own counters, async side only (`RuntimeCounters`); None on threads.
    #[serde(default)]
    pub runtime: Option<RuntimeCounters>,
    /// OS figures the sender read itself: a watcher reports its program's process tree (`watch`),
    /// which the controller then shows instead of the sender's own /proc figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsFigures>,
}

/// Workers a runtime report may list at most; a longer list is a malformed message.
pub const MAX_RUNTIME_WORKERS: usize = 1024;

/// tokio's own view of the async side's runtime, from the stable `tokio::runtime::RuntimeMetrics`
/// (tokio 1.54), read by the reporter thread. Totals since the runtime started; rates are derived by
/// the model.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RuntimeCounters {
    /// RuntimeMetrics::num_alive_tasks: tasks spawned and not yet completed, as the runtime counts them.
    pub tasks_alive: u64,
    /// RuntimeMetrics::global_queue_depth: tasks waiting in the runtime's shared (injection) queue.
    pub global_queue_depth: u64,
    /// RuntimeMetrics::worker_total_busy_duration per worker thread, µs.
    pub workers_busy_us: Vec<u64>,
    /// RuntimeMetrics::worker_park_count per worker thread: times it went to sleep for want of work.
    pub workers_parks: Vec<u64>,
}

impl RuntimeCounters {
    /// Why these counters cannot be from a real runtime; Ok when they can.
    pub fn check(&self) -> Result<(), String> {
        let (busy, parks) = (self.workers_busy_us.len(), self.workers_parks.len());
        if busy != parks {
            return Err(format!(
                "runtime counters list {busy} busy times for {parks} park counts"
            ));
        }
        if busy > MAX_RUNTIME_WORKERS {
            return Err(format!(
                "runtime counters list {busy} workers, more than {MAX_RUNTIME_WORKERS}"
            ));
        }
        Ok(())
    }
}

/// OS figures of a process tree, read from /proc by a watcher (see `watch::tree`).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct OsFigures {
    pub rss_bytes: u64,
    pub virtual_bytes: u64,
    pub os_threads: u64,
}

/// Worker -> controller.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromWorker {
    Hello {
        version: u32,
        pid: u32,
    },
    Sample(Box<WorkerSample>),
    /// The worker cannot go on; it exits after sending this.
    Fatal {
        message: String,
    },
}

/// Encodes one message as a line (with the trailing newline).
pub fn encode<T: Serialize>(msg: &T) -> String {
    // Serializing these plain structs cannot fail (no maps with non-string keys, no custom impls).
    let mut s = serde_json::to_string(msg)
        .unwrap_or_else(|e| format!("{{\"kind\":\"fatal\",\"message\":\"encode: {e}\"}}"));
    s.push('\n');
    s
}

/// Writes one message to stdout, for a child process (worker or load generator) talking to the
/// controller. A failed write means the controller is gone: the child ends, having no one to report to.
pub fn send_to_controller<T: Serialize>(msg: &T) {
    use std::io::Write;
    let line = encode(msg);
    let mut out = std::io::stdout().lock();
    if out
        .write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

/// Why a line could not be turned into a message.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    TooLong,
    NotUtf8,
    Invalid(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooLong => write!(f, "message longer than {MAX_LINE_BYTES} bytes"),
            DecodeError::NotUtf8 => write!(f, "message is not UTF-8"),
            DecodeError::Invalid(e) => write!(f, "malformed message: {e}"),
        }
    }
}

pub fn decode<T: for<'de> Deserialize<'de>>(line: &[u8]) -> Result<T, DecodeError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(DecodeError::TooLong);
    }
    let text = std::str::from_utf8(line).map_err(|_| DecodeError::NotUtf8)?;
    serde_json::from_str(text.trim_end()).map_err(|e| DecodeError::Invalid(e.to_string()))
}

/// Reads one line of at most MAX_LINE_BYTES without ever buffering more than that.
/// Ok(None) at end of input. A longer line is consumed up to its newline and reported as TooLong.
pub fn read_line_bounded<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Result<(), DecodeError>>> {
    buf.clear();
    let mut too_long = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(if buf.is_empty() && !too_long {
                None
            } else if too_long {
                Some(Err(DecodeError::TooLong))
            } else {
                // A truncated last line (no newline) is still offered to the decoder.
                Some(Ok(()))
            });
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            if buf.len() + take > MAX_LINE_BYTES + 1 {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        r.consume(take);
        if done {
            return Ok(Some(if too_long {
                Err(DecodeError::TooLong)
            } else {
                Ok(())
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_round_trips() {
        let s = FromWorker::Sample(Box::new(WorkerSample {
            seq: 3,
            units: 10,
            ..Default::default()
        }));
        let line = encode(&s);
        assert!(line.ends_with('\n'));
        assert_eq!(decode::<FromWorker>(line.as_bytes()), Ok(s));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &b"{"[..],
            b"null",
            b"{\"kind\":\"nope\"}",
            b"\xff\xfe",
            b"[1,2]",
            b"",
        ] {
            assert!(decode::<FromWorker>(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn long_lines_are_refused_without_buffering_them() {
        let mut input = vec![b'x'; MAX_LINE_BYTES * 3];
        input.push(b'\n');
        input.extend_from_slice(b"{\"kind\":\"fatal\",\"message\":\"m\"}\n");
        let mut r = std::io::BufReader::new(&input[..]);
        let mut buf = Vec::new();
        assert_eq!(
            read_line_bounded(&mut r, &mut buf).ok().flatten(),
            Some(Err(DecodeError::TooLong))
        );
        assert!(buf.capacity() <= MAX_LINE_BYTES * 2);
        assert_eq!(
            read_line_bounded(&mut r, &mut buf).ok().flatten(),
            Some(Ok(()))
        );
        assert_eq!(
            decode::<FromWorker>(&buf),
            Ok(FromWorker::Fatal {
                message: "m".into()
            })
        );
        assert_eq!(read_line_bounded(&mut r, &mut buf).ok().flatten(), None);
    }
}
