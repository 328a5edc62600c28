//! Settings every scenario has, whatever its workload: units per side, runtime, workers, thread stack,
//! one side at a time. Declared as a table so `--set`, TOML files and `--list` read the same rows.

use super::node::Node;
use crate::protocol::{RuntimeFlavor, Side};

/// Default units per side: enough for a clear contrast, light enough for a 2-core laptop.
pub const DEFAULT_UNITS: u64 = 1_000;
/// Most async units accepted from the command line.
pub const MAX_ASYNC_UNITS: u64 = 10_000_000;
/// Most thread units accepted from the command line (the system limits stop far earlier).
pub const MAX_THREAD_UNITS: u64 = 1_000_000;

/// How both sides of a scenario run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Units per side, by side index.
    pub units: [u64; 2],
    pub runtime: RuntimeFlavor,
    /// tokio worker threads of the multi-thread runtime; None = one per core.
    pub workers: Option<usize>,
    /// Stack of each unit thread on the threads side; None = Rust's default (2 MiB).
    pub stack_bytes: Option<usize>,
    /// Only this side runs, the other is kept at 0 units (fairness on few cores).
    pub one_side: Option<Side>,
    /// One side at a time, taking turns (async first): each side is measured alone, then compared.
    pub turns: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            units: [DEFAULT_UNITS; 2],
            runtime: RuntimeFlavor::MultiThread,
            workers: None,
            stack_bytes: None,
            one_side: None,
            turns: false,
        }
    }
}

/// A value given for a setting or parameter: text from `--set`, or a value from a TOML file.
#[derive(Debug, Clone, Copy)]
pub enum Given<'a> {
    Text(&'a str),
    Toml(&'a Node),
}

/// The TOML type a setting is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Int,
    Text,
}

/// One row of the settings table.
#[derive(Debug)]
pub struct Setting {
    pub name: &'static str,
    /// What it takes, for complaints and `--list`.
    pub allowed: &'static str,
    pub help: &'static str,
    ty: Type,
    /// Stores the value written as text; None when it is not allowed.
    set: fn(&mut Settings, &str) -> Option<()>,
    /// The value as `--set` would take it back.
    pub show: fn(&Settings) -> String,
}

pub const MIN_STACK_KIB: u64 = 16;
pub const MAX_STACK_KIB: u64 = 1 << 20;
const MAX_WORKERS: u64 = 1024;

/// Every setting, in the order `--list` shows them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "async_units",
        allowed: "an integer from 0 to 10000000",
        help: "units (tasks) on the async side",
        ty: Type::Int,
        set: |s, t| {
            s.units[0] = int(t, 0, MAX_ASYNC_UNITS)?;
            Some(())
        },
        show: |s| s.units[0].to_string(),
    },
    Setting {
        name: "thread_units",
        allowed: "an integer from 0 to 1000000",
        help: "units (threads) on the threads side",
        ty: Type::Int,
        set: |s, t| {
            s.units[1] = int(t, 0, MAX_THREAD_UNITS)?;
            Some(())
        },
        show: |s| s.units[1].to_string(),
    },
    Setting {
        name: "runtime",
        allowed: "\"current-thread\" or \"multi-thread\"",
        help: "tokio runtime flavor of the async side",
        ty: Type::Text,
        set: |s, t| {
            s.runtime = match t.trim().replace('_', "-").as_str() {
                "current-thread" => RuntimeFlavor::CurrentThread,
                "multi-thread" => RuntimeFlavor::MultiThread,
                _ => return None,
            };
            Some(())
        },
        show: |s| s.runtime.name().to_string(),
    },
    Setting {
        name: "workers",
        allowed: "an integer from 1 to 1024",
        help: "tokio worker threads of the multi-thread runtime (default: one per core)",
        ty: Type::Int,
        set: |s, t| {
            s.workers = Some(int(t, 1, MAX_WORKERS)? as usize);
            Some(())
        },
        show: |s| s.workers.map_or("one per core".into(), |w| w.to_string()),
    },
    Setting {
        name: "stack_kib",
        allowed: "an integer from 16 to 1048576",
        help: "stack of each thread on the threads side, KiB (default: Rust's 2048)",
        ty: Type::Int,
        set: |s, t| {
            s.stack_bytes = Some((int(t, MIN_STACK_KIB, MAX_STACK_KIB)? << 10) as usize);
            Some(())
        },
        show: |s| {
            s.stack_bytes
                .map_or("2048".into(), |b| (b >> 10).to_string())
        },
    },
    Setting {
        name: "one_side",
        allowed: "\"async\", \"threads\", \"turns\" or \"off\"",
        help: "run only this side, the other kept at 0 units, so they do not share the cores; turns: each side alone in turn, then compared",
        ty: Type::Text,
        set: |s, t| {
            (s.one_side, s.turns) = match t.trim() {
                "async" => (Some(Side::Async), false),
                "threads" => (Some(Side::Threads), false),
                "turns" => (Some(Side::Async), true),
                "off" | "none" | "both" => (None, false),
                _ => return None,
            };
            Some(())
        },
        show: |s| {
            if s.turns {
                "turns".into()
            } else {
                s.one_side.map_or("off", Side::name).to_string()
            }
        },
    },
];

/// "async_units, thread_units, ..." for messages.
pub fn names() -> String {
    SETTINGS
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn find(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// "1_000" and "1000"; None outside min..=max.
fn int(text: &str, min: u64, max: u64) -> Option<u64> {
    let n: u64 = text.trim().replace('_', "").parse().ok()?;
    (min..=max).contains(&n).then_some(n)
}

impl Setting {
    /// Stores a value, or says what is wrong with it and what is allowed.
    pub fn apply(&self, s: &mut Settings, given: Given<'_>) -> Result<(), String> {
        let text = match given {
            Given::Text(t) => t.to_string(),
            Given::Toml(node) => match (self.ty, node) {
                (Type::Int, Node::Value(toml::Value::Integer(i))) => i.to_string(),
                (Type::Text, Node::Value(toml::Value::String(t))) => t.clone(),
                _ => {
                    return Err(format!(
                        "{} takes {}, not {}",
                        self.name,
                        self.allowed,
                        node.kind()
                    ));
                }
            },
        };
        (self.set)(s, &text).ok_or_else(|| {
            format!(
                "{}={} is not allowed: {} takes {}",
                self.name,
                text.trim(),
                self.name,
                self.allowed
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, text: &str) -> Result<Settings, String> {
        let mut s = Settings::default();
        find(name)
            .ok_or("no such setting")?
            .apply(&mut s, Given::Text(text))?;
        Ok(s)
    }

    #[test]
    fn every_setting_reads_back_what_it_shows() {
        let mut s = Settings::default();
        for (name, text) in [
            ("async_units", "100_000"),
            ("thread_units", "0"),
            ("runtime", "current-thread"),
            ("workers", "3"),
            ("stack_kib", "64"),
            ("one_side", "threads"),
        ] {
            let row = find(name).expect("listed");
            row.apply(&mut s, Given::Text(text)).expect(name);
            assert_eq!((row.show)(&s), text.replace('_', ""), "{name}");
        }
        assert_eq!(s.units, [100_000, 0]);
        assert_eq!(s.stack_bytes, Some(64 << 10));
        assert_eq!(s.one_side, Some(Side::Threads));
    }

    #[test]
    fn the_allowed_text_matches_the_limits() {
        assert_eq!(
            set("async_units", &MAX_ASYNC_UNITS.to_string())
                .map(|s| s.units[0])
                .ok(),
            Some(MAX_ASYNC_UNITS)
        );
        let over = set("thread_units", &(MAX_THREAD_UNITS + 1).to_string()).unwrap_err();
        assert!(over.contains(&format!("to {MAX_THREAD_UNITS}")), "{over}");
        assert!(set("stack_kib", "15").is_err() && set("stack_kib", "16").is_ok());
        assert!(set("stack_kib", &MAX_STACK_KIB.to_string()).is_ok());
        assert!(set("workers", "0").unwrap_err().contains("from 1 to 1024"));
        assert!(
            set("runtime", "fast")
                .unwrap_err()
                .contains("\"current-thread\" or \"multi-thread\"")
        );
    }

    #[test]
    fn toml_values_of_the_wrong_type_are_refused_by_name() {
        let mut s = Settings::default();
        let text = Node::Value(toml::Value::String("many".into()));
        let e = find("async_units")
            .expect("listed")
            .apply(&mut s, Given::Toml(&text))
            .unwrap_err();
        assert_eq!(
            e,
            "async_units takes an integer from 0 to 10000000, not a string"
        );
    }
}
