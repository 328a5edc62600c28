//! System limits on threads, read from the kernel, and the words for a failed thread spawn.

use std::io;

/// One limit that can stop a process from creating threads.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub name: &'static str,
    /// None when it could not be read (or is unlimited).
    pub value: Option<u64>,
    /// Shared by every process of the machine (exhausting it hurts everyone).
    pub machine_wide: bool,
}

fn read_u64(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// RLIMIT_NPROC soft limit (`ulimit -u`), None when unlimited.
pub fn nproc_limit() -> Option<u64> {
    // SAFETY: getrlimit writes into the struct we pass.
    let mut rl: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: valid resource and pointer.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut rl) };
    (rc == 0 && rl.rlim_cur != libc::RLIM_INFINITY).then_some(rl.rlim_cur)
}

/// The limits on thread creation as this machine has them now.
pub fn thread_limits() -> Vec<Limit> {
    vec![
        Limit {
            name: "kernel.threads-max",
            value: read_u64("/proc/sys/kernel/threads-max"),
            machine_wide: true,
        },
        Limit {
            name: "kernel.pid_max",
            value: read_u64("/proc/sys/kernel/pid_max"),
            machine_wide: true,
        },
        Limit {
            name: "vm.max_map_count",
            value: read_u64("/proc/sys/vm/max_map_count"),
            machine_wide: false,
        },
        Limit {
            name: "ulimit -u (RLIMIT_NPROC)",
            value: nproc_limit(),
            machine_wide: false,
        },
    ]
}

/// "thread spawn failed: Resource temporarily unavailable (errno 11, EAGAIN); limits: ...".
pub fn explain_spawn_error(e: &io::Error) -> String {
    let errno = e.raw_os_error().map_or_else(
        || "no errno".to_string(),
        |n| format!("errno {n}{}", errno_name(n)),
    );
    let limits: Vec<String> = thread_limits()
        .iter()
        .map(|l| {
            format!(
                "{}={}",
                l.name,
                l.value
                    .map_or_else(|| "unlimited".to_string(), |v| v.to_string())
            )
        })
        .collect();
    format!(
        "thread spawn failed: {e} ({errno}); limits: {}",
        limits.join(", ")
    )
}

fn errno_name(n: i32) -> &'static str {
    match n {
        libc::EAGAIN => ", EAGAIN",
        libc::ENOMEM => ", ENOMEM",
        libc::EMFILE => ", EMFILE",
        libc::EPERM => ", EPERM",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_read_and_errors_named() {
        let limits = thread_limits();
        assert!(
            limits
                .iter()
                .any(|l| l.name == "kernel.pid_max" && l.value.is_some_and(|v| v > 0))
        );
        let text = explain_spawn_error(&io::Error::from_raw_os_error(libc::EAGAIN));
        assert!(text.contains("errno 11, EAGAIN"), "{text}");
        assert!(text.contains("vm.max_map_count="), "{text}");
    }
}
