//! `versus --list`: every scenario with its workload, its values, the defaults and the allowed ranges.

use std::fmt::Write;

use super::settings::SETTINGS;
use super::{Catalog, Scenario};

/// Scenarios with a number key in the TUI.
pub const NUMBERED: usize = 9;

/// The whole listing, ending with a newline.
pub fn text(catalog: &Catalog) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scenarios: start one with --scenario NAME; in the TUI press its number, or p for the picker.\n"
    );
    for (i, s) in catalog.0.iter().enumerate() {
        scenario(&mut out, i, s);
    }
    let _ = writeln!(
        out,
        "Settings of every scenario (--set NAME=VALUE, or NAME = VALUE in a --config file):"
    );
    let width = SETTINGS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in SETTINGS {
        let _ = writeln!(out, "  {:width$}  {}: {}", s.name, s.allowed, s.help);
    }
    let _ = writeln!(
        out,
        "\nA --config file may hold `scenario = NAME` (where to start), a [set] table (applied to that run), \
         and [scenarios.NAME] tables that change a built-in or add a scenario (workload, title, caption, \
         settings, and a [scenarios.NAME.params] table). A preset from assets/scenarios is a config file too."
    );
    out
}

fn scenario(out: &mut String, i: usize, s: &Scenario) {
    let key = if i < NUMBERED {
        (i + 1).to_string()
    } else {
        " ".into()
    };
    let _ = writeln!(out, "{key}  {} — {}", s.name, s.title);
    let _ = writeln!(out, "   workload  {}: {}", s.kind.name, s.kind.summary);
    let settings: Vec<String> = SETTINGS
        .iter()
        .map(|row| format!("{}={}", row.name, (row.show)(&s.settings)))
        .collect();
    let _ = writeln!(out, "   settings  {}", settings.join("  "));
    let width = s
        .kind
        .params
        .iter()
        .map(|d| d.name.len())
        .max()
        .unwrap_or(0);
    for d in s.kind.params {
        let value = s.params.get(d.name).copied().unwrap_or(d.default);
        let default = if value == d.default {
            "default".to_string()
        } else {
            format!("default {}", d.show(&d.default))
        };
        let _ = writeln!(
            out,
            "   {:width$}  = {}  ({default}; {}): {}",
            d.name,
            d.show(&value),
            d.allowed(),
            d.help
        );
    }
    if s.kind.params.is_empty() {
        let _ = writeln!(out, "   (the {} workload has no parameters)", s.kind.name);
    }
    if !s.origin.starts_with("assets/") {
        let _ = writeln!(out, "   from {}", s.origin);
    }
    let _ = writeln!(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_and_setting_is_listed_with_its_ranges() {
        let catalog = Catalog::builtin().expect("valid");
        let t = text(&catalog);
        for s in &catalog.0 {
            assert!(
                t.contains(&format!("  {} — {}", s.name, s.title)),
                "{}",
                s.name
            );
            for d in s.kind.params {
                assert!(t.contains(&d.allowed()), "{}", d.name);
            }
        }
        for s in SETTINGS {
            assert!(t.contains(s.allowed), "{}", s.name);
        }
        assert!(t.contains("1  memory") && t.contains("7  limits"));
    }
}
