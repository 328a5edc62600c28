//! The notes terminal's end of the socket: one thread finds a talk, reads its messages and, when the
//! talk ends or goes away, looks for the next one. Everything it learns goes to the notes loop as an
//! event; the loop writes the speaker's → and ← back on the stream it was handed.

use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Duration;

use super::protocol::{self, ToNotes, ToTalk};
use super::socket;

/// How often a notes terminal with no talk looks for one.
const LOOK_EVERY: Duration = Duration::from_millis(300);
/// How long a write of the speaker's → may block.
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// What the socket thread tells the notes loop.
#[derive(Debug)]
pub enum Link {
    /// Attached to the talk with this pid; `others` run too. The stream is for writing.
    Attached {
        pid: u32,
        others: Vec<u32>,
        stream: UnixStream,
    },
    Msg(ToNotes),
    /// A line from the talk that was dropped, and why (one line).
    Dropped(String),
    /// The connection closed (after `ended`, or the talk died).
    Closed,
    /// No talk runs (yet or any more).
    Waiting,
    /// Looking failed: the directory is not readable, or the talk is another user's.
    Problem(String),
}

/// Starts the socket thread: it looks in `dir` (for `pid` only, when given) until `tx` closes.
pub fn spawn<E: From<Link> + Send + 'static>(
    dir: PathBuf,
    pid: Option<u32>,
    tx: Sender<E>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("notes-link".into())
        .spawn(move || run(&dir, pid, &tx))?;
    Ok(())
}

fn run<E: From<Link>>(dir: &std::path::Path, pid: Option<u32>, tx: &Sender<E>) {
    let send = |l: Link| tx.send(E::from(l)).is_ok();
    let mut said_waiting = false;
    loop {
        match socket::find(dir, pid) {
            Ok(Some(found)) => {
                said_waiting = false;
                let Ok(write_half) = found.stream.try_clone() else {
                    continue;
                };
                let _ = write_half.set_write_timeout(Some(WRITE_TIMEOUT));
                if !send(Link::Attached {
                    pid: found.pid,
                    others: found.others,
                    stream: write_half,
                }) {
                    return;
                }
                let mut r = BufReader::new(found.stream);
                let mut open = true;
                let _ = protocol::read_messages::<ToNotes>(&mut r, |m| {
                    open = send(match m {
                        Ok(msg) => Link::Msg(msg),
                        Err(why) => Link::Dropped(why),
                    });
                    open
                });
                if !open || !send(Link::Closed) {
                    return;
                }
            }
            Ok(None) => {
                if !said_waiting && !send(Link::Waiting) {
                    return;
                }
                said_waiting = true;
            }
            Err(e) => {
                if !send(Link::Problem(e)) {
                    return;
                }
                said_waiting = false;
            }
        }
        std::thread::sleep(LOOK_EVERY);
    }
}

/// Sends the speaker's move to the talk; one line when it could not.
pub fn send(stream: &mut UnixStream, msg: ToTalk) -> Result<(), String> {
    stream
        .write_all(protocol::encode(&msg).as_bytes())
        .map_err(|e| format!("not sent: {e}"))
}
