//! Scenarios: each claim of the async-vs-threads talk as a workload with settings for both sides and a
//! caption. The built-ins are the TOML presets in assets/scenarios, compiled in; a `--config` file may
//! change them and add its own (file.rs); `--list` prints them all (list.rs).

mod file;
pub mod list;
pub mod node;
pub mod settings;

use std::collections::BTreeMap;

pub use file::ConfigFile;
pub use settings::{Given, Settings};

use crate::figure::{Direction, Figure};
use crate::model::headline;
use crate::protocol::ParamValue;
use crate::workload::{self, Kind};
use node::{Node, Source};

/// The built-in scenarios in number-key order: (path for messages, TOML text).
const BUILTIN: &[(&str, &str)] = &[
    (
        "assets/scenarios/memory.toml",
        include_str!("../../assets/scenarios/memory.toml"),
    ),
    (
        "assets/scenarios/spawn.toml",
        include_str!("../../assets/scenarios/spawn.toml"),
    ),
    (
        "assets/scenarios/switch.toml",
        include_str!("../../assets/scenarios/switch.toml"),
    ),
    (
        "assets/scenarios/parallel.toml",
        include_str!("../../assets/scenarios/parallel.toml"),
    ),
    (
        "assets/scenarios/blocking.toml",
        include_str!("../../assets/scenarios/blocking.toml"),
    ),
    (
        "assets/scenarios/contention.toml",
        include_str!("../../assets/scenarios/contention.toml"),
    ),
    (
        "assets/scenarios/limits.toml",
        include_str!("../../assets/scenarios/limits.toml"),
    ),
    (
        "assets/scenarios/echo.toml",
        include_str!("../../assets/scenarios/echo.toml"),
    ),
    (
        "assets/scenarios/yield.toml",
        include_str!("../../assets/scenarios/yield.toml"),
    ),
    (
        "assets/scenarios/deadlock.toml",
        include_str!("../../assets/scenarios/deadlock.toml"),
    ),
    (
        "assets/scenarios/cancel.toml",
        include_str!("../../assets/scenarios/cancel.toml"),
    ),
    (
        "assets/scenarios/pool.toml",
        include_str!("../../assets/scenarios/pool.toml"),
    ),
    (
        "assets/scenarios/weight.toml",
        include_str!("../../assets/scenarios/weight.toml"),
    ),
];

/// One scenario: what runs on both sides and what to look for.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    /// The claim in a few words, for the picker and `--list`.
    pub title: String,
    pub kind: &'static Kind,
    /// What to look for on screen.
    pub caption: String,
    pub settings: Settings,
    /// Workload parameters that differ from the kind's defaults, each checked against its table.
    pub params: BTreeMap<String, ParamValue>,
    /// Where it was defined: a preset path or the config file.
    pub origin: String,
    /// The figures that prove its claim, the headline first (`headline = [...]` in the preset).
    pub headline: Vec<&'static Figure>,
    /// Where more or less of a headline figure is better than the catalog says, by its headline
    /// name (`headline_better = { cores_used = "more" }` in the preset).
    pub headline_better: BTreeMap<String, Direction>,
}

impl PartialEq for Scenario {
    fn eq(&self, other: &Self) -> bool {
        // Kinds are static rows; their names are unique.
        self.kind.name == other.kind.name
            && (
                &self.name,
                &self.title,
                &self.caption,
                &self.settings,
                &self.params,
                &self.origin,
                &self.headline,
                &self.headline_better,
            ) == (
                &other.name,
                &other.title,
                &other.caption,
                &other.settings,
                &other.params,
                &other.origin,
                &other.headline,
                &other.headline_better,
            )
    }
}

impl Scenario {
    /// A run of `kind` with default settings and parameters, named `name`.
    pub fn plain(name: &str, kind: &'static Kind, origin: &str) -> Scenario {
        Scenario {
            name: name.to_string(),
            title: name.to_string(),
            kind,
            caption: kind.caption.to_string(),
            settings: Settings::default(),
            params: BTreeMap::new(),
            origin: origin.to_string(),
            headline: headline::default_for(kind.name),
            headline_better: BTreeMap::new(),
        }
    }

    /// Switches the workload; its parameters start again from the new kind's defaults.
    pub fn set_kind(&mut self, kind: &'static Kind) {
        if kind.name != self.kind.name {
            self.kind = kind;
            self.params.clear();
            self.caption = kind.caption.to_string();
            self.headline = headline::default_for(kind.name);
            self.headline_better.clear();
        }
    }

    /// Sets a setting (async_units, runtime, ...) or a parameter of the workload by name.
    pub fn set(&mut self, name: &str, given: Given<'_>) -> Result<(), String> {
        match settings::find(name) {
            Some(setting) => setting.apply(&mut self.settings, given),
            None => self.set_param(name, given),
        }
    }

    /// Sets one parameter of the workload (not a setting).
    pub fn set_param(&mut self, name: &str, given: Given<'_>) -> Result<(), String> {
        let def = self
            .kind
            .params
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| unknown_parameter(self.kind, name))?;
        let value = match given {
            Given::Text(text) => def.parse(text)?,
            // A choice goes by its name in TOML too: via = "pipe".
            Given::Toml(Node::Value(toml::Value::String(text))) if !def.choices.is_empty() => {
                def.parse(text)?
            }
            Given::Toml(node) => {
                let value = param_value(node).ok_or_else(|| {
                    format!("{name} takes {}, not {}", def.allowed(), node.kind())
                })?;
                def.check(&value)?
            }
        };
        self.params.insert(name.to_string(), value);
        Ok(())
    }
}

/// A TOML value as a parameter value, when it is one of the three kinds parameters take.
fn param_value(node: &Node) -> Option<ParamValue> {
    match node {
        Node::Value(toml::Value::Boolean(b)) => Some(ParamValue::Bool(*b)),
        Node::Value(toml::Value::Integer(i)) => Some(ParamValue::Int(*i)),
        Node::Value(toml::Value::Float(f)) => Some(ParamValue::Float(*f)),
        _ => None,
    }
}

/// "unknown parameter x (known: a, b; for every scenario: async_units, ...)".
pub fn unknown_parameter(kind: &Kind, name: &str) -> String {
    let own: Vec<&str> = kind.params.iter().map(|d| d.name).collect();
    let own = if own.is_empty() {
        format!("the {} workload takes none", kind.name)
    } else {
        format!("{}: {}", kind.name, own.join(", "))
    };
    format!(
        "unknown parameter {name} (known: {own}; for every scenario: {})",
        settings::names()
    )
}

/// "unknown workload 'x' (known: sleep, cpu, ...)".
pub fn find_kind(name: &str) -> Result<&'static Kind, String> {
    workload::find(name)
        .ok_or_else(|| format!("unknown workload '{name}' (known: {})", workload::names()))
}

/// Every scenario that can be picked, built-ins first (in number-key order), then a config file's own.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalog(pub Vec<Scenario>);

impl Catalog {
    /// The built-ins, changed and extended by the config file when there is one.
    pub fn load(file: Option<&ConfigFile>) -> Result<Catalog, String> {
        let mut catalog = Catalog::builtin()?;
        if let Some(file) = file {
            file.define(&mut catalog)?;
        }
        Ok(catalog)
    }

    /// The presets of assets/scenarios. One that does not read is a bug (a unit test reads them all).
    pub fn builtin() -> Result<Catalog, String> {
        let mut catalog = Catalog::default();
        for (path, text) in BUILTIN {
            let src = Source { name: path, text };
            let scenario = file::read_preset(src, &catalog)?;
            catalog.0.push(scenario);
        }
        Ok(catalog)
    }

    pub fn find(&self, name: &str) -> Option<&Scenario> {
        self.0.iter().find(|s| s.name == name)
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|s| s.name == name)
    }

    /// "memory, spawn, ..." for messages.
    pub fn names(&self) -> String {
        self.0
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The scenario called `name`, or a complaint listing the known ones.
    pub fn get(&self, name: &str) -> Result<&Scenario, String> {
        self.find(name)
            .ok_or_else(|| format!("unknown scenario '{name}' (known: {})", self.names()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{RuntimeFlavor, Side};

    #[test]
    fn every_builtin_preset_reads_and_is_named_after_its_file() {
        let catalog = Catalog::builtin().expect("the presets are valid");
        let names: Vec<&str> = catalog.0.iter().map(|s| s.name.as_str()).collect();
        // The talk's seven claims first, in the order of their number keys; more may follow.
        assert_eq!(
            names[..7],
            [
                "memory",
                "spawn",
                "switch",
                "parallel",
                "blocking",
                "contention",
                "limits"
            ]
        );
        for (s, (path, _)) in catalog.0.iter().zip(BUILTIN) {
            assert_eq!(*path, format!("assets/scenarios/{}.toml", s.name));
            assert!(
                !s.title.is_empty() && s.title != s.name,
                "{} has a title",
                s.name
            );
            assert!(
                s.caption != s.kind.caption,
                "{} has a caption of its own",
                s.name
            );
            assert!(
                s.caption.len() < 300,
                "{}: a caption is 1-2 sentences",
                s.name
            );
        }
    }

    #[test]
    fn builtins_map_to_the_agreed_workloads() {
        let catalog = Catalog::builtin().expect("valid");
        let kind = |n: &str| catalog.find(n).map(|s| s.kind.name);
        assert_eq!(kind("memory"), Some("sleep"));
        assert_eq!(kind("spawn"), Some("spawn"));
        assert_eq!(kind("switch"), Some("switch"));
        assert_eq!(kind("parallel"), Some("cpu"));
        assert_eq!(kind("blocking"), Some("blocking"));
        assert_eq!(kind("contention"), Some("contention"));
        assert_eq!(kind("limits"), Some("sleep"));
        let memory = catalog.find("memory").expect("listed");
        assert!(memory.settings.units[0] >= 10 * memory.settings.units[1]);
        let parallel = catalog.find("parallel").expect("listed");
        assert_eq!(parallel.settings.runtime, RuntimeFlavor::CurrentThread);
        assert_eq!(parallel.settings.one_side, Some(Side::Async));
        let limits = catalog.find("limits").expect("listed");
        assert!(limits.settings.units[0] >= 1_000_000);
    }

    #[test]
    fn no_workload_parameter_hides_a_setting() {
        for kind in workload::KINDS {
            for def in kind.params {
                assert!(
                    settings::find(def.name).is_none(),
                    "{}.{} shadows a setting",
                    kind.name,
                    def.name
                );
            }
        }
    }

    #[test]
    fn set_takes_settings_and_parameters_and_names_the_unknown() {
        let mut s = Scenario::plain("x", &workload::KINDS[0], "test");
        s.set("async_units", Given::Text("5")).expect("a setting");
        s.set("sleep_ms", Given::Text("7")).expect("a parameter");
        assert_eq!(s.settings.units[0], 5);
        assert_eq!(s.params.get("sleep_ms"), Some(&ParamValue::Int(7)));
        let e = s.set("nope", Given::Text("1")).unwrap_err();
        assert!(
            e.starts_with(
                "unknown parameter nope (known: sleep: sleep_ms; for every scenario: async_units"
            ),
            "{e}"
        );
        s.set_kind(find_kind("cpu").expect("cpu exists"));
        assert!(s.params.is_empty(), "parameters belong to the old kind");
    }
}
