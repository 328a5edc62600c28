//! System limits on threads, read from the kernel: the words for a failed thread spawn and which limit
//! caused it. `guard` keeps the threads side from exhausting them (see there).

pub mod fds;
mod guard;

use std::io;

pub use guard::{BALLAST_ENV, SpawnGuard, TRACE_ENV, Verdict};

/// One limit that can stop a process from creating threads.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub name: &'static str,
    /// None when it could not be read (or is unlimited).
    pub value: Option<u64>,
    /// Shared by every process of the machine (exhausting it hurts everyone).
    pub machine_wide: bool,
}

pub const THREADS_MAX: &str = "kernel.threads-max";
pub const PID_MAX: &str = "kernel.pid_max";
pub const MAX_MAP_COUNT: &str = "vm.max_map_count";
pub const RLIMIT_NPROC: &str = "ulimit -u (RLIMIT_NPROC)";
pub const RLIMIT_AS: &str = "ulimit -v (RLIMIT_AS)";
pub const CGROUP_PIDS: &str = "cgroup pids.max";
pub const MEMORY: &str = "memory";
/// Memory maps a std thread adds: its stack and guard page, and its signal stack and guard page.
pub const MAPS_PER_THREAD: u64 = 4;
/// Rust's default stack for a new thread when no size is given.
pub const DEFAULT_STACK_BYTES: u64 = 2 << 20;

fn read_u64(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Soft limit of an rlimit resource, None when unlimited.
fn soft_rlimit(resource: libc::__rlimit_resource_t) -> Option<u64> {
    // SAFETY: getrlimit writes into the struct we pass.
    let mut rl: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: valid resource and pointer.
    let rc = unsafe { libc::getrlimit(resource, &mut rl) };
    (rc == 0 && rl.rlim_cur != libc::RLIM_INFINITY).then_some(rl.rlim_cur)
}

/// RLIMIT_NPROC soft limit (`ulimit -u`), None when unlimited.
pub fn nproc_limit() -> Option<u64> {
    soft_rlimit(libc::RLIMIT_NPROC)
}

/// RLIMIT_AS soft limit in bytes (`ulimit -v` is in KiB), None when unlimited.
pub fn address_space_limit() -> Option<u64> {
    soft_rlimit(libc::RLIMIT_AS)
}

/// (pids.max, pids.current) of this process's cgroup, v2 or v1; None without a pids limit.
pub fn cgroup_pids() -> Option<(u64, u64)> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    cgroups.lines().find_map(|line| {
        let mut f = line.splitn(3, ':');
        let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
        let dir = match controllers {
            "" => format!("/sys/fs/cgroup{path}"),
            c if c.split(',').any(|c| c == "pids") => format!("/sys/fs/cgroup/pids{path}"),
            _ => return None,
        };
        Some((
            read_u64(&format!("{dir}/pids.max"))?,
            read_u64(&format!("{dir}/pids.current"))?,
        ))
    })
}

/// The limits on thread creation as this machine has them now.
pub fn thread_limits() -> Vec<Limit> {
    let mut limits = vec![
        Limit {
            name: THREADS_MAX,
            value: read_u64("/proc/sys/kernel/threads-max"),
            machine_wide: true,
        },
        Limit {
            name: PID_MAX,
            value: read_u64("/proc/sys/kernel/pid_max"),
            machine_wide: true,
        },
        Limit {
            name: MAX_MAP_COUNT,
            value: read_u64("/proc/sys/vm/max_map_count"),
            machine_wide: false,
        },
        Limit {
            name: RLIMIT_NPROC,
            value: nproc_limit(),
            machine_wide: false,
        },
        Limit {
            name: RLIMIT_AS,
            value: address_space_limit(),
            machine_wide: false,
        },
    ];
    if let Some((max, _)) = cgroup_pids() {
        limits.push(Limit {
            name: CGROUP_PIDS,
            value: Some(max),
            machine_wide: false,
        });
    }
    limits
}

/// "thread spawn failed: Resource temporarily unavailable (errno 11, EAGAIN); limits: ...".
pub fn explain_spawn_error(e: &io::Error) -> String {
    format!(
        "thread spawn failed: {e} ({}); limits: {}",
        errno_text(e),
        limit_values()
    )
}

fn errno_text(e: &io::Error) -> String {
    e.raw_os_error().map_or_else(
        || "no errno".to_string(),
        |n| format!("errno {n}{}", errno_name(n)),
    )
}

fn limit_values() -> String {
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
    limits.join(", ")
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

/// Threads (kernel tasks) of every process on the machine: the "total" of /proc/loadavg's
/// "running/total" field, one small read, unlike walking /proc.
pub fn machine_threads() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace()
        .nth(3)?
        .split('/')
        .nth(1)?
        .parse()
        .ok()
}

/// Memory maps of this process: lines of /proc/self/maps, counted without holding the text (it is
/// megabytes near vm.max_map_count, and memory may be what is short).
pub fn count_maps() -> u64 {
    try_count_maps().unwrap_or(0)
}

/// Lines of /proc/self/maps, or the error that stopped the read (a part-read count is no count).
pub fn try_count_maps() -> std::io::Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open("/proc/self/maps")?;
    let mut buf = [0u8; 16 * 1024];
    let mut lines = 0;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(lines),
            Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

// ---- Which limit stopped a spawn ---------------------------------------------------------------

/// What the kernel looked like when a thread spawn failed; read only then, so walking /proc is fine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpawnFacts {
    pub errno: Option<i32>,
    pub stack_bytes: u64,
    /// Lines of /proc/self/maps; each thread adds MAPS_PER_THREAD.
    pub map_count: u64,
    pub max_map_count: Option<u64>,
    /// /proc/self/statm size × page size
    pub virtual_bytes: u64,
    pub address_space_limit: Option<u64>,
    pub machine_threads: Option<u64>,
    pub threads_max: Option<u64>,
    pub pid_max: Option<u64>,
    /// (pids.max, pids.current) of this process's cgroup
    pub cgroup_pids: Option<(u64, u64)>,
    /// RLIMIT_NPROC when it applies (root is exempt), with the threads of this real uid.
    pub nproc: Option<(u64, u64)>,
}

/// Maps and address space a guard held back at the failure and has handed back since.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Released {
    pub maps: u64,
    pub bytes: u64,
}

impl SpawnFacts {
    /// The facts as they were at the failure: what the guard released since is counted back in.
    pub fn read(errno: Option<i32>, stack_bytes: u64, released: Released) -> SpawnFacts {
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        SpawnFacts {
            errno,
            stack_bytes,
            map_count: count_maps() + released.maps,
            max_map_count: read_u64("/proc/sys/vm/max_map_count"),
            virtual_bytes: crate::sys::statm_bytes().0 + released.bytes,
            address_space_limit: address_space_limit(),
            machine_threads: machine_threads(),
            threads_max: read_u64("/proc/sys/kernel/threads-max"),
            pid_max: read_u64("/proc/sys/kernel/pid_max"),
            cgroup_pids: cgroup_pids(),
            nproc: nproc_limit()
                .filter(|_| uid != 0)
                .map(|limit| (limit, threads_of_user(uid))),
        }
    }
}

/// Threads of every process whose real uid is `uid`: what RLIMIT_NPROC counts.
fn threads_of_user(uid: libc::uid_t) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
        .filter_map(|status| {
            let field = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .and_then(|v| v.split_whitespace().next())
            };
            let real_uid: libc::uid_t = field("Uid:")?.parse().ok()?;
            if real_uid != uid {
                return None;
            }
            field("Threads:")?.parse::<u64>().ok()
        })
        .sum()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// Which limit a failed spawn ran into, and the numbers that say so: (limit name, detail).
/// pthread_create reports a failed stack mmap as EAGAIN too, so the errno alone cannot tell.
pub fn name_limit(f: &SpawnFacts) -> (String, String) {
    let near = |used: u64, limit: u64, slack: u64| used + slack >= limit;
    if let Some(max) = f
        .max_map_count
        .filter(|&max| near(f.map_count, max, MAPS_PER_THREAD))
    {
        return (
            MAX_MAP_COUNT.into(),
            format!(
                "{MAX_MAP_COUNT}={max}: this process has {} memory maps and a thread needs {MAPS_PER_THREAD} more",
                f.map_count
            ),
        );
    }
    if let Some(max) = f
        .address_space_limit
        .filter(|&max| near(f.virtual_bytes, max, f.stack_bytes))
    {
        return (
            RLIMIT_AS.into(),
            format!(
                "{RLIMIT_AS}={max} bytes ({}): this process maps {} and a {} stack does not fit",
                mib(max),
                mib(f.virtual_bytes),
                mib(f.stack_bytes)
            ),
        );
    }
    if let Some((max, current)) = f
        .cgroup_pids
        .filter(|&(max, current)| near(current, max, 1))
    {
        return (
            CGROUP_PIDS.into(),
            format!("{CGROUP_PIDS}={max}: the cgroup has {current} tasks"),
        );
    }
    let machine = f.machine_threads.unwrap_or(0);
    for (name, limit) in [(THREADS_MAX, f.threads_max), (PID_MAX, f.pid_max)] {
        if let Some(max) = limit.filter(|&max| near(machine, max, 16)) {
            return (
                name.into(),
                format!("{name}={max}: {machine} threads run machine-wide"),
            );
        }
    }
    if let Some((max, used)) = f.nproc.filter(|&(max, used)| near(used, max, 1)) {
        return (
            RLIMIT_NPROC.into(),
            format!("{RLIMIT_NPROC}={max}: this user runs {used} threads"),
        );
    }
    let none_near = "none of kernel.threads-max, kernel.pid_max, vm.max_map_count, RLIMIT_NPROC, RLIMIT_AS, pids.max is near";
    (
        MEMORY.into(),
        format!(
            "{MEMORY}: the kernel could not allocate the thread ({none_near}; see vm.overcommit_memory and free memory)"
        ),
    )
}

/// (limit_hit, limit_name) for a thread spawn that failed with `units` alive on the side.
pub fn diagnose_spawn_error(
    e: &io::Error,
    units: u64,
    stack_bytes: u64,
    released: Released,
) -> (String, String) {
    let facts = SpawnFacts::read(e.raw_os_error(), stack_bytes, released);
    let (name, detail) = name_limit(&facts);
    let why = format!(
        "thread spawn failed at {units} threads: {e} ({}); {detail}; limits: {}",
        errno_text(e),
        limit_values()
    );
    (why, name)
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
        assert!(machine_threads().is_some_and(|n| n > 0));
        assert!(count_maps() > 10);
    }

    #[test]
    fn the_limit_is_named_from_the_numbers() {
        let base = SpawnFacts {
            errno: Some(libc::EAGAIN),
            stack_bytes: DEFAULT_STACK_BYTES,
            map_count: 500,
            max_map_count: Some(65_530),
            virtual_bytes: 100 << 20,
            machine_threads: Some(300),
            threads_max: Some(192_729),
            pid_max: Some(32_768),
            ..Default::default()
        };
        assert_eq!(name_limit(&base).0, MEMORY);
        let maps = SpawnFacts {
            map_count: 65_527,
            ..base.clone()
        };
        assert_eq!(name_limit(&maps).0, MAX_MAP_COUNT);
        let address = SpawnFacts {
            address_space_limit: Some(101 << 20),
            ..base.clone()
        };
        let (name, detail) = name_limit(&address);
        assert_eq!(name, RLIMIT_AS);
        assert!(
            detail.contains("100.0 MiB") && detail.contains("2.0 MiB stack"),
            "{detail}"
        );
        let pids = SpawnFacts {
            machine_threads: Some(32_760),
            ..base.clone()
        };
        assert_eq!(name_limit(&pids).0, PID_MAX);
        let nproc = SpawnFacts {
            nproc: Some((4_096, 4_096)),
            ..base.clone()
        };
        assert_eq!(name_limit(&nproc).0, RLIMIT_NPROC);
        let cgroup = SpawnFacts {
            cgroup_pids: Some((100, 100)),
            ..base
        };
        assert_eq!(name_limit(&cgroup).0, CGROUP_PIDS);
    }
}
