//! versus: live, side by side, what async tasks cost next to OS threads.
//! Data flows one way: workers -> collect -> model -> ui. The binary in main.rs picks a mode.

pub mod action;
pub mod catalog;
pub mod cli;
pub mod collect;
pub mod config;
pub mod controller;
pub mod headless;
pub mod layers;
pub mod model;
pub mod notes;
pub mod notes_wire;
pub mod progress;
pub mod record;
pub mod replay;
pub mod scenario;
pub mod ship;
pub mod talk;
pub mod talkfile;
pub mod term;
pub mod tui;
pub mod ui;
pub mod uitrace;
pub mod utc;

// The worker side, in its own crate (crates/versus-worker): re-exported so `crate::protocol` and
// the rest read the same from either side of the line.
pub use versus_worker::{figure, limits, loadgen, protocol, sys, watch, worker, workload};
