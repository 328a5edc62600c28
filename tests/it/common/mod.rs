//! Helpers shared by the integration tests: run the real binary (headless runs tagged, parsed and
//! checked for leftovers), find the processes a run started, and read process states from /proc.
//! `faults` (process trees, signals, resource counts) and `tmux` (a real terminal) build on these.
#![allow(dead_code, clippy::unwrap_used)]

pub mod faults;
pub mod tmux;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Every process a test starts carries this variable with a value of its own (workers and load
/// generators inherit it), to find what one run left behind without counting its neighbours'.
pub const TAG_VAR: &str = "VERSUS_TEST_TAG";

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_versus"))
}

/// A resource limit for the controller and, inherited, everything it starts.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    /// RLIMIT_NOFILE: open file descriptors.
    Files(u64),
    /// RLIMIT_AS: address space in bytes.
    AddressSpace(u64),
}

/// `versus --headless --format json ARGS` started under `tag` with `limits`, stdout and stderr piped.
pub fn spawn_headless(tag: &str, args: &[&str], limits: &[Limit]) -> Child {
    let mut cmd = bin();
    cmd.args(["--headless", "--format", "json"])
        .args(args)
        .env(TAG_VAR, tag)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for &limit in limits {
        let (resource, n) = match limit {
            Limit::Files(n) => (libc::RLIMIT_NOFILE, n),
            Limit::AddressSpace(n) => (libc::RLIMIT_AS, n),
        };
        let rl = libc::rlimit {
            rlim_cur: n,
            rlim_max: n,
        };
        // SAFETY: setrlimit is async-signal-safe and the struct is built before the fork.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setrlimit(resource, &rl) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    cmd.spawn().unwrap()
}

/// What a headless run gave: exit code, the JSON document and stderr.
pub struct Finished {
    pub code: Option<i32>,
    pub doc: Value,
    pub stderr: String,
}

/// Waits for a run started by `spawn_headless`, parses its JSON (panicking with stdout and stderr
/// when it is not JSON) and checks that no process of `tag` is left a moment later.
pub fn finish_headless(child: Child, tag: &str) -> Finished {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    assert_none_left(tag);
    Finished {
        code: out.status.code(),
        doc,
        stderr,
    }
}

/// Runs `versus --headless --format json ARGS` and returns (exit code, JSON document).
/// Every run is tagged, and once it has returned no process of it may be left.
pub fn headless(args: &[&str]) -> (Option<i32>, Value) {
    let tag = unique_tag("headless");
    let f = finish_headless(spawn_headless(&tag, args, &[]), &tag);
    (f.code, f.doc)
}

/// The suite's one lock for CPU-bound tests, held until dropped: an exclusive `flock` on one file in
/// the target dir, so no two such tests run beside each other, whether in one test binary (each call
/// opens the file anew, and flock locks of two opens exclude each other) or in two (cargo test runs
/// binaries one after another, but two suites or a parallel runner do not).
pub struct CpuLock {
    _file: std::fs::File,
    /// When the lock was taken and by which test, for `VERSUS_LOCK_LOG`.
    taken: Instant,
}

/// With `VERSUS_LOCK_LOG=FILE`, each CPU-bound test appends how long it held the lock and its name:
/// the serial part of the suite's time, test by test (`sort -rn FILE`).
impl Drop for CpuLock {
    fn drop(&mut self) {
        if let Some(path) = std::env::var_os("VERSUS_LOCK_LOG") {
            use std::io::Write;
            let name = std::thread::current().name().unwrap_or("?").to_string();
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(f, "{:.1} {name}", self.taken.elapsed().as_secs_f64());
            }
        }
    }
}

/// The file `cpu_bound` locks.
pub const CPU_LOCK_PATH: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/versus-cpu-bound.lock");

/// Waits for the suite's CPU lock (see `CpuLock`).
pub fn cpu_bound() -> CpuLock {
    use std::os::fd::AsRawFd;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(CPU_LOCK_PATH)
        .unwrap_or_else(|e| panic!("{CPU_LOCK_PATH}: {e}"));
    loop {
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return CpuLock {
                _file: file,
                taken: Instant::now(),
            };
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::Interrupted,
            "flock {CPU_LOCK_PATH}: {e}"
        );
    }
}

/// The upper bound of a run that ends once steady (`--until-steady`): it ends long before on any
/// machine that can run it, so the bound only limits how long a failing test waits.
pub const STEADY_BOUND: &str = "60s";

/// `ARGS` with `--until-steady --duration STEADY_BOUND` in front: a headless run that ends once every
/// running side is steady, instead of a guess at how long that takes.
pub fn until_steady<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--until-steady", "--duration", STEADY_BOUND];
    all.extend(args);
    all
}

/// `headless(until_steady(ARGS))`.
pub fn headless_steady(args: &[&str]) -> (Option<i32>, Value) {
    headless(&until_steady(args))
}

/// The object of one side ("async" or "threads").
pub fn side<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["sides"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["side"] == name)
        .unwrap_or_else(|| panic!("no side {name} in {doc}"))
}

pub fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// The side ran and reported: no error, and figures from samples (a window of time between two of
/// them). An empty `Figures` (no sample arrived) fails this, so checks on units or per-unit figures
/// that would also hold on an empty one cannot pass vacuously.
pub fn assert_reported(s: &Value) {
    assert_eq!(s["errors"].as_array().unwrap().len(), 0, "errors: {s}");
    assert!(num(s, "window_s") > 0.0, "no two samples arrived: {s}");
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// Runs `versus ARGS` where it can start nothing: a seccomp filter makes every clone, clone3, fork
/// and vfork fail with EPERM. A run that starts a worker (or even a thread) on the way to its answer
/// fails to, and its output shows it, so "nothing started" is checked rather than inferred.
pub fn run_starting_nothing(args: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.args(args);
    // SAFETY: prctl is async-signal-safe; the filter is built before the fork and only read after.
    unsafe {
        let filter = no_new_tasks_filter();
        cmd.pre_exec(move || {
            let prog = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut libc::sock_filter,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &prog as *const libc::sock_fprog,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

/// A seccomp BPF program: on this architecture, clone/clone3/fork/vfork return EPERM; anything else,
/// and any other architecture's calls, are allowed.
fn no_new_tasks_filter() -> Vec<libc::sock_filter> {
    const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RET_K: u16 = 0x06; // BPF_RET | BPF_K
    #[cfg(target_arch = "x86_64")]
    const ARCH: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64
    #[cfg(target_arch = "aarch64")]
    const ARCH: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64
    let stmt = |code, k| libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |k, jt, jf| libc::sock_filter {
        code: JEQ_K,
        jt,
        jf,
        k,
    };
    let mut calls = vec![libc::SYS_clone as u32, libc::SYS_clone3 as u32];
    #[cfg(target_arch = "x86_64")]
    calls.extend([libc::SYS_fork as u32, libc::SYS_vfork as u32]);
    let n = calls.len() as u8;
    // seccomp_data: nr at offset 0, arch at offset 4.
    let mut prog = vec![stmt(LD_W_ABS, 4), jump(ARCH, 0, n + 1), stmt(LD_W_ABS, 0)];
    for (i, nr) in calls.iter().enumerate() {
        // Match: jump to the EPERM return after the remaining checks and the ALLOW.
        prog.push(jump(*nr, n - i as u8, 0));
    }
    prog.push(stmt(RET_K, libc::SECCOMP_RET_ALLOW));
    prog.push(stmt(
        RET_K,
        libc::SECCOMP_RET_ERRNO | (libc::EPERM as u32 & libc::SECCOMP_RET_DATA),
    ));
    prog
}

/// A tag unique to this call, for `tagged_pids`: put it in a child's environment as TAG_VAR.
pub fn unique_tag(name: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{name}-{}-{n}", std::process::id())
}

/// Live (non-zombie) processes whose environment holds TAG_VAR=`tag`.
pub fn tagged_pids(tag: &str) -> Vec<u32> {
    tagged(tag).into_iter().map(|(pid, _)| pid).collect()
}

/// Live processes of `tag` with their first argument ("worker", "loadgen", or "" for the app).
pub fn tagged(tag: &str) -> Vec<(u32, String)> {
    let needle = format!("{TAG_VAR}={tag}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(env) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if !alive(pid) || !env.split(|&b| b == 0).any(|kv| kv == needle.as_bytes()) {
            continue;
        }
        let cmd = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let arg = cmd.split(|&b| b == 0).nth(1).unwrap_or_default();
        found.push((pid, String::from_utf8_lossy(arg).into_owned()));
    }
    found
}

/// Waits up to 3 s (the controller reaps its children as it exits) for no process of `tag` to be left.
pub fn assert_none_left(tag: &str) {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = tagged(tag);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processes of run {tag} left behind: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// True while `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next().map(|st| st != "Z"))
        })
        .unwrap_or(false)
}
