//! Talk mode: an ordered path of steps through the scenarios, each with what to say and what to look
//! at. Talks are TOML files, read in `talkfile` (with the built-ins from assets/talks, compiled in like
//! the presets, and what a step changes); the TUI walks the steps (state.rs) and the headless
//! rehearsal runs each for its `rehearse` time (rehearse.rs).

pub mod rehearse;
mod runner;
pub mod state;

use crate::cli::Cli;
use crate::scenario::{Catalog, ConfigFile};
// The talk files (their reading, steps and the built-ins) are run configuration, below the UI.
pub use crate::talkfile::{
    DEFAULT_BOOTH_STEP, DEFAULT_REHEARSE, Step, Talk, list_text, load, names,
};
pub use runner::Runner;
pub use state::{Move, TalkState};

/// The `--list` text: the scenarios of the built-ins and of `--config`, when given, then the talks.
pub fn list(cli: &Cli) -> Result<String, String> {
    let file = cli.config.as_deref().map(ConfigFile::read).transpose()?;
    let catalog = Catalog::load(file.as_ref())?;
    Ok(crate::scenario::list::text(&catalog) + &list_text(&catalog))
}
