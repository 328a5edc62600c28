//! `--record` and `versus replay`: a headless run recorded and replayed headless prints the very same
//! document; `--at --svg` draws a moment as well-formed SVG holding the panel text; bad recordings
//! are one line naming FILE:LINE with exit code 2, a torn last line only a warning.
#![allow(clippy::unwrap_used)]

use crate::common::*;

use std::path::{Path, PathBuf};
use std::process::Output;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("versus-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A short headless run of 100 sleepers a side, recorded to `rec` until both sides are steady (so
/// both have reported, however busy the machine); its stdout.
fn recorded_run(rec: &Path, format: &str) -> String {
    let out = run(&[
        "--headless",
        "--nice",
        "0",
        "--until-steady",
        "--duration",
        STEADY_BOUND,
        "--async-units",
        "100",
        "--thread-units",
        "100",
        "--format",
        format,
        "--record",
        rec.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_headless_run_replays_to_the_same_json() {
    let rec = temp("json.jsonl");
    let live = recorded_run(&rec, "json");
    let out = run(&[
        "replay",
        rec.to_str().unwrap(),
        "--headless",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let replayed = text(&out.stdout);
    // Every figure, the headline and the run description: byte for byte.
    assert_eq!(live, replayed);
    let doc: serde_json::Value = serde_json::from_str(&replayed).unwrap();
    assert_eq!(num(side(&doc, "threads"), "units"), 100.0, "{doc}");
    assert!(num(side(&doc, "threads"), "os_threads") >= 100.0, "{doc}");
    assert!(num(side(&doc, "async"), "ops_per_sec") > 0.0, "{doc}");
}

#[test]
fn a_headless_csv_run_replays_to_the_same_rows() {
    let rec = temp("csv.jsonl");
    let live = recorded_run(&rec, "csv");
    let out = run(&[
        "replay",
        rec.to_str().unwrap(),
        "--headless",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(live.lines().count() > 10, "{live}");
    assert_eq!(live, text(&out.stdout));
}

#[test]
fn the_recording_has_a_header_then_timed_lines_and_stays_small() {
    let rec = temp("lines.jsonl");
    recorded_run(&rec, "json");
    let body = std::fs::read_to_string(&rec).unwrap();
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let h = &lines[0];
    assert_eq!(h["format"], "versus-recording");
    assert_eq!(h["version"], 1);
    assert_eq!(h["config"]["workload"], "sleep");
    assert_eq!(h["config"]["units"], serde_json::json!([100, 100]));
    for key in [
        "cores",
        "cpu_model",
        "kernel",
        "memory_bytes",
        "max_map_count",
        "pid_max",
    ] {
        assert!(h["machine"].get(key).is_some(), "machine.{key}: {h}");
    }
    let kinds: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "reset", "a replay rebuilds from the first line");
    let samples = kinds.iter().filter(|k| **k == "sample").count();
    assert!(samples >= 8, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "launched").count(), 2);
    let times: Vec<u64> = lines[1..]
        .iter()
        .map(|l| l["t_us"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
    // Size: bytes per sample line times the samples of 10 minutes at 250 ms, both sides, plus the
    // other lines at the same rate as here.
    let bytes = body.len() - body.lines().next().unwrap().len();
    let per_sample = bytes as f64 / samples as f64;
    let ten_minutes = per_sample * 2.0 * 4.0 * 600.0;
    assert!(
        ten_minutes < 5e6,
        "{ten_minutes} bytes projected for 10 minutes"
    );
}

#[test]
fn replay_at_draws_that_moment_as_svg() {
    let rec = temp("svg.jsonl");
    recorded_run(&rec, "json");
    let svg = temp("at.svg");
    let out = run(&[
        "replay",
        rec.to_str().unwrap(),
        "--at",
        "2s",
        "--svg",
        svg.to_str().unwrap(),
        "--size",
        "120x36",
        "--export-chrome",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc = std::fs::read_to_string(&svg).unwrap();
    versus::ui::xml::check_well_formed(&doc).unwrap();
    assert!(doc.contains(r#"width="1008""#), "120 columns");
    for t in [
        "REPLAY",
        "0:02 / 0:0",
        "OS threads",
        "async (tokio)",
        "threads (std)",
    ] {
        assert!(doc.contains(t), "{t} missing");
    }
    let txt = std::fs::read_to_string(svg.with_extension("txt")).unwrap();
    assert_eq!(txt.lines().count(), 36);
    // At 0 s nothing has been sampled yet: the moment is the one asked for.
    let early = temp("early.svg");
    let out = run(&[
        "replay",
        rec.to_str().unwrap(),
        "--at",
        "0.001s",
        "--svg",
        early.to_str().unwrap(),
        "--export-chrome",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let early_txt = std::fs::read_to_string(early.with_extension("txt")).unwrap();
    assert!(early_txt.contains("0:00 / 0:0"), "{early_txt}");
    assert!(
        early_txt.contains("starting") && !txt.contains("starting"),
        "{early_txt}\n{txt}"
    );
    // Without --export-chrome: the figures, not the player's bar or the keys.
    let bare = temp("bare.svg");
    let out = run(&[
        "replay",
        rec.to_str().unwrap(),
        "--at",
        "2s",
        "--svg",
        bare.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bare_txt = std::fs::read_to_string(bare.with_extension("txt")).unwrap();
    assert!(bare_txt.contains("OS threads"), "{bare_txt}");
    for t in ["REPLAY", "0:02 / 0:0", "q quit", "? help"] {
        assert!(!bare_txt.contains(t), "{t} in a bare export\n{bare_txt}");
    }
}

#[test]
fn a_torn_recording_replays_with_a_warning() {
    let rec = temp("torn.jsonl");
    let live = recorded_run(&rec, "json");
    let mut body = std::fs::read_to_string(&rec).unwrap();
    let n = body.lines().count();
    body.push_str("{\"t_us\":99999999,\"kind\":\"sam");
    std::fs::write(&rec, body).unwrap();
    let out = run(&["replay", rec.to_str().unwrap(), "--headless"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).trim(),
        format!(
            "versus: {}:{}: incomplete last line, ignored",
            rec.display(),
            n + 1
        )
    );
    assert_eq!(text(&out.stdout), live);
}

#[test]
fn bad_recordings_are_one_line_and_exit_2() {
    let good = temp("good.jsonl");
    recorded_run(&good, "json");
    let body = std::fs::read_to_string(&good).unwrap();
    let header = body.lines().next().unwrap();
    let mut x: u32 = 12345;
    let random: Vec<u8> = (0..4000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    let broken_middle = {
        let mut lines: Vec<&str> = body.lines().collect();
        lines[3] = "{\"t_us\":1,\"kind\":";
        lines.join("\n") + "\n"
    };
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        ("random.jsonl", random, ":1: not a versus recording".into()),
        (
            "version.jsonl",
            body.replacen("\"version\":1", "\"version\":7", 1)
                .into_bytes(),
            ":1: not a versus recording: recording version 7".into(),
        ),
        (
            "noheader.jsonl",
            body.replacen(header, "{\"t_us\":0,\"kind\":\"tick\"}", 1)
                .into_bytes(),
            ":1: not a versus recording: no header".into(),
        ),
        (
            "middle.jsonl",
            broken_middle.into_bytes(),
            ":4: not JSON".into(),
        ),
    ];
    for (name, bytes, says) in cases {
        let path = temp(name);
        std::fs::write(&path, bytes).unwrap();
        let out = run(&["replay", path.to_str().unwrap(), "--headless"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(
            err.starts_with(&format!("versus: {}{says}", path.display())),
            "{name}: {err}"
        );
        assert!(out.stdout.is_empty(), "{name}");
    }
    let out = run(&["replay", "/nonexistent/rec.jsonl", "--headless"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "--headless",
        "--duration",
        "1s",
        "--record",
        "/nonexistent/dir/r.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("versus: --record /nonexistent/dir/r.jsonl: "));
}

#[test]
fn a_recording_of_before_the_two_clocks_shows_its_switch_figure() {
    // Recorded by the build before `switch_cpu_ns` and `switch_wall_ns`: its samples and headline
    // say `switch_ns`, which is read as the CPU figure.
    let rec =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/switch-before-clocks.jsonl");
    let out = run(&["replay", rec.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["headline"]["figure"], "switch_cpu_ns", "{doc}");
    for side in doc["sides"].as_array().unwrap() {
        let ns = side["switch_cpu_ns"].as_f64();
        assert!(ns.is_some_and(|ns| ns > 0.0), "{side}");
        assert!(side.get("switch_ns").is_none(), "{side}");
    }
}
