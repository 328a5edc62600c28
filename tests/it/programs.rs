//! Your own programs (`--cmd LABEL=COMMAND`, twice): command-line errors, the two Python examples
//! measured from outside and driven through {port}, a program that exits, and no process left behind.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, Instant};

use crate::common::{STEADY_BOUND, finish_headless, num, side, spawn_headless, tagged, unique_tag};

const THREADS_PY: &str = "threads=python3 examples/echo_threads.py {port}";
const ASYNCIO_PY: &str = "asyncio=python3 examples/echo_asyncio.py {port}";

#[test]
fn cmd_errors_are_one_line_and_exit_2() {
    for args in [
        &["--cmd", "a=sleep 1"][..],
        &[
            "--cmd",
            "a=sleep 1",
            "--cmd",
            "b=sleep 1",
            "--cmd",
            "c=sleep 1",
        ],
        &["--cmd", "=sleep 1", "--cmd", "b=sleep 1"],
        &["--cmd", "a=", "--cmd", "b=sleep 1"],
        &["--cmd", "a sleep 1", "--cmd", "b=sleep 1"],
        &[
            "--cmd",
            "a=sleep 1",
            "--cmd",
            "b=sleep 1",
            "--scenario",
            "switch",
        ],
    ] {
        let out = common::run_starting_nothing(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("--cmd"), "{args:?}: {err}");
    }
}

#[test]
fn python_threads_and_asyncio_side_by_side() {
    let tag = unique_tag("programs");
    let args = [
        "--cmd",
        ASYNCIO_PY,
        "--cmd",
        THREADS_PY,
        "--until-steady",
        "--duration",
        STEADY_BOUND,
        // The programs (and the watcher that starts them) at nice 0: at versus's nice 10 on one CPU
        // beside the CPU-bound tests, neither python echo server accepted within 10 s. They serve
        // a few requests a second and take next to no CPU from those tests.
        "--nice",
        "0",
        "--set",
        "connections=500",
    ];
    let f = finish_headless(spawn_headless(&tag, &args, &[]), &tag);
    assert_eq!(f.code, Some(0), "{}\n{}", f.doc, f.stderr);
    let (a, t) = (side(&f.doc, "async"), side(&f.doc, "threads"));
    assert_eq!(
        (a["label"].as_str(), t["label"].as_str()),
        (Some("asyncio"), Some("threads"))
    );
    for s in [a, t] {
        common::assert_reported(s);
        assert!(num(s, "rss_bytes") > 0.0, "{s}");
        assert!(num(s, "requests_per_sec") > 0.0, "{s}");
        assert!(num(s, "connections") >= 490.0, "{s}");
    }
    // One thread per connection against one thread in all (plus the sh that started it).
    assert!(num(t, "os_threads") >= 500.0, "threads side: {t}");
    assert!(
        (1.0..=4.0).contains(&num(a, "os_threads")),
        "asyncio side: {a}"
    );
}

#[test]
fn unequal_connection_counts_are_named_in_the_verdict() {
    let tag = unique_tag("programs-unequal");
    let args = [
        "--cmd",
        ASYNCIO_PY,
        "--cmd",
        THREADS_PY,
        "--until-steady",
        "--duration",
        STEADY_BOUND,
        // The programs (and the watcher that starts them) at nice 0: at versus's nice 10 on one CPU
        // beside the CPU-bound tests, neither python echo server accepted within 10 s. They serve
        // a few requests a second and take next to no CPU from those tests.
        "--nice",
        "0",
        "--async-units",
        "20",
        "--thread-units",
        "60",
    ];
    let f = finish_headless(spawn_headless(&tag, &args, &[]), &tag);
    assert_eq!(f.code, Some(0), "{}\n{}", f.doc, f.stderr);
    let h = &f.doc["headline"];
    assert_eq!(h["comparable"], true, "{h}");
    // A per-connection figure compares, and says at which counts: never a bare "about even".
    let verdict = h["verdict"].as_str().unwrap_or_default();
    assert!(verdict.ends_with(" at 20 vs 60 connections"), "{h}");
}

#[test]
fn a_program_that_exits_fails_its_side_only() {
    let tag = unique_tag("programs-exit");
    let args = [
        "--cmd",
        ASYNCIO_PY,
        "--cmd",
        "quits=sleep 1; echo bye >&2; exit 3",
        // Until the asyncio side is steady: the failed side waits for nothing.
        "--until-steady",
        "--duration",
        STEADY_BOUND,
        // The programs (and the watcher that starts them) at nice 0: at versus's nice 10 on one CPU
        // beside the CPU-bound tests, neither python echo server accepted within 10 s. They serve
        // a few requests a second and take next to no CPU from those tests.
        "--nice",
        "0",
        "--set",
        "connections=10",
    ];
    let f = finish_headless(spawn_headless(&tag, &args, &[]), &tag);
    assert_eq!(f.code, Some(1), "a failed side: exit 1; {}", f.doc);
    let (a, q) = (side(&f.doc, "async"), side(&f.doc, "threads"));
    let errors = q["errors"].to_string();
    assert!(
        errors.contains("program exited with code 3: bye"),
        "{errors}"
    );
    common::assert_reported(a);
    assert!(
        num(a, "requests_per_sec") > 0.0,
        "the other side goes on: {a}"
    );
}

#[test]
fn a_command_that_does_not_exist_says_so_on_its_side() {
    let tag = unique_tag("programs-ghost");
    let args = [
        "--cmd",
        ASYNCIO_PY,
        "--cmd",
        "ghost=no-such-program-versus-test {port}",
        // Python's start-up and the first requests: beside `stress-ng --cpu 2` 4 s once ended before
        // the asyncio side had answered one; the run now ends once that side is steady.
        "--until-steady",
        "--duration",
        STEADY_BOUND,
        // The programs (and the watcher that starts them) at nice 0: at versus's nice 10 on one CPU
        // beside the CPU-bound tests, neither python echo server accepted within 10 s. They serve
        // a few requests a second and take next to no CPU from those tests.
        "--nice",
        "0",
    ];
    let f = finish_headless(spawn_headless(&tag, &args, &[]), &tag);
    assert_eq!(f.code, Some(1), "{}", f.doc);
    let errors = side(&f.doc, "threads")["errors"].to_string();
    assert!(
        errors.contains("program exited with code 127") && errors.contains("not found"),
        "{errors}"
    );
    assert!(num(side(&f.doc, "async"), "requests_per_sec") > 0.0);
}

#[test]
fn killing_versus_outright_takes_the_programs_along() {
    let tag = unique_tag("programs-kill");
    let args = [
        "--cmd",
        ASYNCIO_PY,
        "--cmd",
        THREADS_PY,
        "--duration",
        "60s",
    ];
    let mut app = spawn_headless(&tag, &args, &[]);
    // Both Python servers running (the first argument of python3 is the script).
    wait_until("both programs to start", || {
        tagged(&tag)
            .iter()
            .filter(|(_, arg)| arg.starts_with("examples/echo_"))
            .count()
            == 2
    });
    // SIGKILL: no clean-up runs in the controller; PR_SET_PDEATHSIG and the keeper must do it.
    app.kill().unwrap();
    app.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !tagged(&tag).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = tagged(&tag);
    // Killed by pid, so a red run leaves nothing running either.
    for (pid, _) in &left {
        // SAFETY: kill has no memory preconditions; the pid is one of this run.
        unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
    }
    assert!(
        left.is_empty(),
        "left behind after versus was killed: {left:?}"
    );
}

/// Every process under `pid`, children first found first.
fn descendants(pid: u32) -> Vec<u32> {
    let mut all = Vec::new();
    let mut queue = vec![pid];
    while let Some(p) = queue.pop() {
        for c in common::tmux::children_of(p) {
            all.push(c);
            queue.push(c);
        }
    }
    all
}

/// The state letter of `pid` in /proc/<pid>/stat ('T' = stopped), if it exists.
fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.trim_start().chars().next()
}

/// The longest a condition is waited for: a bound for a stalled machine, not a target (as in the
/// other end-to-end tests).
const T: Duration = Duration::from_secs(60);

fn wait_until(what: &str, pred: impl Fn() -> bool) {
    let deadline = Instant::now() + T;
    while !pred() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn s_stops_a_program_with_sigstop_and_starts_it_again() {
    let args = [
        "--cmd",
        ASYNCIO_PY,
        "--cmd",
        THREADS_PY,
        "--set",
        "connections=10",
    ];
    let t = common::tmux::Tmux::start("programs-stop", 120, 36, &args);
    t.wait_for("both programs running", T, |s| {
        s.contains("asyncio") && s.matches("running").count() >= 2
    });
    let script = |pid: &u32| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains("python3\0examples/echo_threads"))
    };
    let all = descendants(t.app_pid());
    let program = *all
        .iter()
        .find(|p| script(p))
        .expect("the threads program runs");
    t.keys(&["t", "s"]);
    wait_until("SIGSTOP", || state(program) == Some('T'));
    t.keys(&["s"]);
    wait_until("SIGCONT", || state(program).is_some_and(|s| s != 'T'));
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    common::tmux::assert_gone(&all, Duration::from_secs(5));
}

/// `+`/`-` scale a program's connections ×10 and ÷10 (with `{port}`); `r` starts a failed program
/// again, which then runs until it fails anew.
#[test]
fn plus_minus_scale_a_programs_connections_and_r_restarts_a_failed_one() {
    let args = [
        "--cmd",
        ASYNCIO_PY,
        "--cmd",
        "quits=sleep 5; echo bye >&2; exit 3",
        "--set",
        "connections=10",
    ];
    let t = common::tmux::Tmux::start("programs-keys", 120, 40, &args);
    t.wait_for("asyncio at 10 connections, the other failed", T, |s| {
        common::tmux::figures(s, "units").first() == Some(&10) && s.contains("FAILED")
    });
    t.keys(&["a", "+"]);
    t.wait_for("asyncio at 100 connections", T, |s| {
        common::tmux::figures(s, "units").first() == Some(&100)
    });
    t.keys(&["-"]);
    t.wait_for("asyncio back at 10", T, |s| {
        common::tmux::figures(s, "units").first() == Some(&10)
    });
    t.keys(&["t", "r"]);
    t.wait_for("the failed program running again", T, |s| {
        !s.contains("FAILED") && s.matches("running").count() >= 2
    });
    t.wait_for("and failing anew", T, |s| {
        s.contains("program exited with code 3")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}
