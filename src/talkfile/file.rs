//! Talk files in TOML: `title` and ordered `[[steps]]`. Read with the scenario files' machinery, so
//! every complaint is one line naming FILE:LINE:COL and what is allowed there.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::{DEFAULT_REHEARSE, Step, Talk};
use crate::scenario::node::{Entry, Node, Source};
use crate::scenario::{Catalog, Given, Scenario, find_kind, settings};
use crate::workload::Kind;

const TOP_KEYS: &[&str] = &["title", "steps"];
const STEP_KEYS: &[&str] = &[
    "title",
    "scenario",
    "workload",
    "params",
    "say",
    "notes",
    "advance_after",
    "rehearse",
    "pair",
    "focus",
];

/// Reads the talk called `name` from `text` (`path` in messages); scenarios are looked up in `catalog`.
pub(super) fn read(name: &str, path: &str, text: &str, catalog: &Catalog) -> Result<Talk, String> {
    let src = Source { name: path, text };
    let entries = src.parse()?;
    let mut title = None;
    let mut steps = None;
    for (key, value) in &entries {
        match key.get_ref().as_str() {
            "title" => title = Some(string(src, "title", value)?.to_string()),
            "steps" => steps = Some(value),
            k => {
                return Err(src.at(
                    key.span(),
                    format!("unknown key '{k}' (allowed: {})", TOP_KEYS.join(", ")),
                ));
            }
        }
    }
    let title = title.ok_or_else(|| src.at(0..0, "a talk needs title = \"...\""))?;
    let Some(steps) = steps else {
        return Err(src.at(0..0, "a talk needs at least one [[steps]] table"));
    };
    let tables = match steps.get_ref() {
        Node::Tables(t) if !t.is_empty() => t,
        Node::Value(toml::Value::Array(a)) if a.is_empty() => {
            return Err(src.at(steps.span(), "a talk needs at least one [[steps]] table"));
        }
        other => {
            return Err(src.at(
                steps.span(),
                format!("steps are [[steps]] tables, not {}", other.kind()),
            ));
        }
    };
    // The kind each step's parameters belong to: the last one named.
    let mut kind: Option<&'static Kind> = None;
    let mut out = Vec::with_capacity(tables.len());
    for (i, table) in tables.iter().enumerate() {
        let step = read_step(
            src,
            i + 1,
            table.span(),
            table.get_ref(),
            catalog,
            &mut kind,
        )?;
        out.push(step);
    }
    Ok(Talk {
        name: name.to_string(),
        title,
        steps: out,
    })
}

fn read_step(
    src: Source<'_>,
    number: usize,
    at: Range<usize>,
    entries: &[Entry],
    catalog: &Catalog,
    kind: &mut Option<&'static Kind>,
) -> Result<Step, String> {
    let find = |k: &str| entries.iter().find(|(key, _)| key.get_ref() == k);
    let mut step = Step {
        title: String::new(),
        scenario: None,
        workload: None,
        params: BTreeMap::new(),
        settings: Vec::new(),
        say: String::new(),
        notes: String::new(),
        advance_after: None,
        rehearse: DEFAULT_REHEARSE,
        pair: None,
        focus: Vec::new(),
    };
    match (find("scenario"), find("workload")) {
        (Some(_), Some((k, _))) => {
            return Err(src.at(k.span(), "a step names a scenario or a workload, not both"));
        }
        (Some((_, v)), None) => {
            let name = string(src, "scenario", v)?;
            let s = catalog.get(name).map_err(|e| src.at(v.span(), e))?;
            *kind = Some(s.kind);
            step.scenario = Some(name.to_string());
        }
        (None, Some((_, v))) => {
            let k = find_kind(string(src, "workload", v)?).map_err(|e| src.at(v.span(), e))?;
            *kind = Some(k);
            step.workload = Some(k);
        }
        (None, None) if kind.is_none() => {
            return Err(src.at(
                at,
                format!(
                    "step {number} is the first: it needs scenario = \"...\" (one of: {}) or workload = \"...\"",
                    catalog.names()
                ),
            ));
        }
        (None, None) => {}
    }
    for (key, value) in entries {
        let k = key.get_ref().as_str();
        match k {
            "scenario" | "workload" => {}
            "title" => step.title = string(src, k, value)?.trim().to_string(),
            "say" => step.say = one_line(string(src, k, value)?),
            "notes" => step.notes = string(src, k, value)?.trim().to_string(),
            "advance_after" => step.advance_after = Some(duration(src, k, value)?),
            "rehearse" => step.rehearse = duration(src, k, value)?,
            "pair" => step.pair = Some(pair(src, number, value)?),
            "focus" => step.focus = focus(src, value)?,
            "params" => {
                // The kind is known: the first step names one, and later ones keep the last.
                let Some(kind) = *kind else { continue };
                let Node::Table(params) = value.get_ref() else {
                    return Err(src.at(
                        value.span(),
                        format!("params takes a table, not {}", value.get_ref().kind()),
                    ));
                };
                let mut check = Scenario::plain("talk", kind, src.name);
                for (pk, pv) in params {
                    check
                        .set_param(pk.get_ref(), Given::Toml(pv.get_ref()))
                        .map_err(|e| {
                            let span = if e.starts_with("unknown parameter") {
                                pk.span()
                            } else {
                                pv.span()
                            };
                            src.at(span, e)
                        })?;
                }
                step.params = check.params;
            }
            _ => match settings::find(k) {
                Some(setting) => {
                    // Checked now, applied when the step runs.
                    setting
                        .apply(
                            &mut settings::Settings::default(),
                            Given::Toml(value.get_ref()),
                        )
                        .map_err(|e| src.at(value.span(), e))?;
                    step.settings.push((setting, value.get_ref().clone()));
                }
                None => {
                    return Err(src.at(
                        key.span(),
                        format!(
                            "unknown key '{k}' in step {number} (allowed: {}, {})",
                            STEP_KEYS.join(", "),
                            settings::names()
                        ),
                    ));
                }
            },
        }
    }
    if step.title.is_empty() {
        return Err(src.at(at, format!("step {number} needs title = \"...\"")));
    }
    Ok(step)
}

/// `pair = 8`: a step before this one (counted from 1), whose headline shows beside this one's;
/// kept counted from 0.
fn pair(src: Source<'_>, number: usize, value: &Spanned<Node>) -> Result<usize, String> {
    match value.get_ref() {
        Node::Value(toml::Value::Integer(i)) if *i >= 1 && (*i as usize) < number => {
            Ok(*i as usize - 1)
        }
        other => Err(src.at(
            value.span(),
            format!(
                "pair takes the number of an earlier step (1 to {}), not {}",
                number.saturating_sub(1),
                match other {
                    Node::Value(toml::Value::Integer(i)) => i.to_string(),
                    other => other.kind().to_string(),
                }
            ),
        )),
    }
}

/// `focus = ["RSS", "OS threads"]`: rows of the columns' tables by their label, as on screen
/// (any case); kept as the catalog spells them.
fn focus(src: Source<'_>, value: &Spanned<Node>) -> Result<Vec<&'static str>, String> {
    let labels = crate::catalog::row_labels();
    let allowed = || {
        labels
            .iter()
            .map(|l| format!("\"{l}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Node::Value(toml::Value::Array(items)) = value.get_ref() else {
        return Err(src.at(
            value.span(),
            format!(
                "focus takes a list of row labels such as [\"RSS\"], not {}",
                value.get_ref().kind()
            ),
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let found = item
            .as_str()
            .and_then(|s| labels.iter().find(|l| l.eq_ignore_ascii_case(s.trim())));
        match found {
            Some(l) if !out.contains(l) => out.push(*l),
            Some(_) => {}
            None => {
                return Err(src.at(
                    value.span(),
                    format!("focus: {item} is not a row (rows: {})", allowed()),
                ));
            }
        }
    }
    Ok(out)
}

/// Text as one paragraph: the TUI wraps it to the screen.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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

/// "20s", "500ms", "2m", or a number of seconds.
fn duration(src: Source<'_>, key: &str, value: &Spanned<Node>) -> Result<Duration, String> {
    let text = match value.get_ref() {
        Node::Value(toml::Value::String(s)) => s.clone(),
        Node::Value(toml::Value::Integer(i)) => i.to_string(),
        Node::Value(toml::Value::Float(f)) => f.to_string(),
        other => {
            return Err(src.at(
                value.span(),
                format!(
                    "{key} takes a duration such as \"20s\", not {}",
                    other.kind()
                ),
            ));
        }
    };
    crate::config::parse_duration(&text).map_err(|e| src.at(value.span(), format!("{key}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn talk(text: &str) -> Result<Talk, String> {
        read("t", "t.toml", text, &Catalog::builtin().expect("presets"))
    }

    const OK: &str = "title = \"T\"\n[[steps]]\ntitle = \"one\"\nscenario = \"memory\"\nsay = \"look\"\n\n[[steps]]\ntitle = \"two\"\nthread_units = 5\nrehearse = \"2s\"\n[steps.params]\nsleep_ms = 50\n";

    #[test]
    fn a_talk_reads_its_steps_in_order() {
        let t = talk(OK).expect("valid");
        assert_eq!(t.title, "T");
        assert_eq!(t.steps.len(), 2);
        assert_eq!(t.steps[0].scenario.as_deref(), Some("memory"));
        assert_eq!(t.steps[0].rehearse, DEFAULT_REHEARSE);
        assert_eq!(t.steps[1].rehearse, Duration::from_secs(2));
        assert_eq!(
            t.steps[1].params.get("sleep_ms"),
            Some(&crate::protocol::ParamValue::Int(50))
        );
        assert_eq!(t.steps[1].settings.len(), 1);
        assert_eq!(t.steps[1].pair, None);
    }

    #[test]
    fn pair_names_an_earlier_step() {
        let paired = OK.replace("title = \"two\"\n", "title = \"two\"\npair = 1\n");
        assert_eq!(talk(&paired).expect("valid").steps[1].pair, Some(0));
        for (bad, shown) in [("2", "2"), ("0", "0"), ("\"one\"", "a string")] {
            let text = OK.replace(
                "title = \"two\"\n",
                &format!("title = \"two\"\npair = {bad}\n"),
            );
            let e = talk(&text).unwrap_err();
            assert!(
                e.starts_with(
                    "t.toml:9:8: pair takes the number of an earlier step (1 to 1), not "
                ) && e.ends_with(shown),
                "{e}"
            );
        }
    }

    #[test]
    fn focus_names_rows_by_their_label_in_any_case() {
        let focused = OK.replace(
            "say = \"look\"\n",
            "say = \"look\"\nfocus = [\"rss\", \"OS threads\", \"tokio busy\"]\n",
        );
        let t = talk(&focused).expect("valid");
        assert_eq!(t.steps[0].focus, ["RSS", "OS threads", "tokio busy"]);
        assert!(t.steps[1].focus.is_empty(), "a step's focus is its own");
        let bad = OK.replace(
            "say = \"look\"\n",
            "say = \"look\"\nfocus = [\"RSS\", \"heap\"]\n",
        );
        let e = talk(&bad).unwrap_err();
        assert!(
            e.starts_with(
                "t.toml:6:9: focus: \"heap\" is not a row (rows: \"units\", \"OS threads\""
            ),
            "{e}"
        );
        assert_eq!(e.lines().count(), 1, "{e}");
        let not_a_list = OK.replace("say = \"look\"\n", "say = \"look\"\nfocus = \"RSS\"\n");
        let e = talk(&not_a_list).unwrap_err();
        assert!(e.contains("focus takes a list of row labels"), "{e}");
    }

    #[test]
    fn each_kind_of_mistake_names_its_line_and_column() {
        let e = |text: &str| talk(text).unwrap_err();
        let unknown = e(&OK.replace("say = \"look\"", "sya = \"look\""));
        assert!(
            unknown.starts_with("t.toml:5:1: unknown key 'sya' in step 1 (allowed: title"),
            "{unknown}"
        );
        let top = e(&format!("titel = \"x\"\n{OK}"));
        assert!(top.starts_with("t.toml:1:1: unknown key 'titel'"), "{top}");
        let dur = e(&OK.replace("rehearse = \"2s\"", "rehearse = \"2 parsecs\""));
        assert!(
            dur.starts_with("t.toml:10:12: rehearse: unknown unit"),
            "{dur}"
        );
        let zero = e(&OK.replace("rehearse = \"2s\"", "advance_after = \"0s\""));
        assert!(
            zero.starts_with("t.toml:10:17: advance_after: '0s' must be longer"),
            "{zero}"
        );
        let scen = e(&OK.replace("\"memory\"", "\"memroy\""));
        assert!(
            scen.starts_with("t.toml:4:12: unknown scenario 'memroy' (known: memory"),
            "{scen}"
        );
        let empty = e("title = \"T\"\n");
        assert!(
            empty.starts_with("t.toml:1:1: a talk needs at least one [[steps]]"),
            "{empty}"
        );
        let none = e("title = \"T\"\nsteps = []\n");
        assert!(
            none.starts_with("t.toml:2:9: a talk needs at least one [[steps]]"),
            "{none}"
        );
        let first = e("title = \"T\"\n[[steps]]\ntitle = \"x\"\n");
        assert!(
            first.starts_with("t.toml:2:1: step 1 is the first: it needs scenario"),
            "{first}"
        );
        let param = e(&OK.replace("sleep_ms = 50", "sleep_ms = \"soon\""));
        assert!(
            param.starts_with("t.toml:12:12: sleep_ms takes an integer"),
            "{param}"
        );
        let setting = e(&OK.replace("thread_units = 5", "thread_units = -5"));
        assert!(
            setting.starts_with("t.toml:9:16: thread_units=-5 is not allowed"),
            "{setting}"
        );
        let syntax = e(&OK.replace("title = \"two\"", "title = = \"two\""));
        assert!(syntax.starts_with("t.toml:8:9: "), "{syntax}");
        let untitled = e(&OK.replace("title = \"two\"\n", ""));
        assert!(
            untitled.starts_with("t.toml:7:1: step 2 needs title"),
            "{untitled}"
        );
        for msg in [unknown, top, dur, scen, empty, param, setting, syntax] {
            assert_eq!(msg.lines().count(), 1, "{msg}");
        }
    }
}
