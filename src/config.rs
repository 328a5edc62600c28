//! The run configuration: command-line options checked against the workload table, and what
//! follows from them (worker specs, the header text). Invalid input never gets past here.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cli::{Cli, DEFAULT_UNITS};
use crate::collect::LaunchOpts;
use crate::model::RunInfo;
use crate::protocol::{ParamValue, RuntimeFlavor, Side, WorkerSpec};
use crate::workload::{self, Kind, Params};

#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    pub workload: String,
    pub scenario: Option<String>,
    /// What to look for; the workload's own caption unless a scenario gives one.
    pub caption: String,
    /// Every parameter of the workload, defaults filled in.
    pub params: Params,
    /// Units per side, by side index.
    pub units: [u64; 2],
    pub runtime: RuntimeFlavor,
    pub workers: usize,
    pub interval_ms: u64,
    pub stack_bytes: Option<usize>,
    pub launch: LaunchOpts,
    pub window: Duration,
    pub fps: u32,
    pub duration: Option<Duration>,
}

/// Number of CPUs this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn kind(name: &str) -> Result<&'static Kind, String> {
    workload::find(name)
        .ok_or_else(|| format!("unknown workload '{name}' (known: {})", workload::names()))
}

/// Parses `--set NAME=VALUE` items against a kind's table.
pub fn parse_sets(kind: &Kind, sets: &[String]) -> Result<BTreeMap<String, ParamValue>, String> {
    let mut out = BTreeMap::new();
    for item in sets {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| format!("--set {item}: expected NAME=VALUE"))?;
        let name = name.trim();
        let def = kind.params.iter().find(|d| d.name == name).ok_or_else(|| {
            format!(
                "--set {item}: {}",
                workload::params::unknown(kind.params, name)
            )
        })?;
        out.insert(
            name.to_string(),
            def.parse(value).map_err(|e| format!("--set {item}: {e}"))?,
        );
    }
    Ok(out)
}

impl RunConfig {
    pub fn from_cli(cli: &Cli) -> Result<RunConfig, String> {
        let kind = kind(&cli.workload)?;
        let given = parse_sets(kind, &cli.set)?;
        let params = Params::resolve(kind.params, &given)?;
        if cli.headless && cli.duration.is_none() {
            return Err("--headless needs --duration (e.g. --duration 10s)".into());
        }
        let cores = cores();
        let launch = LaunchOpts {
            nice: cli.nice,
            cpus: if cli.pin && cores >= 2 {
                [vec![0], vec![1]]
            } else {
                [vec![], vec![]]
            },
        };
        Ok(RunConfig {
            workload: kind.name.to_string(),
            scenario: None,
            caption: kind.caption.to_string(),
            params,
            units: [
                cli.async_units.unwrap_or(DEFAULT_UNITS),
                cli.thread_units.unwrap_or(DEFAULT_UNITS),
            ],
            runtime: cli.runtime,
            workers: cli.workers.map_or(cores, |w| w as usize),
            interval_ms: cli.interval_ms,
            stack_bytes: cli.stack_size,
            launch,
            window: cli.window,
            fps: cli.fps,
            duration: cli.duration,
        })
    }

    pub fn spec(&self, side: Side) -> WorkerSpec {
        WorkerSpec {
            side,
            workload: self.workload.clone(),
            params: self.params.0.clone(),
            units: self.units[side.index()],
            runtime: self.runtime,
            workers: self.workers,
            interval_ms: self.interval_ms,
            stack_bytes: self.stack_bytes,
        }
    }

    /// Switches both sides to another kind, with its default parameters.
    pub fn switch_workload(&mut self, name: &str) -> Result<(), String> {
        let kind = kind(name)?;
        self.params = Params::resolve(kind.params, &BTreeMap::new())?;
        self.workload = kind.name.to_string();
        self.caption = kind.caption.to_string();
        self.scenario = None;
        Ok(())
    }

    /// The fairness mode in words, always on screen.
    pub fn mode(&self) -> String {
        let cores = cores();
        let sharing = if self.launch.cpus.iter().all(Vec::is_empty) {
            format!(
                "both sides share {cores} core{}",
                if cores == 1 { "" } else { "s" }
            )
        } else {
            let list =
                |v: &Vec<usize>| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
            format!(
                "pinned: async on cpu {}, threads on cpu {}",
                list(&self.launch.cpus[0]),
                list(&self.launch.cpus[1])
            )
        };
        format!("{sharing} · workers at nice {}", self.launch.nice)
    }

    pub fn run_info(&self) -> RunInfo {
        let mut params: Vec<(String, String)> = self
            .params
            .0
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        if let Some(bytes) = self.stack_bytes {
            params.push(("stack".into(), format!("{} KiB", bytes >> 10)));
        }
        RunInfo {
            workload: self.workload.clone(),
            scenario: self.scenario.clone(),
            caption: self.caption.clone(),
            params,
            runtime: self.runtime,
            workers: self.workers,
            interval_ms: self.interval_ms,
            mode: self.mode(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn cfg(args: &[&str]) -> Result<RunConfig, String> {
        let cli = Cli::try_parse_from(std::iter::once("versus").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        RunConfig::from_cli(&cli)
    }

    #[test]
    fn defaults_are_sane() {
        let c = cfg(&[]).expect("defaults");
        assert_eq!(c.workload, "sleep");
        assert_eq!(c.units, [DEFAULT_UNITS, DEFAULT_UNITS]);
        assert_eq!(c.params.int("sleep_ms"), 100);
        assert!(c.mode().contains("nice 10"));
    }

    #[test]
    fn bad_input_is_named() {
        assert!(
            cfg(&["--workload", "nope"])
                .unwrap_err()
                .contains("unknown workload 'nope' (known: sleep, cpu")
        );
        assert!(
            cfg(&["--set", "sleep_ms=fast"])
                .unwrap_err()
                .contains("--set sleep_ms=fast")
        );
        assert!(
            cfg(&["--set", "bogus=1"])
                .unwrap_err()
                .contains("unknown parameter bogus")
        );
        assert!(
            cfg(&["--set", "novalue"])
                .unwrap_err()
                .contains("NAME=VALUE")
        );
        assert!(cfg(&["--headless"]).unwrap_err().contains("--duration"));
        assert!(cfg(&["--async-units", "many"]).is_err());
        assert!(cfg(&["--duration", "0s"]).is_err());
    }

    #[test]
    fn switching_resets_parameters() {
        let mut c = cfg(&["--set", "sleep_ms=5"]).expect("valid");
        c.switch_workload("cpu").expect("cpu exists");
        assert_eq!(c.workload, "cpu");
        assert!(c.params.0.contains_key("chunk_iters") && !c.params.0.contains_key("sleep_ms"));
    }
}
