//! The figure catalog against real workers: every key a worker (or the load generator, or the watcher
//! of a program) reports is declared in `versus::catalog`, so none is silently missing from the panel
//! while the JSON has it. One short headless run per workload kind and one of two programs, all at
//! once.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeSet;

use serde_json::Value;
use versus::model::Figures;
use versus::protocol::Side;

/// Keys of a side's JSON object that are not a workload's own: the fields of `Figures` and what the
/// report adds to them.
fn field_keys() -> BTreeSet<String> {
    let empty = serde_json::to_value(Figures::empty(Side::Async, "x")).unwrap();
    let mut keys: BTreeSet<String> = empty.as_object().unwrap().keys().cloned().collect();
    keys.extend(["saturated", "saturation", "label"].map(String::from));
    keys
}

/// The keys of `doc`'s sides that are neither fields nor declared in the catalog.
fn undeclared(doc: &Value, fields: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for s in doc["sides"].as_array().unwrap() {
        for key in s.as_object().unwrap().keys() {
            if !fields.contains(key) && versus::catalog::find(key).is_none() {
                out.push(format!("{}: {key}", s["side"]));
            }
        }
    }
    out
}

#[test]
fn every_key_a_worker_reports_is_declared_in_the_catalog() {
    let fields = field_keys();
    // Two samples are enough for the windowed figures (`TotalsWindow` answers from its second call);
    // 4 s leaves room for a slow start beside other builds (measured: all ten done in 3.2 s at
    // load average 6 on 2 cores with a 3 s run).
    let runs: Vec<(String, Vec<String>)> = versus::workload::KINDS
        .iter()
        .map(|k| {
            let args = [
                "--workload",
                k.name,
                "--duration",
                "4s",
                "--async-units",
                "2",
                "--thread-units",
                "2",
            ];
            (k.name.to_string(), args.map(String::from).to_vec())
        })
        .chain([(
            "programs".to_string(),
            [
                "--duration",
                "4s",
                "--cmd",
                "a=sleep 30",
                "--cmd",
                "b=sleep 30",
            ]
            .map(String::from)
            .to_vec(),
        )])
        .collect();
    let started: Vec<_> = runs
        .iter()
        .map(|(name, args)| {
            let tag = common::unique_tag(&format!("catalog-{name}"));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let child = common::spawn_headless(&tag, &args, &[]);
            (name, tag, child)
        })
        .collect();
    for (name, tag, child) in started {
        let f = common::finish_headless(child, &tag);
        assert_eq!(f.code, Some(0), "{name}: {}\n{}", f.doc, f.stderr);
        let kind = versus::workload::find(name);
        for side in ["async", "threads"] {
            common::assert_reported(common::side(&f.doc, side));
            // Not vacuous: a kind with figures of its own reported at least one of them.
            let own = kind.map_or(versus::watch::FIGURES, |k| k.figures);
            let s = common::side(&f.doc, side);
            assert!(
                own.is_empty() || own.iter().any(|fig| s.get(fig.key).is_some()),
                "{name} {side}: none of its figures in {s}"
            );
        }
        let missing = undeclared(&f.doc, &fields);
        assert!(
            missing.is_empty(),
            "{name}: reported but not in the catalog: {missing:?}"
        );
    }
}

#[test]
fn an_undeclared_key_is_caught() {
    let fields = field_keys();
    let doc = serde_json::json!({"sides": [
        {"side": "async", "units": 1, "switch_ns": 1.0, "no_such_figure": 2.0},
    ]});
    assert_eq!(undeclared(&doc, &fields), ["\"async\": no_such_figure"]);
}
