//! The figures a workload kind reports of its own (`Figures.extra`, from `Workload::extra()` and the
//! echo load generator) as data: which keys the columns show, under what label, in which unit.

use super::format::{self, MISSING};
use super::panel::Generic;
use crate::model::Figures;

/// How a value is printed; the unit is the one in the key's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// nanoseconds: "480 ns", "4.1 µs"
    Nanos,
    /// microseconds, shown in ns below one: "51 ns", "26 µs", "428.0 ms"
    Micros,
    /// per second: "1.2M/s"
    PerSec,
    /// a plain ratio, small ones with enough digits to tell 0.02 from 2: "2.03", "0.007", "<0.001"
    Ratio,
    Bytes,
    Count,
    /// percent: "98%"
    Percent,
}

impl Format {
    pub fn show(self, v: f64) -> String {
        if !v.is_finite() || v < 0.0 {
            return MISSING.into();
        }
        match self {
            Format::Nanos => format::nanos(v),
            Format::Micros => format::nanos(v * 1e3),
            Format::PerSec => format::rate(v),
            Format::Ratio => format::fraction(v),
            Format::Bytes => format::bytes(v),
            Format::Count => format::count(v.round() as u64),
            Format::Percent => format::percent(v),
        }
    }
}

/// One key of `Figures.extra`. Consecutive entries with the same label share a row, as its segments.
#[derive(Debug, Clone, Copy)]
pub struct Extra {
    pub key: &'static str,
    /// Row label, at most 10 cells.
    pub label: &'static str,
    /// The segment, "{}" standing for the value.
    pub template: &'static str,
    pub format: Format,
    /// The generic row this one makes redundant; it is left out while the key is reported.
    pub replaces: Option<Generic>,
    /// Repeats what a generic row shows in other words: the first row to fold on a short terminal.
    pub minor: bool,
}

const E: Extra = Extra {
    key: "",
    label: "",
    template: "{}",
    format: Format::Count,
    replaces: None,
    minor: false,
};

/// Every extra figure a column can show, in row order; keys not in the figures are not shown.
pub const EXTRAS: &[Extra] = &[
    // tokio's own figures (`Figures.runtime`), async side only
    Extra {
        key: RUNTIME_TASKS,
        label: "tokio",
        template: "{} tasks alive",
        ..E
    },
    Extra {
        key: RUNTIME_QUEUE,
        label: "tokio",
        template: "queue {}",
        ..E
    },
    Extra {
        key: RUNTIME_BUSIEST,
        label: "tokio busy",
        template: "busiest worker {}",
        format: Format::Percent,
        ..E
    },
    Extra {
        key: RUNTIME_PARKS,
        label: "tokio busy",
        template: "parks {}",
        format: Format::PerSec,
        minor: true,
        ..E
    },
    // switch
    Extra {
        key: "switch_ns",
        label: "per switch",
        format: Format::Nanos,
        ..E
    },
    Extra {
        key: "os_switches_per_round_trip",
        label: "OS switch",
        template: "{} per round trip",
        format: Format::Ratio,
        ..E
    },
    // spawn: its own spawn cost replaces that of the one unit that does the spawning
    Extra {
        key: "spawn_ns",
        label: "per spawn",
        format: Format::Nanos,
        replaces: Some(Generic::Spawn),
        ..E
    },
    Extra {
        key: "spawns_per_sec",
        label: "spawns",
        format: Format::PerSec,
        ..E
    },
    // contention
    Extra {
        key: "lock_wait_p50_us",
        label: "lock wait",
        template: "p50 {}",
        format: Format::Micros,
        ..E
    },
    Extra {
        key: "lock_wait_p99_us",
        label: "lock wait",
        template: "p99 {}",
        format: Format::Micros,
        ..E
    },
    Extra {
        key: "lock_wait_max_us",
        label: "lock wait",
        template: "max {}",
        format: Format::Micros,
        ..E
    },
    Extra {
        key: "acquisitions_per_sec",
        label: "acquire",
        format: Format::PerSec,
        ..E
    },
    Extra {
        key: "os_switches_per_acquisition",
        label: "acquire",
        template: "{} OS sw each",
        format: Format::Ratio,
        ..E
    },
    // blocking
    Extra {
        key: "blocking_calls_per_sec",
        label: "blocking",
        template: "calls {}",
        format: Format::PerSec,
        ..E
    },
    // yield
    Extra {
        key: "yields_per_sec",
        label: "yields",
        format: Format::PerSec,
        ..E
    },
    // deadlock: "deadlock  10 units in 5 cycles"
    Extra {
        key: "deadlocked_units",
        label: "deadlock",
        template: "{} units",
        ..E
    },
    Extra {
        key: "deadlock_cycles",
        label: "deadlock",
        template: "in {} cycles",
        ..E
    },
    Extra {
        key: "rounds_per_sec",
        label: "rounds",
        format: Format::PerSec,
        minor: true,
        ..E
    },
    // echo: the load generator's request latency is what the generic lateness row would show
    Extra {
        key: "requests_per_sec",
        label: "requests",
        format: Format::PerSec,
        ..E
    },
    Extra {
        key: "request_errors",
        label: "requests",
        template: "{} errors",
        ..E
    },
    Extra {
        key: "request_p50_us",
        label: "latency",
        template: "p50 {}",
        format: Format::Micros,
        replaces: Some(Generic::Lateness),
        ..E
    },
    Extra {
        key: "request_p99_us",
        label: "latency",
        template: "p99 {}",
        format: Format::Micros,
        replaces: Some(Generic::Lateness),
        ..E
    },
    Extra {
        key: "request_max_us",
        label: "latency",
        template: "max {}",
        format: Format::Micros,
        ..E
    },
    Extra {
        key: "connections",
        label: "conns",
        template: "{} open",
        minor: true,
        ..E
    },
    Extra {
        key: "client_connections",
        label: "conns",
        template: "{} client",
        minor: true,
        ..E
    },
    Extra {
        key: "rss_per_connection_bytes",
        label: "RSS/conn",
        format: Format::Bytes,
        minor: true,
        ..E
    },
    // Your own programs (`--cmd`): the process tree read from outside. A program reports no ops of
    // its own, so its throughput row (ops/s) would be a made-up 0: this row stands in for it, and
    // says how many threads were read this interval (fewer than the OS threads: sampled).
    Extra {
        key: "processes",
        label: "processes",
        template: "{} in the tree",
        replaces: Some(Generic::Throughput),
        ..E
    },
    Extra {
        key: "threads_read",
        label: "processes",
        template: "{} threads read",
        ..E
    },
];

/// Keys of tokio's own figures, read from `Figures.runtime` rather than `extra`.
const RUNTIME_TASKS: &str = "runtime.tasks_alive";
const RUNTIME_QUEUE: &str = "runtime.global_queue_depth";
const RUNTIME_BUSIEST: &str = "runtime.busiest_worker_percent";
const RUNTIME_PARKS: &str = "runtime.parks_per_sec";

/// A figure of `Figures.runtime`; the outer None: `key` is not one of them.
fn runtime_value(f: &Figures, key: &str) -> Option<Option<f64>> {
    let r = f.runtime.as_ref();
    Some(match key {
        RUNTIME_TASKS => r.map(|r| r.tasks_alive as f64),
        RUNTIME_QUEUE => r.map(|r| r.global_queue_depth as f64),
        RUNTIME_BUSIEST => r.and_then(|r| r.busiest_percent()),
        RUNTIME_PARKS => r.and_then(|r| r.parks_per_sec),
        _ => return None,
    })
}

/// The value of `key` on a side; None when absent or null (not measured yet).
pub fn value(f: &Figures, key: &str) -> Option<f64> {
    runtime_value(f, key).unwrap_or_else(|| f.extra.get(key).and_then(serde_json::Value::as_f64))
}

/// Whether either side reports `key` at all (null counts: the figure exists, it is just not in yet).
fn reported(figures: [Option<&Figures>; 2], key: &str) -> bool {
    figures
        .iter()
        .flatten()
        .any(|f| match runtime_value(f, key) {
            Some(_) => f.runtime.is_some(),
            None => f.extra.contains_key(key),
        })
}

/// An extra row: the entries of `EXTRAS` under one label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtraRow {
    pub label: &'static str,
}

impl ExtraRow {
    fn entries(self) -> impl Iterator<Item = &'static Extra> {
        EXTRAS.iter().filter(move |e| e.label == self.label)
    }

    pub fn minor(self) -> bool {
        self.entries().all(|e| e.minor)
    }

    /// One segment per entry reported by either side (so both columns have the same), "—" where this
    /// side has no value.
    pub fn segments(self, figures: [Option<&Figures>; 2], f: Option<&Figures>) -> Vec<String> {
        let segments: Vec<String> = self
            .entries()
            .filter(|e| reported(figures, e.key))
            .map(|e| {
                let v = f
                    .and_then(|f| value(f, e.key))
                    .map_or(MISSING.into(), |v| e.format.show(v));
                e.template.replace("{}", &v)
            })
            .collect();
        if segments.is_empty() {
            vec![MISSING.into()]
        } else {
            segments
        }
    }
}

/// The extra rows either side reports, in table order, the same for both columns.
pub fn rows(figures: [Option<&Figures>; 2]) -> Vec<ExtraRow> {
    let mut rows: Vec<ExtraRow> = Vec::new();
    for e in EXTRAS {
        if reported(figures, e.key) && rows.last().is_none_or(|r| r.label != e.label) {
            rows.push(ExtraRow { label: e.label });
        }
    }
    rows
}

/// Whether a reported extra makes generic row `g` redundant.
pub fn replaced(figures: [Option<&Figures>; 2], g: Generic) -> bool {
    EXTRAS
        .iter()
        .any(|e| e.replaces == Some(g) && reported(figures, e.key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_share_a_label_and_labels_fit_the_label_column() {
        for e in EXTRAS {
            assert!(format::width(e.label) <= 10, "{}", e.label);
            assert!(e.template.contains("{}"), "{}", e.key);
            // A label used again later would make two rows claim the same entries.
            let first = EXTRAS.iter().position(|x| x.label == e.label);
            let last = EXTRAS.iter().rposition(|x| x.label == e.label);
            let run = EXTRAS[first.unwrap()..=last.unwrap()]
                .iter()
                .all(|x| x.label == e.label);
            assert!(run, "label {} is split", e.label);
        }
        let keys: std::collections::BTreeSet<_> = EXTRAS.iter().map(|e| e.key).collect();
        assert_eq!(keys.len(), EXTRAS.len(), "a key listed twice");
    }

    #[test]
    fn values_in_their_units() {
        assert_eq!(Format::Nanos.show(478.7), "479 ns");
        assert_eq!(Format::Nanos.show(4146.0), "4.1 µs");
        assert_eq!(Format::Micros.show(0.051), "51 ns");
        assert_eq!(Format::Micros.show(428_031.0), "428.0 ms");
        assert_eq!(Format::PerSec.show(1_204_700.0), "1.2M/s");
        assert_eq!(Format::Ratio.show(2.034), "2.03");
        assert_eq!(Format::Ratio.show(0.000_094), "<0.001");
        assert_eq!(Format::Bytes.show(10_227.7), "10.0 KiB");
        assert_eq!(Format::Count.show(1000.0), "1,000");
        assert_eq!(Format::Count.show(f64::NAN), MISSING);
    }
}
