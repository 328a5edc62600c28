//! The switch workload's `placement`: where the two units of a pair run. Read from the kernel: each
//! thread's Cpus_allowed_list in /proc, while a headless run goes on.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::{Duration, Instant};

use crate::common::{finish_headless, side, spawn_headless, tagged, unique_tag};

/// Cpus_allowed_list of every thread named `name` in the processes of `pids`.
fn allowed_of(pids: &[u32], name: &str) -> Vec<String> {
    let mut found = Vec::new();
    for pid in pids {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim() != name {
                continue;
            }
            let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
            if let Some(list) = status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            {
                found.push(list.trim().to_string());
            }
        }
    }
    found
}

/// The CPUs this test may run on, as the kernel lists them ("0-1", "0,2").
fn own_allowed() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .unwrap()
        .trim()
        .to_string()
}

fn single_cpu(list: &str) -> bool {
    !list.is_empty() && list.chars().all(|c| c.is_ascii_digit())
}

#[test]
fn same_cpu_is_the_default_and_pins_each_side_to_a_cpu_of_its_own() {
    let tag = unique_tag("placement");
    // The switch scenario's async side runs on a current-thread runtime: its one thread, tokio-rt.
    // Only where its threads may run is read, and that a figure came: 4 s, not until steady (at
    // versus's nice 10 switch takes a tenth of each core from the CPU-bound tests beside it).
    let child = spawn_headless(&tag, &["--scenario", "switch", "--duration", "4s"], &[]);
    let deadline = Instant::now() + Duration::from_secs(18);
    let (runtime, partners) = loop {
        let workers: Vec<u32> = tagged(&tag)
            .into_iter()
            .filter(|(_, arg)| arg == "worker")
            .map(|(pid, _)| pid)
            .collect();
        let runtime = allowed_of(&workers, "tokio-rt");
        let partners = allowed_of(&workers, "switch-partner");
        if !runtime.is_empty() && !partners.is_empty() {
            break (runtime, partners);
        }
        assert!(
            Instant::now() < deadline,
            "no tokio-rt and switch-partner threads in the workers of {tag}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    for list in runtime.iter().chain(&partners) {
        assert!(single_cpu(list), "a pinned thread may run on {list}");
    }
    let multi = !single_cpu(&own_allowed());
    if multi {
        assert_ne!(runtime[0], partners[0], "the sides share a CPU");
    }
    let done = finish_headless(child, &tag);
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let placement = &done.doc["placement"];
    assert_eq!(placement["name"], "same-cpu", "{placement}");
    let threads = placement["threads_cpus"][0].as_u64().unwrap().to_string();
    assert_eq!(
        placement["threads_cpus"][1].as_u64(),
        placement["threads_cpus"][0].as_u64()
    );
    assert_eq!(threads, partners[0], "the JSON says where the pairs ran");
    assert!(
        side(&done.doc, "threads")["switch_wall_ns"]
            .as_f64()
            .is_some()
    );
}

/// `versus ARGS` (headless, JSON) allowed on one CPU only, as `taskset -c N` starts it.
fn on_one_cpu(tag: &str, args: &[&str]) -> std::process::Output {
    spawn_headless(tag, args, &[common::Limit::OnCpu(0)])
        .wait_with_output()
        .unwrap()
}

#[test]
fn cross_cpu_on_one_cpu_is_refused_with_the_reason_and_same_cpu_says_the_sides_share_it() {
    let tag = unique_tag("placement-one-cpu");
    let out = on_one_cpu(
        &tag,
        &[
            "--scenario",
            "switch",
            "--duration",
            "2s",
            "--set",
            "placement=cross-cpu",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("cross-cpu needs two CPUs"), "{stderr}");
    assert!(out.stdout.is_empty(), "refused before it ran");

    let out = on_one_cpu(&tag, &["--scenario", "switch", "--duration", "3s"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mode = doc["mode"].as_str().unwrap();
    assert!(mode.starts_with("both sides on cpu "), "{mode}");
    assert_eq!(
        doc["placement"]["async_cpus"], doc["placement"]["threads_cpus"],
        "{doc}"
    );
    common::assert_none_left(&tag);
}

#[test]
fn a_placement_that_does_not_exist_is_refused_in_one_line() {
    let out = common::run(&[
        "--scenario",
        "switch",
        "--headless",
        "--duration",
        "2s",
        "--set",
        "placement=sideways",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("placement takes one of same-cpu, cross-cpu, os"),
        "{stderr}"
    );
}
