//! Bad input: one clear line on stderr, exit code 2, nothing started.
#![allow(clippy::unwrap_used)]

use crate::common::*;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn refused(args: &[&str], needle: &str) {
    // Where clone/fork fail: a run that started a worker (or a thread) first would answer otherwise.
    let out = run_starting_nothing(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?} gave more than one line: {err}"
    );
    assert!(
        err.contains(needle),
        "{args:?}: {err:?} does not mention {needle:?}"
    );
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
}

#[test]
fn bad_command_lines_are_refused_in_one_line() {
    refused(&["--workload", "nap"], "unknown workload 'nap'");
    refused(&["--async-units", "lots"], "--async-units");
    refused(&["--thread-units=-5"], "--thread-units");
    refused(&["--headless", "--duration", "0s"], "longer than zero");
    refused(&["--headless", "--duration", "forever"], "not a duration");
    refused(
        &["--headless", "--duration", "100000h"],
        "longer than a day",
    );
    refused(&["--headless"], "--duration");
    // --until-steady needs a headless run, and its upper bound.
    refused(&["--until-steady", "--duration", "5s"], "--headless");
    refused(&["--headless", "--until-steady"], "--duration");
    refused(&["--set", "sleep_ms=soon"], "sleep_ms=soon");
    refused(&["--set", "nope=1"], "unknown parameter nope");
    refused(
        &["--runtime", "fast"],
        "possible values: current-thread, multi-thread",
    );
    refused(
        &["--format", "xml", "--headless", "--duration", "1s"],
        "--format",
    );
    refused(&["--bogus"], "--bogus");
    refused(
        &["--theme", "neon"],
        "possible values: dark, light, contrast",
    );
    refused(&["--stack-size", "1k"], "between 16k and 1g");
}

/// Issue 23: ten million tasks run on a big machine's budget; where even the least a task was ever
/// measured at (256 B) passes the budget, the run is refused before a worker starts, with the sum.
#[test]
fn ten_million_tasks_over_a_small_memory_budget_are_refused_with_the_reason() {
    refused(
        &[
            "--scenario",
            "memory",
            "--set",
            "async_units=10000000",
            "--memory-budget",
            "1g",
            "--headless",
            "--duration",
            "5s",
        ],
        "async side at 10,000,000 units refused: at least 2.4 GiB at 256 B a task",
    );
    refused(
        &["--scenario", "switch", "--set", "placement=sideways"],
        "placement takes one of same-cpu, cross-cpu, os",
    );
}

#[test]
fn help_lists_the_options() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--workload",
        "--async-units",
        "--thread-units",
        "--runtime",
        "--workers",
        "--interval-ms",
        "--headless",
        "--duration",
        "--format",
        "--set",
    ] {
        assert!(text.contains(opt), "--help lacks {opt}");
    }
    assert!(
        !text.contains("worker  "),
        "the worker subcommand is hidden"
    );
}

#[test]
fn a_worker_refuses_garbage_on_stdin() {
    for input in [
        "not json\n",
        "{\"kind\":\"start\",\"version\":999,\"spec\":{}}\n",
        "{\"kind\":\"set_units\",\"units\":3}\n",
    ] {
        let mut child = bin()
            .arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{input}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("\"kind\":\"fatal\""),
            "the controller is told why: {stdout}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stderr)
                .trim_end()
                .lines()
                .count(),
            1
        );
    }
}

#[test]
fn a_worker_exits_when_its_stdin_closes() {
    let mut child = bin()
        .arg("worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdin.take());
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "worker outlived its stdin"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
