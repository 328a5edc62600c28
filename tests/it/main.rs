//! The integration tests, one module per area, linked into one binary so the suite links once.
//! `common` holds what they share: running the real binary, tmux, process trees, the CPU lock.
#![allow(clippy::unwrap_used)]

mod beyond;
mod big_view;
mod catalog;
mod claims;
mod cli;
mod common;
mod config;
mod e2e;
mod e2e_scenarios;
mod echo;
mod export;
mod figures;
mod headless;
mod headline;
mod install;
mod layers;
mod limits;
mod notes;
mod os_view;
mod placement;
mod programs;
mod record;
mod reliability;
mod replay_tui;
mod scenarios;
mod soak;
mod source_view;
mod talk;
