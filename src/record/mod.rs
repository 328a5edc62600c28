//! `--record FILE`: a tap on what the model is fed. Every `model::Input` and every note (keys,
//! notices, limits) goes to the file as one JSON line, written whole and at once, so a crash loses at
//! most the line being written. `replay` reads it back and `player` plays it.

pub mod format;
pub mod player;
pub mod replay;

use std::fs::File;
use std::io::Write;
use std::path::Path;

pub use format::{ConfigRecord, Header, Line, Machine, Note};

use crate::collect::Sched;
use crate::config::MemoryBudget;
use crate::config::RunConfig;
use crate::scenario::{Catalog, Scenario, find_kind};

/// An open recording.
#[derive(Debug)]
pub struct Recorder {
    file: File,
    /// Bytes written so far (tests and the size figure).
    pub bytes: u64,
}

impl Recorder {
    /// Creates (or truncates) `path` and writes the header.
    pub fn create(path: &Path, header: &Header) -> std::io::Result<Recorder> {
        let file = File::create(path)?;
        let mut r = Recorder { file, bytes: 0 };
        let mut line = serde_json::to_string(header)?;
        line.push('\n');
        r.write_raw(&line)?;
        Ok(r)
    }

    /// One line (an `Input` or a `Note`), at `t_us` microseconds since the run started.
    pub fn write(&mut self, t_us: u64, body: &impl serde::Serialize) -> std::io::Result<()> {
        self.write_raw(&format::encode(t_us, body))
    }

    fn write_raw(&mut self, line: &str) -> std::io::Result<()> {
        // One write per line, no user-space buffer: what was written is in the file if we crash.
        self.file.write_all(line.as_bytes())?;
        self.bytes += line.len() as u64;
        Ok(())
    }
}

/// The header of a run of `cfg` starting now.
pub fn header(cfg: &RunConfig, headless: bool) -> Header {
    let now = crate::utc::now_s();
    Header {
        format: format::FORMAT.into(),
        version: format::VERSION,
        versus: env!("CARGO_PKG_VERSION").into(),
        config: config_record(cfg, headless),
        machine: Machine::read(),
        started: crate::utc::rfc3339(now),
        started_unix_s: now,
    }
}

fn config_record(cfg: &RunConfig, headless: bool) -> ConfigRecord {
    ConfigRecord {
        workload: cfg.workload.clone(),
        scenario: cfg.scenario.clone(),
        caption: cfg.caption.clone(),
        params: cfg.params.0.clone(),
        units: cfg.units,
        runtime: cfg.runtime,
        workers: cfg.workers,
        interval_ms: cfg.interval_ms,
        stack_bytes: cfg.stack_bytes,
        one_side: cfg.one_side,
        nice: cfg.launch.nice,
        sched: match cfg.launch.sched {
            Sched::Group => "group",
            Sched::Idle => "idle",
            Sched::Normal => "normal",
        }
        .into(),
        cpus: cfg.launch.cpus.clone(),
        window_s: cfg.window.as_secs_f64(),
        fps: cfg.fps,
        duration_s: cfg.duration.map(|d| d.as_secs_f64()),
        memory_budget: match cfg.memory_budget {
            MemoryBudget::Bytes(b) => format!("{b} bytes"),
            MemoryBudget::PercentOfAvailable(p) => format!("{p}% of available"),
        },
        mode: cfg.mode(),
        headless,
        scenarios: cfg.catalog.0.iter().map(|s| s.name.clone()).collect(),
    }
}

/// The recorder `cfg.record` asks for, header written; None without `--record`.
pub fn open(cfg: &RunConfig, headless: bool) -> anyhow::Result<Option<Recorder>> {
    let Some(path) = &cfg.record else {
        return Ok(None);
    };
    let rec = Recorder::create(path, &header(cfg, headless))
        .map_err(|e| anyhow::anyhow!("--record {}: {e}", path.display()))?;
    Ok(Some(rec))
}

/// The run configuration a recording was made with, for a replay: the defaults, then the header's
/// values. Launch options stay local (nothing is launched); the header's mode text is in its lines.
pub fn config_of(header: &Header) -> Result<RunConfig, String> {
    let plain = Scenario::plain("", find_kind("sleep")?, "command line");
    let mut cfg = RunConfig::new(&plain, Catalog::load(None)?)?;
    let c = &header.config;
    cfg.workload.clone_from(&c.workload);
    cfg.scenario.clone_from(&c.scenario);
    cfg.caption.clone_from(&c.caption);
    cfg.params = crate::workload::Params(c.params.clone());
    cfg.units = c.units;
    cfg.runtime = c.runtime;
    cfg.workers = c.workers;
    cfg.interval_ms = c.interval_ms;
    cfg.stack_bytes = c.stack_bytes;
    cfg.one_side = c.one_side;
    cfg.window = std::time::Duration::from_secs_f64(c.window_s);
    cfg.fps = c.fps.clamp(1, 60);
    cfg.duration = c
        .duration_s
        .filter(|d| d.is_finite() && *d > 0.0 && *d <= 86_400.0)
        .map(std::time::Duration::from_secs_f64);
    Ok(cfg)
}
