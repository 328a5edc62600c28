//! Helpers shared by the integration tests: run the real binary, parse its JSON.
#![allow(dead_code, clippy::unwrap_used)]

use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_versus"))
}

/// Runs `versus --headless --format json ARGS` and returns (exit code, JSON document).
/// Every run is tagged, and once it has returned no process of it may be left.
pub fn headless(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let tag = unique_tag("headless");
    let out = bin()
        .env("VERSUS_TEST_TAG", &tag)
        .args(["--headless", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let left = tagged_pids(&tag);
    assert!(
        left.is_empty(),
        "processes left behind by {args:?}: {left:?}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), doc)
}

/// The object of one side ("async" or "threads").
pub fn side<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["sides"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["side"] == name)
        .unwrap_or_else(|| panic!("no side {name} in {doc}"))
}

pub fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// A tag unique to this call, for `tagged_pids`: put it in a child's environment as VERSUS_TEST_TAG.
pub fn unique_tag(name: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{name}-{}-{n}", std::process::id())
}

/// Live (non-zombie) processes whose environment holds VERSUS_TEST_TAG=`tag`: workers inherit it, so
/// this finds what one run left behind without counting the processes of tests running alongside.
pub fn tagged_pids(tag: &str) -> Vec<u32> {
    let needle = format!("VERSUS_TEST_TAG={tag}");
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                s.rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if !zombie && env.split(|&b| b == 0).any(|kv| kv == needle.as_bytes()) {
            pids.push(pid);
        }
    }
    pids
}
