//! The run configuration: the starting scenario (preset < config file < command line) checked against
//! the workload table, and what follows from it (worker specs, the header text). Invalid input never
//! gets past here.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::collect::{LaunchOpts, Sched};
use crate::model::RunInfo;
use crate::protocol::{RuntimeFlavor, Side, WorkerSpec};
use crate::scenario::{Catalog, Scenario, find_kind};
use crate::workload::Params;

#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// The TUI's colours (`--theme`); no effect headless.
    pub theme: Theme,
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
    /// `--until-steady`: a headless run (a rehearsal's step, a turn) ends once every running side is
    /// steady (`model::settle`), `duration` the upper bound.
    pub until_steady: bool,
    /// Every scenario that can be switched to: built-ins and the config file's.
    pub catalog: Catalog,
    /// Most RSS each side may use (see controller/guard.rs).
    pub memory_budget: MemoryBudget,
    /// `--record FILE`: every input of the model goes there too (see record/).
    pub record: Option<std::path::PathBuf>,
    /// The user's own programs (`--cmd`), left column first; None: the built-in workers.
    pub programs: Option<[crate::collect::external::Program; 2]>,
}

/// How the screen is coloured.
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Theme {
    /// Light text on the terminal's own (dark) background.
    #[default]
    Dark,
    /// Dark text on a white background, for bright projectors.
    Light,
    /// No mid greys: text that matters in white or full colours.
    Contrast,
}

/// Sampling interval when none is given (`--interval-ms`).
pub const DEFAULT_INTERVAL_MS: u64 = 250;
/// History kept on the charts when none is given (`--window`).
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);
/// Frames per second when none is given (`--fps`).
pub const DEFAULT_FPS: u32 = 10;
/// Niceness of the workers when none is given (`--nice`).
pub const DEFAULT_NICE: i32 = 10;

/// How long each side runs alone when the sides take turns, in the TUI.
pub const TUI_TURN: Duration = Duration::from_secs(10);

/// Number of CPUs this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The side that is not `side`.
pub fn other(side: Side) -> Side {
    match side {
        Side::Async => Side::Threads,
        Side::Threads => Side::Async,
    }
}

/// The CPUs of each side under `--pin`: one each when there are two or more.
pub fn pinned_cpus(pin: bool) -> [Vec<usize>; 2] {
    if pin && cores() >= 2 {
        [vec![0], vec![1]]
    } else {
        [vec![], vec![]]
    }
}

impl RunConfig {
    /// A run of `run` with every option at its default, as `versus` with no other option starts
    /// it (the TUI's turn and scheduling, nothing recorded, the built-in workers); `catalog`: the
    /// scenarios that can be switched to. The command line's options are laid over it in cli.rs.
    pub fn new(run: &Scenario, catalog: Catalog) -> Result<RunConfig, String> {
        let mut cfg = RunConfig {
            theme: Theme::default(),
            workload: String::new(),
            scenario: None,
            caption: String::new(),
            params: Params::default(),
            units: [0; 2],
            runtime: RuntimeFlavor::MultiThread,
            workers: 1,
            interval_ms: DEFAULT_INTERVAL_MS,
            stack_bytes: None,
            one_side: None,
            turns: false,
            turn: TUI_TURN,
            launch: LaunchOpts {
                nice: DEFAULT_NICE,
                sched: Sched::group_or_idle(),
                cpus: pinned_cpus(false),
            },
            window: DEFAULT_WINDOW,
            fps: DEFAULT_FPS,
            export_chrome: false,
            duration: None,
            until_steady: false,
            catalog,
            memory_budget: MemoryBudget::default(),
            record: None,
            programs: None,
        };
        cfg.apply_scenario(run)?;
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
        self.mode_on(cores(), &crate::sys::allowed_cpus())
    }

    /// `mode` on a machine with `cores` CPUs, numbered from 0.
    pub fn mode_for(&self, cores: usize) -> String {
        self.mode_on(cores, &(0..cores).collect::<Vec<_>>())
    }

    /// The CPUs each side's worker may use, given those the controller may: its own under --pin.
    pub fn side_cpus(&self, allowed: &[usize]) -> [Vec<usize>; 2] {
        self.launch.cpus.clone().map(|own| {
            if own.is_empty() {
                allowed.to_vec()
            } else {
                own
            }
        })
    }

    /// Refuses parameters this machine cannot give (a switch placement on too few CPUs), with why.
    pub fn check_params(&self) -> Result<(), String> {
        if self.workload == crate::workload::switch::KIND.name {
            let cpus = self.side_cpus(&crate::sys::allowed_cpus());
            let pinned = !self.launch.cpus.iter().all(Vec::is_empty);
            return crate::workload::switch::check(&self.params, &cpus).map_err(|e| {
                if pinned {
                    format!("{e} (--pin gives each side one)")
                } else {
                    e
                }
            });
        }
        Ok(())
    }

    /// The switch workload's placement as run, for JSON: its name and, per side, the CPUs of a
    /// pair's unit and partner (null: the scheduler decides); None for other workloads.
    pub fn placement_used(&self) -> Option<serde_json::Value> {
        use crate::workload::switch::Placement;
        if self.workload != crate::workload::switch::KIND.name || self.programs.is_some() {
            return None;
        }
        let placement = Placement::of(&self.params);
        let cpus = self.side_cpus(&crate::sys::allowed_cpus());
        let pair = |side: Side| {
            placement
                .cpus(side, &cpus[side.index()])
                .ok()
                .flatten()
                .map(|(unit, partner)| [unit, partner])
        };
        Some(serde_json::json!({
            "name": placement.name(),
            "async_cpus": pair(Side::Async),
            "threads_cpus": pair(Side::Threads),
        }))
    }

    /// Where the switch workload's pairs run, for the sides in `sides`; None for other workloads.
    fn placement_words(&self, allowed: &[usize], sides: &[Side]) -> Option<String> {
        (self.workload == crate::workload::switch::KIND.name && self.programs.is_none())
            .then(|| {
                crate::workload::switch::placement_words(
                    &self.params,
                    &self.side_cpus(allowed),
                    sides,
                )
            })
            .flatten()
    }

    /// `mode` on a machine with `cores` CPUs, the controller allowed on `allowed`.
    fn mode_on(&self, cores: usize, allowed: &[usize]) -> String {
        let list = |v: &Vec<usize>| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        let pinned = !self.launch.cpus.iter().all(Vec::is_empty);
        let placed = |sides: &[Side]| self.placement_words(allowed, sides);
        let fairness = match (self.one_side, pinned) {
            (Some(side), _) if !self.turns && placed(&[side]).is_some() => format!(
                "one side at a time: {} only, {}",
                side.name(),
                placed(&[side]).unwrap_or_default()
            ),
            (None, _) if placed(&Side::BOTH).is_some() => placed(&Side::BOTH).unwrap_or_default(),
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
        // The scenario's headline while one runs (a workload switch leaves it), else the workload's.
        let scenario = self
            .scenario
            .as_ref()
            .and_then(|name| self.catalog.find(name))
            .filter(|s| s.kind.name == self.workload);
        RunInfo {
            workload: self.workload.clone(),
            scenario: self.scenario.clone(),
            caption: self.caption.clone(),
            params,
            runtime: self.runtime,
            workers: self.workers,
            interval_ms: self.interval_ms,
            mode: self.mode(),
            headline: scenario.map_or_else(
                || crate::model::headline::default_for(&self.workload),
                |s| s.headline.clone(),
            ),
            headline_better: scenario.map_or_else(Default::default, |s| s.headline_better.clone()),
            one_side: self.one_side,
            turns: self.turns,
            labels: self.programs.as_ref().map(|p| p.clone().map(|p| p.label)),
        }
    }
}

// The memory budget per side (`--memory-budget`); controller/guard.rs enforces it.

/// Share of the memory available at start each side may use unless `--memory-budget` says otherwise;
/// two sides at 40% leave a fifth for the controller and everything else.
pub const DEFAULT_PERCENT: f64 = 40.0;
/// Smallest budget accepted: a worker's runtime alone takes a few MiB.
pub const MIN_BUDGET_BYTES: u64 = 16 << 20;
/// Size suffixes `--memory-budget` takes.
const SUFFIXES: &[(&str, u64)] = &[
    ("k", 1 << 10),
    ("m", 1 << 20),
    ("g", 1 << 30),
    ("t", 1 << 40),
];

/// What `--memory-budget` says: bytes, or a percent of the memory available at start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MemoryBudget {
    Bytes(u64),
    PercentOfAvailable(f64),
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget::PercentOfAvailable(DEFAULT_PERCENT)
    }
}

impl MemoryBudget {
    /// "2g", "512m", "1.5g", "40%"; at least 16m, a percent between 1 and 100.
    pub fn parse(text: &str) -> Result<MemoryBudget, String> {
        let t = text.trim().to_ascii_lowercase();
        if let Some(num) = t.strip_suffix('%') {
            return match num.trim().parse::<f64>() {
                Ok(p) if (1.0..=100.0).contains(&p) => Ok(MemoryBudget::PercentOfAvailable(p)),
                Ok(_) => Err(format!(
                    "'{text}': a memory budget in percent must be between 1% and 100%"
                )),
                Err(_) => Err(format!(
                    "'{text}' is not a memory budget (try 2g, 512m or 40%)"
                )),
            };
        }
        let t = t.trim_end_matches("ib").trim_end_matches('b');
        let (num, mult) = SUFFIXES
            .iter()
            .find_map(|&(s, m)| t.strip_suffix(s).map(|n| (n, m)))
            .unwrap_or((t, 1));
        let n: f64 = num
            .trim()
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite())
            .ok_or_else(|| format!("'{text}' is not a memory budget (try 2g, 512m or 40%)"))?;
        let bytes = n * mult as f64;
        if bytes < MIN_BUDGET_BYTES as f64 {
            return Err(format!(
                "'{text}': a memory budget must be at least 16m (a worker alone takes a few MiB)"
            ));
        }
        Ok(MemoryBudget::Bytes(bytes.min(u64::MAX as f64) as u64))
    }

    /// Bytes per side, given the memory available now.
    pub fn resolve(self, available_bytes: u64) -> u64 {
        match self {
            MemoryBudget::Bytes(b) => b,
            MemoryBudget::PercentOfAvailable(p) => {
                ((available_bytes as f64 * p / 100.0) as u64).max(MIN_BUDGET_BYTES)
            }
        }
    }
}

/// "10s", "500ms", "2m", "1h", or plain seconds; zero and more than a day are refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (try 10s, 500ms, 2m)"))?;
    let secs = match unit.trim() {
        "" | "s" | "sec" => n,
        "ms" => n / 1e3,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{text}' (use ms, s, m or h)"
            ));
        }
    };
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!("'{text}' must be longer than zero"));
    }
    if secs > 86_400.0 {
        return Err(format!("'{text}' is longer than a day"));
    }
    Ok(Duration::from_secs_f64(secs))
}
