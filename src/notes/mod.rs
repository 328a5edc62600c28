//! Speaker notes in a second terminal, as presenterm's `--publish-speaker-notes`: the talk (the TUI
//! of `versus --talk`) publishes where it is on a Unix socket of the user's own (server.rs,
//! socket.rs); `versus notes` attaches (client.rs) and shows the step's notes, the next step, the
//! clocks and the rehearsal's figures (view.rs), and sends → / ← back. Newline-delimited JSON,
//! versioned (protocol.rs).

pub mod client;
/// The wire format, a module of its own below the controller that carries its commands.
pub use crate::notes_wire as protocol;
pub mod rehearsal;
pub mod server;
pub mod socket;
pub mod view;

use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};

use crate::action::Action;
use crate::cli::NotesArgs;
use crate::notes_wire::ToTalk;
use view::{Link as LinkState, NotesView};

/// How often the clocks on the notes screen are redrawn when nothing else happens.
const TICK: Duration = Duration::from_millis(250);

enum Ev {
    Input(TermEvent),
    Link(client::Link),
}

impl From<client::Link> for Ev {
    fn from(l: client::Link) -> Self {
        Ev::Link(l)
    }
}

/// `versus notes`: the notes screen until q. A rehearsal file that does not read is bad input.
pub fn main(args: &NotesArgs) -> ExitCode {
    let rehearsal = match args
        .rehearsal
        .as_deref()
        .map(rehearsal::Rehearsal::read)
        .transpose()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("versus: {e}");
            return ExitCode::from(2);
        }
    };
    run(NotesView::new(rehearsal, args.pid.is_some()), args.pid).unwrap_or_else(|e| {
        eprintln!("versus: notes: {e:#}");
        ExitCode::FAILURE
    })
}

fn run(mut view: NotesView, pid: Option<u32>) -> anyhow::Result<ExitCode> {
    crate::term::install_panic_hook();
    let (tx, rx) = mpsc::channel::<Ev>();
    let mut term = crate::term::Term::enter()?;
    let input_tx = tx.clone();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            while let Ok(ev) = event::read() {
                if input_tx.send(Ev::Input(ev)).is_err() {
                    return;
                }
            }
        })?;
    client::spawn(socket::dir(), pid, tx)?;
    let mut stream = None;
    loop {
        term.draw(|f| view::render(f, &view, Instant::now()))?;
        let first = match rx.recv_timeout(TICK) {
            Ok(ev) => Some(ev),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        for ev in first.into_iter().chain(rx.try_iter()) {
            match ev {
                Ev::Input(TermEvent::Key(key)) if key.kind == KeyEventKind::Press => {
                    let quit = matches!(key.code, KeyCode::Char('q') | KeyCode::Esc)
                        || (key.code == KeyCode::Char('c')
                            && key.modifiers.contains(KeyModifiers::CONTROL));
                    if quit {
                        return Ok(ExitCode::SUCCESS);
                    }
                    // The talk's own → / ← keys, sent as the same intents.
                    let msg = match crate::ui::talk_action_for(&key) {
                        Some(Action::TalkNext) => ToTalk::Next,
                        Some(Action::TalkPrev) => ToTalk::Prev,
                        _ => continue,
                    };
                    view.dropped = match stream.as_mut() {
                        Some(s) => client::send(s, msg).err(),
                        None => Some("not sent: no talk attached".into()),
                    };
                }
                Ev::Input(_) => {}
                Ev::Link(l) => match l {
                    client::Link::Attached {
                        pid,
                        others,
                        stream: s,
                    } => {
                        view.link = LinkState::Attached { pid, others };
                        view.state = None;
                        view.dropped = None;
                        stream = Some(s);
                    }
                    client::Link::Msg(m) => view.on_msg(m, Instant::now()),
                    client::Link::Dropped(why) => view.dropped = Some(why),
                    client::Link::Closed => {
                        view.on_closed();
                        stream = None;
                    }
                    client::Link::Waiting => {
                        if !matches!(view.link, LinkState::Ended { .. }) {
                            view.link = LinkState::Waiting;
                        }
                    }
                    client::Link::Problem(e) => view.link = LinkState::Problem(e),
                },
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
