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
    /// Only the Nth CPU the test may run on (wrapping: on one CPU, every N is that one), as
    /// `taskset -c` starts it.
    OnCpu(usize),
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
            Limit::OnCpu(nth) => {
                // SAFETY: sched_getaffinity and sched_setaffinity are async-signal-safe; the set
                // is on the stack.
                unsafe {
                    cmd.pre_exec(move || {
                        let mut set: libc::cpu_set_t = std::mem::zeroed();
                        let size = std::mem::size_of::<libc::cpu_set_t>();
                        if libc::sched_getaffinity(0, size, &mut set) != 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                        let allowed = (0..libc::CPU_SETSIZE as usize)
                            .filter(|&c| libc::CPU_ISSET(c, &set))
                            .count()
                            .max(1);
                        let cpu = (0..libc::CPU_SETSIZE as usize)
                            .filter(|&c| libc::CPU_ISSET(c, &set))
                            .nth(nth % allowed)
                            .unwrap_or(0);
                        libc::CPU_ZERO(&mut set);
                        libc::CPU_SET(cpu, &mut set);
                        if libc::sched_setaffinity(0, size, &set) != 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                        Ok(())
                    });
                }
                continue;
            }
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
    let started = Instant::now();
    let f = finish_headless(spawn_headless(&tag, args, &[]), &tag);
    log_line(&format!(
        "{:.1} run {} ended={} ran_s={:.1} {}",
        started.elapsed().as_secs_f64(),
        std::thread::current().name().unwrap_or("?"),
        f.doc["ended"],
        f.doc["ran_s"].as_f64().unwrap_or(f64::NAN),
        args.join(" ")
    ));
    (f.code, f.doc)
}

/// With `VERSUS_LOCK_LOG=FILE`, appends `LINE` and the time since the epoch (s) to FILE.
fn log_line(line: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os("VERSUS_LOCK_LOG") else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line} @{now:.1}");
    }
}

/// The suite's one lock for CPU time, held until dropped: a `flock` on one file in the target dir,
/// taken by each call anew (flock locks of two opens of one file exclude each other, in one test
/// binary or in two suites at once).
///
/// - `cpu_bound` takes it exclusive: a test that keeps cores busy (spinners, switches, spawns) or
///   whose figures the CPU of others would move runs beside no other holder.
/// - `quiet` takes it shared: a test that takes little CPU (sleepers, blocking sleeps) but whose
///   timings a busy core would move runs beside other quiet ones, never beside a CPU-bound one.
pub struct CpuLock {
    _file: std::fs::File,
    /// When the lock was taken, for `VERSUS_LOCK_LOG`.
    taken: Instant,
    /// 'x' exclusive or 's' shared, for `VERSUS_LOCK_LOG`.
    mode: char,
}

/// With `VERSUS_LOCK_LOG=FILE`, each holder appends how long it held the lock, how (x exclusive,
/// s shared) and its name: the exclusive lines are the serial part of the suite's time, test by
/// test (`sort -rn FILE`).
impl Drop for CpuLock {
    fn drop(&mut self) {
        let name = std::thread::current().name().unwrap_or("?").to_string();
        let secs = self.taken.elapsed().as_secs_f64();
        log_line(&format!("{secs:.1} {} {name}", self.mode));
    }
}

/// The file `cpu_bound` and `quiet` lock.
pub const CPU_LOCK_PATH: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/versus-cpu-bound.lock");

/// Waits for the suite's CPU lock, exclusive (see `CpuLock`).
pub fn cpu_bound() -> CpuLock {
    take_cpu_lock(libc::LOCK_EX, 'x')
}

/// Waits for the suite's CPU lock, shared with other quiet tests (see `CpuLock`).
pub fn quiet() -> CpuLock {
    take_cpu_lock(libc::LOCK_SH, 's')
}

fn take_cpu_lock(operation: libc::c_int, mode: char) -> CpuLock {
    use std::os::fd::AsRawFd;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(CPU_LOCK_PATH)
        .unwrap_or_else(|e| panic!("{CPU_LOCK_PATH}: {e}"));
    loop {
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return CpuLock {
                _file: file,
                taken: Instant::now(),
                mode,
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

/// How a shared run holds the CPU lock while it runs (`shared_run`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hold {
    CpuBound,
    Quiet,
    Nothing,
}

impl Hold {
    /// Waits for the lock this names (`cpu_bound`, `quiet`, or none).
    pub fn take(self) -> Option<CpuLock> {
        match self {
            Hold::CpuBound => Some(cpu_bound()),
            Hold::Quiet => Some(quiet()),
            Hold::Nothing => None,
        }
    }
}

/// One headless run that several tests read: started by the first test that asks for it (holding
/// the lock `hold` names), waited for by the others asking meanwhile, and kept for the rest of the
/// test binary. Tests that check different claims of the same launch share it instead of running
/// it again each (the suite's time is its runs'). Each reader asserts what it needs of the result.
pub fn shared_run(hold: Hold, args: &[&str]) -> (Option<i32>, Value) {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Runs = Mutex<HashMap<(Hold, Vec<String>), Arc<OnceLock<(Option<i32>, Value)>>>>;
    static RUNS: OnceLock<Runs> = OnceLock::new();
    let key = (hold, args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
    let cell = RUNS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(key)
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let _lock = hold.take();
        headless(args)
    })
    .clone()
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

/// `shared_run(hold, until_steady(ARGS))`. The caller must not hold the CPU lock itself: the run
/// takes it (a second flock of this process on the file would wait for the first).
pub fn shared_steady(hold: Hold, args: &[&str]) -> (Option<i32>, Value) {
    shared_run(hold, &until_steady(args))
}

/// The default launch at nice 0, until steady, shared by the tests that read it: it takes 0.04 cores
/// and keeps up beside any other test (`model::saturation::OWN_CORES`), so it holds no lock.
pub fn default_run() -> (Option<i32>, Value) {
    shared_steady(Hold::Nothing, &["--nice", "0"])
}

/// The steady run of a preset at nice 0 (on equal terms with whatever else runs: at the default nice
/// 10 beside a build, 10,000 threads were still spawning after 6 s) that its headline
/// test reads (`headline.rs`), shared with the other tests of the same launch (`claims.rs` reads the
/// switch run, `scenarios.rs` the spawn, switch and contention runs).
/// Beside another run, a figure of CPU time or lateness is the machine's sharing as much as its own:
/// those runs take the CPU lock exclusive. Memory per unit or connection does not move with the
/// load, nor does whether blocking's sleepers are compared.
pub fn preset_run(scenario: &str) -> (Option<i32>, Value) {
    // Blocking's run is read only for its headline's shape (compared, both measured), and its
    // blocking calls sleep: beside a busy test its lateness moves, but it is still compared.
    let hold = match scenario {
        "memory" | "echo" | "blocking" => Hold::Nothing,
        _ => Hold::CpuBound,
    };
    shared_run(
        hold,
        &[
            "--until-steady",
            "--duration",
            STEADY_BOUND,
            "--scenario",
            scenario,
            "--nice",
            "0",
        ],
    )
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
