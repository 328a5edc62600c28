//! What a unit (task or thread) shares with its side: the alive/target counters that let units
//! retire without an id, and the probe they record into (ops, wake-up lateness).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use parking_lot::Mutex;

use crate::protocol::Percentiles;

/// Lateness histograms are sharded by unit index so 10,000 threads do not queue on one lock.
const SHARDS: usize = 64;
/// Highest lateness recorded: 10 minutes in µs; above that values are clamped.
const MAX_LATENESS_US: u64 = 600_000_000;

/// State of one side shared by all its units, its spawner and its reporter.
pub struct SideShared {
    /// Units alive (spawned and not retired).
    pub alive: AtomicU64,
    /// Units asked for.
    pub target: AtomicU64,
    /// Units of work done (what counts as one is the workload's choice).
    pub ops: AtomicU64,
    lateness: Vec<Mutex<Histogram<u64>>>,
    /// Wake-up − the moment the timer fired (see `timer`); async: stamped units only.
    sched_delay: Vec<Mutex<Histogram<u64>>>,
    errors: Mutex<Vec<String>>,
    limit_hit: Mutex<Option<(String, Option<String>)>>,
}

impl std::fmt::Debug for SideShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SideShared")
            .field("alive", &self.alive)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENESS_US, 2).expect("constant histogram bounds are valid")
}

/// p50 / p99 / max of a histogram, None when empty.
pub fn percentiles(h: &Histogram<u64>) -> Option<Percentiles> {
    (!h.is_empty()).then(|| Percentiles {
        count: h.len(),
        p50_us: h.value_at_quantile(0.5),
        p99_us: h.value_at_quantile(0.99),
        max_us: h.max(),
    })
}

impl Default for SideShared {
    fn default() -> Self {
        SideShared {
            alive: AtomicU64::new(0),
            target: AtomicU64::new(0),
            ops: AtomicU64::new(0),
            lateness: (0..SHARDS).map(|_| Mutex::new(new_histogram())).collect(),
            sched_delay: (0..SHARDS).map(|_| Mutex::new(new_histogram())).collect(),
            errors: Mutex::new(Vec::new()),
            limit_hit: Mutex::new(None),
        }
    }
}

impl SideShared {
    /// Moves the lateness recorded since the last call into `into`.
    pub fn drain_lateness(&self, into: &mut Histogram<u64>) {
        drain(&self.lateness, into);
    }

    /// Moves the scheduling delay recorded since the last call into `into`.
    pub fn drain_sched_delay(&self, into: &mut Histogram<u64>) {
        drain(&self.sched_delay, into);
    }

    /// Records a scheduling delay: wake-up − the moment the timer fired.
    pub fn record_sched_delay(&self, shard: u64, delay: Duration) {
        record(&self.sched_delay, shard, delay);
    }

    /// Records a wake-up lateness from outside a unit (e.g. a helper task of a workload).
    pub fn record_lateness(&self, shard: u64, late: Duration) {
        record(&self.lateness, shard, late);
    }

    /// An error worth showing; kept until the reporter sends it (at most 100 per interval).
    pub fn push_error(&self, e: String) {
        let mut errors = self.errors.lock();
        if errors.len() < 100 {
            errors.push(e);
        }
    }

    pub fn take_errors(&self) -> Vec<String> {
        std::mem::take(&mut *self.errors.lock())
    }

    /// Scaling stopped because of `why` (and the limit `name`, when known); the target is lowered to what is alive.
    pub fn hit_limit(&self, why: String, name: Option<String>) {
        self.target
            .store(self.alive.load(Ordering::SeqCst), Ordering::SeqCst);
        *self.limit_hit.lock() = Some((why, name));
    }

    /// (what happened, which limit) of the last limit hit.
    pub fn limit_hit(&self) -> Option<(String, Option<String>)> {
        self.limit_hit.lock().clone()
    }

    pub fn clear_limit(&self) {
        *self.limit_hit.lock() = None;
    }
}

/// Adds every shard into `into` and empties the shards.
fn drain(shards: &[Mutex<Histogram<u64>>], into: &mut Histogram<u64>) {
    for shard in shards {
        let mut h = shard.lock();
        // Both histograms share bounds, so adding cannot fail; a failure would only lose a sample.
        let _ = into.add(&*h);
        h.reset();
    }
}

/// Records `d` in µs (at least 1, at most MAX_LATENESS_US) in the shard of `shard`.
fn record(shards: &[Mutex<Histogram<u64>>], shard: u64, d: Duration) {
    let us = (d.as_micros() as u64).clamp(1, MAX_LATENESS_US);
    let _ = shards[(shard % SHARDS as u64) as usize].lock().record(us);
}

/// One task or thread of a workload. Dropping it counts it as gone.
pub struct Unit {
    /// Spawn order, unique within the side; workloads use it to spread phases.
    pub index: u64,
    pub shared: Arc<SideShared>,
    retired: bool,
}

impl Unit {
    /// Counts a new unit as alive; the spawner calls this just before it spawns.
    pub fn enlist(index: u64, shared: Arc<SideShared>) -> Unit {
        shared.alive.fetch_add(1, Ordering::SeqCst);
        Unit {
            index,
            shared,
            retired: false,
        }
    }

    /// A unit the spawner has already counted as alive (a batch at once).
    pub fn enlisted(index: u64, shared: Arc<SideShared>) -> Unit {
        Unit {
            index,
            shared,
            retired: false,
        }
    }

    /// True when the side has more units than asked for; this unit then counts as gone and must end.
    /// Units call it once per iteration, so scaling down needs no per-unit handle.
    pub fn retire_if_surplus(&mut self) -> bool {
        let target = self.shared.target.load(Ordering::Relaxed);
        let gone = self
            .shared
            .alive
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |alive| {
                (alive > target).then(|| alive - 1)
            })
            .is_ok();
        self.retired |= gone;
        gone
    }

    pub fn add_ops(&self, n: u64) {
        self.shared.ops.fetch_add(n, Ordering::Relaxed);
    }

    /// How late a wake-up was, measured by the unit itself.
    pub fn record_lateness(&self, late: Duration) {
        self.shared.record_lateness(self.index, late);
    }

    /// A timer wake-up for `deadline`, now: lateness against the deadline and, when the moment the
    /// timer fired is known (`fired`), scheduling delay against that moment.
    pub fn record_wake(&self, deadline: Instant, fired: Option<Instant>) {
        let now = Instant::now();
        self.record_lateness(now.saturating_duration_since(deadline));
        if let Some(fired) = fired {
            self.shared
                .record_sched_delay(self.index, now.saturating_duration_since(fired));
        }
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        if !self.retired {
            self.shared.alive.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Running totals of a workload (round trips, ns spent, context switches ...) turned into their change over
/// about the last second, so a figure from `extra()` is as steady as the rates the model derives.
#[derive(Debug)]
pub struct TotalsWindow<const N: usize> {
    /// Oldest first; the front is the newest snapshot at least `TOTALS_WINDOW` old once there is one.
    snaps: VecDeque<(Instant, [u64; N])>,
}

/// Span of `TotalsWindow`, the same as the model's rate window.
pub const TOTALS_WINDOW: Duration = Duration::from_secs(1);

impl<const N: usize> Default for TotalsWindow<N> {
    fn default() -> Self {
        TotalsWindow {
            snaps: VecDeque::new(),
        }
    }
}

impl<const N: usize> TotalsWindow<N> {
    /// Takes the totals read now; returns the seconds and the change of each total since the
    /// newest snapshot at least `TOTALS_WINDOW` old (or the oldest kept), None on the first call.
    pub fn advance(&mut self, now: Instant, totals: [u64; N]) -> Option<(f64, [u64; N])> {
        while self.snaps.len() >= 2 && self.snaps[1].0 + TOTALS_WINDOW <= now {
            self.snaps.pop_front();
        }
        let delta = self.snaps.front().map(|(t, base)| {
            let mut d = [0; N];
            for (d, (new, old)) in d.iter_mut().zip(totals.iter().zip(base)) {
                *d = new.saturating_sub(*old);
            }
            (now.saturating_duration_since(*t).as_secs_f64(), d)
        });
        self.snaps.push_back((now, totals));
        delta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surplus_units_retire_until_alive_meets_target() {
        let shared = Arc::new(SideShared::default());
        let mut units: Vec<Unit> = (0..5).map(|i| Unit::enlist(i, shared.clone())).collect();
        shared.target.store(2, Ordering::SeqCst);
        let retired = units
            .iter_mut()
            .filter_map(|u| u.retire_if_surplus().then_some(()))
            .count();
        assert_eq!(retired, 3);
        assert_eq!(shared.alive.load(Ordering::SeqCst), 2);
        drop(units);
        assert_eq!(
            shared.alive.load(Ordering::SeqCst),
            0,
            "retired units are not counted twice"
        );
    }

    #[test]
    fn lateness_drains_once() {
        let shared = SideShared::default();
        shared.record_lateness(1, Duration::from_micros(100));
        shared.record_lateness(2, Duration::from_micros(300));
        let mut h = new_histogram();
        shared.drain_lateness(&mut h);
        let p = percentiles(&h).expect("two values");
        assert_eq!(p.count, 2);
        assert!(p.max_us >= 299 && p.max_us <= 301);
        let mut again = new_histogram();
        shared.drain_lateness(&mut again);
        assert!(percentiles(&again).is_none());
    }

    #[test]
    fn totals_window_spans_about_a_second() {
        let t0 = Instant::now();
        let mut w = TotalsWindow::<1>::default();
        assert_eq!(w.advance(t0, [0]), None);
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(w.advance(at(250), [10]), Some((0.25, [10])));
        for (i, ms) in [500, 750, 1000, 1250, 1500].into_iter().enumerate() {
            w.advance(at(ms), [10 * (i as u64 + 2)]);
        }
        // At 1.75 s the base is the snapshot taken at 0.75 s (totals 30).
        let (secs, [d]) = w.advance(at(1750), [80]).expect("has a base");
        assert!((secs - 1.0).abs() < 1e-9 && d == 50, "{secs} {d}");
    }
}

/// A role only some units play (blocker, spinner), counted so a side keeps `limit` of them across
/// scaling: a unit claims one when it starts, and gives it back when it retires.
#[derive(Debug, Default)]
pub struct Roles(AtomicU64);

/// A claimed role, given back on drop.
#[derive(Debug)]
pub struct Role<'a>(&'a AtomicU64);

impl Roles {
    /// A role while fewer than `limit` are held; `limit` 0 means one per worker thread (`workers`):
    /// work stealing hides one busy worker while another is free, so it takes one on each.
    pub fn claim(&self, limit: u64, workers: usize) -> Option<Role<'_>> {
        let limit = if limit == 0 { workers as u64 } else { limit };
        let free = |n: u64| (n < limit).then_some(n + 1);
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, free)
            .ok()?;
        Some(Role(&self.0))
    }
}

impl Drop for Role<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod role_tests {
    use super::Roles;

    #[test]
    fn roles_stop_at_their_limit_and_come_back_on_drop() {
        let roles = Roles::default();
        let a = roles.claim(2, 8);
        let b = roles.claim(2, 8);
        assert!(a.is_some() && b.is_some());
        assert!(
            roles.claim(2, 8).is_none(),
            "a third role past the limit of 2"
        );
        drop(a);
        assert!(roles.claim(2, 8).is_some(), "a dropped role is free again");
        // Limit 0: one per worker thread.
        let per_worker = Roles::default();
        let held: Vec<_> = (0..3).filter_map(|_| per_worker.claim(0, 2)).collect();
        assert_eq!(held.len(), 2);
    }
}
