//! Kernel figures a process reads about itself (getrusage, /proc/self): the worker side and the limits use them.

/// Totals from getrusage(RUSAGE_SELF): all threads of the process, exited ones included.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub cpu_us: u64,
    pub ctx_voluntary: u64,
    pub ctx_involuntary: u64,
}

pub fn usage() -> Usage {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer cannot fail.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    if rc != 0 {
        return Usage::default();
    }
    let tv_us = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    Usage {
        cpu_us: tv_us(ru.ru_utime) + tv_us(ru.ru_stime),
        ctx_voluntary: ru.ru_nvcsw as u64,
        ctx_involuntary: ru.ru_nivcsw as u64,
    }
}

/// (virtual size, RSS) in bytes from /proc/self/statm.
pub fn statm_bytes() -> (u64, u64) {
    let page = page_size();
    let text = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let mut it = text
        .split_whitespace()
        .map(|f| f.parse::<u64>().unwrap_or(0));
    let size = it.next().unwrap_or(0);
    let resident = it.next().unwrap_or(0);
    (size * page, resident * page)
}

/// OS threads of this process, from /proc/self/status (0 if unreadable).
pub fn os_threads() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The CPUs the calling thread may run on (sched_getaffinity), in order; empty if unreadable.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain bits; sched_getaffinity only writes into the set we pass.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: 0 is the calling thread; the size is the set's.
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Vec::new();
    }
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: c is below CPU_SETSIZE, so the bit is inside the set.
        .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
        .collect()
}

/// Pins the calling thread to `cpus` (sched_setaffinity); the kernel's refusal in words.
pub fn pin_current_thread(cpus: &[usize]) -> Result<(), String> {
    // SAFETY: cpu_set_t is plain bits; CPU_SET only sets a bit inside it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus.iter().filter(|&&c| c < libc::CPU_SETSIZE as usize) {
        // SAFETY: c is below CPU_SETSIZE.
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    // SAFETY: 0 is the calling thread; the set is valid for its size.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "pinning a thread to cpu {cpus:?}: {}",
            std::io::Error::last_os_error()
        ))
    }
}

pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 { p as u64 } else { 4096 }
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
pub fn describe_exit(status: std::process::ExitStatus) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_counts_grow() {
        let a = usage();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let b = usage();
        assert!(
            b.ctx_voluntary > a.ctx_voluntary,
            "a sleep is a voluntary switch"
        );
        let (vsz, rss) = statm_bytes();
        assert!(rss > 0 && vsz >= rss);
    }

    #[test]
    fn a_thread_pinned_to_one_allowed_cpu_may_run_there_only() {
        let allowed = allowed_cpus();
        assert!(!allowed.is_empty(), "this thread may run somewhere");
        let last = *allowed.last().expect("one cpu");
        let seen = std::thread::spawn(move || pin_current_thread(&[last]).map(|()| allowed_cpus()))
            .join()
            .expect("thread ends");
        assert_eq!(seen, Ok(vec![last]));
        assert_eq!(allowed_cpus(), allowed, "only the pinned thread changed");
    }
}
