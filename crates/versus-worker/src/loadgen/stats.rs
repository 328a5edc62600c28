//! What the load generator counts per side, written by the connection tasks and read by its
//! reporter thread once per interval (never on the runtime that drives the connections).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use parking_lot::Mutex;

use super::protocol::LoadSideSample;
use crate::limits::fds;
use crate::protocol::Side;
use crate::workload::unit::{TotalsWindow, new_histogram, percentiles};

/// Latency histograms are sharded by connection so busy connections on two cores do not queue on one lock.
const SHARDS: usize = 16;
/// Distinct error texts kept per interval; more are counted under the last one.
const MAX_ERROR_KINDS: usize = 20;

/// One side's counters, shared by its connection tasks.
pub struct SideStats {
    pub side: Side,
    /// Connections asked for.
    pub target: AtomicU64,
    /// Connections connected and not failed.
    pub open: AtomicU64,
    /// Requests whose echo matched.
    pub requests: AtomicU64,
    pub errors_total: AtomicU64,
    /// Set when a limit stopped connecting: connections not yet tried give up instead of failing too.
    pub stop_opening: AtomicBool,
    latency: Vec<Mutex<Histogram<u64>>>,
    /// Error text -> how often, since the last sample.
    errors: Mutex<BTreeMap<String, u64>>,
    limit: Mutex<Option<(String, String)>>,
}

impl SideStats {
    pub fn new(side: Side) -> SideStats {
        SideStats {
            side,
            target: AtomicU64::new(0),
            open: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            errors_total: AtomicU64::new(0),
            stop_opening: AtomicBool::new(false),
            latency: (0..SHARDS).map(|_| Mutex::new(new_histogram())).collect(),
            errors: Mutex::new(BTreeMap::new()),
            limit: Mutex::new(None),
        }
    }

    /// A verified request and how long it took.
    pub fn record(&self, conn: u64, latency: Duration) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let us = (latency.as_micros() as u64).max(1);
        self.latency[(conn % SHARDS as u64) as usize]
            .lock()
            .saturating_record(us);
    }

    pub fn error(&self, text: String) {
        self.errors_total.fetch_add(1, Ordering::Relaxed);
        let mut errors = self.errors.lock();
        if errors.len() < MAX_ERROR_KINDS || errors.contains_key(&text) {
            *errors.entry(text).or_insert(0) += 1;
        } else if let Some(mut last) = errors.last_entry() {
            *last.get_mut() += 1;
        }
    }

    /// A connect failed. At a limit, opening stops (until the next target) and the limit is kept; the
    /// samples say how many connections were reached, once the connects in flight have landed.
    pub fn connect_failed(&self, e: &std::io::Error) {
        match fds::limit_of(e) {
            Some((name, detail)) => {
                self.errors_total.fetch_add(1, Ordering::Relaxed);
                if !self.stop_opening.swap(true, Ordering::SeqCst) {
                    let why = format!("connect failed: {}; {detail}", fds::describe(e));
                    *self.limit.lock() = Some((why, name.to_string()));
                }
            }
            None => self.error(format!("connect failed: {}", fds::describe(e))),
        }
    }

    /// A new target: opening may be tried again.
    pub fn retarget(&self, target: u64) {
        self.target.store(target, Ordering::SeqCst);
        self.stop_opening.store(false, Ordering::SeqCst);
        *self.limit.lock() = None;
    }

    pub(super) fn drain_latency(&self, into: &mut Histogram<u64>) {
        for shard in &self.latency {
            let mut h = shard.lock();
            let _ = into.add(&*h);
            h.reset();
        }
    }
}

/// A connection counted as open while this lives.
pub struct OpenGuard<'a>(&'a SideStats);

impl<'a> OpenGuard<'a> {
    pub fn new(stats: &'a SideStats) -> Self {
        stats.open.fetch_add(1, Ordering::SeqCst);
        OpenGuard(stats)
    }
}

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The reporter's memory of one side between samples.
pub struct SideReport {
    steady: Histogram<u64>,
    /// When the steady state started, and the requests done by then.
    steady_from: (Instant, u64),
    last_counts: (u64, u64),
    rate: TotalsWindow<1>,
}

impl Default for SideReport {
    fn default() -> Self {
        SideReport {
            steady: new_histogram(),
            steady_from: (Instant::now(), 0),
            last_counts: (u64::MAX, u64::MAX),
            rate: TotalsWindow::default(),
        }
    }
}

impl SideReport {
    pub fn sample(&mut self, stats: &SideStats, now: Instant) -> LoadSideSample {
        let open = stats.open.load(Ordering::SeqCst);
        let target = stats.target.load(Ordering::SeqCst);
        let requests_total = stats.requests.load(Ordering::Relaxed);
        let mut interval = new_histogram();
        stats.drain_latency(&mut interval);
        if (open, target) != self.last_counts {
            // The connection count moved: the steady state starts over.
            self.steady.reset();
            self.steady_from = (now, requests_total);
            self.last_counts = (open, target);
        }
        let _ = self.steady.add(&interval);
        let requests_per_sec = match self.rate.advance(now, [requests_total]) {
            Some((secs, [n])) if secs > 0.0 => n as f64 / secs,
            _ => 0.0,
        };
        let (since, base) = self.steady_from;
        let steady_s = now.saturating_duration_since(since).as_secs_f64();
        let requests_per_sec_steady =
            (steady_s >= 1.0).then(|| requests_total.saturating_sub(base) as f64 / steady_s);
        let (limit_hit, limit_name) =
            stats
                .limit
                .lock()
                .clone()
                .map_or((None, None), |(why, name)| {
                    let reached = format!("reached {open} of {target} connections: {why}");
                    (Some(reached), Some(name))
                });
        let errors = std::mem::take(&mut *stats.errors.lock())
            .into_iter()
            .map(|(text, n)| {
                if n > 1 {
                    format!("{text} (×{n})")
                } else {
                    text
                }
            })
            .collect();
        LoadSideSample {
            side: stats.side,
            target_connections: target,
            connections: open,
            requests_total,
            requests_per_sec,
            requests_per_sec_steady,
            errors_total: stats.errors_total.load(Ordering::Relaxed),
            latency: percentiles(&interval),
            latency_steady: percentiles(&self.steady),
            limit_hit,
            limit_name,
            errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_together_and_limits_kept_once() {
        let s = SideStats::new(Side::Threads);
        s.retarget(10);
        for _ in 0..3 {
            s.error("read failed".into());
        }
        let _open = OpenGuard::new(&s);
        s.record(1, Duration::from_micros(250));
        let emfile = std::io::Error::from_raw_os_error(libc::EMFILE);
        s.connect_failed(&emfile);
        s.connect_failed(&emfile);
        let mut r = SideReport::default();
        let sample = r.sample(&s, Instant::now());
        assert_eq!(sample.errors, vec!["read failed (×3)".to_string()]);
        assert_eq!(sample.errors_total, 5);
        assert_eq!((sample.connections, sample.target_connections), (1, 10));
        let hit = sample.limit_hit.expect("limit kept");
        assert!(
            hit.starts_with("reached 1 of 10 connections: connect failed: EMFILE"),
            "{hit}"
        );
        assert_eq!(sample.limit_name.as_deref(), Some(fds::RLIMIT_NOFILE));
        assert_eq!(sample.latency.map(|p| p.count), Some(1));
        assert!(
            sample.requests_per_sec_steady.is_none(),
            "a steady rate needs a second"
        );
        s.record(2, Duration::from_micros(100));
        s.record(3, Duration::from_micros(100));
        let later = r.sample(&s, Instant::now() + Duration::from_secs(2));
        assert!(
            later
                .requests_per_sec_steady
                .is_some_and(|r| r > 0.0 && r <= 1.0)
        );
        assert!(r.sample(&s, Instant::now()).errors.is_empty(), "drained");
        s.retarget(10);
        assert!(r.sample(&s, Instant::now()).limit_hit.is_none());
    }
}
