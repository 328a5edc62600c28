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
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;

    use super::*;

    /// What `f` writes to fd 1, read through a pipe put in its place. The stdout lock is held all
    /// along so no other test thread's output lands in the pipe (the lock is reentrant for `f`).
    fn fd1_output(f: impl FnOnce()) -> String {
        let out = stdout();
        let mut lock = out.lock();
        lock.flush().expect("flush");
        let mut fds = [0; 2];
        // SAFETY: plain fd syscalls on descriptors this function owns; fd 1 is put back before return.
        let saved = unsafe {
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            let saved = libc::dup(1);
            assert!(saved >= 0);
            assert_eq!(libc::dup2(fds[1], 1), 1);
            libc::close(fds[1]);
            saved
        };
        f();
        lock.flush().expect("flush");
        // SAFETY: as above; after this no descriptor refers to the pipe's write end, so reads end.
        unsafe {
            assert_eq!(libc::dup2(saved, 1), 1);
            libc::close(saved);
        }
        drop(lock);
        let mut text = String::new();
        // SAFETY: fds[0] is the pipe's read end, owned here and closed by the File.
        unsafe { std::fs::File::from_raw_fd(fds[0]) }
            .read_to_string(&mut text)
            .expect("read the pipe");
        text
    }

    #[test]
    fn restore_gives_the_terminal_back_once_and_only_while_held() {
        let text = fd1_output(|| {
            restore();
            restore();
        });
        assert_eq!(text, "", "nothing held: nothing written");
        let text = fd1_output(|| {
            ACTIVE.store(true, Ordering::SeqCst);
            restore();
            restore();
        });
        assert_eq!(text.matches("\x1b[?1049l").count(), 1, "{text:?}");
        assert_eq!(text.matches("\x1b[?25h").count(), 1, "{text:?}");
    }
}
