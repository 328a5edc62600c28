//! The user's program, started by the watcher through `sh -c` in a process group of its own that
//! dies with the watcher: PR_SET_PDEATHSIG on the first process, the whole group killed on any exit.

use std::io::BufReader;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};

use parking_lot::Mutex;

/// Longest stderr line of the program kept as its last words.
const MAX_LAST_LINE: usize = 300;

/// A running program; dropping it kills its process group and reaps it.
#[derive(Debug)]
pub struct Program {
    child: Child,
    pub pid: u32,
    /// The program's newest stderr line (it also goes to the watcher's stderr, capped by the reader).
    pub last_stderr: Arc<Mutex<String>>,
    /// Disconnects when the program's stderr closes.
    pub stderr_done: Receiver<()>,
    /// Kills the program's group once this watcher is gone, however it went (see `keeper`).
    keeper: Option<Child>,
}

impl Program {
    pub fn start(shell_command: &str) -> std::io::Result<Program> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(shell_command)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: between fork and exec only async-signal-safe calls (setpgid, prctl, getppid, _exit).
        unsafe {
            cmd.pre_exec(move || {
                libc::setpgid(0, 0);
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn()?;
        let pid = child.id();
        let last_stderr = Arc::new(Mutex::new(String::new()));
        let (done_tx, stderr_done) = mpsc::channel::<()>();
        if let Some(err) = child.stderr.take() {
            let last = last_stderr.clone();
            std::thread::Builder::new()
                .name("program-stderr".into())
                .spawn(move || {
                    let _done = done_tx;
                    forward_stderr(err, &last);
                })?;
        }
        let keeper = keeper(pid);
        Ok(Program {
            child,
            pid,
            last_stderr,
            stderr_done,
            keeper,
        })
    }

    /// How the program ended, once it has.
    pub fn try_exit(&mut self) -> Option<String> {
        let status = self.child.try_wait().ok().flatten()?;
        Some(describe(status))
    }

    /// SIGSTOP or SIGCONT to the whole group.
    pub fn signal_group(&self, sig: libc::c_int) {
        // SAFETY: kill has no memory preconditions; the group is the program's own.
        unsafe { libc::kill(-(self.pid as libc::pid_t), sig) };
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        // The whole group, so children the shell or runtime forked go too; SIGCONT is not needed
        // for SIGKILL to take a stopped process.
        self.signal_group(libc::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(mut k) = self.keeper.take() {
            drop(k.stdin.take());
            let _ = k.wait();
        }
    }
}

/// A shell that waits on a pipe only this watcher holds and kills the program's group when it
/// closes. PR_SET_PDEATHSIG only covers the program's first process, and `sh -c` forks the command
/// rather than exec it: without this, a watcher killed outright (SIGKILL, as when the controller is
/// killed) would leave the program itself running.
fn keeper(pgid: u32) -> Option<Child> {
    Command::new("sh")
        .args(["-c", "read _ ; kill -9 -$0", &pgid.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

/// "program exited with code 3", "program killed by SIGSEGV (signal 11)".
fn describe(status: std::process::ExitStatus) -> String {
    format!("program {}", crate::sys::describe_exit(status))
}

/// Copies the program's stderr lines to the watcher's stderr (the reader caps and forwards them) and
/// keeps the newest. Lines are bounded by the reader's limit; invalid UTF-8 is replaced.
fn forward_stderr(err: impl std::io::Read, last: &Mutex<String>) {
    let mut r = BufReader::new(err);
    let mut buf = Vec::new();
    while let Ok(Some(res)) = crate::protocol::read_line_bounded(&mut r, &mut buf) {
        let line = match res {
            Ok(()) => String::from_utf8_lossy(&buf).trim_end().to_string(),
            Err(_) => "(overlong stderr line)".into(),
        };
        if line.is_empty() {
            continue;
        }
        eprintln!("{line}");
        *last.lock() = line.chars().take(MAX_LAST_LINE).collect();
    }
}
