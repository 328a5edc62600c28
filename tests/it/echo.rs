//! The `echo` workload end to end: real servers, the real load generator, headless. Figures are
//! asserted as directions with margins safe on a noisy 2-core machine; speeds live in the bench notes.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Limit, assert_none_left, num, side, tagged};
use serde_json::Value;

fn tag() -> String {
    common::unique_tag("echo")
}

/// `versus --headless --format json ARGS`, tagged, with RLIMIT_NOFILE set to `nofile` if given.
fn start(tag: &str, args: &[&str], nofile: Option<u64>) -> Child {
    let limits: Vec<Limit> = nofile.into_iter().map(Limit::Files).collect();
    common::spawn_headless(tag, args, &limits)
}

/// Waits for the run, checks it exited 0 and left nothing behind, and returns the document.
fn finish(child: Child, tag: &str) -> Value {
    let f = common::finish_headless(child, tag);
    assert_eq!(f.code, Some(0), "{}\nstderr: {}", f.doc, f.stderr);
    f.doc
}

/// Listening TCP sockets as (local address, port, inode), IPv4 and IPv6.
fn listening() -> Vec<(String, u16, u64)> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[3] != "0A" {
                continue;
            }
            let (addr, port) = f[1].rsplit_once(':').unwrap();
            out.push((
                addr.to_string(),
                u16::from_str_radix(port, 16).unwrap(),
                f[9].parse().unwrap(),
            ));
        }
    }
    out
}

/// Socket inodes a process holds.
fn socket_inodes(pid: u32) -> HashSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|link| {
            let l = link.to_string_lossy().into_owned();
            l.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect()
}

/// The ports the run's workers listen on, once both listen; every one must be on 127.0.0.1.
fn worker_listeners(tag: &str) -> Vec<u16> {
    // A bound for a stalled machine, not a target.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let workers: Vec<u32> = tagged(tag)
            .into_iter()
            .filter(|(_, arg)| arg == "worker")
            .map(|(pid, _)| pid)
            .collect();
        let inodes: HashSet<u64> = workers.iter().flat_map(|&p| socket_inodes(p)).collect();
        let mine: Vec<(String, u16, u64)> = listening()
            .into_iter()
            .filter(|(_, _, inode)| inodes.contains(inode))
            .collect();
        if workers.len() == 2 && mine.len() >= 2 {
            for (addr, port, _) in &mine {
                // /proc/net/tcp prints 127.0.0.1 as the native-endian number of its network-order bytes.
                let loopback = format!("{:08X}", u32::from_ne_bytes([127, 0, 0, 1]));
                assert_eq!(addr, &loopback, "a worker listens on {addr}:{port}");
            }
            return mine.into_iter().map(|(_, port, _)| port).collect();
        }
        assert!(
            Instant::now() < deadline,
            "workers did not listen: {mine:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn busy_connections_are_echoed_on_both_sides_and_each_thread_connection_costs_a_thread() {
    let _serial = common::cpu_bound();
    let tag = tag();
    // One tokio worker: then both sides have four threads besides the connections' (main, reporter,
    // spawner, and the runtime worker or the acceptor), so the gap is the connection threads alone.
    let args = [
        "--workload",
        "echo",
        "--duration",
        "3s",
        "--async-units",
        "200",
        "--thread-units",
        "200",
        "--workers",
        "1",
        "--set",
        "rate=0",
    ];
    let child = start(&tag, &args, None);
    let ports = worker_listeners(&tag);
    let doc = finish(child, &tag);
    let (a, t) = (side(&doc, "async"), side(&doc, "threads"));
    for s in [a, t] {
        assert_eq!(num(s, "connections"), 200.0, "{s}");
        assert_eq!(num(s, "units"), 200.0, "{s}");
        assert_eq!(num(s, "client_connections"), 200.0, "{s}");
        // The load generator checks every echo byte for byte: any mismatch, loss or reset is an error.
        assert_eq!(num(s, "request_errors"), 0.0, "{s}");
        assert_eq!(s["errors"].as_array().unwrap().len(), 0, "{s}");
        assert!(s["limit_hit"].is_null(), "{s}");
        assert!(num(s, "requests_per_sec") > 0.0, "{s}");
        assert!(
            num(s, "ops_per_sec") > 0.0,
            "the server counts requests too: {s}"
        );
        assert!(
            num(s, "request_p50_us") > 0.0,
            "a round trip takes time: {s}"
        );
        assert!(num(s, "rss_per_connection_bytes") > 0.0, "{s}");
    }
    // Four threads each besides the connections' (measured: exactly 4 and 204); the margins leave
    // room for a helper thread either side may grow, not for a thread per connection.
    assert!(
        num(t, "os_threads") >= 200.0 + 3.0,
        "one thread per connection: {doc}"
    );
    assert!(
        num(t, "os_threads") >= num(a, "os_threads") + 190.0,
        "one thread per connection: {doc}"
    );
    assert!(
        num(a, "os_threads") <= 10.0,
        "200 connections need no thread of their own: {doc}"
    );
    assert_none_left(&tag);
    let still: Vec<_> = listening()
        .into_iter()
        .filter(|(_, port, _)| ports.contains(port))
        .collect();
    assert!(still.is_empty(), "still listening after the run: {still:?}");
}

#[test]
fn the_echo_scenario_adds_the_request_figures_to_each_side() {
    // Idle connections (one request a second each): little CPU and no figure of time, so no lock.
    let tag = tag();
    let args = [
        "--scenario",
        "echo",
        "--duration",
        "2s",
        "--async-units",
        "50",
        "--thread-units",
        "50",
    ];
    let doc = finish(start(&tag, &args, None), &tag);
    assert_eq!(doc["scenario"], "echo", "{doc}");
    assert_eq!(doc["workload"], "echo", "{doc}");
    for n in ["async", "threads"] {
        let s = side(&doc, n);
        for key in [
            "connections",
            "requests_per_sec",
            "request_p50_us",
            "request_p99_us",
            "rss_per_connection_bytes",
        ] {
            assert!(num(s, key) > 0.0, "{key} in {s}");
        }
        assert_eq!(num(s, "connections"), 50.0, "{s}");
        // One request per connection per second, by default: the idle case.
        assert!(num(s, "requests_per_sec") <= 50.0 * 1.5, "{s}");
    }
    assert_none_left(&tag);
}

#[test]
fn a_low_open_file_limit_is_reported_with_the_connections_reached() {
    // Counts of connections and descriptors, at one request a second each: no lock.
    let tag = tag();
    // The load generator needs 400 sockets and may have 256 descriptors: one side at least stops short.
    let args = [
        "--workload",
        "echo",
        "--duration",
        "3s",
        "--async-units",
        "200",
        "--thread-units",
        "200",
    ];
    let doc = finish(start(&tag, &args, Some(256)), &tag);
    let limited: Vec<&Value> = ["async", "threads"]
        .iter()
        .map(|n| side(&doc, n))
        .filter(|s| !s["limit_hit"].is_null())
        .collect();
    assert!(!limited.is_empty(), "no limit reported: {doc}");
    for s in &limited {
        let hit = s["limit_hit"].as_str().unwrap();
        assert!(
            hit.contains(&format!(
                "reached {} of 200 connections: connect failed: EMFILE",
                num(s, "client_connections")
            )),
            "{s}"
        );
        assert!(hit.contains("soft 256, hard 256"), "{s}");
        assert_eq!(s["limit_name"], "ulimit -n (RLIMIT_NOFILE)", "{s}");
        assert!(num(s, "client_connections") < 200.0, "{s}");
        assert!(
            s["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e.as_str().unwrap().contains("EMFILE")),
            "the error list says it too: {s}"
        );
    }
    let reached: f64 = ["async", "threads"]
        .iter()
        .map(|n| num(side(&doc, n), "client_connections"))
        .sum();
    assert!(reached > 0.0 && reached < 256.0, "{doc}");
    // Whatever was reached keeps being served: the limit stops growth, not the side.
    for n in ["async", "threads"] {
        let s = side(&doc, n);
        assert!(!s["workload"].is_null());
        if num(s, "client_connections") > 0.0 {
            assert!(num(s, "requests_per_sec") > 0.0, "{s}");
        }
        assert_eq!(num(s, "connections"), num(s, "client_connections"), "{s}");
    }
    assert_none_left(&tag);
}

#[test]
fn the_load_generator_dies_with_the_controller() {
    let _serial = common::cpu_bound();
    let tag = tag();
    let args = [
        "--workload",
        "echo",
        "--duration",
        "60s",
        "--async-units",
        "10",
        "--thread-units",
        "10",
    ];
    let mut child = start(&tag, &args, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tagged(&tag).iter().any(|(_, arg)| arg == "loadgen") {
        assert!(Instant::now() < deadline, "no load generator started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: no clean-up code runs in the controller; PR_SET_PDEATHSIG must take its children along.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_none_left(&tag);
}

#[test]
fn the_load_generator_refuses_bad_input_with_one_line_and_code_2() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_versus"))
        .arg("loadgen")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"kind\":\"target\",\"side\":\"async\"}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad command"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"kind\":\"fatal\""), "{stdout}");
}
