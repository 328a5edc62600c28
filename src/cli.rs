//! Command-line options: the one place they are named. Parsing only; checks that need the
//! workload table live in config.rs.

use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum, builder::TypedValueParser as _};

use crate::collect::external::DEFAULT_CONNECTIONS;
use crate::collect::{LaunchOpts, Sched};
// Durations are read where talk files read them too: run configuration.
pub use crate::config::parse_duration;
use crate::config::{
    DEFAULT_FPS, DEFAULT_INTERVAL_MS, DEFAULT_NICE, RunConfig, TUI_TURN, pinned_cpus,
};
use crate::protocol::{RuntimeFlavor, Side};
use crate::scenario::{Catalog, ConfigFile, Given, Scenario, find_kind};
// The unit caps are run configuration; named here too, where the options use them.
pub use crate::scenario::settings::{DEFAULT_UNITS, MAX_ASYNC_UNITS, MAX_THREAD_UNITS};

/// `--runtime current-thread|multi-thread`: the values are `RuntimeFlavor::name`, as the wire spells
/// them. (A parser here, not a clap trait on the type: the wire protocol lives in the worker crate,
/// which does not know the command line.)
fn runtime_flavor() -> impl clap::builder::TypedValueParser<Value = RuntimeFlavor> {
    clap::builder::PossibleValuesParser::new(RuntimeFlavor::ALL.map(RuntimeFlavor::name)).map(
        |name| {
            RuntimeFlavor::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .unwrap_or_default()
        },
    )
}

#[derive(Parser, Debug, Clone)]
#[command(
    name = "versus",
    version,
    about = "Live, side by side: what async tasks cost next to OS threads",
    long_about = "Runs the same workload twice at once, on tokio tasks and on std threads, each side in its own \
                  worker process, and shows what each costs: units, OS threads, context switches, RSS, CPU, \
                  throughput and wake-up lateness. Figures come from the kernel and from timestamps taken \
                  inside the workers.",
    after_help = "Keys in the TUI: ? shows them all. Examples:\n  versus\n  versus --list\n  versus --scenario switch\n  versus --scenario blocking --set spawn_blocking=true\n  versus --config my-scenarios.toml\n  versus --workload cpu --runtime current-thread\n  versus --scenario spawn --headless --duration 10s --format json\n  versus --talk async-vs-threads    (→ next step, ← previous)\n  versus --talk async-vs-threads --headless    (rehearse every step)\n  versus notes    (a second terminal: the running talk's speaker notes)\n  versus completions bash    (also zsh, fish, elvish, powershell)\n  versus man | man -l -"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Start on this scenario (versus --list shows them)
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,

    /// Print every scenario with its workload, parameters, defaults and allowed ranges, then exit
    #[arg(long)]
    pub list: bool,

    /// TOML file that sets parameters and defines scenarios (a preset from assets/scenarios is one)
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Run a talk: a built-in one by name (versus --list) or a talk file; with --headless, rehearse it
    #[arg(long, value_name = "NAME|FILE", conflicts_with_all = ["scenario", "workload"])]
    pub talk: Option<String>,

    /// Colours: dark (default), light for bright projectors, contrast (no mid greys); key T cycles
    #[arg(long, value_enum, default_value_t = crate::ui::theme::Theme::Dark)]
    pub theme: crate::ui::theme::Theme,

    /// Booth mode with --talk: steps advance by themselves (advance_after, else 30 s) and start over
    #[arg(long = "loop")]
    pub looping: bool,

    /// Workload kind to run on both sides, without a scenario [default: sleep]
    #[arg(long, short = 'w', value_name = "KIND", conflicts_with = "scenario")]
    pub workload: Option<String>,

    /// Units (tasks) on the async side [default: 1000]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=MAX_ASYNC_UNITS))]
    pub async_units: Option<u64>,

    /// Units (threads) on the threads side [default: 1000]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=MAX_THREAD_UNITS))]
    pub thread_units: Option<u64>,

    /// tokio runtime flavor of the async side [default: multi-thread]
    #[arg(long, value_name = "FLAVOR", value_parser = runtime_flavor())]
    pub runtime: Option<RuntimeFlavor>,

    /// tokio worker threads (multi-thread runtime) [default: number of cores]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub workers: Option<u64>,

    /// How often each worker reports, in milliseconds
    #[arg(long, default_value_t = DEFAULT_INTERVAL_MS, value_name = "MS", value_parser = clap::value_parser!(u64).range(50..=10_000))]
    pub interval_ms: u64,

    /// Chart window (e.g. 60s, 5m)
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = parse_window)]
    pub window: Duration,

    /// Set a parameter (repeatable): the workload's own (see --list) or async_units, thread_units,
    /// runtime, workers, stack_kib, one_side; e.g. --set sleep_ms=50
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,

    /// Stack size of each unit thread (e.g. 64k, 2m) [default: Rust's 2 MiB]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub stack_size: Option<usize>,

    /// Nice level of the worker processes, so the UI stays responsive when a side saturates the CPUs
    #[arg(long, default_value_t = DEFAULT_NICE, value_name = "N", value_parser = clap::value_parser!(i32).range(0..=19))]
    pub nice: i32,

    /// How the workers yield to the UI: auto (the TUI: group; headless, with no terminal to
    /// starve: normal), group (each side one scheduling group at --nice where autogroup applies,
    /// else idle), idle (SCHED_IDLE threads), normal (each thread at --nice)
    #[arg(long, value_enum, default_value_t = WorkerSched::Auto, value_name = "MODE")]
    pub sched: WorkerSched,

    /// Pin each side to its own CPU (async: cpu 0, threads: cpu 1) so they do not compete
    #[arg(long)]
    pub pin: bool,

    /// One side at a time: only this side runs, the other is kept at 0 units (key o in the TUI);
    /// turns: each side runs alone in turn and the two turns are compared
    #[arg(long, value_enum, value_name = "SIDE")]
    pub one_side: Option<OneSide>,

    /// Run without the terminal UI and print the figures at the end
    #[arg(long)]
    pub headless: bool,

    /// How long to run (headless: required; TUI: quit after it)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// Headless runs and rehearsals: end once every running side is steady (its headline figure
    /// held within 10 % for 3 s; a limit or a count reached), --duration (a step's time) the most
    #[arg(long)]
    pub until_steady: bool,

    /// Headless output: json (final figures) or csv (every sample)
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// Record every sample and event to FILE (JSON Lines) as they arrive; play it with `versus replay FILE`
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,

    /// Exports (key e) keep the key footer, the REPLAY bar, the notice line and the REC mark
    #[arg(long)]
    pub export_chrome: bool,

    /// Most frames drawn per second
    #[arg(long, default_value_t = DEFAULT_FPS, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=60))]
    pub fps: u32,

    /// Your own program as a side, run through sh -c: give it twice (first = left column, second =
    /// right), e.g. --cmd 'threads=python3 examples/echo_threads.py {port}'; {port} becomes a free
    /// loopback port the echo load generator drives
    #[arg(long = "cmd", value_name = "LABEL=COMMAND", conflicts_with_all = ["scenario", "workload"])]
    pub cmd: Vec<String>,

    /// Most RSS each side may use: a size (2g, 512m) or a share of the memory available at start
    /// (40%); scaling past it is refused [default: 40%]
    #[arg(long, value_name = "SIZE|PERCENT", value_parser = crate::config::MemoryBudget::parse)]
    pub memory_budget: Option<crate::config::MemoryBudget>,
}

#[derive(Subcommand, Debug, Clone, PartialEq)]
pub enum Command {
    /// Print a shell completion script (e.g. versus completions bash > ~/.local/share/bash-completion/completions/versus)
    Completions {
        /// The shell to write completions for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page as roff (read it with: versus man | man -l -)
    Man,
    /// Play a recording made with --record: the same screen (space, arrows, [ ] move through it),
    /// or its final figures (--headless), or one moment as SVG (--at 30s --svg OUT.svg)
    Replay(ReplayArgs),
    /// Speaker notes of a running talk, in a second terminal: the step's notes, the next step, the
    /// time in the talk and in the step, the rehearsal's figures; → / ← there move the talk
    #[command(
        long_about = "Speaker notes of a running talk (versus --talk NAME), in a second terminal: \
                      the step's notes from the talk file, the next step's title, the time in the talk \
                      and in the step, and what the rehearsal measured for the step (--rehearsal). \
                      → / ← here move the talk, q closes the notes and the talk runs on; start them \
                      before or during the talk, close and reopen them at any time. The talk listens on \
                      a Unix socket only you can use: $XDG_RUNTIME_DIR/versus/talk-PID.sock (or \
                      $TMPDIR/versus-UID/ when XDG_RUNTIME_DIR is unset), the directory 0700, the \
                      socket 0600, the other end's uid checked on both sides.",
        after_help = "Examples:\n  versus --talk async-vs-threads    (first terminal: the audience's screen)\n  versus notes    (second terminal: the newest talk)\n  versus --talk async-vs-threads --headless > rehearsal.json\n  versus notes --rehearsal rehearsal.json\n  versus notes --pid 4242    (when two talks run)"
    )]
    Notes(NotesArgs),
    /// Runs one side; started by the controller, speaks JSON lines on stdin/stdout.
    #[command(hide = true)]
    Worker,
    /// Opens the `echo` workload's connections to both servers; started by the controller.
    #[command(hide = true)]
    Loadgen,
    /// Runs and watches one user program (--cmd) as a side; started by the controller.
    #[command(hide = true)]
    Watch { label: String, command: String },
}

/// `versus notes ...`
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub struct NotesArgs {
    /// Attach to the talk of this process id [default: the newest talk running]
    #[arg(long, value_name = "PID", value_parser = clap::value_parser!(u32).range(1..))]
    pub pid: Option<u32>,
    /// A rehearsal's JSON (versus --talk NAME --headless > FILE): each step shows what it measured
    #[arg(long, value_name = "FILE")]
    pub rehearsal: Option<std::path::PathBuf>,
}

/// `versus replay FILE ...`
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub struct ReplayArgs {
    /// A recording made with --record
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// Print what the live headless run printed, without a terminal
    #[arg(long, conflicts_with_all = ["at", "svg"])]
    pub headless: bool,
    /// Headless output: json (final figures) or csv (every sample)
    #[arg(long, value_enum, default_value_t = Format::Json, requires = "headless")]
    pub format: Format,
    /// The moment to draw, from the start of the recording (e.g. 30s, 1m); with --svg
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "svg")]
    pub at: Option<Duration>,
    /// Write the screen at --at (default: the end) to this SVG file, and a .txt beside it
    #[arg(long, value_name = "OUT.svg")]
    pub svg: Option<std::path::PathBuf>,
    /// Screen size for --svg, columns x rows
    #[arg(long, value_name = "WxH", default_value = "100x30", value_parser = parse_size, requires = "svg")]
    pub size: (u16, u16),
    /// Exports (--svg, key e) keep the key footer, the REPLAY bar and the notice line
    #[arg(long)]
    pub export_chrome: bool,
}

/// "100x30": columns × rows, within what the screen can be drawn in.
pub fn parse_size(text: &str) -> Result<(u16, u16), String> {
    let (w, h) = text
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| format!("'{text}' is not a size (try 100x30)"))?;
    let (w, h): (u16, u16) = (
        w.trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a size (try 100x30)"))?,
        h.trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a size (try 100x30)"))?,
    );
    if !(crate::ui::MIN_WIDTH..=500).contains(&w) || !(crate::ui::MIN_HEIGHT..=200).contains(&h) {
        return Err(format!(
            "'{text}': the size must be from {}x{} to 500x200",
            crate::ui::MIN_WIDTH,
            crate::ui::MIN_HEIGHT
        ));
    }
    Ok((w, h))
}

/// The workers' scheduling class (`--sched`).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerSched {
    Auto,
    Group,
    Idle,
    Normal,
}

/// The side `--one-side` runs.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneSide {
    Async,
    Threads,
    Turns,
}

impl OneSide {
    /// The side that runs first, and whether the sides take turns.
    pub fn settings(self) -> (Side, bool) {
        match self {
            OneSide::Async => (Side::Async, false),
            OneSide::Threads => (Side::Threads, false),
            OneSide::Turns => (Side::Async, true),
        }
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

fn parse_window(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d < Duration::from_secs(5) || d > Duration::from_secs(3600) {
        return Err(format!("'{text}': the window must be between 5s and 1h"));
    }
    Ok(d)
}

/// "64k", "2m", "1048576": bytes, at least 16 KiB and at most 1 GiB.
pub fn parse_bytes(text: &str) -> Result<usize, String> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.trim_end_matches("ib").trim_end_matches('b');
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    let n: usize = num
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a size (try 64k, 2m)"))?;
    let bytes = n
        .checked_mul(mult)
        .ok_or_else(|| format!("'{text}' is too large"))?;
    if !(16 << 10..=1 << 30).contains(&bytes) {
        return Err(format!("'{text}': a stack must be between 16k and 1g"));
    }
    Ok(bytes)
}

// From the command line to a RunConfig (config.rs: the run configuration itself).

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
    /// The run the command line asks for: `RunConfig::new` of the starting scenario (preset <
    /// config file < command line), the options laid over it.
    pub fn from_cli(cli: &Cli) -> Result<RunConfig, String> {
        if cli.looping && cli.talk.is_none() {
            return Err("--loop runs a talk unattended: it needs --talk NAME|FILE".into());
        }
        if cli.until_steady && !cli.headless {
            return Err(
                "--until-steady ends a headless run or a rehearsal: it needs --headless".into(),
            );
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
            Some(_) => as_echo(cli),
            None => cli.clone(),
        };
        let run = starting_run(cli, file.as_ref(), &catalog)?;
        let mut cfg = RunConfig::new(&run, catalog)?;
        cfg.theme = cli.theme;
        cfg.interval_ms = cli.interval_ms;
        // Headless: half the run each, so both sides get a turn; the TUI: long enough to read.
        cfg.turn = match cli.duration {
            Some(d) if cli.headless => d / 2,
            _ => TUI_TURN,
        };
        cfg.launch = LaunchOpts {
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
        };
        cfg.window = cli.window;
        cfg.fps = cli.fps;
        cfg.export_chrome = cli.export_chrome;
        cfg.duration = cli.duration;
        cfg.until_steady = cli.until_steady;
        cfg.memory_budget = cli.memory_budget.unwrap_or_default();
        cfg.record.clone_from(&cli.record);
        cfg.programs = programs;
        if cfg.programs.is_some() {
            cfg.caption = crate::collect::external::CAPTION.into();
        }
        cfg.check_params()?;
        // A side too big for its budget even at the least a task weighs is refused before it starts.
        let budget = cfg
            .memory_budget
            .resolve(crate::controller::guard::available_memory_bytes());
        for side in Side::BOTH {
            crate::controller::guard::refuse_unmeasured(side, cfg.spec(side).units, budget)?;
        }
        Ok(cfg)
    }
}

/// The command line as the session runs it for programs: the `echo` workload (its load generator,
/// `connections` and `rate`), at DEFAULT_CONNECTIONS unless units are given.
pub fn as_echo(cli: &Cli) -> Cli {
    let mut cli = cli.clone();
    cli.workload = Some(crate::workload::echo::KIND.name.into());
    cli.async_units = cli.async_units.or(Some(DEFAULT_CONNECTIONS));
    cli.thread_units = cli.thread_units.or(Some(DEFAULT_CONNECTIONS));
    cli
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        for bad in ["0s", "", "abc", "10x", "2d", "100000h", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("64k"), Ok(65536));
        assert_eq!(parse_bytes("2MiB"), Ok(2 << 20));
        assert!(parse_bytes("1k").is_err());
        assert!(parse_bytes("lots").is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

#[cfg(test)]
mod run_config_tests {
    use super::*;
    use crate::scenario::settings::DEFAULT_UNITS;
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
    fn the_mode_names_the_switch_placement_in_place_of_shared_cores() {
        let mut c = cfg(&["--scenario", "switch", "--sched", "normal"]).expect("valid");
        assert_eq!(
            c.mode_for(2),
            "async on cpu 0, threads on cpu 1 · workers at nice 10"
        );
        assert_eq!(
            c.mode_for(1),
            "both sides on cpu 0 · workers at nice 10",
            "one CPU: the sides share it, and the header says so"
        );
        c.one_side = Some(Side::Threads);
        assert_eq!(
            c.mode_for(2),
            "one side at a time: threads only, on cpu 1 · workers at nice 10"
        );
        let c = cfg(&[
            "--scenario",
            "switch",
            "--sched",
            "normal",
            "--set",
            "placement=os",
        ])
        .expect("valid");
        assert_eq!(
            c.mode_for(2),
            "both sides share 2 cores · workers at nice 10"
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
