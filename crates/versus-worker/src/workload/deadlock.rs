//! `deadlock`: two locks taken in opposite order. Units work in pairs; each pair shares locks A and B.
//! The first unit takes A then B, the second (with `inverted`) B then A, with a short pause between
//! the two, so both end up holding one lock and waiting for the other, for ever. Tasks deadlock too:
//! the async side holds a `tokio::sync::Mutex` guard across an `.await`, and nothing preempts it.
//! Detection is the same on both sides: each unit notes the lock it waits for and the locks it holds
//! in a wait-for record, and the reporter looks for cycles in it once per interval, off the hot path.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::{BuildCtx, Kind, ParamDef, UnitFuture, Workload};
use crate::figure::{Direction, Figure, Format, Panel};
use crate::workload::Unit;
use crate::workload::unit::TotalsWindow;

pub const KIND: Kind = Kind {
    name: "deadlock",
    summary: "pairs of units take two locks, in opposite order (hard to coordinate)",
    caption: "Each pair takes locks A and B in opposite order: both sides deadlock within a round, ops \
              drop to 0 and CPU to near 0. Tasks deadlock too (a tokio Mutex held across .await). \
              inverted=false takes them in one order and the work flows. r restarts a side.",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&DEADLOCKED_UNITS],
    pace: None,
    churns: false,
    source: ("deadlock.rs", include_str!("deadlock.rs")),
};

// "deadlock  10 units in 5 cycles"
pub const DEADLOCKED_UNITS: Figure =
    Figure::extra("deadlocked_units", Format::Count, Direction::LessIsBetter)
        .panel(Panel::segment("deadlock", "{} units"))
        .total("deadlocked_units", "units deadlocked");
pub const DEADLOCK_CYCLES: Figure =
    Figure::extra("deadlock_cycles", Format::Count, Direction::LessIsBetter)
        .panel(Panel::segment("deadlock", "in {} cycles"));
pub const ROUNDS_PER_SEC: Figure =
    Figure::extra("rounds_per_sec", Format::PerSec, Direction::MoreIsBetter)
        .panel(Panel::row("rounds").minor());
const FIGURES: &[Figure] = &[DEADLOCKED_UNITS, DEADLOCK_CYCLES, ROUNDS_PER_SEC];

const PARAMS: &[ParamDef] = &[
    ParamDef::flag(
        "inverted",
        true,
        "the second unit of each pair takes the locks in the opposite order (the bug)",
    ),
    ParamDef::int(
        "hold_ms",
        5,
        0,
        10_000,
        "pause between taking the first lock and the second, ms",
    ),
    ParamDef::int("tick_ms", 10, 1, 60_000, "pause between two rounds, ms"),
];

struct Deadlock {
    inverted: bool,
    hold: Duration,
    tick: Duration,
    /// The two locks of each pair, by pair number (unit index / 2), made when the first unit needs them.
    async_locks: Mutex<HashMap<u64, Arc<[tokio::sync::Mutex<()>; 2]>>>,
    thread_locks: Mutex<HashMap<u64, Arc<[Mutex<()>; 2]>>>,
    wait_for: Mutex<WaitFor>,
    rounds: AtomicU64,
    window: Mutex<TotalsWindow<1>>,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    Ok(Arc::new(Deadlock {
        inverted: ctx.params.flag("inverted"),
        hold: Duration::from_millis(ctx.params.int("hold_ms").max(0) as u64),
        tick: Duration::from_millis(ctx.params.int("tick_ms").max(1) as u64),
        async_locks: Mutex::new(HashMap::new()),
        thread_locks: Mutex::new(HashMap::new()),
        wait_for: Mutex::new(WaitFor::default()),
        rounds: AtomicU64::new(0),
        window: Mutex::new(TotalsWindow::default()),
    }))
}

impl Deadlock {
    /// The unit's pair and the order it takes the pair's locks in: (pair, [first, second]).
    fn order(&self, unit: &Unit) -> (u64, [usize; 2]) {
        let second_of_pair = unit.index % 2 == 1;
        let order = if second_of_pair && self.inverted {
            [1, 0]
        } else {
            [0, 1]
        };
        (unit.index / 2, order)
    }

    fn async_pair(&self, pair: u64) -> Arc<[tokio::sync::Mutex<()>; 2]> {
        let mut locks = self.async_locks.lock();
        locks.entry(pair).or_default().clone()
    }

    fn thread_pair(&self, pair: u64) -> Arc<[Mutex<()>; 2]> {
        let mut locks = self.thread_locks.lock();
        locks.entry(pair).or_default().clone()
    }

    fn waits(&self, unit: &Unit, pair: u64, lock: usize) {
        self.wait_for.lock().waits(unit.index, lock_id(pair, lock));
    }

    fn holds(&self, unit: &Unit, pair: u64, lock: usize) {
        self.wait_for.lock().holds(unit.index, lock_id(pair, lock));
    }

    /// Called while the guards are still held, so no other unit can have taken the locks yet.
    fn releasing(&self, unit: &Unit, pair: u64) {
        let mut w = self.wait_for.lock();
        w.released(lock_id(pair, 0));
        w.released(lock_id(pair, 1));
        w.waiting.remove(&unit.index);
    }

    fn round_done(&self, unit: &mut Unit) {
        self.rounds.fetch_add(1, Ordering::Relaxed);
        unit.add_ops(1);
    }
}

impl Workload for Deadlock {
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        Box::pin(async move {
            let (pair, [first, second]) = self.order(&unit);
            let locks = self.async_pair(pair);
            // core loop
            loop {
                self.waits(&unit, pair, first);
                let a = locks[first].lock().await;
                self.holds(&unit, pair, first);
                // The guard is held across this .await: the other task of the pair runs meanwhile.
                tokio::time::sleep(self.hold).await;
                self.waits(&unit, pair, second);
                let b = locks[second].lock().await;
                self.holds(&unit, pair, second);
                self.releasing(&unit, pair);
                drop((b, a));
                self.round_done(&mut unit);
                if unit.retire_if_surplus() {
                    return;
                }
                tokio::time::sleep(self.tick).await;
            }
        })
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        let (pair, [first, second]) = self.order(&unit);
        let locks = self.thread_pair(pair);
        // core loop
        loop {
            self.waits(&unit, pair, first);
            let a = locks[first].lock();
            self.holds(&unit, pair, first);
            std::thread::sleep(self.hold);
            self.waits(&unit, pair, second);
            let b = locks[second].lock();
            self.holds(&unit, pair, second);
            self.releasing(&unit, pair);
            drop((b, a));
            self.round_done(&mut unit);
            if unit.retire_if_surplus() {
                return;
            }
            std::thread::sleep(self.tick);
        }
    }

    /// deadlocked_units and deadlock_cycles from the wait-for record; rounds_per_sec over the last second.
    fn extra(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        let (units, cycles) = self.wait_for.lock().deadlocked();
        out.insert(DEADLOCKED_UNITS.key.into(), units as f64);
        out.insert(DEADLOCK_CYCLES.key.into(), cycles as f64);
        let totals = [self.rounds.load(Ordering::Relaxed)];
        if let Some((secs, [rounds])) = self.window.lock().advance(Instant::now(), totals)
            && secs > 0.0
        {
            out.insert(ROUNDS_PER_SEC.key.into(), rounds as f64 / secs);
        }
        out
    }
}

fn lock_id(pair: u64, lock: usize) -> u64 {
    pair * 2 + lock as u64
}

/// Who holds which lock and who waits for which: enough to find a cycle of units each waiting for a
/// lock the next one holds. A unit in such a cycle can never go on.
#[derive(Debug, Default)]
struct WaitFor {
    /// lock → the unit that holds it.
    owner: HashMap<u64, u64>,
    /// unit → the lock it waits for.
    waiting: HashMap<u64, u64>,
}

impl WaitFor {
    fn waits(&mut self, unit: u64, lock: u64) {
        self.waiting.insert(unit, lock);
    }

    fn holds(&mut self, unit: u64, lock: u64) {
        self.waiting.remove(&unit);
        self.owner.insert(lock, unit);
    }

    fn released(&mut self, lock: u64) {
        self.owner.remove(&lock);
    }

    /// (units in cycles, cycles): follows unit → awaited lock → its owner from every waiting unit.
    fn deadlocked(&self) -> (u64, u64) {
        let next = |unit: u64| {
            self.waiting
                .get(&unit)
                .and_then(|lock| self.owner.get(lock))
                .copied()
        };
        let mut in_cycle: std::collections::HashSet<u64> = std::collections::HashSet::new();
        let mut cycles = 0;
        for &start in self.waiting.keys() {
            if in_cycle.contains(&start) {
                continue;
            }
            // Walk at most as many steps as there are waiting units; a repeat is a cycle.
            let mut path: Vec<u64> = vec![start];
            let mut at = start;
            while let Some(n) = next(at) {
                if let Some(pos) = path.iter().position(|&u| u == n) {
                    if path[pos..].iter().all(|u| !in_cycle.contains(u)) {
                        cycles += 1;
                        in_cycle.extend(&path[pos..]);
                    }
                    break;
                }
                if path.len() > self.waiting.len() {
                    break;
                }
                path.push(n);
                at = n;
            }
        }
        (in_cycle.len() as u64, cycles)
    }
}

#[cfg(test)]
mod tests {
    use super::WaitFor;

    #[test]
    fn two_units_each_holding_what_the_other_awaits_are_one_cycle() {
        let mut w = WaitFor::default();
        w.holds(0, 10);
        w.holds(1, 11);
        w.waits(0, 11);
        assert_eq!(w.deadlocked(), (0, 0), "one waiter alone is no deadlock");
        w.waits(1, 10);
        assert_eq!(w.deadlocked(), (2, 1));
        // A third unit waiting on the cycle is stuck, but not in the cycle.
        w.waits(2, 10);
        assert_eq!(w.deadlocked(), (2, 1));
        // Another pair, deadlocked the same way: two cycles.
        w.holds(4, 20);
        w.holds(5, 21);
        w.waits(4, 21);
        w.waits(5, 20);
        assert_eq!(w.deadlocked(), (4, 2));
        // Released, the first cycle is gone.
        w.released(10);
        w.released(11);
        assert_eq!(w.deadlocked(), (2, 1));
    }

    #[test]
    fn a_chain_without_a_loop_is_not_a_deadlock() {
        let mut w = WaitFor::default();
        w.holds(0, 1);
        w.holds(1, 2);
        w.waits(0, 2);
        w.waits(1, 3);
        assert_eq!(w.deadlocked(), (0, 0));
    }
}
