//! Scenario tables in TOML, for the presets and for `--config` files. Every complaint is one line that
//! names the file, line and column, and what is allowed there.

use std::ops::Range;

use toml::Spanned;

use super::node::{Entry, Node, Source};
use super::settings::{self, Given};
use super::{Catalog, Scenario, find_kind};

type Entries = [Entry];

/// Keys of a scenario table besides the settings.
const SCENARIO_KEYS: &[&str] = &["name", "title", "workload", "caption", "params"];
/// The figures that prove a scenario's claim; listed after the settings in messages.
const HEADLINE_KEY: &str = "headline";
/// Which way is better for a headline figure, where the catalog's direction does not fit the claim.
const BETTER_KEY: &str = "headline_better";
/// Keys of a config file besides those of a scenario (a file may be one scenario, as a preset is).
const FILE_KEYS: &[&str] = &["scenario", "set", "scenarios"];
/// Longest scenario name: it goes in the header and on the command line.
const MAX_NAME: usize = 32;

/// A `--config` file, read and checked for syntax; its values are checked as they are applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    pub path: String,
    text: String,
    entries: Vec<Entry>,
}

/// "name, title, ..., async_units, ..." for the unknown-key complaint.
fn scenario_keys() -> String {
    let mut keys: Vec<&str> = SCENARIO_KEYS.to_vec();
    keys.extend(settings::SETTINGS.iter().map(|s| s.name));
    keys.push(HEADLINE_KEY);
    keys.push(BETTER_KEY);
    keys.join(", ")
}

fn string<'a>(src: Source<'_>, key: &str, value: &'a Spanned<Node>) -> Result<&'a str, String> {
    match value.get_ref() {
        Node::Value(toml::Value::String(s)) => Ok(s),
        other => Err(src.at(
            value.span(),
            format!("{key} takes a string, not {}", other.kind()),
        )),
    }
}

fn table<'a>(src: Source<'_>, key: &str, value: &'a Spanned<Node>) -> Result<&'a Entries, String> {
    match value.get_ref() {
        Node::Table(entries) => Ok(entries),
        other => Err(src.at(
            value.span(),
            format!("{key} takes a table, not {}", other.kind()),
        )),
    }
}

/// Lower-case letters, digits, '-' and '_', starting with a letter or digit.
fn check_name(src: Source<'_>, span: Range<usize>, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(src.at(
            span,
            format!(
                "scenario name '{name}' is not allowed: use up to {MAX_NAME} lower-case letters, digits, '-' or '_'"
            ),
        ))
    }
}

/// Reads one scenario table over `base` (the scenario it changes) or as a new one called `name`.
/// `at` is where to point when the table as a whole is wrong (its name); `allow` says which
/// non-scenario keys the caller handles itself and skips here.
fn read_table(
    src: Source<'_>,
    name: &str,
    at: Range<usize>,
    entries: &Entries,
    base: Option<&Scenario>,
    allow: &[&str],
) -> Result<Scenario, String> {
    let workload = entries.iter().find(|(k, _)| k.get_ref() == "workload");
    let kind = match workload {
        Some((_, v)) => {
            Some(find_kind(string(src, "workload", v)?).map_err(|e| src.at(v.span(), e))?)
        }
        None => None,
    };
    let mut s = match (base, kind) {
        (Some(base), kind) => {
            let mut s = base.clone();
            if let Some(kind) = kind {
                s.set_kind(kind);
            }
            s.origin = src.name.to_string();
            s
        }
        (None, Some(kind)) => Scenario::plain(name, kind, src.name),
        (None, None) => {
            return Err(src.at(
                at,
                format!(
                    "scenario '{name}' needs a workload (workload = \"...\", one of: {})",
                    crate::workload::names()
                ),
            ));
        }
    };
    let mut better = None;
    for (key, value) in entries {
        let k = key.get_ref().as_str();
        match k {
            "workload" | "name" => {}
            BETTER_KEY => better = Some(value),
            "title" => s.title = string(src, k, value)?.to_string(),
            "caption" => {
                s.caption = string(src, k, value)?
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            HEADLINE_KEY => {
                s.headline = headline(src, value)?;
                s.headline_better.clear();
            }
            "params" => {
                for (pk, pv) in table(src, k, value)? {
                    s.set_param(pk.get_ref(), Given::Toml(pv.get_ref()))
                        .map_err(|e| {
                            let span = if e.starts_with("unknown parameter") {
                                pk.span()
                            } else {
                                pv.span()
                            };
                            src.at(span, e)
                        })?;
                }
            }
            _ if allow.contains(&k) => {}
            _ => match settings::find(k) {
                Some(setting) => setting
                    .apply(&mut s.settings, Given::Toml(value.get_ref()))
                    .map_err(|e| src.at(value.span(), e))?,
                None => {
                    return Err(src.at(
                        key.span(),
                        format!("unknown key '{k}' (allowed: {})", allowed_here(allow)),
                    ));
                }
            },
        }
    }
    if let Some(value) = better {
        headline_better(src, value, &mut s)?;
    }
    Ok(s)
}

/// `headline_better = { cores_used = "more" }`: for a figure of the scenario's headline, which way
/// is better in this claim ("more", "less" or "neutral"), where the catalog's direction does not fit.
fn headline_better(src: Source<'_>, value: &Spanned<Node>, s: &mut Scenario) -> Result<(), String> {
    let words = || {
        crate::figure::Direction::WORDS
            .iter()
            .map(|(w, _)| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (name, v) in table(src, BETTER_KEY, value)? {
        let name = name.get_ref();
        if !s.headline.iter().any(|f| f.name() == name) {
            let listed: Vec<&str> = s.headline.iter().map(|f| f.name()).collect();
            return Err(src.at(
                v.span(),
                format!(
                    "{BETTER_KEY}: '{name}' is not in this scenario's headline ({})",
                    listed.join(", ")
                ),
            ));
        }
        let direction = match v.get_ref() {
            Node::Value(toml::Value::String(w)) => crate::figure::Direction::parse(w),
            _ => None,
        }
        .ok_or_else(|| {
            src.at(
                v.span(),
                format!("{BETTER_KEY}.{name} takes one of {}", words()),
            )
        })?;
        s.headline_better.insert(name.clone(), direction);
    }
    Ok(())
}

/// `headline = ["rss_per_unit", "lateness_p99"]` (or one name): the figures that prove
/// the scenario's claim, its headline first, each the headline name of a catalog figure.
fn headline(
    src: Source<'_>,
    value: &Spanned<Node>,
) -> Result<Vec<&'static crate::figure::Figure>, String> {
    use crate::model::headline;
    let one = |name: &str| {
        headline::find(name).ok_or_else(|| {
            src.at(
                value.span(),
                format!(
                    "unknown headline figure '{name}' (known: {})",
                    headline::names()
                ),
            )
        })
    };
    let wrong = |what: &str| {
        src.at(
            value.span(),
            format!("headline takes a figure name or a list of them, not {what}"),
        )
    };
    match value.get_ref() {
        Node::Value(toml::Value::String(name)) => Ok(vec![one(name)?]),
        Node::Value(toml::Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| wrong("a list of other values"))
                    .and_then(one)
            })
            .collect(),
        other => Err(wrong(other.kind())),
    }
}

fn allowed_here(extra: &[&str]) -> String {
    let mut keys = scenario_keys();
    for k in extra {
        keys.push_str(", ");
        keys.push_str(k);
    }
    keys
}

/// The scenario's `name = "..."`: present, a string, well formed.
fn own_name<'a>(
    src: Source<'_>,
    entries: &'a Entries,
) -> Result<Option<(&'a str, Range<usize>)>, String> {
    match entries.iter().find(|(k, _)| k.get_ref() == "name") {
        Some((_, v)) => {
            let name = string(src, "name", v)?;
            check_name(src, v.span(), name)?;
            Ok(Some((name, v.span())))
        }
        None => Ok(None),
    }
}

/// A preset file: one scenario table with its name. Built-ins must be new names.
pub(super) fn read_preset(src: Source<'_>, known: &Catalog) -> Result<Scenario, String> {
    let entries = src.parse()?;
    let (name, span) =
        own_name(src, &entries)?.ok_or_else(|| src.at(0..0, "a preset needs name = \"...\""))?;
    if known.find(name).is_some() {
        return Err(src.at(span, format!("scenario '{name}' is defined twice")));
    }
    read_table(src, name, span, &entries, None, &[])
}

impl ConfigFile {
    /// Reads and parses the file; the values are checked when it is applied.
    pub fn read(path: &std::path::Path) -> Result<ConfigFile, String> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        ConfigFile::from_text(&shown, text)
    }

    pub fn from_text(path: &str, text: String) -> Result<ConfigFile, String> {
        let src = Source {
            name: path,
            text: &text,
        };
        let entries = src.parse()?;
        for (key, _) in &entries {
            let k = key.get_ref().as_str();
            if !FILE_KEYS.contains(&k)
                && !SCENARIO_KEYS.contains(&k)
                && k != HEADLINE_KEY
                && settings::find(k).is_none()
            {
                return Err(src.at(
                    key.span(),
                    format!("unknown key '{k}' (allowed: {})", allowed_here(FILE_KEYS)),
                ));
            }
        }
        Ok(ConfigFile {
            path: path.to_string(),
            text,
            entries,
        })
    }

    fn src(&self) -> Source<'_> {
        Source {
            name: &self.path,
            text: &self.text,
        }
    }

    fn entry(&self, key: &str) -> Option<&Spanned<Node>> {
        self.entries
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    }

    /// True when the top of the file is a scenario of its own (a copied preset).
    fn is_scenario(&self) -> bool {
        self.entries
            .iter()
            .any(|(k, _)| !FILE_KEYS.contains(&k.get_ref().as_str()))
    }

    /// Adds the file's scenarios to `catalog`, or changes the built-ins it names.
    pub(super) fn define(&self, catalog: &mut Catalog) -> Result<(), String> {
        let src = self.src();
        if self.is_scenario() {
            let (name, span) = own_name(src, &self.entries)?.ok_or_else(|| {
                let first = self
                    .entries
                    .iter()
                    .find(|(k, _)| !FILE_KEYS.contains(&k.get_ref().as_str()))
                    .map_or(0..0, |(k, _)| k.span());
                src.at(
                    first,
                    "scenario keys at the top of a file need name = \"...\" (or put them under [scenarios.NAME])",
                )
            })?;
            let s = read_table(
                src,
                name,
                span,
                &self.entries,
                catalog.find(name),
                FILE_KEYS,
            )?;
            put(catalog, s);
        }
        if let Some(value) = self.entry("scenarios") {
            for (key, body) in table(src, "scenarios", value)? {
                let name = key.get_ref();
                check_name(src, key.span(), name)?;
                let entries = table(src, &format!("scenarios.{name}"), body)?;
                if let Some((k, _)) = entries.iter().find(|(k, _)| k.get_ref() == "name") {
                    return Err(src.at(
                        k.span(),
                        format!("[scenarios.{name}] is named by its header; remove name"),
                    ));
                }
                let s = read_table(src, name, key.span(), entries, catalog.find(name), &[])?;
                put(catalog, s);
            }
        }
        Ok(())
    }

    /// The scenario the file starts on: `scenario = "..."`, else the one at its top, if any.
    pub fn start(&self, catalog: &Catalog) -> Result<Option<String>, String> {
        let src = self.src();
        if let Some(v) = self.entry("scenario") {
            let name = string(src, "scenario", v)?;
            return catalog
                .get(name)
                .map(|s| Some(s.name.clone()))
                .map_err(|e| src.at(v.span(), e));
        }
        Ok(own_name(src, &self.entries)?.map(|(n, _)| n.to_string()))
    }

    /// Applies `[set]` to the scenario the run starts with, over its preset.
    pub fn apply_set(&self, run: &mut Scenario) -> Result<(), String> {
        let src = self.src();
        let Some(value) = self.entry("set") else {
            return Ok(());
        };
        for (key, v) in table(src, "set", value)? {
            run.set(key.get_ref(), Given::Toml(v.get_ref()))
                .map_err(|e| {
                    let span = if e.starts_with("unknown parameter") {
                        key.span()
                    } else {
                        v.span()
                    };
                    src.at(span, e)
                })?;
        }
        Ok(())
    }
}

/// Replaces the scenario of the same name, or adds it at the end.
fn put(catalog: &mut Catalog, s: Scenario) {
    match catalog.position(&s.name) {
        Some(i) => catalog.0[i] = s,
        None => catalog.0.push(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<Catalog, String> {
        let f = ConfigFile::from_text("c.toml", text.to_string())?;
        Catalog::load(Some(&f))
    }

    #[test]
    fn a_file_adds_scenarios_and_changes_builtins() {
        let c = file(
            "[scenarios.memory]\nasync_units = 5\n\n[scenarios.mine]\nworkload = \"cpu\"\nthread_units = 3\n[scenarios.mine.params]\nchunk_iters = 500\n",
        )
        .expect("valid");
        let memory = c.find("memory").expect("still there");
        assert_eq!(memory.settings.units[0], 5);
        assert_eq!(memory.kind.name, "sleep", "the rest of the preset stays");
        let mine = c.find("mine").expect("added");
        assert_eq!(c.position("mine"), Some(c.0.len() - 1));
        assert_eq!(
            mine.settings.units,
            [crate::scenario::settings::DEFAULT_UNITS, 3]
        );
        assert_eq!(mine.caption, mine.kind.caption);
    }

    #[test]
    fn headline_better_names_a_headline_figure_and_more_less_or_neutral() {
        let c = file("[scenarios.memory]\nheadline_better = { rss_per_unit = \"more\" }\n")
            .expect("valid");
        assert_eq!(
            c.find("memory").map(|s| s.headline_better.clone()),
            Some(
                [(
                    "rss_per_unit".to_string(),
                    crate::figure::Direction::MoreIsBetter
                )]
                .into()
            )
        );
        let e = |text: &str| file(text).unwrap_err();
        let other = e("[scenarios.memory]\nheadline_better = { cores_used = \"more\" }\n");
        assert!(
            other.starts_with("c.toml:2:34: headline_better: 'cores_used' is not in this scenario's headline (rss_per_unit)"),
            "{other}"
        );
        let word = e("[scenarios.memory]\nheadline_better = { rss_per_unit = \"bigger\" }\n");
        assert!(
            word.contains(
                "headline_better.rss_per_unit takes one of \"more\", \"less\", \"neutral\""
            ),
            "{word}"
        );
        // The parallel preset says more cores busy is better.
        let builtin = Catalog::builtin().expect("presets load");
        assert_eq!(
            builtin
                .find("parallel")
                .and_then(|s| s.headline_better.get("cores_used")),
            Some(&crate::figure::Direction::MoreIsBetter)
        );
        // A new headline drops the old one's directions: the parallel preset's cores_used is gone.
        let c = file("[scenarios.parallel]\nheadline = \"ops_per_sec\"\n").expect("valid");
        assert!(
            c.find("parallel")
                .is_some_and(|s| s.headline_better.is_empty())
        );
    }

    #[test]
    fn a_copied_preset_is_a_config_file_that_starts_on_it() {
        let text = include_str!("../../assets/scenarios/switch.toml")
            .replace("name = \"switch\"", "name = \"my-switch\"");
        let f = ConfigFile::from_text("c.toml", text).expect("parses");
        let c = Catalog::load(Some(&f)).expect("valid");
        assert_eq!(f.start(&c).expect("valid"), Some("my-switch".into()));
        assert_eq!(c.find("my-switch").map(|s| s.kind.name), Some("switch"));
    }

    #[test]
    fn complaints_name_line_column_and_what_is_allowed() {
        let e = |text: &str| file(text).unwrap_err();
        let unknown = e("[scenarios.memory]\nasync_unit = 5\n");
        assert!(
            unknown.starts_with("c.toml:2:1: unknown key 'async_unit' (allowed: name, title"),
            "{unknown}"
        );
        let range = e("[scenarios.memory]\nthread_units = -1\n");
        assert!(
            range.starts_with("c.toml:2:16: thread_units=-1 is not allowed"),
            "{range}"
        );
        let wrong = e("[scenarios.memory.params]\nsleep_ms = \"soon\"\n");
        assert!(
            wrong.starts_with("c.toml:2:12: sleep_ms takes an integer from 1 to"),
            "{wrong}"
        );
        let kind = e("[scenarios.x]\nworkload = \"nap\"\n");
        assert!(
            kind.starts_with("c.toml:2:12: unknown workload 'nap' (known: sleep"),
            "{kind}"
        );
        let none = e("[scenarios.x]\ncaption = \"c\"\n");
        assert!(
            none.starts_with("c.toml:1:12: scenario 'x' needs a workload"),
            "{none}"
        );
        let top = e("speed = 3\n");
        assert!(
            top.contains("c.toml:1:1: unknown key 'speed'") && top.contains("scenarios"),
            "{top}"
        );
        let name = e("[scenarios.\"Big Name\"]\nworkload = \"cpu\"\n");
        assert!(
            name.starts_with("c.toml:1:12: scenario name 'Big Name'"),
            "{name}"
        );
        let param = e("[scenarios.memory.params]\nchunk_iters = 5\n");
        assert!(
            param.starts_with("c.toml:2:1: unknown parameter chunk_iters (known: sleep: sleep_ms"),
            "{param}"
        );
    }

    #[test]
    fn set_applies_to_the_run_and_points_at_the_value() {
        let f = ConfigFile::from_text(
            "c.toml",
            "scenario = \"spawn\"\n[set]\nbatch = 10\nasync_units = 2\n".into(),
        )
        .expect("parses");
        let c = Catalog::load(Some(&f)).expect("valid");
        let start = f.start(&c).expect("valid").expect("given");
        let mut run = c.get(&start).expect("exists").clone();
        f.apply_set(&mut run).expect("valid");
        assert_eq!(run.settings.units[0], 2);
        let bad = ConfigFile::from_text("c.toml", "[set]\nbatch = 0\n".into()).expect("parses");
        let e = bad.apply_set(&mut run).unwrap_err();
        assert!(
            e.starts_with("c.toml:2:9: batch=0 is not allowed: batch takes an integer from 1"),
            "{e}"
        );
        let nowhere =
            ConfigFile::from_text("c.toml", "scenario = \"nope\"\n".into()).expect("parses");
        assert!(
            nowhere
                .start(&c)
                .unwrap_err()
                .starts_with("c.toml:1:12: unknown scenario 'nope' (known: memory")
        );
    }
}
