//! Helpers shared by the integration tests: run the real binary, parse its JSON.
#![allow(dead_code, clippy::unwrap_used)]

use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_versus"))
}

/// Runs `versus --headless --format json ARGS` and returns (exit code, JSON document).
pub fn headless(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = bin()
        .args(["--headless", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
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

/// PIDs of live processes whose command line is `<this test binary's versus> worker`.
pub fn worker_pids() -> Vec<u32> {
    let exe = env!("CARGO_BIN_EXE_versus");
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmd.split(|&b| b == 0).collect();
        if args.len() >= 2 && args[0] == exe.as_bytes() && args[1] == b"worker" {
            // A zombie is already gone for our purposes only once reaped; count it.
            pids.push(pid);
        }
    }
    pids
}
