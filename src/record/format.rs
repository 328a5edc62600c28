//! The recording format (JSON Lines): a header line, then one line per thing that happened, each with
//! its time. Model lines are `model::Input`s; note lines say what the user did and saw.
//! docs/recording.md has the table of line kinds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Input;
use crate::protocol::{ParamValue, RuntimeFlavor, Side};

pub const FORMAT: &str = "versus-recording";
pub const VERSION: u32 = 1;

/// Line 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The versus version that recorded.
    pub versus: String,
    pub config: ConfigRecord,
    pub machine: Machine,
    /// When the run started, RFC 3339 UTC, and the same as seconds since the epoch.
    pub started: String,
    pub started_unix_s: u64,
}

/// The run configuration as it was at the start (`config::RunConfig`, the catalog by name only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigRecord {
    pub workload: String,
    pub scenario: Option<String>,
    pub caption: String,
    pub params: BTreeMap<String, ParamValue>,
    pub units: [u64; 2],
    pub runtime: RuntimeFlavor,
    pub workers: usize,
    pub interval_ms: u64,
    pub stack_bytes: Option<usize>,
    pub one_side: Option<Side>,
    pub nice: i32,
    pub sched: String,
    pub cpus: [Vec<usize>; 2],
    pub window_s: f64,
    pub fps: u32,
    pub duration_s: Option<f64>,
    pub memory_budget: String,
    pub mode: String,
    pub headless: bool,
    pub scenarios: Vec<String>,
}

/// The machine the run was recorded on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Machine {
    pub cores: usize,
    pub cpu_model: String,
    pub kernel: String,
    pub memory_bytes: u64,
    pub max_map_count: Option<u64>,
    pub pid_max: Option<u64>,
}

impl Machine {
    /// Read from /proc now.
    pub fn read() -> Machine {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let num = |p: &str| read(p).trim().parse().ok();
        let cpu_model = read("/proc/cpuinfo")
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        let memory_bytes = read("/proc/meminfo")
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024);
        Machine {
            cores: crate::config::cores(),
            cpu_model,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            memory_bytes,
            max_map_count: num("/proc/sys/vm/max_map_count"),
            pid_max: num("/proc/sys/kernel/pid_max"),
        }
    }

    /// "2 cores · Intel Xeon … · Linux 6.1 · 24 GiB", for the replay banner.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!(
            "{} core{}",
            self.cores,
            if self.cores == 1 { "" } else { "s" }
        )];
        if !self.cpu_model.is_empty() {
            parts.push(self.cpu_model.chars().take(40).collect());
        }
        if !self.kernel.is_empty() {
            parts.push(format!(
                "Linux {}",
                self.kernel.chars().take(24).collect::<String>()
            ));
        }
        if self.memory_bytes > 0 {
            parts.push(format!(
                "{:.0} GiB",
                self.memory_bytes as f64 / f64::from(1u32 << 30)
            ));
        }
        parts.join(" · ")
    }
}

/// What the user did or saw: kept for the record, and the notice shown again in a replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Note {
    /// A key press and the action it asked for.
    Key { key: String, action: String },
    /// The one-line notice on screen changed (a refusal, a restart); null: cleared.
    Notice { text: Option<String> },
    /// A side hit a limit (also in its sample's `limit_hit`).
    Limit { side: Side, text: String },
    /// A headless run ended: what ended it (`steady`, `duration`, `signal`) after how many seconds,
    /// for the replay's JSON to say the same.
    Ended { ended: String, ran_s: f64 },
}

/// One line after the header.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Model(Input),
    Note(Note),
}

const NOTE_KINDS: &[&str] = &["key", "notice", "limit", "ended"];

/// `{"t_us":…,"kind":…,…}`: the time first, so a line reads from the left. `body` is an `Input` or
/// a `Note` (both internally tagged by `kind`).
pub fn encode(t_us: u64, body: &impl Serialize) -> String {
    // These plain types always serialize; an error would drop one line, not the recording.
    let body = serde_json::to_value(body)
        .map(|mut v| {
            strip_nulls(&mut v);
            v.to_string()
        })
        .unwrap_or_else(|_| "{\"kind\":\"tick\"}".into());
    format!(
        "{{\"t_us\":{t_us},{}\n",
        body.strip_prefix('{').unwrap_or(&body)
    )
}

/// Drops `null` members of objects: a missing optional field reads back as None, and a sample line
/// is an eighth shorter (the 10-minute budget of 5 MB has room for the busiest workload).
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// A line after the header as (µs since the run started, what it says).
pub fn decode(text: &str) -> Result<(u64, Line), String> {
    let mut v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let obj = v.as_object_mut().ok_or("not a JSON object")?;
    let t_us = obj
        .remove("t_us")
        .and_then(|t| t.as_u64())
        .ok_or("no t_us (microseconds since the start)")?;
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .ok_or("no kind")?
        .to_string();
    let line = if NOTE_KINDS.contains(&kind.as_str()) {
        Line::Note(serde_json::from_value(v).map_err(|e| format!("{kind} line: {e}"))?)
    } else {
        Line::Model(serde_json::from_value(v).map_err(|e| format!("{kind} line: {e}"))?)
    };
    Ok((t_us, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_the_time_first_and_round_trip() {
        let line = Line::Note(Note::Key {
            key: "+".into(),
            action: "ScaleUp".into(),
        });
        let Line::Note(note) = &line else { return };
        let text = encode(1_250_000, note);
        assert!(text.starts_with("{\"t_us\":1250000,"), "{text}");
        assert!(
            text.ends_with("}\n") && text.contains("\"kind\":\"key\""),
            "{text}"
        );
        assert_eq!(decode(&text), Ok((1_250_000, line)));
        let tick = encode(7, &Input::Tick);
        assert_eq!(tick, "{\"t_us\":7,\"kind\":\"tick\"}\n");
        assert_eq!(decode(&tick), Ok((7, Line::Model(Input::Tick))));
        // Nulls are left out and read back as None.
        let notice = encode(8, &Note::Notice { text: None });
        assert_eq!(notice, "{\"t_us\":8,\"kind\":\"notice\"}\n");
        assert_eq!(
            decode(&notice),
            Ok((8, Line::Note(Note::Notice { text: None })))
        );
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        for (bad, says) in [
            ("{", "not JSON"),
            ("[1]", "not a JSON object"),
            (r#"{"kind":"tick"}"#, "no t_us"),
            (r#"{"t_us":-1,"kind":"tick"}"#, "no t_us"),
            (r#"{"t_us":1}"#, "no kind"),
            (r#"{"t_us":1,"kind":"nope"}"#, "nope line"),
            (r#"{"t_us":1,"kind":"key"}"#, "key line"),
        ] {
            let e = decode(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
