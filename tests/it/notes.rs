//! Speaker notes end to end: a talk in one terminal, `versus notes` in another. The notes screen shows
//! the step's notes and the rehearsal's figures, → there moves the talk, a notes terminal closed and
//! opened again finds the talk where it is, and when the talk quits the notes screen says so.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::common::tmux::Tmux;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

/// The longest a condition is waited for: a bound for a stalled machine, not a target.
const T: Duration = Duration::from_secs(60);

const TALK: &str = r#"title = "Tiny"

[[steps]]
title = "Ten each"
workload = "sleep"
async_units = 10
thread_units = 10
say = "Ten sleeping units a side."
notes = "Point at the units row first."

[[steps]]
title = "Twenty threads"
thread_units = 20
say = "Only the threads side changes."
notes = "The threads side ramps to twenty."
"#;

/// A directory of this test's own: the talk file, the rehearsal, and the XDG_RUNTIME_DIR both
/// terminals share (so no other talk on the machine is found).
fn scratch() -> PathBuf {
    scratch_named("e2e")
}

fn scratch_named(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("versus-notes-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("run")).unwrap();
    std::fs::set_permissions(dir.join("run"), std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn notes_show_the_step_move_the_talk_reattach_and_see_the_talk_end() {
    let dir = scratch();
    let talk_path = dir.join("tiny.toml");
    std::fs::write(&talk_path, TALK).unwrap();
    let talk_arg = talk_path.to_str().unwrap();
    // What `versus --talk FILE --headless` prints, cut to what the notes read.
    let rehearsal = dir.join("rehearsal.json");
    std::fs::write(
        &rehearsal,
        format!(
            r#"{{"talk":"{talk_arg}","title":"Tiny","steps":[
                {{"index":1,"title":"Ten each","headline":{{"figure":"rss_per_unit","async":610.0,"threads":9800.0,"ratio":16.07,"comparable":true,"reason":null}}}},
                {{"index":2,"title":"Twenty threads","headline":null}}]}}"#
        ),
    )
    .unwrap();
    let run = dir.join("run");
    let env = [("XDG_RUNTIME_DIR", run.to_str().unwrap())];
    let talk = Tmux::start_with_env("notes-talk", 80, 24, &env, &["--talk", talk_arg]);
    talk.wait_for("step 1 on the talk", T, |s| {
        s.contains("step 1/2 · Ten each")
    });
    let notes_args = ["notes", "--rehearsal", rehearsal.to_str().unwrap()];
    let notes = Tmux::start_with_env("notes-notes", 80, 24, &env, &notes_args);
    let s = notes.wait_for("step 1 on the notes screen", T, |s| {
        s.contains("step 1/2 · Ten each") && s.contains("Point at the units row first.")
    });
    assert!(s.contains("next: Twenty threads"), "{s}");
    assert!(s.contains("rehearsed: per unit: async 610"), "{s}");
    assert!(s.contains("in the talk 0:"), "{s}");
    assert!(
        !s.contains("Ten sleeping units"),
        "notes, not the say text: {s}"
    );
    // The socket is the user's alone.
    let socket_dir = run.join("versus");
    assert_eq!(mode(&socket_dir), 0o700);
    let sockets: Vec<PathBuf> = std::fs::read_dir(&socket_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(sockets.len(), 1, "{sockets:?}");
    assert_eq!(mode(&sockets[0]), 0o600);

    // → in the notes terminal moves the talk.
    notes.keys(&["Right"]);
    let s = talk.wait_for("step 2 on the talk", T, |s| {
        s.contains("step 2/2 · Twenty threads")
    });
    assert!(s.contains("Only the threads side changes."), "{s}");
    notes.wait_for("step 2 on the notes screen", T, |s| {
        s.contains("step 2/2 · Twenty threads")
            && s.contains("The threads side ramps to twenty.")
            && s.contains("next: — the last step")
            && s.contains("rehearsed: no headline")
    });
    notes.keys(&["q"]);
    assert_eq!(notes.wait_exit(T), 0);
    notes.assert_restored();
    drop(notes);

    // A notes terminal opened again finds the talk where it is; ← there moves it back.
    let again = Tmux::start_with_env("notes-again", 80, 24, &env, &["notes"]);
    again.wait_for("step 2 on a new notes screen", T, |s| {
        s.contains("step 2/2 · Twenty threads")
    });
    again.keys(&["Left"]);
    talk.wait_for("back at step 1 on the talk", T, |s| {
        s.contains("step 1/2 · Ten each")
    });
    again.wait_for("step 1 on the notes screen", T, |s| {
        s.contains("step 1/2 · Ten each")
    });

    // The talk quits: the notes screen says so, and the socket is gone.
    talk.keys(&["q"]);
    assert_eq!(talk.wait_exit(T), 0);
    again.wait_for("talk ended", T, |s| s.contains("talk ended"));
    assert_eq!(std::fs::read_dir(&socket_dir).unwrap().count(), 0);
    again.keys(&["q"]);
    assert_eq!(again.wait_exit(T), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The test plays the talk: `versus notes` attaches to its socket, shows one line for each message
/// it drops (malformed, oversized), still reads the next, sends → as one line of JSON, and says the
/// talk ended when the connection drops without a word.
#[test]
fn a_malformed_or_oversized_message_is_one_line_on_the_notes_screen_and_the_next_still_reads() {
    use std::io::{BufRead, BufReader, Write};
    use versus::notes::protocol::{self, StepState, ToNotes};

    let dir = scratch_named("fake-talk");
    let run = dir.join("run");
    let sockets = run.join("versus");
    std::fs::create_dir_all(&sockets).unwrap();
    std::fs::set_permissions(&sockets, std::fs::Permissions::from_mode(0o700)).unwrap();
    let pid = std::process::id();
    let listener =
        std::os::unix::net::UnixListener::bind(sockets.join(format!("talk-{pid}.sock"))).unwrap();
    listener.set_nonblocking(true).unwrap();
    let env = [("XDG_RUNTIME_DIR", run.to_str().unwrap())];
    let notes = Tmux::start_with_env("notes-fake", 80, 24, &env, &["notes"]);
    let start = std::time::Instant::now();
    let mut talk = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    start.elapsed() < T,
                    "notes never attached:\n{}",
                    notes.screen()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    talk.set_nonblocking(false).unwrap();
    talk.write_all(b"{\"v\":1,\"type\":\"confetti\"}\n")
        .unwrap();
    notes.wait_for("the malformed line", T, |s| {
        s.contains("dropped a malformed message")
    });
    let mut huge = vec![b'x'; protocol::MAX_LINE + 1];
    huge.push(b'\n');
    talk.write_all(&huge).unwrap();
    notes.wait_for("the oversized line", T, |s| {
        s.contains("dropped a message over 64 KiB")
    });
    let step = ToNotes::Step(StepState {
        talk: "fake".into(),
        title: "Fake talk".into(),
        pid,
        index: 1,
        len: 1,
        step_title: "The only step".into(),
        notes: "Still reading after both.".into(),
        next: None,
        talk_ms: 0,
        step_ms: 0,
    });
    talk.write_all(protocol::encode(&step).as_bytes()).unwrap();
    let s = notes.wait_for("the step after them", T, |s| {
        s.contains("step 1/1 · The only step") && s.contains("Still reading after both.")
    });
    assert!(s.contains("dropped a message over 64 KiB"), "{s}");
    notes.keys(&["Right"]);
    let mut line = String::new();
    talk.set_read_timeout(Some(T)).unwrap();
    BufReader::new(&talk).read_line(&mut line).unwrap();
    assert_eq!(line, "{\"v\":1,\"type\":\"next\"}\n");
    drop(talk);
    drop(listener);
    notes.wait_for("the talk gone", T, |s| {
        s.contains(&format!("talk ended (pid {pid}, connection lost)"))
    });
    notes.keys(&["q"]);
    assert_eq!(notes.wait_exit(T), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn notes_help_says_what_it_shows_and_bad_input_is_one_line_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("versus-notes-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    for (args, want) in [
        (
            vec!["notes", "--rehearsal", bad.to_str().unwrap()],
            "not a rehearsal's JSON",
        ),
        (
            vec!["notes", "--rehearsal", "/no/such/rehearsal.json"],
            "--rehearsal /no/such/rehearsal.json",
        ),
        (vec!["notes", "--pid", "0"], "--pid"),
    ] {
        let out = common::run_starting_nothing(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    let help = common::run_starting_nothing(&["notes", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for want in [
        "--pid",
        "--rehearsal",
        "→ / ←",
        "0700",
        "0600",
        "versus notes --rehearsal",
    ] {
        assert!(text.contains(want), "notes --help lacks {want}:\n{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Another user, even with the file modes loosened (so only the peer check stands): the talk closes
/// its connection unanswered and never hears its →, and `versus notes` refuses a talk of another uid.
/// Needs root to be another user; as any other user the modes are what keeps others out, and the
/// test checks those.
#[test]
fn another_user_can_neither_read_the_notes_nor_move_the_talk() {
    use std::sync::{Arc, mpsc};
    use versus::notes::protocol::ToNotes;
    use versus::notes::{server, socket};

    let dir = scratch_named("other-user");
    let sockets = dir.join("versus");
    let (tx, rx) = mpsc::channel();
    let deliver: server::Deliver = Arc::new(move |m| tx.send(m).is_ok());
    let talk = server::Server::start_in(&sockets, 1, deliver).unwrap();
    talk.publish(ToNotes::Ended);
    assert_eq!(mode(&sockets), 0o700);
    assert_eq!(mode(talk.path()), 0o600);
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: another user cannot be played; the modes above keep others out");
        return;
    }
    let nobody = 65534;
    std::fs::set_permissions(&sockets, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(talk.path(), std::fs::Permissions::from_mode(0o666)).unwrap();

    // A child of another uid connects, asks for the next step and reads what it gets.
    let path = std::ffi::CString::new(talk.path().as_os_str().as_encoded_bytes()).unwrap();
    let code = in_child_as(nobody, || {
        // SAFETY (for the child): raw syscalls only, on memory prepared before the fork.
        unsafe {
            let fd = connect(&path);
            if fd < 0 {
                return 2;
            }
            let line = b"{\"v\":1,\"type\":\"next\"}\n";
            libc::write(fd, line.as_ptr().cast(), line.len());
            let mut buf = [0u8; 256];
            // Closed unread, with its line unread: end of stream, or a reset.
            match libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) {
                0 => 0,
                n if n > 0 => 1,
                _ if *libc::__errno_location() == libc::ECONNRESET => 0,
                _ => 3,
            }
        }
    });
    assert_eq!(
        code, 0,
        "connected and closed with not one byte (1: it read the notes, 2: no connect)"
    );
    assert!(rx.try_recv().is_err(), "its → never reached the talk");

    // The other way round: a "talk" of another uid; versus notes will not attach to it.
    let theirs = socket::path_for(&sockets, 2);
    let theirs_c = std::ffi::CString::new(theirs.as_os_str().as_encoded_bytes()).unwrap();
    let (ready_r, ready_w) = pipe();
    let child = fork_as(nobody, || unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
        let addr = sockaddr(&theirs_c);
        if libc::bind(fd, (&raw const addr).cast(), size_of_addr()) != 0 || libc::listen(fd, 4) != 0
        {
            return 2;
        }
        libc::write(ready_w, b"r".as_ptr().cast(), 1);
        loop {
            let c = libc::accept(fd, std::ptr::null_mut(), std::ptr::null_mut());
            if c < 0 {
                return 3;
            }
        }
    });
    let mut b = [0u8; 1];
    // SAFETY: ready_r is the pipe's read end; the child writes one byte, or exits (EOF).
    let n = unsafe { libc::read(ready_r, b.as_mut_ptr().cast(), 1) };
    assert_eq!(n, 1, "the other user's talk listens");
    let e = socket::find(&sockets, Some(2)).unwrap_err();
    assert!(
        e.starts_with(&format!("refused a connection from uid {nobody}")),
        "{e}"
    );
    // SAFETY: the pid is the child forked above.
    unsafe {
        libc::kill(child, libc::SIGKILL);
        libc::waitpid(child, std::ptr::null_mut(), 0);
        libc::close(ready_r);
        libc::close(ready_w);
    }
    drop(talk);
    let _ = std::fs::remove_dir_all(&dir);
}

fn pipe() -> (i32, i32) {
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two ends.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    (fds[0], fds[1])
}

fn size_of_addr() -> libc::socklen_t {
    std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t
}

fn sockaddr(path: &std::ffi::CStr) -> libc::sockaddr_un {
    // SAFETY: all-zero is a valid sockaddr_un.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in addr.sun_path.iter_mut().zip(path.to_bytes()) {
        *d = *s as libc::c_char;
    }
    addr
}

/// A connected Unix socket to `path`, or -1.
unsafe fn connect(path: &std::ffi::CStr) -> i32 {
    let addr = sockaddr(path);
    // SAFETY: plain syscalls on a fresh fd and a filled sockaddr_un.
    unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
        if libc::connect(fd, (&raw const addr).cast(), size_of_addr()) != 0 {
            return -1;
        }
        fd
    }
}

/// Forks a child that becomes `uid` and runs `f` (raw syscalls only), exiting with its result; a
/// child left running dies by SIGALRM within 60 s.
fn fork_as(uid: u32, f: impl FnOnce() -> i32) -> libc::pid_t {
    // SAFETY: the child only makes raw syscalls and _exits; nothing of the parent's threads is used.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork");
        if pid == 0 {
            libc::alarm(60);
            if libc::setgid(uid) != 0 || libc::setuid(uid) != 0 {
                libc::_exit(4);
            }
            libc::_exit(f());
        }
        pid
    }
}

/// `fork_as`, waited for: the child's exit code.
fn in_child_as(uid: u32, f: impl FnOnce() -> i32) -> i32 {
    let pid = fork_as(uid, f);
    let mut status = 0;
    // SAFETY: pid is our child.
    unsafe { libc::waitpid(pid, &raw mut status, 0) };
    assert!(libc::WIFEXITED(status), "the child died: {status}");
    libc::WEXITSTATUS(status)
}
