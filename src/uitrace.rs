//! How late the UI is: an optional trace of keys read and frames flushed (`VERSUS_TRACE_FRAMES=FILE`,
//! for benches/key-latency.sh), and the starvation watch behind the "UI starved" notice.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Names the file the trace goes to; unset (the default), nothing is written.
pub const TRACE_VAR: &str = "VERSUS_TRACE_FRAMES";

/// Lateness that counts as starved: a frame this much past its due time, or a frame write blocked
/// this long. Keys redraw within 1/fps (50 ms at 20 fps), so a quarter second is plainly visible.
pub const STARVED_AFTER: Duration = Duration::from_millis(250);

/// The run-queue wait is summed over this window of frames: at 20 fps a loop that waits 200 ms before
/// each of its frames is never 250 ms late once, yet keys then took up to 1.1 s (`sleep_ms=1`, 1,281
/// threads on the other side).
const WAIT_WINDOW: Duration = Duration::from_secs(1);

/// How long a starvation stays said on screen after the last late frame.
const STARVED_SHOWN_FOR: Duration = Duration::from_secs(3);

/// CLOCK_MONOTONIC in ns, the clock `time.monotonic_ns()` reads in the bench, so both line up.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// One line per event: `key <read_ns>` when the input thread reads a key, `frame <due_ns> <start_ns>
/// <flushed_ns> <run_delay_ns>` when a frame is written and flushed to the terminal (run delay: the
/// loop thread's total wait on the run queue so far, from /proc/thread-self/schedstat).
#[derive(Clone, Default)]
pub struct Trace {
    out: Option<Arc<Mutex<BufWriter<File>>>>,
}

impl Trace {
    /// The trace named by VERSUS_TRACE_FRAMES, or one that writes nothing. A file that cannot be
    /// created is said on stderr once and the app runs untraced.
    pub fn from_env() -> Trace {
        let Some(path) = std::env::var_os(TRACE_VAR) else {
            return Trace::default();
        };
        match File::create(&path) {
            Ok(f) => Trace {
                out: Some(Arc::new(Mutex::new(BufWriter::new(f)))),
            },
            Err(e) => {
                eprintln!("versus: {TRACE_VAR}={}: {e}", path.to_string_lossy());
                Trace::default()
            }
        }
    }

    pub fn key(&self, read_ns: u64) {
        self.line(format_args!("key {read_ns}\n"));
    }

    pub fn frame(&self, due_ns: u64, start_ns: u64, flushed_ns: u64, run_delay_ns: u64) {
        self.line(format_args!(
            "frame {due_ns} {start_ns} {flushed_ns} {run_delay_ns}\n"
        ));
    }

    fn line(&self, args: std::fmt::Arguments<'_>) {
        if let Some(out) = &self.out {
            let mut w = out.lock();
            // Flushed per line: the bench reads the file while the app runs. Errors are dropped, a
            // trace must never take the UI down.
            let _ = w.write_fmt(args).and_then(|()| w.flush());
        }
    }
}

/// Total time this thread has waited on a run queue, ns (second field of /proc/thread-self/schedstat);
/// 0 where the kernel has no schedstat.
pub fn own_run_delay_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Watches each frame for lateness: how long after its due time it started, how long writing it
/// took (a terminal that does not read blocks the write), and how long the loop waited to run.
#[derive(Debug)]
pub struct Starvation {
    /// How far behind the latest frame was.
    pub last: Duration,
    worst: Duration,
    last_seen: Option<Instant>,
    last_run_delay_ns: u64,
    /// (frame time, run delay total then) of the frames of the last `WAIT_WINDOW`, oldest first.
    window: std::collections::VecDeque<(Instant, u64)>,
}

impl Starvation {
    /// Starts counting the run-queue wait from now, not from the thread's start.
    pub fn starting_now() -> Starvation {
        Starvation {
            last: Duration::ZERO,
            worst: Duration::ZERO,
            last_seen: None,
            last_run_delay_ns: own_run_delay_ns(),
            window: std::collections::VecDeque::new(),
        }
    }

    /// Notes one frame; `late` is start − due, `write` the draw+flush time, `run_delay_ns` the total
    /// from `own_run_delay_ns`. The wait counted is the run-queue wait over the last `WAIT_WINDOW`
    /// (or since the previous frame, when that was longer ago).
    pub fn frame(&mut self, now: Instant, late: Duration, write: Duration, run_delay_ns: u64) {
        while self
            .window
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > WAIT_WINDOW)
        {
            self.window.pop_front();
        }
        let since = self
            .window
            .front()
            .map_or(self.last_run_delay_ns, |(_, d)| *d);
        self.window.push_back((now, run_delay_ns));
        let waited = Duration::from_nanos(run_delay_ns.saturating_sub(since));
        self.last_run_delay_ns = run_delay_ns;
        let behind = late.max(write).max(waited);
        self.last = behind;
        let showing = self
            .last_seen
            .is_some_and(|t| now.duration_since(t) < STARVED_SHOWN_FOR);
        if behind >= STARVED_AFTER {
            self.worst = if showing {
                self.worst.max(behind)
            } else {
                behind
            };
            self.last_seen = Some(now);
        } else if !showing {
            self.worst = Duration::ZERO;
            self.last_seen = None;
        }
    }

    /// "UI starved: 1.2 s behind" while a starvation is recent, with what to do about it.
    pub fn notice(&self) -> Option<String> {
        self.last_seen?;
        Some(format!(
            "UI starved: {:.1} s behind (the machine is overloaded: try --pin, or o for one side)",
            self.worst.as_secs_f64()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_frame_is_said_and_then_forgotten() {
        let mut s = Starvation::starting_now();
        s.last_run_delay_ns = 0;
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        s.frame(t0, ms(3), ms(1), 0);
        assert_eq!(s.notice(), None, "on time is not starved");
        s.frame(t0 + ms(100), ms(1200), ms(1), 0);
        let n = s.notice().expect("a 1.2 s late frame is said");
        assert!(n.contains("1.2 s"), "{n}");
        s.frame(t0 + ms(200), ms(2), ms(300), 0);
        assert!(
            s.notice().is_some_and(|n| n.contains("1.2 s")),
            "worst kept"
        );
        s.frame(t0 + ms(4000), ms(2), ms(1), 0);
        assert_eq!(s.notice(), None, "gone 3 s after the last late frame");
        // The run queue wait counts as of the previous frame.
        s.frame(t0 + ms(4100), ms(2), ms(1), 2_000_000_000);
        assert!(s.notice().is_some_and(|n| n.contains("2.0 s")));
    }

    #[test]
    fn small_waits_before_every_frame_add_up_over_a_second() {
        let mut s = Starvation::starting_now();
        s.last_run_delay_ns = 0;
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // 100 ms on the run queue before each of frames 50 ms apart: never late by much, each time.
        for i in 0..3u32 {
            s.frame(t0 + ms(50) * i, ms(2), ms(1), 100_000_000 * u64::from(i));
            assert_eq!(s.notice(), None, "frame {i}: at most 200 ms waited so far");
        }
        s.frame(t0 + ms(150), ms(2), ms(1), 300_000_000);
        assert!(
            s.notice().is_some_and(|n| n.contains("0.3 s")),
            "300 ms waited within a second"
        );
        // Frames later, the window has moved past those waits.
        s.frame(t0 + ms(5000), ms(2), ms(1), 300_000_000);
        s.frame(t0 + ms(5050), ms(2), ms(1), 301_000_000);
        assert_eq!(s.last, ms(2), "only this frame's lateness is left");
    }
}
