//! Fake workers (`sh -c ...`) that do what a real one should not: garbage, oversized and truncated
//! lines, unknown kinds, silence, stderr floods, panics and signals. The readers must turn each into
//! one clear event, in order, without panicking or buffering without bound.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::protocol::{self, FromWorker, RuntimeFlavor, WorkerSample};

fn spec() -> WorkerSpec {
    WorkerSpec {
        side: Side::Threads,
        workload: "sleep".into(),
        params: BTreeMap::new(),
        units: 0,
        runtime: RuntimeFlavor::MultiThread,
        workers: 1,
        interval_ms: 100,
        stack_bytes: None,
    }
}

fn sample_line() -> String {
    protocol::encode(&FromWorker::Sample(Box::new(WorkerSample {
        seq: 1,
        units: 7,
        target_units: 7,
        ..WorkerSample::default()
    })))
}

/// A fake worker running `script`; `$SAMPLE` holds one valid sample line (without its newline).
fn fake(script: &str) -> (WorkerHandle, Receiver<WorkerEvent>) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .env("SAMPLE", sample_line().trim_end());
    let child = spawn_guarded(cmd, 0, &[]).unwrap();
    let (tx, rx) = mpsc::channel();
    (attach(child, &spec(), 9, tx).unwrap(), rx)
}

/// Events until the reader's last one (`Closed` or `Protocol`), or panics after `timeout`.
fn until_last(rx: &Receiver<WorkerEvent>, timeout: Duration) -> Vec<Incoming> {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no last event ({e}); so far {got:?}"));
        assert_eq!((ev.side, ev.generation), (Side::Threads, 9));
        let last = matches!(ev.incoming, Incoming::Closed | Incoming::Protocol(_));
        got.push(ev.incoming);
        if last {
            return got;
        }
    }
}

const T: Duration = Duration::from_secs(10);

fn protocol_error(events: &[Incoming]) -> &str {
    match events.last() {
        Some(Incoming::Protocol(e)) => e,
        other => panic!("expected a protocol error last, got {other:?} in {events:?}"),
    }
}

#[test]
fn garbage_is_a_protocol_error_and_reading_stops() {
    let (mut h, rx) = fake("printf '%s\\n' \"$SAMPLE\"; echo 'hello, I am not JSON'; exec sleep 5");
    let events = until_last(&rx, T);
    assert!(matches!(events[0], Incoming::Sample(_)), "{events:?}");
    assert!(protocol_error(&events).contains("malformed"), "{events:?}");
    assert!(h.stop(Duration::from_millis(100)).contains("SIGKILL"));
}

/// tokio's counters that no runtime could send (lists of different lengths, far too many workers)
/// are a protocol error, not a panic in the model's rates.
#[test]
fn runtime_counters_that_do_not_add_up_are_a_protocol_error() {
    let line = |busy: Vec<u64>, parks: Vec<u64>| {
        protocol::encode(&FromWorker::Sample(Box::new(WorkerSample {
            runtime: Some(protocol::RuntimeCounters {
                tasks_alive: 1,
                global_queue_depth: 0,
                workers_busy_us: busy,
                workers_parks: parks,
            }),
            ..WorkerSample::default()
        })))
    };
    let good = line(vec![1, 2], vec![3, 4]);
    let uneven = line(vec![1, 2], vec![3]);
    let n = protocol::MAX_RUNTIME_WORKERS + 1;
    let many = line(vec![0; n], vec![0; n]);
    for (bad, says) in [(uneven, "1 park counts"), (many, "more than")] {
        let script = format!("printf '%s' '{good}{bad}'; exec sleep 5");
        let (_h, rx) = fake(&script);
        let events = until_last(&rx, T);
        assert!(matches!(events[0], Incoming::Sample(_)), "{events:?}");
        assert!(protocol_error(&events).contains(says), "{events:?}");
    }
}

#[test]
fn an_oversized_line_is_refused_without_buffering_it() {
    // 1 MiB on one line: four times the protocol's bound.
    let (_h, rx) = fake("head -c 1048576 /dev/zero | tr '\\0' x; echo; exec sleep 5");
    let events = until_last(&rx, T);
    assert!(
        protocol_error(&events).contains("longer than"),
        "{events:?}"
    );
}

#[test]
fn a_truncated_last_line_and_an_unknown_kind_are_refused() {
    let (_h, rx) = fake("printf '%s' \"$SAMPLE\" | head -c 40");
    assert!(protocol_error(&until_last(&rx, T)).contains("malformed"));
    let (_h, rx) = fake("echo '{\"kind\":\"teleport\",\"to\":\"mars\"}'; exec sleep 5");
    assert!(protocol_error(&until_last(&rx, T)).contains("teleport"));
    let (_h, rx) = fake("printf '\\377\\376\\n'; exec sleep 5");
    assert!(protocol_error(&until_last(&rx, T)).contains("UTF-8"));
}

#[test]
fn a_panic_message_arrives_before_the_close_and_the_status_says_panic() {
    let script = "printf '%s\\n' \"$SAMPLE\"; \
                  echo \"thread 'main' panicked at src/worker/mod.rs:1:1:\" >&2; \
                  echo 'spawner: boom' >&2; \
                  echo 'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace' >&2; \
                  exit 101";
    let (mut h, rx) = fake(script);
    let events = until_last(&rx, T);
    let stderr: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Incoming::Stderr(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    // stdout and stderr are two pipes read by two threads: only "stderr before the close" is promised.
    assert!(
        events.iter().any(|e| matches!(e, Incoming::Sample(_))),
        "{events:?}"
    );
    assert_eq!(events.last(), Some(&Incoming::Closed));
    assert_eq!(
        stderr,
        [
            "thread 'main' panicked at src/worker/mod.rs:1:1:",
            "spawner: boom"
        ],
        "the panic, in order, without Rust's backtrace note: {events:?}"
    );
    assert_eq!(h.stop(T), "exited with code 101 (panic)");
}

#[test]
fn a_fatal_message_then_exit_is_reported_with_its_reason() {
    let script = "echo '{\"kind\":\"fatal\",\"message\":\"reporter thread: Resource temporarily unavailable\"}'; exit 2";
    let (mut h, rx) = fake(script);
    let events = until_last(&rx, T);
    assert_eq!(
        events.first(),
        Some(&Incoming::Fatal(
            "reporter thread: Resource temporarily unavailable".into()
        ))
    );
    assert_eq!(h.stop(T), "exited with code 2");
}

#[test]
fn death_by_signal_is_named() {
    for (sig, name) in [
        ("KILL", "SIGKILL (signal 9)"),
        ("ABRT", "SIGABRT (signal 6)"),
    ] {
        let (mut h, rx) = fake(&format!("printf '%s\\n' \"$SAMPLE\"; kill -{sig} $$"));
        assert_eq!(until_last(&rx, T).last(), Some(&Incoming::Closed));
        assert_eq!(h.stop(T), format!("killed by {name}"));
    }
}

#[test]
fn a_worker_that_dies_at_once_is_no_launch_error() {
    let (mut h, rx) = fake("exit 3");
    assert_eq!(until_last(&rx, T), [Incoming::Closed]);
    assert_eq!(h.stop(T), "exited with code 3");
}

#[test]
fn a_silent_worker_sends_nothing_and_stops_within_its_grace() {
    let (mut h, rx) = fake("exec sleep 30");
    let started = Instant::now();
    assert_eq!(
        h.stop(Duration::from_millis(100)),
        "killed by SIGKILL (signal 9)"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // Nothing but the end: a line sent at any time before it would come first.
    assert_eq!(until_last(&rx, T), [Incoming::Closed]);
}

#[test]
fn a_stderr_flood_is_rate_limited() {
    // fd 3 keeps stdout open, as a real worker's reporter does.
    let (mut h, rx) = fake("exec 3>&1; exec yes 'oops, a thread panicked' >&2");
    // The limiter sends at most 20 lines in a window, then one "(N dropped)" summary as the next
    // window opens. Read until two summaries have come (two windows overflowed, however long a busy
    // machine stretched them), then stop the flood.
    let deadline = Instant::now() + T;
    let mut events = Vec::new();
    while events.iter().filter(|e| is_summary(e)).count() < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no second drop summary ({e}); so far {events:?}"));
        events.push(ev.incoming);
    }
    h.stop(Duration::ZERO);
    events.extend(until_last(&rx, T));
    // Between two summaries (and before the first): one window's lines, 20 at most.
    for window in events.split(is_summary) {
        let lines = window
            .iter()
            .filter(|e| matches!(e, Incoming::Stderr(_)))
            .count();
        assert!(lines <= 20, "{lines} lines in one window: {window:?}");
    }
    assert!(
        matches!(events.last(), Some(Incoming::Closed)),
        "{events:?}"
    );
}

fn is_summary(e: &Incoming) -> bool {
    matches!(e, Incoming::Stderr(s) if s.contains("stderr lines dropped"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any bytes on stdout: no panic, exactly one last event, and at most one event per line.
    #[test]
    fn any_stdout_ends_in_exactly_one_last_event(
        chunks in prop::collection::vec(
            prop_oneof![
                Just(sample_line().into_bytes()),
                prop::collection::vec(any::<u8>(), 0..64),
                Just(b"\n".to_vec()),
            ],
            0..12,
        )
    ) {
        let bytes: Vec<u8> = chunks.concat();
        let (tx, rx) = mpsc::channel::<WorkerEvent>();
        let (done_tx, done) = mpsc::channel::<()>();
        drop(done_tx);
        let to = reader::Tagged { side: Side::Async, generation: 1, tx };
        reader::read_stdout(&to, u32::MAX - 1, &bytes[..], &done);
        drop(to);
        let events: Vec<Incoming> = rx.iter().map(|e| e.incoming).collect();
        let lasts = events
            .iter()
            .filter(|e| matches!(e, Incoming::Closed | Incoming::Protocol(_)))
            .count();
        prop_assert_eq!(lasts, 1);
        prop_assert!(matches!(events.last(), Some(Incoming::Closed | Incoming::Protocol(_))));
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        prop_assert!(events.len() <= lines + 1);
    }
}
