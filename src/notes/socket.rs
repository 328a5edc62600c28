//! Where a talk's socket lives and who may use it: `talk-<pid>.sock` (mode 0600) in a directory of
//! the user's own (mode 0700) under `$XDG_RUNTIME_DIR`, or `versus-<uid>` in the temp dir when that is
//! unset. Both ends check the other's uid with `SO_PEERCRED`: another user can neither read the
//! notes nor move the talk, even if the file modes were loosened.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

const PREFIX: &str = "talk-";
const SUFFIX: &str = ".sock";

/// This process's effective uid.
pub fn my_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The directory for `$XDG_RUNTIME_DIR` (`xdg`) and the temp dir: `<xdg>/versus`, else
/// `<tmp>/versus-<uid>`. A relative XDG_RUNTIME_DIR is ignored, as the spec says.
pub fn dir_for(xdg: Option<OsString>, tmp: &Path, uid: u32) -> PathBuf {
    match xdg.map(PathBuf::from) {
        Some(x) if x.is_absolute() => x.join("versus"),
        _ => tmp.join(format!("versus-{uid}")),
    }
}

/// The directory of this user's talk sockets.
pub fn dir() -> PathBuf {
    dir_for(
        std::env::var_os("XDG_RUNTIME_DIR"),
        &std::env::temp_dir(),
        my_uid(),
    )
}

/// The socket path of the talk with this pid.
pub fn path_for(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!("{PREFIX}{pid}{SUFFIX}"))
}

/// The pid in a socket file's name, when it is one of ours.
pub fn pid_of(path: &Path) -> Option<u32> {
    path.file_name()?
        .to_str()?
        .strip_prefix(PREFIX)?
        .strip_suffix(SUFFIX)?
        .parse()
        .ok()
}

/// Makes `dir` (mode 0700) or checks the one there: a real directory (not a link), owned by this
/// user, which nobody else can enter (a looser one of ours is tightened to 0700).
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display()))),
    }
    let meta = fs::symlink_metadata(dir)?;
    let bad = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{}: {why}; speaker notes are off", dir.display()),
        ))
    };
    if !meta.file_type().is_dir() {
        return bad("not a directory");
    }
    if meta.uid() != my_uid() {
        return bad(&format!("owned by uid {}, not by you", meta.uid()));
    }
    if meta.mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// The uid and pid at the other end of a connected Unix socket, from the kernel.
pub fn peer(stream: &UnixStream) -> io::Result<(u32, i32)> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: the fd is a live socket owned by `stream`; cred and len point to memory of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &raw mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((cred.uid, cred.pid))
}

/// Whether a peer of uid `peer` may talk to a process of uid `me`: the same user only.
pub fn allowed(peer: u32, me: u32) -> Result<(), String> {
    if peer == me {
        Ok(())
    } else {
        Err(format!(
            "refused a connection from uid {peer}: notes are for uid {me} alone"
        ))
    }
}

/// Checks the other end of `stream` is this user.
pub fn check_peer(stream: &UnixStream) -> Result<(), String> {
    let (uid, _) = peer(stream).map_err(|e| format!("SO_PEERCRED: {e}"))?;
    allowed(uid, my_uid())
}

/// Binds the talk's socket at `path` (mode 0600). A file left there by a talk that crashed (nothing
/// listens: connect is refused) is removed first; one a live process listens on is not touched.
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    match UnixListener::bind(path) {
        Ok(l) => return chmod_600(path).map(|()| l),
        Err(e) if e.kind() != io::ErrorKind::AddrInUse => return Err(e),
        Err(_) => {}
    }
    if UnixStream::connect(path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{}: another talk listens there", path.display()),
        ));
    }
    fs::remove_file(path)?;
    let l = UnixListener::bind(path)?;
    chmod_600(path).map(|()| l)
}

fn chmod_600(path: &Path) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}

/// A talk that answers: its socket and pid.
#[derive(Debug)]
pub struct Found {
    pub pid: u32,
    pub stream: UnixStream,
    /// The other talks that answered, newest first (for "2 talks run: --pid picks").
    pub others: Vec<u32>,
}

/// Connects to a running talk in `dir`: the one with `pid`, else the newest socket that answers.
/// Socket files nobody listens on any more (a talk that crashed) are removed on the way. Ok(None)
/// when no talk runs.
pub fn find(dir: &Path, pid: Option<u32>) -> Result<Option<Found>, String> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    // Newest first: by the socket file's modification time, then by pid.
    let mut candidates: Vec<(std::time::SystemTime, u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter_map(|p| pid_of(&p).map(|id| (p, id)))
        .filter(|(_, id)| pid.is_none_or(|want| want == *id))
        .map(|(p, id)| {
            let t = fs::symlink_metadata(&p)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (t, id, p)
        })
        .collect();
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut live: Vec<(u32, UnixStream)> = Vec::new();
    for (_, id, path) in candidates {
        match UnixStream::connect(&path) {
            Ok(s) => live.push((id, s)),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                // A talk that crashed left it: nobody will answer there again.
                let _ = fs::remove_file(&path);
            }
            Err(_) => {}
        }
    }
    let mut live = live.into_iter();
    let Some((pid, stream)) = live.next() else {
        return Ok(None);
    };
    check_peer(&stream)?;
    Ok(Some(Found {
        pid,
        stream,
        others: live.map(|(id, _)| id).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of this test's own under the temp dir.
    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("versus-notes-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("scratch dir");
        d
    }

    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).expect("exists").mode() & 0o777
    }

    #[test]
    fn the_directory_is_under_xdg_runtime_dir_else_the_temp_dir_with_the_uid() {
        let tmp = Path::new("/tmp");
        assert_eq!(
            dir_for(Some("/run/user/1000".into()), tmp, 1000),
            PathBuf::from("/run/user/1000/versus")
        );
        assert_eq!(dir_for(None, tmp, 1000), PathBuf::from("/tmp/versus-1000"));
        assert_eq!(
            dir_for(Some("relative".into()), tmp, 7),
            PathBuf::from("/tmp/versus-7"),
            "a relative XDG_RUNTIME_DIR is ignored"
        );
        assert_eq!(pid_of(&path_for(tmp, 4242)), Some(4242));
        assert_eq!(pid_of(Path::new("/tmp/other.sock")), None);
    }

    #[test]
    fn the_directory_is_0700_and_the_socket_0600_and_the_peer_is_this_user() {
        let base = scratch("modes");
        let dir = base.join("versus");
        ensure_dir(&dir).expect("made");
        assert_eq!(mode(&dir), 0o700);
        // A looser directory of ours is tightened.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        ensure_dir(&dir).expect("tightened");
        assert_eq!(mode(&dir), 0o700);
        let path = path_for(&dir, 1);
        let listener = bind(&path).expect("binds");
        assert_eq!(mode(&path), 0o600);
        let client = UnixStream::connect(&path).expect("connects");
        let (server, _) = listener.accept().expect("accepts");
        let (uid, pid) = peer(&server).expect("SO_PEERCRED");
        assert_eq!(uid, my_uid());
        assert_eq!(pid, std::process::id() as i32);
        assert_eq!(check_peer(&server), Ok(()));
        assert_eq!(check_peer(&client), Ok(()), "and the other way round");
        // Another user is refused, with one line.
        let e = allowed(my_uid() + 1, my_uid()).expect_err("refused");
        assert!(e.starts_with("refused a connection from uid"), "{e}");
        assert_eq!(e.lines().count(), 1);
        let _ = fs::remove_dir_all(&base);
    }

    #[test]
    fn a_link_or_a_file_in_place_of_the_directory_is_refused() {
        let base = scratch("links");
        let real = base.join("real");
        fs::create_dir(&real).expect("dir");
        let link = base.join("link");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let e = ensure_dir(&link).expect_err("a link is not ours to trust");
        assert!(e.to_string().contains("not a directory"), "{e}");
        let file = base.join("file");
        fs::write(&file, "x").expect("file");
        assert!(ensure_dir(&file).is_err());
        // A directory of another user's is refused: root makes one, anyone else has / at hand.
        let theirs = if my_uid() == 0 {
            let d = base.join("theirs");
            fs::create_dir(&d).expect("dir");
            std::os::unix::fs::chown(&d, Some(65534), None).expect("chown");
            d
        } else {
            PathBuf::from("/")
        };
        let e = ensure_dir(&theirs).expect_err("not ours");
        assert!(e.to_string().contains("not by you"), "{e}");
        let _ = fs::remove_dir_all(&base);
    }

    #[test]
    fn a_stale_socket_is_removed_and_the_newest_live_talk_is_found() {
        let dir = scratch("find");
        assert!(find(&dir.join("none"), None).expect("no dir").is_none());
        // A socket whose listener is gone: what a crashed talk leaves.
        let stale = path_for(&dir, 11);
        drop(bind(&stale).expect("binds"));
        assert!(stale.exists());
        assert!(find(&dir, None).expect("reads").is_none());
        assert!(!stale.exists(), "the stale socket was removed");
        // Binding over a stale file works; over a live one it does not.
        drop(bind(&stale).expect("binds"));
        let again = bind(&stale).expect("re-binds over the stale file");
        let e = bind(&stale).expect_err("a live talk's socket stays");
        assert!(e.to_string().contains("another talk listens"), "{e}");
        let older = again;
        std::thread::sleep(std::time::Duration::from_millis(20));
        let newer_path = path_for(&dir, 12);
        let _newer = bind(&newer_path).expect("binds");
        // The newest by modification time, whatever the pid order.
        let t = fs::symlink_metadata(&stale)
            .expect("meta")
            .modified()
            .expect("mtime");
        let later = t + std::time::Duration::from_secs(5);
        set_mtime(&newer_path, later);
        let found = find(&dir, None).expect("reads").expect("a talk");
        assert_eq!(found.pid, 12);
        assert_eq!(found.others, vec![11]);
        let found = find(&dir, Some(11)).expect("reads").expect("that talk");
        assert_eq!(found.pid, 11);
        assert!(found.others.is_empty());
        assert!(find(&dir, Some(99)).expect("reads").is_none());
        drop(older);
        let _ = fs::remove_dir_all(&dir);
    }

    fn set_mtime(path: &Path, t: std::time::SystemTime) {
        // A socket cannot be opened: its time is set through its path.
        let d = t.duration_since(std::time::UNIX_EPOCH).expect("after 1970");
        let times = [
            libc::timespec {
                tv_sec: d.as_secs() as libc::time_t,
                tv_nsec: d.subsec_nanos() as libc::c_long,
            },
            libc::timespec {
                tv_sec: d.as_secs() as libc::time_t,
                tv_nsec: d.subsec_nanos() as libc::c_long,
            },
        ];
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("no NUL");
        // SAFETY: c is a NUL-terminated path; times is two timespecs as utimensat wants.
        let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), 0) };
        assert_eq!(rc, 0, "utimensat: {}", io::Error::last_os_error());
    }
}
