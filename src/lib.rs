//! versus: live, side by side, what async tasks cost next to OS threads.
//! Data flows one way: workers -> collect -> model -> ui. The binary in main.rs picks a mode.

pub mod action;
pub mod catalog;
pub mod cli;
pub mod collect;
pub mod config;
pub mod controller;
pub mod figure;
pub mod headless;
pub mod layers;
pub mod limits;
pub mod loadgen;
pub mod model;
pub mod notes;
pub mod progress;
pub mod protocol;
pub mod record;
pub mod replay;
pub mod scenario;
pub mod ship;
pub mod sys;
pub mod talk;
pub mod term;
pub mod tui;
pub mod ui;
pub mod uitrace;
pub mod utc;
pub mod watch;
pub mod worker;
pub mod workload;
