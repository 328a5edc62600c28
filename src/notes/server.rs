//! The talk's end: a listener on the talk's socket and, for each notes terminal, a reader and a writer
//! thread. The TUI loop only hands a message to `publish` (an in-memory send per client); the
//! threads do every read and write, and what the notes terminal asks for reaches the loop through
//! `deliver` (the loop's event channel), never a call into the UI.

use std::io::{self, BufReader, Write};
use std::net::Shutdown;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::protocol::{self, ToNotes, ToTalk};
use super::socket;

/// How long a write to one notes terminal may block before that terminal is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// Hands what a notes terminal asks for to the talk; false once the talk no longer listens.
pub type Deliver = Arc<dyn Fn(ToTalk) -> bool + Send + Sync>;

enum Out {
    Line(Arc<str>),
    Close,
}

struct Client {
    tx: Sender<Out>,
    writer: JoinHandle<()>,
}

#[derive(Default)]
struct Hub {
    /// The last message published and when: a terminal that attaches later gets it, its clocks aged.
    latest: Option<(ToNotes, Instant)>,
    clients: Vec<Client>,
    closed: bool,
}

/// A talk's socket while the talk runs; dropping it tells every notes terminal the talk ended.
pub struct Server {
    path: PathBuf,
    hub: Arc<Mutex<Hub>>,
    listener_fd: i32,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("path", &self.path).finish()
    }
}

impl Server {
    /// Listens at this process's socket in the user's socket directory.
    pub fn start(deliver: Deliver) -> io::Result<Server> {
        Server::start_in(&socket::dir(), std::process::id(), deliver)
    }

    /// Listens at `talk-<pid>.sock` in `dir` (made 0700 if need be).
    pub fn start_in(dir: &Path, pid: u32, deliver: Deliver) -> io::Result<Server> {
        socket::ensure_dir(dir)?;
        let path = socket::path_for(dir, pid);
        let listener = socket::bind(&path)?;
        let listener_fd = listener.as_raw_fd();
        let hub = Arc::new(Mutex::new(Hub::default()));
        let accept_hub = Arc::clone(&hub);
        let accept = std::thread::Builder::new()
            .name("notes-accept".into())
            .spawn(move || accept_loop(&listener, &accept_hub, &deliver))?;
        Ok(Server {
            path,
            hub,
            listener_fd,
            accept: Some(accept),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends `msg` to every notes terminal attached, and to those that attach later.
    pub fn publish(&self, msg: ToNotes) {
        let mut hub = lock(&self.hub);
        let line: Arc<str> = protocol::encode_fitting(&msg).into();
        hub.latest = Some((msg, Instant::now()));
        // A terminal whose writer ended (it closed) is dropped here.
        hub.clients
            .retain(|c| c.tx.send(Out::Line(Arc::clone(&line))).is_ok());
    }

    /// Notes terminals attached now.
    pub fn clients(&self) -> usize {
        lock(&self.hub).clients.len()
    }
}

impl Drop for Server {
    /// The socket file goes first (no new terminal finds an ended talk), then every terminal hears
    /// `ended`; each write is bounded by WRITE_TIMEOUT.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let clients = {
            let mut hub = lock(&self.hub);
            hub.closed = true;
            std::mem::take(&mut hub.clients)
        };
        // SAFETY: the fd is the listener's, which the accept thread keeps open until it sees
        // `closed` (set above); shutdown wakes its accept() with an error and closes nothing.
        unsafe { libc::shutdown(self.listener_fd, libc::SHUT_RDWR) };
        let ended: Arc<str> = protocol::encode(&ToNotes::Ended).into();
        for c in &clients {
            let _ = c.tx.send(Out::Line(Arc::clone(&ended)));
            let _ = c.tx.send(Out::Close);
        }
        for c in clients {
            let _ = c.writer.join();
        }
        if let Some(a) = self.accept.take() {
            let _ = a.join();
        }
    }
}

fn lock(hub: &Mutex<Hub>) -> std::sync::MutexGuard<'_, Hub> {
    hub.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `msg` as it stands `since` later: the clocks in a step move on.
fn aged(msg: &ToNotes, since: Instant) -> ToNotes {
    let mut msg = msg.clone();
    if let ToNotes::Step(s) = &mut msg {
        let ms = since.elapsed().as_millis() as u64;
        s.talk_ms += ms;
        s.step_ms += ms;
    }
    msg
}

fn accept_loop(listener: &UnixListener, hub: &Arc<Mutex<Hub>>, deliver: &Deliver) {
    for stream in listener.incoming() {
        if lock(hub).closed {
            return;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Out of fds, a connection aborted: the listener stays (Drop shuts it down by its fd,
            // which must stay this listener's), and a terminal can try again.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        // Another user never gets a byte: the connection closes unanswered.
        if socket::check_peer(&stream).is_err() {
            continue;
        }
        let _ = attach(stream, hub, deliver);
    }
}

/// Starts the reader and writer of one notes terminal and sends it the talk as it stands.
fn attach(stream: UnixStream, hub: &Arc<Mutex<Hub>>, deliver: &Deliver) -> io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let read_half = stream.try_clone()?;
    let (tx, rx) = mpsc::channel::<Out>();
    let writer = std::thread::Builder::new()
        .name("notes-writer".into())
        .spawn(move || {
            let mut stream = stream;
            for out in rx {
                match out {
                    Out::Line(line) if stream.write_all(line.as_bytes()).is_ok() => {}
                    Out::Line(_) | Out::Close => break,
                }
            }
            // Wakes this terminal's reader too.
            let _ = stream.shutdown(Shutdown::Both);
        })?;
    let reject = tx.clone();
    let deliver = Arc::clone(deliver);
    std::thread::Builder::new()
        .name("notes-reader".into())
        .spawn(move || {
            let mut r = BufReader::new(read_half);
            let _ = protocol::read_messages::<ToTalk>(&mut r, |msg| match msg {
                Ok(m) => deliver(m),
                Err(why) => reject
                    .send(Out::Line(
                        protocol::encode(&ToNotes::Rejected { why }).into(),
                    ))
                    .is_ok(),
            });
        })?;
    let mut hub = lock(hub);
    if let Some((msg, at)) = &hub.latest {
        let _ = tx.send(Out::Line(protocol::encode_fitting(&aged(msg, *at)).into()));
    }
    hub.clients.push(Client { tx, writer });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notes_wire::StepState;
    use std::io::BufRead;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("versus-notes-server-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn step(index: usize) -> ToNotes {
        ToNotes::Step(StepState {
            talk: "t".into(),
            title: "T".into(),
            pid: 1,
            index,
            len: 3,
            step_title: format!("step {index}"),
            notes: "say it".into(),
            next: None,
            talk_ms: 0,
            step_ms: 0,
        })
    }

    fn next_msg(r: &mut impl BufRead) -> Result<ToNotes, String> {
        match protocol::read_line(r, protocol::MAX_LINE).expect("reads") {
            Some(protocol::Line::Text(t)) => protocol::decode(&t),
            other => panic!("no message: {other:?}"),
        }
    }

    #[test]
    fn a_terminal_gets_the_step_moves_the_talk_hears_why_a_bad_line_was_dropped_and_the_end() {
        let dir = scratch("roundtrip");
        let (tx, rx) = mpsc::channel();
        let deliver: Deliver = Arc::new(move |m| tx.send(m).is_ok());
        let server = Server::start_in(&dir, 7, deliver).expect("listens");
        server.publish(step(1));
        let path = server.path().to_path_buf();
        let mut s = UnixStream::connect(&path).expect("connects");
        let mut r = BufReader::new(s.try_clone().expect("clone"));
        assert!(
            matches!(next_msg(&mut r), Ok(ToNotes::Step(st)) if st.index == 1),
            "the talk as it stands, on attach"
        );
        s.write_all(protocol::encode(&ToTalk::Next).as_bytes())
            .expect("writes");
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(60)),
            Ok(ToTalk::Next),
            "→ reaches the talk"
        );
        s.write_all(b"{\"v\":1,\"type\":\"jump\"}\n")
            .expect("writes");
        let why = next_msg(&mut r);
        assert!(
            matches!(&why, Ok(ToNotes::Rejected { why }) if why.starts_with("dropped a malformed")),
            "{why:?}"
        );
        let big = vec![b'x'; protocol::MAX_LINE + 10];
        s.write_all(&big).expect("writes");
        s.write_all(b"\n").expect("writes");
        assert_eq!(
            next_msg(&mut r),
            Ok(ToNotes::Rejected {
                why: "dropped a message over 64 KiB".into()
            })
        );
        s.write_all(protocol::encode(&ToTalk::Prev).as_bytes())
            .expect("writes");
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(60)),
            Ok(ToTalk::Prev),
            "the connection survives both"
        );
        server.publish(step(2));
        assert!(matches!(next_msg(&mut r), Ok(ToNotes::Step(st)) if st.index == 2));
        drop(server);
        assert_eq!(next_msg(&mut r), Ok(ToNotes::Ended));
        assert!(!path.exists(), "the socket file is gone with the talk");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_terminal_can_close_and_attach_again() {
        let dir = scratch("reattach");
        let deliver: Deliver = Arc::new(|_| true);
        let server = Server::start_in(&dir, 8, deliver).expect("listens");
        server.publish(step(2));
        for _ in 0..3 {
            let s = UnixStream::connect(server.path()).expect("connects");
            let mut r = BufReader::new(s);
            assert!(matches!(next_msg(&mut r), Ok(ToNotes::Step(st)) if st.index == 2));
        }
        // Closed terminals are dropped at the next publish.
        server.publish(step(3));
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.clients() > 0 {
            assert!(Instant::now() < deadline, "closed terminals are dropped");
            std::thread::sleep(Duration::from_millis(20));
            server.publish(step(3));
        }
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
