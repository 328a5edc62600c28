//! The figure catalog's row type: one declaration per figure, with everything the program needs to
//! know about it: its wire key, how it prints, which way is better, and where it shows (a panel row, a
//! chart, a headline, a CSV column). The figures every side has are declared here; a workload kind
//! declares its own beside its code (`workload::Kind::figures`), and `catalog` lists them all.
//!
//! A low layer: it imports nothing of the crate, so the worker side and the controller side both
//! take their keys from it.

/// How a value prints; the unit is the one in the key's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Bytes,
    /// nanoseconds: "480 ns", "4.1 µs"
    Nanos,
    /// microseconds, shown in ns below one: "51 ns", "26 µs", "428.0 ms"
    Micros,
    /// cores kept busy: "1.02 cores"
    Cores,
    Count,
    /// per second: "1.2M/s"
    PerSec,
    /// a plain ratio, small ones with enough digits to tell 0.02 from 2: "2.03", "0.007", "<0.001"
    Ratio,
    /// percent: "98%"
    Percent,
}

/// Which side of a comparison wins: the one with more, the one with less, or neither (a level, a
/// setting, a count that only describes the run). Spelt "more" / "less" / "neutral" in a preset's
/// `headline_better` and in a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Direction {
    #[serde(rename = "more")]
    MoreIsBetter,
    #[serde(rename = "less")]
    LessIsBetter,
    #[serde(rename = "neutral")]
    Neutral,
}

impl Direction {
    /// The words a preset uses: "more", "less", "neutral".
    pub const WORDS: [(&'static str, Direction); 3] = [
        ("more", Direction::MoreIsBetter),
        ("less", Direction::LessIsBetter),
        ("neutral", Direction::Neutral),
    ];

    pub fn parse(word: &str) -> Option<Direction> {
        Direction::WORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|&(_, d)| d)
    }
}

/// Where a figure's value is read from on the controller side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `WorkerSample.extra` / `Figures.extra` under the figure's key: what a workload (or the load
    /// generator, or the watcher of a program) reports of its own.
    Extra,
    /// tokio's own figures of the async side (`Figures.runtime`).
    Runtime(Runtime),
    /// A field of `Figures` every side has.
    Field(Field),
}

/// tokio's figures, `Figures.runtime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    TasksAlive,
    GlobalQueueDepth,
    BusiestWorkerPercent,
    ParksPerSec,
}

/// The fields of `Figures` the catalog names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Units,
    OsThreads,
    RssBytes,
    RssPerUnit,
    VirtualBytes,
    VirtualPerUnit,
    CpuPercent,
    CoresUsed,
    CtxVoluntary,
    CtxInvoluntary,
    CtxSwitchesPerSec,
    OpsPerSec,
    LatenessP50,
    LatenessP99,
    LatenessMax,
}

/// A row every side's column has (`ui::panel`), in the order drawn. The rows are made of several
/// fields each; a workload figure may stand in for one (`Panel::replaces`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generic {
    Units,
    OsThreads,
    Rss,
    Virtual,
    CtxSwitch,
    Cpu,
    Throughput,
    Lateness,
    /// Scheduling delay past the timer's firing, and the timer's tick; only for sides that sleep on a timer.
    SchedDelay,
    Spawn,
}

impl Generic {
    /// In the order they are drawn.
    pub const ALL: [Generic; 10] = [
        Generic::Units,
        Generic::OsThreads,
        Generic::Rss,
        Generic::Virtual,
        Generic::CtxSwitch,
        Generic::Cpu,
        Generic::Throughput,
        Generic::Lateness,
        Generic::SchedDelay,
        Generic::Spawn,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Generic::Units => "units",
            Generic::OsThreads => "OS threads",
            Generic::Rss => "RSS",
            Generic::Virtual => "virtual",
            Generic::CtxSwitch => "ctx switch",
            Generic::Cpu => "CPU",
            Generic::Throughput => "throughput",
            Generic::Lateness => "lateness",
            Generic::SchedDelay => "sched",
            Generic::Spawn => "spawn",
        }
    }
}

/// A figure's place in a column's table. Consecutive figures (in catalog order) with the same label
/// share a row, as its segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Panel {
    /// Row label, at most 10 cells.
    pub label: &'static str,
    /// The segment, "{}" standing for the value.
    pub template: &'static str,
    /// The generic row this one makes redundant; it is left out while the key is reported.
    pub replaces: Option<Generic>,
    /// Repeats what a generic row shows in other words: the first row to fold on a short terminal.
    pub minor: bool,
}

impl Panel {
    /// A row of its own: `label`, the value alone.
    pub const fn row(label: &'static str) -> Panel {
        Panel {
            label,
            template: "{}",
            replaces: None,
            minor: false,
        }
    }

    /// A segment of the row `label`, "{}" in `template` standing for the value.
    pub const fn segment(label: &'static str, template: &'static str) -> Panel {
        Panel {
            template,
            ..Panel::row(label)
        }
    }

    pub const fn minor(self) -> Panel {
        Panel {
            minor: true,
            ..self
        }
    }

    pub const fn replaces(self, g: Generic) -> Panel {
        Panel {
            replaces: Some(g),
            ..self
        }
    }
}

/// A figure a scenario may name as its headline (`headline = ["rss_per_unit"]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headline {
    /// Name in presets, recordings and the headless JSON; may differ from the wire key.
    pub name: &'static str,
    /// Words a speaker reads out before the values: "per unit".
    pub words: &'static str,
    /// A total of the side (grows with the unit count): compared only at equal unit counts.
    pub total: bool,
}

/// How a figure prints as a CSV column (`--headless --format csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Csv {
    /// A whole number; empty when not measured.
    Int,
    /// One decimal.
    Tenths,
}

/// One figure: the catalog's row.
#[derive(Clone, Copy)]
pub struct Figure {
    /// The key on the wire (`WorkerSample.extra`) and in the headless JSON.
    pub key: &'static str,
    pub source: Source,
    pub format: Format,
    pub direction: Direction,
    /// Shown in a column's table of the workload's own figures.
    pub panel: Option<Panel>,
    /// May be a scenario's headline (and is then charted).
    pub headline: Option<Headline>,
    /// A generic chart of its own, under this title.
    pub chart: Option<&'static str>,
    pub csv: Option<Csv>,
    /// The key and headline name it went by before (`switch_ns`): presets, talk files and recordings
    /// that use it still mean this figure.
    pub was: Option<&'static str>,
    /// The word for the side with the bigger value in a verdict ("threads 16× heavier"); None: one
    /// that follows from the format and direction (`Figure::more_word`).
    pub more: Option<&'static str>,
    /// A count since the side started (cancelled units), not a per-second value: a final report
    /// gives its last value, not its mean over the steady state.
    pub running_total: bool,
}

impl Figure {
    /// A figure a workload reports in `extra`, shown nowhere yet: add `panel`, `headline`, ... to it.
    pub const fn extra(key: &'static str, format: Format, direction: Direction) -> Figure {
        Figure {
            key,
            source: Source::Extra,
            format,
            direction,
            panel: None,
            headline: None,
            chart: None,
            csv: None,
            was: None,
            more: None,
            running_total: false,
        }
    }

    /// A count since the side started: reported as its last value at the end of a run.
    pub const fn running_total(self) -> Figure {
        Figure {
            running_total: true,
            ..self
        }
    }

    const fn field(key: &'static str, field: Field, format: Format) -> Figure {
        Figure {
            source: Source::Field(field),
            ..Figure::extra(key, format, Direction::Neutral)
        }
    }

    const fn runtime(key: &'static str, r: Runtime, format: Format, panel: Panel) -> Figure {
        Figure {
            source: Source::Runtime(r),
            panel: Some(panel),
            ..Figure::extra(key, format, Direction::Neutral)
        }
    }

    pub const fn panel(self, panel: Panel) -> Figure {
        Figure {
            panel: Some(panel),
            ..self
        }
    }

    pub const fn headline(self, name: &'static str, words: &'static str) -> Figure {
        Figure {
            headline: Some(Headline {
                name,
                words,
                total: false,
            }),
            ..self
        }
    }

    /// A headline figure that is a total of the side (compared only at equal unit counts).
    pub const fn total(self, name: &'static str, words: &'static str) -> Figure {
        Figure {
            headline: Some(Headline {
                name,
                words,
                total: true,
            }),
            ..self
        }
    }

    /// It went by `old` before (key and headline name), which stays accepted.
    pub const fn was(self, old: &'static str) -> Figure {
        Figure {
            was: Some(old),
            ..self
        }
    }

    const fn chart(self, title: &'static str) -> Figure {
        Figure {
            chart: Some(title),
            ..self
        }
    }

    pub const fn csv(self, csv: Csv) -> Figure {
        Figure {
            csv: Some(csv),
            ..self
        }
    }

    const fn better(self, direction: Direction) -> Figure {
        Figure { direction, ..self }
    }

    /// The word a verdict says of the side with the bigger value: "later" ("async 501× later").
    pub const fn more(self, word: &'static str) -> Figure {
        Figure {
            more: Some(word),
            ..self
        }
    }

    /// The word for the side with the bigger value: the row's own, else one of its format and
    /// direction, so a new figure reads sensibly: bytes "heavier", a time "slower", a count "more".
    pub fn more_word(&self, direction: Direction) -> &'static str {
        if let Some(w) = self.more {
            return w;
        }
        match (self.format, direction) {
            (Format::Bytes, Direction::LessIsBetter) => "heavier",
            (Format::Bytes, _) => "bigger",
            (Format::Nanos | Format::Micros, Direction::LessIsBetter) => "slower",
            (Format::Nanos | Format::Micros, _) => "longer",
            (Format::PerSec, Direction::MoreIsBetter) => "faster",
            (Format::Percent, _) => "higher",
            (Format::Cores | Format::Count | Format::PerSec | Format::Ratio, _) => "more",
        }
    }

    /// Whether `more_word` alone says the bigger side does worse or better ("heavier", "slower",
    /// "later", "faster"), not only that it has more ("more", "higher", "bigger", "longer"): where
    /// it does not and the bigger side does worse, a verdict names the better side first.
    pub fn word_judges(&self, direction: Direction) -> bool {
        self.more.is_some()
            || matches!(
                (self.format, direction),
                (
                    Format::Bytes | Format::Nanos | Format::Micros,
                    Direction::LessIsBetter
                ) | (Format::PerSec, Direction::MoreIsBetter)
            )
    }

    /// The name a headline goes by (its wire key when it is none).
    pub fn name(&self) -> &'static str {
        self.headline.map_or(self.key, |h| h.name)
    }

    /// The words a speaker reads out before the values (the name when it is no headline figure).
    pub fn words(&self) -> &'static str {
        self.headline.map_or(self.key, |h| h.words)
    }

    /// A total of the side: compared only at equal unit counts.
    pub fn total_of_side(&self) -> bool {
        self.headline.is_some_and(|h| h.total)
    }
}

impl std::fmt::Debug for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for Figure {
    fn eq(&self, other: &Self) -> bool {
        // Rows of one catalog: the key is unique (a test says so).
        self.key == other.key
    }
}

impl Eq for Figure {}

use Direction::{LessIsBetter, MoreIsBetter};

// The figures every side has: fields of `Figures`, in the order of the CSV columns.
pub const UNITS: Figure = Figure::field("units", Field::Units, Format::Count)
    .csv(Csv::Int)
    .headline("units_reached", "units reached")
    .better(MoreIsBetter);
pub const OS_THREADS: Figure = Figure::field("os_threads", Field::OsThreads, Format::Count)
    .csv(Csv::Int)
    .chart("OS threads")
    .total("os_threads", "OS threads");
pub const RSS: Figure = Figure::field("rss_bytes", Field::RssBytes, Format::Bytes)
    .csv(Csv::Int)
    .chart("RSS");
pub const RSS_PER_UNIT: Figure =
    Figure::field("rss_per_unit_bytes", Field::RssPerUnit, Format::Bytes)
        .headline("rss_per_unit", "per unit")
        .better(LessIsBetter);
pub const VIRTUAL: Figure =
    Figure::field("virtual_bytes", Field::VirtualBytes, Format::Bytes).csv(Csv::Int);
pub const VIRTUAL_PER_UNIT: Figure = Figure::field(
    "virtual_per_unit_bytes",
    Field::VirtualPerUnit,
    Format::Bytes,
)
.headline("virtual_per_unit", "virtual per unit")
.better(LessIsBetter);
pub const CPU_PERCENT: Figure =
    Figure::field("cpu_percent", Field::CpuPercent, Format::Percent).csv(Csv::Tenths);
pub const CORES_USED: Figure =
    Figure::field("cores_used", Field::CoresUsed, Format::Cores).total("cores_used", "cores used");
pub const CTX_VOLUNTARY: Figure =
    Figure::field("ctx_voluntary", Field::CtxVoluntary, Format::Count).csv(Csv::Int);
pub const CTX_INVOLUNTARY: Figure =
    Figure::field("ctx_involuntary", Field::CtxInvoluntary, Format::Count).csv(Csv::Int);
pub const CTX_SWITCHES_PER_SEC: Figure = Figure::field(
    "ctx_switches_per_sec",
    Field::CtxSwitchesPerSec,
    Format::PerSec,
)
.csv(Csv::Tenths)
.chart("context switches/s");
pub const OPS_PER_SEC: Figure = Figure::field("ops_per_sec", Field::OpsPerSec, Format::PerSec)
    .csv(Csv::Tenths)
    .chart("throughput ops/s")
    .total("ops_per_sec", "ops/s")
    .better(MoreIsBetter);
pub const LATENESS_P50: Figure =
    Figure::field("lateness_p50_us", Field::LatenessP50, Format::Micros)
        .csv(Csv::Int)
        .better(LessIsBetter)
        .more("later");
pub const LATENESS_P99: Figure =
    Figure::field("lateness_p99_us", Field::LatenessP99, Format::Micros)
        .csv(Csv::Int)
        .chart("wake-up lateness p99")
        .headline("lateness_p99", "lateness p99")
        .better(LessIsBetter)
        .more("later");
pub const LATENESS_MAX: Figure =
    Figure::field("lateness_max_us", Field::LatenessMax, Format::Micros)
        .csv(Csv::Int)
        .better(LessIsBetter)
        .more("later");

/// Figures of `Figures` the catalog names, CSV columns in order.
pub const GENERIC: &[Figure] = &[
    UNITS,
    OS_THREADS,
    RSS,
    RSS_PER_UNIT,
    VIRTUAL,
    VIRTUAL_PER_UNIT,
    CPU_PERCENT,
    CORES_USED,
    CTX_VOLUNTARY,
    CTX_INVOLUNTARY,
    CTX_SWITCHES_PER_SEC,
    OPS_PER_SEC,
    LATENESS_P50,
    LATENESS_P99,
    LATENESS_MAX,
];

/// tokio's own figures (`Figures.runtime`), async side only: panel rows.
pub const RUNTIME: &[Figure] = &[
    Figure::runtime(
        "runtime.tasks_alive",
        Runtime::TasksAlive,
        Format::Count,
        Panel::segment("tokio", "{} tasks alive"),
    ),
    Figure::runtime(
        "runtime.global_queue_depth",
        Runtime::GlobalQueueDepth,
        Format::Count,
        Panel::segment("tokio", "queue {}"),
    ),
    Figure::runtime(
        "runtime.busiest_worker_percent",
        Runtime::BusiestWorkerPercent,
        Format::Percent,
        Panel::segment("tokio busy", "busiest worker {}"),
    ),
    Figure::runtime(
        "runtime.parks_per_sec",
        Runtime::ParksPerSec,
        Format::PerSec,
        Panel::segment("tokio busy", "parks {}").minor(),
    ),
];

/// What every worker sends in `extra` before its first unit; the model takes them into fields of
/// `Figures` (`os_threads_baseline`, `virtual_baseline_bytes`, the stack part of virtual).
pub const VIRTUAL_BASELINE: Figure =
    Figure::extra("virtual_baseline_bytes", Format::Bytes, Direction::Neutral);
/// ... its OS threads before any unit.
pub const OS_THREADS_BASELINE: Figure =
    Figure::extra("os_threads_baseline", Format::Count, Direction::Neutral);
/// ... the virtual size one more thread reserves for its stack.
pub const THREAD_STACK: Figure =
    Figure::extra("thread_stack_bytes", Format::Bytes, Direction::Neutral);
/// Keys a worker sends in `extra` that are fields of `Figures`, not workload figures.
pub const WORKER: &[Figure] = &[VIRTUAL_BASELINE, OS_THREADS_BASELINE, THREAD_STACK];
