//! A recording read back (`versus replay FILE`): the source that stands in for the workers. It is
//! never trusted: lines are bounded like worker messages, counts are capped, every line is checked,
//! and any fault is one line naming FILE:LINE. A torn last line (the app was killed mid-write) is
//! left out with a warning.

use std::io::BufReader;
use std::path::Path;

use crate::model::{Input, RunInfo};
use crate::protocol::{self, DecodeError};
use crate::record::format::{self, FORMAT, Header, Line, VERSION};

/// Most lines read: about 30 hours at the default interval, far under the memory of a laptop.
pub const MAX_LINES: usize = 1_000_000;

/// A recording, checked and in memory.
#[derive(Debug, Clone)]
pub struct Recording {
    pub header: Header,
    /// Every line after the header: (µs since the run started, what it says), in time order.
    pub lines: Vec<(u64, Line)>,
    /// `FILE:LINE: incomplete last line, ignored`, when the file ends mid-line.
    pub warning: Option<String>,
}

impl Recording {
    /// Time of the last line, µs.
    pub fn end_us(&self) -> u64 {
        self.lines.last().map_or(0, |(t, _)| *t)
    }

    /// Index of the first line later than `t_us`.
    pub fn index_after(&self, t_us: u64) -> usize {
        self.lines.partition_point(|(t, _)| *t <= t_us)
    }
}

/// Reads and checks `path`.
pub fn load(path: &Path) -> Result<Recording, String> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    read(&name, BufReader::new(file))
}

/// Reads a recording from `r`; `name` goes in front of every message.
pub fn read(name: &str, mut r: impl std::io::BufRead) -> Result<Recording, String> {
    let mut buf = Vec::new();
    let mut header: Option<Header> = None;
    let mut lines = Vec::new();
    let mut warning = None;
    let mut at = 0usize;
    loop {
        let got = protocol::read_line_bounded(&mut r, &mut buf)
            .map_err(|e| format!("{name}:{}: {e}", at + 1))?;
        let Some(res) = got else { break };
        at += 1;
        let here = |what: String| format!("{name}:{at}: {what}");
        // Only a line that ended without its newline is torn (a too-long one is an error).
        let torn = res.is_ok() && !buf.ends_with(b"\n");
        let text = match res {
            Ok(()) => std::str::from_utf8(&buf).map_err(|_| DecodeError::NotUtf8),
            Err(e) => Err(e),
        };
        let parsed = text.map_err(|e| e.to_string()).and_then(|text| {
            if header.is_none() {
                parse_header(text).map(Err)
            } else {
                format::decode(text.trim_end()).map(Ok)
            }
        });
        match parsed {
            Ok(Err(h)) => header = Some(h),
            Ok(Ok((t_us, line))) => {
                check_line(&line).map_err(&here)?;
                if lines.last().is_some_and(|(t, _)| *t > t_us) {
                    return Err(here("time goes back".into()));
                }
                if lines.len() >= MAX_LINES {
                    return Err(here(format!("more than {MAX_LINES} lines")));
                }
                lines.push((t_us, line));
            }
            // A crash leaves the last line unfinished: replay up to it.
            Err(_) if torn && header.is_some() => {
                warning = Some(here("incomplete last line, ignored".into()));
            }
            Err(e) if header.is_none() => {
                return Err(here(format!("not a versus recording: {e}")));
            }
            Err(e) => return Err(here(e)),
        }
    }
    let header = header.ok_or_else(|| format!("{name}:1: empty, not a versus recording"))?;
    Ok(Recording {
        header,
        lines,
        warning,
    })
}

fn parse_header(text: &str) -> Result<Header, String> {
    let v: serde_json::Value =
        serde_json::from_str(text.trim_end()).map_err(|e| format!("not JSON ({e})"))?;
    match v.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => return Err(format!("format '{other}', not '{FORMAT}'")),
        None => return Err("no header (line 1 has no \"format\")".into()),
    }
    match v.get("version").and_then(serde_json::Value::as_u64) {
        Some(n) if n == u64::from(VERSION) => {}
        Some(n) => {
            return Err(format!(
                "recording version {n}; this versus reads version {VERSION}"
            ));
        }
        None => return Err("no version in the header".into()),
    }
    let h: Header = serde_json::from_value(v).map_err(|e| format!("bad header: {e}"))?;
    let c = &h.config;
    check_run(&c.workload, c.interval_ms)?;
    check_window(c.window_s)?;
    Ok(h)
}

/// Values the model sizes its buffers by, or looks tables up with, are checked like the CLI's.
fn check_line(line: &Line) -> Result<(), String> {
    match line {
        Line::Model(Input::Reset { run, window_s }) => {
            check_run_info(run)?;
            check_window(*window_s)
        }
        Line::Model(Input::Run { run }) => check_run_info(run),
        Line::Model(Input::Outside { cores }) if !cores.is_finite() || *cores < 0.0 => {
            Err(format!("outside cores {cores}"))
        }
        _ => Ok(()),
    }
}

fn check_run_info(run: &RunInfo) -> Result<(), String> {
    check_run(&run.workload, run.interval_ms)
}

fn check_run(workload: &str, interval_ms: u64) -> Result<(), String> {
    if crate::workload::find(workload).is_none() {
        return Err(format!("unknown workload '{workload}'"));
    }
    if !(50..=10_000).contains(&interval_ms) {
        return Err(format!(
            "interval_ms {interval_ms} is not within 50..=10000"
        ));
    }
    Ok(())
}

fn check_window(window_s: f64) -> Result<(), String> {
    if !(5.0..=3600.0).contains(&window_s) {
        return Err(format!("window_s {window_s} is not within 5..=3600"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::format::encode;

    const HEADER: &str = include_str!("../../tests/fixtures/recording-header.json");

    fn with_lines(lines: &[&str]) -> String {
        let mut text = HEADER.trim_end().to_string();
        text.push('\n');
        for l in lines {
            text.push_str(l);
        }
        text
    }

    fn load_text(text: &str) -> Result<Recording, String> {
        read("rec.jsonl", text.as_bytes())
    }

    #[test]
    fn a_good_recording_loads_in_time_order() {
        let tick = |t| encode(t, &Input::Tick);
        let rec = load_text(&with_lines(&[&tick(5), &tick(5), &tick(2_000_000)])).expect("ok");
        assert_eq!(rec.lines.len(), 3);
        assert_eq!(rec.end_us(), 2_000_000);
        assert_eq!(rec.index_after(5), 2);
        assert!(rec.warning.is_none());
        assert_eq!(rec.header.config.workload, "sleep");
    }

    #[test]
    fn a_torn_last_line_is_left_out_with_a_warning() {
        let tick = encode(5, &Input::Tick);
        let rec = load_text(&with_lines(&[&tick, "{\"t_us\":9,\"kind\":\"sam"])).expect("ok");
        assert_eq!(rec.lines.len(), 1);
        assert_eq!(
            rec.warning.as_deref(),
            Some("rec.jsonl:3: incomplete last line, ignored")
        );
        // The last line complete but without its newline: kept.
        let rec = load_text(&with_lines(&[&tick, tick.trim_end()])).expect("ok");
        assert_eq!((rec.lines.len(), rec.warning), (2, None));
    }

    #[test]
    fn bad_recordings_name_the_file_and_line() {
        let tick = encode(5, &Input::Tick);
        let header = HEADER.trim_end();
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "rec.jsonl:1: empty"),
            (
                "\u{1}\u{2}garbage\n".into(),
                "rec.jsonl:1: not a versus recording: not JSON",
            ),
            (
                "{\"a\":1}\n".into(),
                "rec.jsonl:1: not a versus recording: no header",
            ),
            (
                header.replace("\"versus-recording\"", "\"other\"") + "\n",
                "rec.jsonl:1: not a versus recording: format 'other'",
            ),
            (
                header.replace("\"version\":1", "\"version\":2") + "\n",
                "rec.jsonl:1: not a versus recording: recording version 2; this versus reads version 1",
            ),
            (
                header.replace("\"interval_ms\":250", "\"interval_ms\":0") + "\n",
                "rec.jsonl:1: not a versus recording: interval_ms 0",
            ),
            (
                with_lines(&[&tick, "not json\n", &tick]),
                "rec.jsonl:3: not JSON",
            ),
            (
                with_lines(&[&encode(9, &Input::Tick), &tick]),
                "rec.jsonl:3: time goes back",
            ),
            (
                with_lines(&["{\"t_us\":1,\"kind\":\"outside\",\"cores\":-1.0}\n"]),
                "rec.jsonl:2: outside cores -1",
            ),
            (
                with_lines(&[
                    &("x".repeat(crate::protocol::MAX_LINE_BYTES + 10) + "\n"),
                    &tick,
                ]),
                "rec.jsonl:2: message longer than",
            ),
        ];
        for (text, says) in cases {
            let e = load_text(&text).expect_err(says);
            assert!(e.starts_with(says), "{says}\n got: {e}");
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in [1usize, 7, 100, 5000] {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            assert!(read("r", &bytes[..]).is_err());
        }
    }
}
