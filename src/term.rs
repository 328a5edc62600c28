//! Terminal init/restore guard: raw mode and the alternate screen for as long as a `Term` lives, put back
//! on drop, on panic (see `install_panic_hook`) and by `restore`, whichever comes first, exactly once.

use std::io::{self, Stdout, stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// Set while the terminal is ours; the panic hook, `Drop` and `restore` race to clear it and only the
/// winner writes, so the shell never gets the escape codes twice.
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub type Backend = CrosstermBackend<Stdout>;

/// The terminal in raw mode on the alternate screen; dropping it gives the terminal back.
pub struct Term {
    terminal: Terminal<Backend>,
}

impl Term {
    pub fn enter() -> io::Result<Term> {
        // Set first: if a step below fails half-way, `restore` undoes the steps that did happen.
        ACTIVE.store(true, Ordering::SeqCst);
        let entered = enable_raw_mode()
            .and_then(|()| execute!(stdout(), EnterAlternateScreen, Hide))
            .and_then(|()| Terminal::new(CrosstermBackend::new(stdout())))
            .and_then(|mut terminal| terminal.clear().map(|()| terminal));
        match entered {
            Ok(terminal) => Ok(Term { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub fn terminal_mut(&mut self) -> &mut Terminal<Backend> {
        &mut self.terminal
    }

    /// Draws one frame (ratatui sends only the cells that changed).
    pub fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
        self.terminal.draw(render).map(|_| ())
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        restore();
    }
}

/// Gives the terminal back if a `Term` holds it; does nothing otherwise, so calling it twice is safe.
/// Errors are ignored: there is no better terminal left to report them on, and this must not panic.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        // Raw mode first: it is the state that makes a shell unusable if the rest fails.
        let _ = disable_raw_mode();
        let _ = execute!(stdout(), LeaveAlternateScreen, Show);
    }
}

/// Restores the terminal before the previous hook prints the panic, so the message lands on the normal
/// screen, readable, instead of vanishing with the alternate one.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_without_a_terminal_is_a_no_op_and_idempotent() {
        restore();
        restore();
        assert!(!ACTIVE.load(Ordering::SeqCst));
    }
}
