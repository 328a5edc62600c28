//! Child processes of the controller: how they are started so none outlives it, and how their end is
//! put in words for the screen.

use crate::sys::describe_exit as describe;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// How a child is scheduled next to the UI and the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Priority {
    /// Nice level of the process, and of its scheduling group with `group`.
    pub nice: i32,
    /// The child in a session of its own, so with autogroup on it is a scheduling group of its own,
    /// weighed as one task at `nice` however many threads it runs. A nice per thread is not
    /// enough: the scheduler weighs each thread, so 1,000 runnable threads at nice 10 outweigh a
    /// nice-0 terminal ~100 times (issue 10, docs/control-under-load.md).
    pub group: bool,
    /// All its threads under SCHED_IDLE (unprivileged). For where autogroup is off: SCHED_IDLE
    /// alone stops at a group's edge (the terminal runs in another autogroup and meets the group
    /// of the controller and its workers as an equal), and it delays every wake-up behind any
    /// other load on the machine (threads' sleep lateness p50 63 µs -> 0.7 ms here, with builds
    /// running beside).
    pub idle: bool,
}

impl From<i32> for Priority {
    fn from(nice: i32) -> Priority {
        Priority {
            nice,
            ..Priority::default()
        }
    }
}

/// Starts `versus <subcommand>` with piped stdio as a child that dies with the controller, in its
/// own process group, at `prio`, pinned to `cpus` (none = anywhere). Workers and the load generator
/// are both started here.
pub fn spawn_child(
    subcommand: &str,
    prio: impl Into<Priority>,
    cpus: &[usize],
) -> std::io::Result<Child> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg(subcommand);
    spawn_guarded(cmd, prio, cpus)
}

/// Starts `cmd` with piped stdio, tied to the controller's life (see `spawn_child`).
pub fn spawn_guarded(
    mut cmd: Command,
    prio: impl Into<Priority>,
    cpus: &[usize],
) -> std::io::Result<Child> {
    let Priority { nice, group, idle } = prio.into();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe syscalls
    // (prctl, getppid, setpgid, setsid, open, write, close, setpriority, sched_setscheduler,
    // sched_setaffinity) on data prepared before the fork.
    let parent = std::process::id() as libc::pid_t;
    let autogroup = c"/proc/self/autogroup";
    let nice_text = nice.to_string();
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
            if group || idle {
                // Its own session (and process group): terminal signals (Ctrl-C, Ctrl-Z) go to the
                // controller only, and with autogroup on, a scheduling group of its own at `nice`
                // (raising it needs no privilege; without autogroup the file is missing).
                libc::setsid();
                let fd = libc::open(autogroup.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd >= 0 {
                    libc::write(fd, nice_text.as_ptr().cast(), nice_text.len());
                    libc::close(fd);
                }
            } else {
                // Its own process group: terminal signals (Ctrl-C, Ctrl-Z) go to the controller only.
                libc::setpgid(0, 0);
            }
            if idle {
                // Every thread of the child inherits it, so inside the side all threads stay
                // equals. Not the units alone: the reporter would then wait on a lock held by a
                // preempted unit (tried: the side went "not responding").
                let param = libc::sched_param { sched_priority: 0 };
                libc::sched_setscheduler(0, libc::SCHED_IDLE, &param);
            }
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

/// A child the controller talks to over its stdin: sends commands, and stops it (stdin closed, then
/// SIGKILL after a grace) when asked or when dropped. Workers and the load generator both hold one.
#[derive(Debug)]
pub struct ChildPipe {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
}

impl ChildPipe {
    /// Takes the child's stdin; stdout and stderr stay on `child` for the caller's readers.
    pub fn new(mut child: Child) -> ChildPipe {
        let stdin = child.stdin.take();
        ChildPipe { child, stdin }
    }

    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Sends one message line; an error means the process is gone (its reader reports why).
    pub fn send<T: serde::Serialize>(&mut self, msg: &T) -> std::io::Result<()> {
        use std::io::Write;
        let w = self.stdin.as_mut().ok_or(std::io::ErrorKind::BrokenPipe)?;
        w.write_all(crate::protocol::encode(msg).as_bytes())?;
        w.flush()
    }

    /// How the process ended, waiting at most `grace` after closing stdin, then SIGKILL.
    pub fn stop(&mut self, grace: std::time::Duration) -> String {
        hurry(self.child.id());
        self.stdin = None;
        let deadline = std::time::Instant::now() + grace;
        while std::time::Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(status)) => return describe(status),
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        self.child
            .wait()
            .map_or_else(|e| format!("wait failed: {e}"), describe)
    }

    /// Exit status if the process has ended.
    pub fn try_status(&mut self) -> Option<String> {
        self.child.try_wait().ok().flatten().map(describe)
    }
}

/// Gives a child that is about to end the CPU it needs to do so: a process with 10,000 threads or
/// 10,000 sockets has a lot to tear down, and as SCHED_IDLE in a nice group, behind a busy machine,
/// that took 1 to over 10 s (benches/key-latency.sh). Its group goes back to nice 0 (lowering a
/// group's nice to 0 needs no privilege). Only for a child that leads its own session: any other
/// shares the controller's group, which is left alone.
fn hurry(pid: u32) {
    let pid = pid as libc::pid_t;
    // SAFETY: getsid has no preconditions; a pid that is gone gives -1.
    if unsafe { libc::getsid(pid) } == pid {
        let _ = std::fs::write(format!("/proc/{pid}/autogroup"), "0");
    }
}

impl Drop for ChildPipe {
    fn drop(&mut self) {
        self.stop(std::time::Duration::from_millis(500));
    }
}
