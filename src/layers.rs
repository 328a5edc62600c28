//! The layers of the crate, lowest first. A module may use modules of its own layer or a lower one,
//! never a higher one, and top-level modules never use each other in a circle: `tests/layers.rs`
//! reads every `crate::` and climbing `super::` path under `src/` and fails on one that does.

/// Each layer: its name and its top-level modules.
pub const LAYERS: &[(&str, &[&str])] = &[
    (
        "shared keys and leaf utilities",
        &[
            "protocol", "figure", "sys", "utc", "term", "uitrace", "progress", "layers",
        ],
    ),
    ("system limits", &["limits"]),
    ("worker side", &["workload", "loadgen", "worker", "watch"]),
    ("figure catalog", &["catalog"]),
    ("model", &["model"]),
    ("collect", &["collect"]),
    ("run configuration", &["scenario", "config", "action"]),
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
pub const ALLOWED: &[(&str, &str, &str)] = &[
    // A circle inside the worker side (both modules are in crates/versus-worker).
    (
        "loadgen",
        "workload",
        "loadgen/stats.rs uses workload::unit's histogram helpers, while the echo workload starts loadgen connections",
    ),
    (
        "workload",
        "loadgen",
        "workload/echo.rs uses the load generator's protocol and connections; both sit in the worker crate",
    ),
    (
        "talk",
        "tui",
        "the talk runner runs its steps in the TUI (talk::run calls tui::run_with)",
    ),
    (
        "tui",
        "talk",
        "the TUI drives a talk's steps (talk::Runner, Move)",
    ),
    // Upward edges.
    (
        "controller",
        "notes",
        "the controller's event carries a speaker-notes command (notes::protocol::ToTalk)",
    ),
    (
        "ui",
        "talk",
        "test only: ui/talk.rs's tests load the shipped talk",
    ),
    (
        "model",
        "ui",
        "test only: model/input.rs's tests take ui::fixtures::run_info",
    ),
    (
        "model",
        "controller",
        "test only: model/per_unit.rs's tests call controller::guard::projected_rss_bytes",
    ),
];
