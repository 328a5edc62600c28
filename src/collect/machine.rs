//! Load on the machine from outside versus: CPU time the whole machine spent (`/proc/stat`) minus what
//! versus itself spent (the controller, its workers, the echo load generator), in cores. Two sides that
//! share 2 cores with a busy neighbour measure the neighbour too; the header says so.

use std::time::{Duration, Instant};

/// Readings closer together than this are too noisy to subtract.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Clock ticks per second of `/proc/stat` and `/proc/<pid>/stat` (USER_HZ: 100 on Linux).
const TICKS_PER_S: f64 = 100.0;

#[derive(Debug, Default)]
pub struct MachineLoad {
    /// When, the machine's busy seconds, and ours, at the last reading.
    last: Option<(Instant, f64, f64)>,
}

impl MachineLoad {
    /// Takes a reading when a second has passed: `ours_s` is the CPU seconds versus has spent so far
    /// (workers as they report it, plus `own_cpu_s()` and the load generator's `process_cpu_s`).
    /// Returns the cores kept busy by others since the last reading; None between readings, or when
    /// `ours_s` went down (a worker restarted and its count began again).
    pub fn sample(&mut self, ours_s: f64) -> Option<f64> {
        let now = Instant::now();
        if let Some((at, _, _)) = self.last
            && now.duration_since(at) < MIN_INTERVAL
        {
            return None;
        }
        let busy_s = machine_busy_s()?;
        let before = self.last.replace((now, busy_s, ours_s));
        let (at, busy0, ours0) = before?;
        let dt = now.duration_since(at).as_secs_f64();
        if ours_s < ours0 || dt <= 0.0 {
            return None;
        }
        Some(((busy_s - busy0) - (ours_s - ours0)).max(0.0) / dt)
    }
}

/// Seconds of CPU time the machine spent busy (user, nice, system, irq, softirq, steal), all cores.
fn machine_busy_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| v.get(i))
        .sum::<f64>();
    Some(busy / TICKS_PER_S)
}

/// CPU seconds of this process (the controller): `getrusage(RUSAGE_SELF)`.
pub fn own_cpu_s() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage for the duration of the call.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(ru.ru_utime) + secs(ru.ru_stime)
}

/// CPU seconds of process `pid` from `/proc/<pid>/stat` (utime + stime). Only for small processes (the
/// load generator): the kernel walks every thread to answer.
pub fn process_cpu_s(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / TICKS_PER_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_is_busy_at_least_as_long_as_we_are() {
        let busy = machine_busy_s().expect("/proc/stat reads");
        let ours = own_cpu_s();
        assert!(busy > 0.0 && ours >= 0.0 && busy >= ours, "{busy} {ours}");
        let me = process_cpu_s(std::process::id()).expect("our own stat reads");
        // The two clocks differ in resolution (ticks vs µs): allow a tick each way.
        assert!((me - ours).abs() < 0.5 + ours * 0.1, "{me} vs {ours}");
    }

    #[test]
    fn readings_within_a_second_give_nothing_and_a_restart_is_skipped() {
        let mut m = MachineLoad::default();
        assert_eq!(m.sample(0.0), None, "the first reading is a baseline");
        assert_eq!(m.sample(0.0), None, "too soon");
        m.last = m
            .last
            .map(|(at, b, o)| (at - Duration::from_secs(2), b, o + 100.0));
        assert_eq!(m.sample(1.0), None, "ours went down: a worker restarted");
        m.last = m.last.map(|(at, b, o)| (at - Duration::from_secs(2), b, o));
        assert!(m.sample(1.0).is_some(), "a reading two seconds on");
    }
}
