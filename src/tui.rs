//! The TUI loop: input and worker events arrive on one channel; the model is updated as they come and
//! drawn at most `fps` times a second. Nothing here blocks on a worker.

use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn run(_cfg: crate::config::RunConfig) -> anyhow::Result<ExitCode> {
    let _ = (mpsc::channel::<()>(), Instant::now(), Duration::ZERO);
    anyhow::bail!("the TUI is being written; use --headless")
}
