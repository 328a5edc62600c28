//! Talk files: the TOML a talk is written in (file.rs), what a step changes (step.rs), and the
//! built-in talks of assets/talks, compiled in like the presets. Run configuration, like scenario
//! files: the talk runner (`talk`) and the UI read them from above.

mod file;
mod step;

use std::time::Duration;

use crate::scenario::Catalog;
pub use step::{Step, run_at};

/// The built-in talks: (name, path for messages, TOML text).
const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "async-vs-threads",
        "assets/talks/async-vs-threads.toml",
        include_str!("../../assets/talks/async-vs-threads.toml"),
    ),
    (
        "beyond",
        "assets/talks/beyond.toml",
        include_str!("../../assets/talks/beyond.toml"),
    ),
];

/// How long a step runs in a rehearsal when it does not say.
pub const DEFAULT_REHEARSE: Duration = Duration::from_secs(5);
/// How long a step stays on screen under `--loop` when it has no `advance_after`.
pub const DEFAULT_BOOTH_STEP: Duration = Duration::from_secs(30);

/// A talk: a title and its steps, at least one; the first names a scenario or a workload.
#[derive(Debug, Clone)]
pub struct Talk {
    /// The built-in's name or the file's path.
    pub name: String,
    pub title: String,
    pub steps: Vec<Step>,
}

/// "async-vs-threads" for messages and `--list`.
pub fn names() -> String {
    BUILTIN
        .iter()
        .map(|(n, _, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A built-in talk by name, or a talk file by path. Every complaint is one line (FILE:LINE:COL).
pub fn load(arg: &str, catalog: &Catalog) -> Result<Talk, String> {
    if let Some((name, path, text)) = BUILTIN.iter().find(|(n, _, _)| *n == arg) {
        return file::read(name, path, text, catalog);
    }
    let path = std::path::Path::new(arg);
    if !path.exists() {
        return Err(format!(
            "--talk {arg}: no built-in talk of that name (built in: {}) and no such file",
            names()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{arg}: {e}"))?;
    file::read(arg, arg, &text, catalog)
}

/// The `--list` lines of the built-in talks.
pub fn list_text(catalog: &Catalog) -> String {
    let mut out = String::from(
        "\nTalks: versus --talk NAME (or a talk file); --headless rehearses every step.\n",
    );
    for (name, path, text) in BUILTIN {
        match file::read(name, path, text, catalog) {
            Ok(t) => out.push_str(&format!(
                "   {name} — {} ({} steps)\n",
                t.title,
                t.steps.len()
            )),
            Err(e) => out.push_str(&format!("   {name}: {e}\n")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_talk_parses_and_every_step_scenario_exists() {
        let catalog = Catalog::builtin().expect("presets");
        for (name, _, _) in BUILTIN {
            let talk = load(name, &catalog).expect("a built-in talk parses");
            assert!(talk.steps.len() >= 5, "{name}: {} steps", talk.steps.len());
            for (i, s) in talk.steps.iter().enumerate() {
                if let Some(sc) = &s.scenario {
                    assert!(catalog.find(sc).is_some(), "{name} step {}: {sc}", i + 1);
                }
                assert!(!s.say.is_empty(), "{name} step {} says something", i + 1);
                assert!(
                    s.say.len() < 320,
                    "{name} step {}: one or two sentences",
                    i + 1
                );
            }
            assert!(talk.steps[0].scenario.is_some() || talk.steps[0].workload.is_some());
        }
    }

    #[test]
    fn every_focus_of_a_builtin_talk_names_a_row_its_step_draws() {
        let catalog = Catalog::builtin().expect("presets");
        for (name, _, _) in BUILTIN {
            let talk = load(name, &catalog).expect("a built-in talk parses");
            let mut kind = None;
            let mut scenario = None;
            let mut focused = 0;
            for (i, s) in talk.steps.iter().enumerate() {
                if let Some(sc) = &s.scenario {
                    scenario = catalog.find(sc).cloned();
                    kind = scenario.as_ref().map(|x| x.kind);
                }
                if let Some(k) = s.workload {
                    kind = Some(k);
                    scenario = None;
                }
                let kind = kind.expect("the first step names one");
                // The generic rows, tokio's, and the rows of the step's own workload.
                let rows: Vec<&str> = crate::figure::Generic::ALL
                    .iter()
                    .map(|g| g.label())
                    .chain(
                        crate::figure::RUNTIME
                            .iter()
                            .chain(kind.figures)
                            .filter_map(|f| Some(f.panel?.label)),
                    )
                    .collect();
                for label in &s.focus {
                    assert!(
                        rows.contains(label),
                        "{name} step {}: focus {label} is no row of {}",
                        i + 1,
                        kind.name
                    );
                }
                focused += usize::from(!s.focus.is_empty());
                // A step that focuses keeps its headline's row in focus: the row shows the
                // headline's value, and it does not fold away at 80×24.
                let headline = scenario
                    .as_ref()
                    .map(|sc: &crate::scenario::Scenario| sc.headline.clone())
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| kind.headline.to_vec());
                if let (false, Some(head)) = (s.focus.is_empty(), headline.first()) {
                    let row = head.panel.map(|p| p.label).or(match head.key {
                        "units" => Some("units"),
                        "rss_per_unit_bytes" => Some("RSS"),
                        "virtual_per_unit_bytes" => Some("virtual"),
                        "cores_used" => Some("CPU"),
                        "ops_per_sec" => Some("throughput"),
                        "lateness_p99_us" => Some("lateness"),
                        _ => None,
                    });
                    let row = row.unwrap_or_else(|| panic!("{}: no row", head.key));
                    assert!(
                        s.focus.contains(&row),
                        "{name} step {}: focus {:?} leaves out the headline's row {row}",
                        i + 1,
                        s.focus
                    );
                }
            }
            assert!(focused >= talk.steps.len() / 2, "{name}: most steps focus");
        }
    }

    #[test]
    fn an_unknown_talk_names_the_built_ins() {
        let e = load("nope-talk", &Catalog::builtin().expect("presets")).unwrap_err();
        assert!(e.contains("built in: async-vs-threads"), "{e}");
    }
}
