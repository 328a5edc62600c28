//! The worker side of versus, behind a crate boundary the compiler keeps: the wire protocol and
//! the figure keys both sides share, the workloads (each file holds the async and the threaded
//! side of the same work), the worker process that runs one side and reports, the system limits
//! its spawns respect, the load generator and the watcher of a program of your own (`--cmd`).
//!
//! Nothing here knows of the terminal UI: `cargo tree -p versus-worker` has no ratatui or
//! crossterm, and `tests/it/layers.rs` fails on a dependency that would bring one in.

pub mod figure;
pub mod limits;
pub mod loadgen;
pub mod protocol;
pub mod sys;
pub mod watch;
pub mod worker;
pub mod workload;
