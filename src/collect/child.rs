//! Child processes of the controller: how they are started so none outlives it, and how their end is
//! put in words for the screen.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// Starts `versus <subcommand>` with piped stdio as a child that dies with the controller, in its
/// own process group, at `nice`, pinned to `cpus` (none = anywhere). Workers and the load generator
/// are both started here.
pub fn spawn_child(subcommand: &str, nice: i32, cpus: &[usize]) -> std::io::Result<Child> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg(subcommand);
    spawn_guarded(cmd, nice, cpus)
}

/// Starts `cmd` with piped stdio, tied to the controller's life (see `spawn_child`).
pub fn spawn_guarded(mut cmd: Command, nice: i32, cpus: &[usize]) -> std::io::Result<Child> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe syscalls
    // (prctl, getppid, setpgid, setpriority, sched_setaffinity) on data prepared before the fork.
    let parent = std::process::id() as libc::pid_t;
    let cpuset = cpu_set(cpus);
    unsafe {
        cmd.pre_exec(move || {
            // The child dies with the controller, even on SIGKILL. The kernel ties this to the thread
            // that forks, so children are started from the controller's main thread only.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // The controller may have died before prctl took effect: then nobody would kill us.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            // Its own process group: terminal signals (Ctrl-C, Ctrl-Z) go to the controller only.
            libc::setpgid(0, 0);
            if nice != 0 {
                libc::setpriority(libc::PRIO_PROCESS, 0, nice);
            }
            if let Some(set) = &cpuset {
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set);
            }
            Ok(())
        });
    }
    cmd.spawn()
}

fn cpu_set(cpus: &[usize]) -> Option<libc::cpu_set_t> {
    if cpus.is_empty() {
        return None;
    }
    // SAFETY: cpu_set_t is plain bits; CPU_SET only sets one of them.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus.iter().filter(|&&c| c < libc::CPU_SETSIZE as usize) {
        // SAFETY: c is below CPU_SETSIZE, so the bit is inside the set.
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    Some(set)
}

/// Exit code of a Rust program whose main thread panicked.
const PANIC_EXIT_CODE: i32 = 101;

/// Signals a worker is likely to die of, by name.
const SIGNAL_NAMES: &[(i32, &str)] = &[
    (libc::SIGKILL, "SIGKILL"),
    (libc::SIGTERM, "SIGTERM"),
    (libc::SIGSEGV, "SIGSEGV"),
    (libc::SIGABRT, "SIGABRT"),
    (libc::SIGBUS, "SIGBUS"),
    (libc::SIGINT, "SIGINT"),
    (libc::SIGHUP, "SIGHUP"),
    (libc::SIGPIPE, "SIGPIPE"),
    (libc::SIGILL, "SIGILL"),
    (libc::SIGFPE, "SIGFPE"),
];

/// "exited with code 2", "exited with code 101 (panic)", "killed by SIGKILL (signal 9)".
pub fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        let panic = if code == PANIC_EXIT_CODE {
            " (panic)"
        } else {
            ""
        };
        return format!("exited with code {code}{panic}");
    }
    match status.signal() {
        Some(sig) => {
            let name = SIGNAL_NAMES
                .iter()
                .find(|(s, _)| *s == sig)
                .map_or("a signal", |(_, name)| name);
            format!("killed by {name} (signal {sig})")
        }
        None => "ended".into(),
    }
}
