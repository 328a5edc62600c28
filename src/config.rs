//! The run configuration: the starting scenario (preset < config file < command line) checked against
//! the workload table, and what follows from it (worker specs, the header text). Invalid input never
//! gets past here.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cli::Cli;
use crate::cli::WorkerSched;
use crate::collect::{LaunchOpts, Sched};
use crate::model::RunInfo;
use crate::protocol::{RuntimeFlavor, Side, WorkerSpec};
use crate::scenario::{Catalog, ConfigFile, Given, Scenario, find_kind, list};
use crate::workload::Params;

#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// The TUI's colours (`--theme`); no effect headless.
    pub theme: crate::ui::theme::Theme,
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
    /// One side at a time: only this side runs, the other is kept at 0 units.
    pub one_side: Option<Side>,
    /// With `one_side`: the sides take turns of `turn` each, and the headline compares the turns.
    pub turns: bool,
    pub turn: Duration,
    pub launch: LaunchOpts,
    pub window: Duration,
    pub fps: u32,
    /// `--export-chrome`: exports keep the key footer, the REPLAY bar, the notice and the REC mark.
    pub export_chrome: bool,
    pub duration: Option<Duration>,
    /// Every scenario that can be switched to: built-ins and the config file's.
    pub catalog: Catalog,
    /// Most RSS each side may use (see controller/guard.rs).
    pub memory_budget: crate::controller::guard::MemoryBudget,
    /// `--record FILE`: every input of the model goes there too (see record/).
    pub record: Option<std::path::PathBuf>,
    /// The user's own programs (`--cmd`), left column first; None: the built-in workers.
    pub programs: Option<[crate::collect::external::Program; 2]>,
}

/// How long each side runs alone when the sides take turns, in the TUI.
pub const TUI_TURN: Duration = Duration::from_secs(10);

/// Number of CPUs this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The `--list` text: the scenarios of the built-ins and of `--config`, when given.
pub fn list(cli: &Cli) -> Result<String, String> {
    let file = cli.config.as_deref().map(ConfigFile::read).transpose()?;
    let catalog = Catalog::load(file.as_ref())?;
    Ok(list::text(&catalog) + &crate::talk::list_text(&catalog))
}

/// The side that is not `side`.
pub fn other(side: Side) -> Side {
    match side {
        Side::Async => Side::Threads,
        Side::Threads => Side::Async,
    }
}

/// The CPUs of each side under `--pin`: one each when there are two or more.
fn pinned_cpus(pin: bool) -> [Vec<usize>; 2] {
    if pin && cores() >= 2 {
        [vec![0], vec![1]]
    } else {
        [vec![], vec![]]
    }
}

/// The run to start with, layered: built-in preset < config file < command line.
fn starting_run(
    cli: &Cli,
    file: Option<&ConfigFile>,
    catalog: &Catalog,
) -> Result<Scenario, String> {
    let from_file = match (&cli.scenario, &cli.workload, file) {
        (None, None, Some(f)) => f.start(catalog)?,
        _ => None,
    };
    let mut run = match (cli.scenario.as_ref().or(from_file.as_ref()), &cli.workload) {
        (Some(name), _) => catalog.get(name)?.clone(),
        (None, workload) => {
            let kind = find_kind(workload.as_deref().unwrap_or("sleep"))?;
            Scenario::plain("", kind, "command line")
        }
    };
    if let Some(f) = file {
        f.apply_set(&mut run)?;
    }
    let s = &mut run.settings;
    if let Some(n) = cli.async_units {
        s.units[0] = n;
    }
    if let Some(n) = cli.thread_units {
        s.units[1] = n;
    }
    if let Some(r) = cli.runtime {
        s.runtime = r;
    }
    if let Some(w) = cli.workers {
        s.workers = Some(w as usize);
    }
    if let Some(b) = cli.stack_size {
        s.stack_bytes = Some(b);
    }
    if let Some(side) = cli.one_side {
        let (side, turns) = side.settings();
        s.one_side = Some(side);
        s.turns = turns;
    }
    for item in &cli.set {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| format!("--set {item}: expected NAME=VALUE"))?;
        run.set(name.trim(), Given::Text(value))
            .map_err(|e| format!("--set {item}: {e}"))?;
    }
    Ok(run)
}

impl RunConfig {
    pub fn from_cli(cli: &Cli) -> Result<RunConfig, String> {
        if cli.looping && cli.talk.is_none() {
            return Err("--loop runs a talk unattended: it needs --talk NAME|FILE".into());
        }
        // A talk's rehearsal runs each step for its own time.
        if cli.headless && cli.duration.is_none() && cli.talk.is_none() {
            return Err("--headless needs --duration (e.g. --duration 10s)".into());
        }
        let programs = crate::collect::external::parse(&cli.cmd)?;
        let file = cli.config.as_deref().map(ConfigFile::read).transpose()?;
        let catalog = Catalog::load(file.as_ref())?;
        // Programs are driven as the echo workload's servers are (when their command has {port}).
        let cli = &match programs {
            Some(_) => crate::collect::external::as_echo(cli),
            None => cli.clone(),
        };
        let run = starting_run(cli, file.as_ref(), &catalog)?;
        let mut cfg = RunConfig {
            theme: cli.theme,
            workload: String::new(),
            scenario: None,
            caption: String::new(),
            params: Params::default(),
            units: [0; 2],
            runtime: RuntimeFlavor::MultiThread,
            workers: 1,
            interval_ms: cli.interval_ms,
            stack_bytes: None,
            one_side: None,
            turns: false,
            // Headless: half the run each, so both sides get a turn; the TUI: long enough to read.
            turn: match cli.duration {
                Some(d) if cli.headless => d / 2,
                _ => TUI_TURN,
            },
            launch: LaunchOpts {
                nice: cli.nice,
                sched: match cli.sched {
                    // Headless figures stay as they always were: a grouped side yields to any
                    // other load on the machine (p99 lateness 0.3 -> 14 ms beside builds). A talk's
                    // rehearsal runs the workers as the talk on stage will: grouped.
                    WorkerSched::Auto if cli.headless && cli.talk.is_none() => Sched::Normal,
                    WorkerSched::Auto | WorkerSched::Group => Sched::group_or_idle(),
                    WorkerSched::Idle => Sched::Idle,
                    WorkerSched::Normal => Sched::Normal,
                },
                cpus: pinned_cpus(cli.pin),
            },
            window: cli.window,
            fps: cli.fps,
            export_chrome: cli.export_chrome,
            duration: cli.duration,
            catalog,
            memory_budget: cli.memory_budget.unwrap_or_default(),
            record: cli.record.clone(),
            programs,
        };
        cfg.apply_scenario(&run)?;
        if cfg.programs.is_some() {
            cfg.caption = crate::collect::external::CAPTION.into();
        }
        Ok(cfg)
    }

    /// Takes over what a scenario says runs; launch options, sampling and the catalog stay.
    /// A run without a name (plain --workload) is no scenario.
    pub fn apply_scenario(&mut self, s: &Scenario) -> Result<(), String> {
        self.params = Params::resolve(s.kind.params, &s.params)?;
        self.workload = s.kind.name.to_string();
        self.scenario = (!s.name.is_empty()).then(|| s.name.clone());
        self.caption.clone_from(&s.caption);
        self.units = s.settings.units;
        self.runtime = s.settings.runtime;
        self.workers = s.settings.workers.unwrap_or_else(cores);
        self.stack_bytes = s.settings.stack_bytes;
        self.one_side = s.settings.one_side;
        self.turns = s.settings.turns && s.settings.one_side.is_some();
        Ok(())
    }

    pub fn spec(&self, side: Side) -> WorkerSpec {
        WorkerSpec {
            side,
            workload: self.workload.clone(),
            params: self.params.0.clone(),
            // One side at a time: the other side's worker runs, with nothing to do.
            units: if self.one_side.is_some_and(|s| s != side) {
                0
            } else {
                self.units[side.index()]
            },
            runtime: self.runtime,
            workers: self.workers,
            interval_ms: self.interval_ms,
            stack_bytes: self.stack_bytes,
        }
    }

    /// Switches both sides to another kind, with its default parameters.
    pub fn switch_workload(&mut self, name: &str) -> Result<(), String> {
        let kind = find_kind(name)?;
        self.params = Params::resolve(kind.params, &BTreeMap::new())?;
        self.workload = kind.name.to_string();
        self.caption = kind.caption.to_string();
        self.scenario = None;
        Ok(())
    }

    /// The fairness mode in words, always on screen: one side at a time, pinned or shared cores, nice.
    pub fn mode(&self) -> String {
        self.mode_for(cores())
    }

    /// `mode` on a machine with `cores` CPUs.
    pub fn mode_for(&self, cores: usize) -> String {
        let list = |v: &Vec<usize>| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        let pinned = !self.launch.cpus.iter().all(Vec::is_empty);
        let fairness = match (self.one_side, pinned) {
            (Some(side), _) if self.turns => format!(
                "taking turns of {} s: {} now",
                self.turn.as_secs_f64(),
                side.name()
            ),
            (Some(side), false) => format!("one side at a time: {} only", side.name()),
            (Some(side), true) => format!(
                "one side at a time: {} only, on cpu {}",
                side.name(),
                list(&self.launch.cpus[side.index()])
            ),
            (None, false) => format!(
                "both sides share {cores} core{}",
                if cores == 1 { "" } else { "s" }
            ),
            (None, true) => format!(
                "pinned: async on cpu {}, threads on cpu {}",
                list(&self.launch.cpus[0]),
                list(&self.launch.cpus[1])
            ),
        };
        // About as short as "workers at nice 10": at 80 columns a longer mode pushes the runtime out.
        match self.launch.sched {
            Sched::Group => format!("{fairness} · each side nice {}", self.launch.nice),
            Sched::Idle => format!("{fairness} · workers SCHED_IDLE"),
            Sched::Normal => format!("{fairness} · workers at nice {}", self.launch.nice),
        }
    }

    pub fn run_info(&self) -> RunInfo {
        let mut params: Vec<(String, String)> = self
            .params
            .0
            .iter()
            .map(|(k, v)| {
                let def = crate::workload::find(&self.workload)
                    .and_then(|kind| kind.params.iter().find(|d| d.name == k));
                (k.clone(), def.map_or_else(|| v.to_string(), |d| d.show(v)))
            })
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
            // The scenario's headline while one runs (a workload switch leaves it), else the workload's.
            headline: self
                .scenario
                .as_ref()
                .and_then(|name| self.catalog.find(name))
                .filter(|s| s.kind.name == self.workload)
                .map_or_else(
                    || crate::model::headline::default_for(&self.workload),
                    |s| s.headline.clone(),
                ),
            one_side: self.one_side,
            turns: self.turns,
            labels: self.programs.as_ref().map(|p| p.clone().map(|p| p.label)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::DEFAULT_UNITS;
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
        assert_ne!(
            c.launch.sched,
            Sched::Normal,
            "the TUI's workers yield by default"
        );
        let c = cfg(&["--headless", "--duration", "1s"]).expect("valid");
        assert_eq!(
            c.launch.sched,
            Sched::Normal,
            "headless figures as they were"
        );
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
    fn a_scenario_starts_from_its_preset_and_the_command_line_wins() {
        let c = cfg(&["--scenario", "memory"]).expect("valid");
        assert_eq!(c.scenario.as_deref(), Some("memory"));
        assert_eq!((c.workload.as_str(), c.units), ("sleep", [100_000, 10_000]));
        assert_eq!(c.params.int("sleep_ms"), 1000);
        let c = cfg(&[
            "--scenario",
            "memory",
            "--thread-units",
            "5",
            "--set",
            "async_units=7",
            "--set",
            "sleep_ms=20",
            "--stack-size",
            "64k",
        ])
        .expect("valid");
        assert_eq!(c.units, [7, 5]);
        assert_eq!(c.params.int("sleep_ms"), 20);
        assert_eq!(c.stack_bytes, Some(64 << 10));
        // --set comes last, so it beats a flag naming the same thing.
        let c = cfg(&["--async-units", "3", "--set", "async_units=4"]).expect("valid");
        assert_eq!(c.units[0], 4);
        assert!(
            cfg(&["--scenario", "switch", "--set", "sleep_ms=5"])
                .unwrap_err()
                .starts_with("--set sleep_ms=5: unknown parameter sleep_ms (known: switch: via")
        );
    }

    #[test]
    fn the_mode_names_every_fairness_setting() {
        let mut c = cfg(&["--sched", "idle"]).expect("valid");
        assert_eq!(
            c.mode_for(2),
            "both sides share 2 cores · workers SCHED_IDLE"
        );
        c.launch.sched = Sched::Group;
        assert_eq!(
            c.mode_for(2),
            "both sides share 2 cores · each side nice 10"
        );
        c.one_side = Some(Side::Threads);
        assert_eq!(
            c.mode_for(2),
            "one side at a time: threads only · each side nice 10"
        );
        c.launch.cpus = [vec![0], vec![1]];
        assert_eq!(
            c.mode_for(2),
            "one side at a time: threads only, on cpu 1 · each side nice 10"
        );
        c.one_side = None;
        c.launch.nice = 5;
        assert_eq!(
            c.mode_for(2),
            "pinned: async on cpu 0, threads on cpu 1 · each side nice 5"
        );
        let c = cfg(&["--sched", "normal", "--nice", "7"]).expect("valid");
        assert_eq!(
            c.mode_for(2),
            "both sides share 2 cores · workers at nice 7"
        );
    }

    #[test]
    fn a_rehearsal_schedules_the_workers_as_the_stage_does() {
        let stage = cfg(&["--talk", "async-vs-threads"]).expect("valid");
        let rehearsal = cfg(&["--talk", "async-vs-threads", "--headless"]).expect("valid");
        assert_eq!(rehearsal.launch.sched, stage.launch.sched);
        assert_eq!(stage.launch.sched, Sched::group_or_idle());
        // A plain headless run keeps per-thread nice, as its figures always had.
        let plain = cfg(&["--headless", "--duration", "1s"]).expect("valid");
        assert_eq!(plain.launch.sched, Sched::Normal);
        // An explicit --sched wins in both.
        let normal = cfg(&[
            "--talk",
            "async-vs-threads",
            "--headless",
            "--sched",
            "normal",
        ]);
        assert_eq!(normal.expect("valid").launch.sched, Sched::Normal);
    }

    #[test]
    fn one_side_keeps_the_other_worker_idle() {
        let c = cfg(&["--scenario", "parallel"]).expect("valid");
        assert_eq!(c.one_side, Some(Side::Async));
        assert_eq!(c.spec(Side::Threads).units, 0);
        assert_eq!(c.spec(Side::Async).units, 4);
        let c = cfg(&["--scenario", "parallel", "--set", "one_side=off"]).expect("valid");
        assert_eq!(c.spec(Side::Threads).units, 4);
    }

    #[test]
    fn switching_resets_parameters() {
        let mut c = cfg(&["--set", "sleep_ms=5"]).expect("valid");
        c.switch_workload("cpu").expect("cpu exists");
        assert_eq!(c.workload, "cpu");
        assert!(c.params.0.contains_key("chunk_iters") && !c.params.0.contains_key("sleep_ms"));
    }
}
