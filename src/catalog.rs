//! Every figure the program knows, each declared once (`figure::Figure`): those every side has
//! (`figure`), each workload kind's own (`workload::Kind::figures`) and those of a program watched from
//! outside (`watch::FIGURES`). The panel, charts, headline, CSV and the reader of recordings look figures
//! up here; a test fails when a key is declared twice.

use crate::figure::{self, Figure};
use crate::workload;

/// Every figure, in the order the panel draws the rows of the workloads' own figures.
pub fn all() -> impl Iterator<Item = &'static Figure> {
    figure::GENERIC
        .iter()
        .chain(figure::RUNTIME)
        .chain(figure::WORKER)
        .chain(workload::KINDS.iter().flat_map(|k| k.figures))
        .chain(crate::watch::FIGURES)
}

/// The figure reported under `key` (or the key it went by before, `Figure::was`).
pub fn find(key: &str) -> Option<&'static Figure> {
    all().find(|f| f.key == key || f.was == Some(key))
}

/// The headline figure named `name` in presets (`headline = ["rss_per_unit"]`), or by the name it
/// went by before (`switch_ns` is `switch_cpu_ns`).
pub fn headline(name: &str) -> Option<&'static Figure> {
    headlines().find(|f| f.name() == name || f.was == Some(name))
}

/// Figures renamed: (the key they went by before, their key now), for samples of older recordings.
pub fn renamed() -> impl Iterator<Item = (&'static str, &'static str)> {
    all().filter_map(|f| Some((f.was?, f.key)))
}

/// Every figure a scenario may name as its headline.
pub fn headlines() -> impl Iterator<Item = &'static Figure> {
    all().filter(|f| f.headline.is_some())
}

/// "rss_per_unit, spawn_ns, ..." for messages.
pub fn headline_names() -> String {
    headlines().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

/// The names of the workload kinds that report `f`; every kind for a figure every side has.
pub fn reported_by(f: &Figure) -> Vec<&'static str> {
    let own: Vec<&'static str> = workload::KINDS
        .iter()
        .filter(|k| k.figures.contains(f))
        .map(|k| k.name)
        .collect();
    if own.is_empty() && !crate::watch::FIGURES.contains(f) {
        workload::KINDS.iter().map(|k| k.name).collect()
    } else {
        own
    }
}

/// The labels of the rows a column's table can draw, in table order: the generic rows, then the
/// panel rows of the catalog's figures ("tokio busy", "requests"). A talk step's `focus` names them.
pub fn row_labels() -> Vec<&'static str> {
    let mut labels: Vec<&'static str> = figure::Generic::ALL.iter().map(|g| g.label()).collect();
    for p in all().filter_map(|f| f.panel) {
        if !labels.contains(&p.label) {
            labels.push(p.label);
        }
    }
    labels
}

/// The CSV columns, in order.
pub fn csv_columns() -> impl Iterator<Item = &'static Figure> {
    all().filter(|f| f.csv.is_some())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::figure::Source;

    /// Keys (or names) that occur more than once.
    fn twice<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let mut seen = BTreeSet::new();
        keys.filter(|k| !seen.insert(*k)).collect()
    }

    #[test]
    fn no_key_and_no_headline_name_is_declared_twice() {
        assert_eq!(
            twice(all().flat_map(|f| [Some(f.key), f.was]).flatten()),
            Vec::<&str>::new()
        );
        assert_eq!(twice(headlines().map(|f| f.name())), Vec::<&str>::new());
    }

    #[test]
    fn a_figure_declared_twice_is_caught() {
        // What the catalog would be with a workload figure declared again among the generic ones.
        let again = workload::switch::SWITCH_CPU_NS;
        let with_a_repeat = all().copied().chain([again]).collect::<Vec<_>>();
        assert_eq!(twice(with_a_repeat.iter().map(|f| f.key)), [again.key]);
        assert_eq!(
            twice(with_a_repeat.iter().map(|f| f.name())),
            [again.name()]
        );
    }

    #[test]
    fn panel_rows_share_a_label_and_fit_the_label_column() {
        let rows: Vec<_> = all().filter_map(|f| Some((f.key, f.panel?))).collect();
        for (i, (key, p)) in rows.iter().enumerate() {
            assert!(p.label.chars().count() <= 10, "{}", p.label);
            assert!(p.template.contains("{}"), "{key}");
            // A label used again later would make two rows claim the same figures.
            let last = rows
                .iter()
                .rposition(|(_, x)| x.label == p.label)
                .unwrap_or(i);
            assert!(
                rows[i..=last].iter().all(|(_, x)| x.label == p.label),
                "label {} is split",
                p.label
            );
        }
    }

    #[test]
    fn every_workload_headline_is_a_headline_figure_of_the_catalog() {
        for kind in workload::KINDS {
            assert!(!kind.headline.is_empty(), "{} has no headline", kind.name);
            for f in kind.headline {
                assert!(
                    f.headline.is_some(),
                    "{}: {} is no headline",
                    kind.name,
                    f.key
                );
                assert_eq!(
                    find(f.key),
                    Some(*f),
                    "{}: {} not in the catalog",
                    kind.name,
                    f.key
                );
            }
        }
    }

    #[test]
    fn the_csv_columns_are_the_generic_fields_in_order() {
        let cols: Vec<&str> = csv_columns().map(|f| f.key).collect();
        // Then the switch and spawn costs on both clocks, empty in rows of other workloads.
        assert_eq!(
            cols.join(","),
            "units,os_threads,rss_bytes,virtual_bytes,cpu_percent,ctx_voluntary,ctx_involuntary,\
             ctx_switches_per_sec,ops_per_sec,lateness_p50_us,lateness_p99_us,lateness_max_us,\
             spawn_cpu_ns,spawn_wall_ns,switch_cpu_ns,switch_wall_ns"
        );
    }

    /// The `.rs` files under `dir`, recursively.
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn a_workload_figure_s_key_is_typed_in_one_file_of_either_crate() {
        let mut files = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        // Both crates: the workloads' keys live in the worker crate.
        for dir in ["src", "crates/versus-worker/src"] {
            sources(&root.join(dir), &mut files);
        }
        assert!(
            files.iter().any(|f| f.ends_with("workload/switch.rs")),
            "the worker crate's files are read"
        );
        // Files that are tests alone (`#[path = "..._tests.rs"]`) may spell keys out.
        files.retain(|f| !f.to_string_lossy().ends_with("tests.rs"));
        let texts: Vec<(String, String)> = files
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(f).expect("readable");
                (f.display().to_string(), text)
            })
            .collect();
        assert!(texts.len() > 50, "{} files", texts.len());
        for f in all().filter(|f| f.source == Source::Extra) {
            let literal = format!("\"{}\"", f.key);
            let typed: Vec<&str> = texts
                .iter()
                .filter(|(_, text)| text.contains(&literal))
                .map(|(name, _)| name.as_str())
                .collect();
            assert!(typed.len() <= 1, "{literal} typed in {typed:?}");
        }
    }

    #[test]
    fn which_kinds_report_a_figure() {
        let switch = &workload::switch::SWITCH_CPU_NS;
        assert_eq!(find(switch.key), Some(switch));
        assert_eq!(reported_by(switch), ["switch"]);
        // The name it went by before stays accepted, as a key and as a headline name.
        let old = switch.was.expect("renamed");
        assert_eq!(find(old), Some(switch));
        assert_eq!(headline(old), Some(switch));
        assert_eq!(headline("spawn_ns"), Some(&workload::spawn::SPAWN_CPU_NS));
        assert!(renamed().any(|r| r == (old, switch.key)));
        assert_eq!(reported_by(&figure::UNITS).len(), workload::KINDS.len());
    }
}
