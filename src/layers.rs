//! The layers of the crate, lowest first. A module may use modules of its own layer or a lower one,
//! never a higher one, and top-level modules never use each other in a circle: `tests/it/layers.rs`
//! reads every `crate::` and climbing `super::` path under `src/` and fails on one that does.

/// Each layer: its name and its top-level modules.
pub const LAYERS: &[(&str, &[&str])] = &[
    (
        "shared keys and leaf utilities",
        &[
            "protocol",
            "figure",
            "sys",
            "utc",
            "term",
            "uitrace",
            "progress",
            "layers",
            "notes_wire",
        ],
    ),
    ("system limits", &["limits"]),
    ("worker side", &["workload", "loadgen", "worker", "watch"]),
    ("figure catalog", &["catalog"]),
    ("model", &["model"]),
    ("collect", &["collect"]),
    (
        "run configuration",
        &["scenario", "config", "action", "talkfile"],
    ),
    ("record and replay", &["record"]),
    ("controller", &["controller"]),
    ("ui", &["ui"]),
    ("command line", &["cli"]),
    (
        "app",
        &["notes", "headless", "tui", "talk", "replay", "ship"],
    ),
];

/// Edges that still point up or close a circle, each with the reason it is left (empty when none).
pub const ALLOWED: &[(&str, &str, &str)] = &[];
