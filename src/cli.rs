//! Command-line options: the one place they are named. Parsing only; checks that need the
//! workload table live in config.rs.

use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::protocol::{RuntimeFlavor, Side};

/// Default units per side: enough for a clear contrast, light enough for a 2-core laptop.
pub const DEFAULT_UNITS: u64 = 1_000;
/// Most async units accepted from the command line.
pub const MAX_ASYNC_UNITS: u64 = 10_000_000;
/// Most thread units accepted from the command line (the system limits stop far earlier).
pub const MAX_THREAD_UNITS: u64 = 1_000_000;

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
    #[arg(long, value_enum)]
    pub runtime: Option<RuntimeFlavor>,

    /// tokio worker threads (multi-thread runtime) [default: number of cores]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub workers: Option<u64>,

    /// How often each worker reports, in milliseconds
    #[arg(long, default_value_t = 250, value_name = "MS", value_parser = clap::value_parser!(u64).range(50..=10_000))]
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
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(i32).range(0..=19))]
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
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=60))]
    pub fps: u32,

    /// Your own program as a side, run through sh -c: give it twice (first = left column, second =
    /// right), e.g. --cmd 'threads=python3 examples/echo_threads.py {port}'; {port} becomes a free
    /// loopback port the echo load generator drives
    #[arg(long = "cmd", value_name = "LABEL=COMMAND", conflicts_with_all = ["scenario", "workload"])]
    pub cmd: Vec<String>,

    /// Most RSS each side may use: a size (2g, 512m) or a share of the memory available at start
    /// (40%); scaling past it is refused [default: 40%]
    #[arg(long, value_name = "SIZE|PERCENT", value_parser = crate::controller::guard::MemoryBudget::parse)]
    pub memory_budget: Option<crate::controller::guard::MemoryBudget>,
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
