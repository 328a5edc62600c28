//! Overload relief for the stage: when the screen falls far behind while a side cannot keep up with
//! what its units ask (10,000 threads each waking every millisecond ask 10M wake-ups a second, which
//! the kernel serves from timer interrupts that no nice level or scheduling group outranks), that side
//! is scaled down ÷10 and the screen says why. The TUI only; a headless run has no screen to lose.

use std::time::Duration;

use super::Session;
use crate::model::saturation::saturation_of;
use crate::model::{Model, Status};
use crate::protocol::Side;

/// Frames this far behind, and the screen says "UI starved": the speaker is losing the stage. (1 s at
/// first: at `sleep_ms=1` the slowest key press then took 0.4–0.9 s while the threads side ramped.)
pub const RELIEF_AFTER: Duration = crate::uitrace::STARVED_AFTER;
/// After a relief, the machine gets this long to catch up before the next one.
const RELIEF_EVERY_S: f64 = 5.0;
/// Fewer OS threads and a side's wake-ups are made by its own threads (tokio's timer), weighed by the
/// scheduler like any work of that side: it cannot take the screen, however saturated (a million
/// sleeping tasks stay a million).
const MIN_OS_THREADS: u64 = 500;
/// ... and the side itself keeps at least this share of the machine's cores busy. Without it, a
/// default launch (1,000 threads, 10k wake-ups a second, 0.1–0.2 cores) beside a test suite was late
/// enough to count as saturated and was scaled down to 100: the lag was someone else's.
const OWN_SHARE: f64 = 0.5;

/// The side to scale down and why: a running side that is not keeping up with what its units ask
/// while it keeps at least half of the machine's `cores` busy itself, judged on its latest figures
/// (during a ramp too: a ramp that never ends is the overload). Of two, the one with the most OS
/// threads, whose wake-ups the kernel makes in interrupt context.
pub fn overloaded(model: &Model, cores: f64) -> Option<(Side, String)> {
    model
        .sides
        .iter()
        .filter(|m| m.status == Status::Running)
        .filter_map(|m| {
            let f = m
                .figures
                .as_ref()
                .filter(|f| f.os_threads >= MIN_OS_THREADS && f.cores_used >= OWN_SHARE * cores)?;
            Some((f.os_threads, m.side, saturation_of(&model.run, m)?))
        })
        .max_by_key(|(threads, _, _)| *threads)
        .map(|(_, side, why)| (side, why))
}

impl Session {
    /// Called after each frame with how far behind it was.
    pub fn relieve_overload(&mut self, behind: Duration) {
        let now = self.now_s();
        let recent = self.last_relief_s.is_some_and(|t| now - t < RELIEF_EVERY_S);
        if behind < RELIEF_AFTER || recent {
            return;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let Some((side, why)) = overloaded(&self.model, cores) else {
            return;
        };
        let alive = self
            .model
            .side(side)
            .figures
            .as_ref()
            .map_or(0, |f| f.units);
        let units = alive / 10;
        self.set_units(side, units);
        self.last_relief_s = Some(now);
        self.notice = Some(format!(
            "{} side scaled down to {units} units: the screen fell {:.1} s behind ({why})",
            side.name(),
            behind.as_secs_f64()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Figures, RunInfo};

    /// Two sides of 1 ms sleepers, each side's (units, OS threads, ops/s), keeping one core busy each.
    fn model(sleep_ms: &str, figures: [(u64, u64, f64); 2]) -> Model {
        let run = RunInfo {
            params: vec![("sleep_ms".into(), sleep_ms.into())],
            ..crate::model::tests::run()
        };
        let mut m = Model::new(run, 10.0);
        for side in Side::BOTH {
            let (units, os_threads, ops_per_sec) = figures[side.index()];
            let s = &mut m.sides[side.index()];
            s.status = Status::Running;
            let mut f = Figures::empty(side, "sleep");
            (f.units, f.os_threads, f.ops_per_sec) = (units, os_threads, ops_per_sec);
            f.cores_used = 1.0;
            s.figures = Some(f);
            // At that count for the last 10 s: every unit owes its wake-ups.
            for t in 0..=10u32 {
                s.history.push(crate::model::Point {
                    t_s: f64::from(t),
                    units: units as f64,
                    ..Default::default()
                });
            }
        }
        m
    }

    #[test]
    fn the_side_that_cannot_keep_up_is_the_one_relieved() {
        // 1 ms sleepers: async keeps up with 1,000 tasks, 2,154 threads do a fifth of their wake-ups.
        let m = model("1", [(1_000, 3, 990_000.0), (2_154, 2_157, 400_000.0)]);
        let (side, why) = overloaded(&m, 2.0).expect("the threads side is overloaded");
        assert_eq!(side, Side::Threads);
        assert!(why.contains("wake-ups asked"), "{why}");
        // Both saturated: the async side's 3 threads cannot take the screen; the threads side can.
        let m = model("1", [(10_000, 3, 500_000.0), (2_154, 2_157, 400_000.0)]);
        assert_eq!(overloaded(&m, 2.0).map(|o| o.0), Some(Side::Threads));
        let m = model("1", [(1_000_000, 3, 500_000.0), (100, 103, 90_000.0)]);
        assert_eq!(overloaded(&m, 2.0), None, "a million saturated tasks stay");
        // Both keep up: nothing to relieve, however late the screen (the lag is someone else's).
        let m = model("100", [(1_000, 3, 10_000.0), (1_000, 1_003, 10_000.0)]);
        assert_eq!(overloaded(&m, 2.0), None);
        // Saturated, but using a tenth of a core: late because someone else has the cores.
        let mut m = model("100", [(1_000, 3, 10_000.0), (1_000, 1_003, 5_000.0)]);
        assert_eq!(overloaded(&m, 2.0).map(|o| o.0), Some(Side::Threads));
        m.sides[1].figures.as_mut().unwrap().cores_used = 0.1;
        assert_eq!(overloaded(&m, 2.0), None, "the lag is someone else's");
        // Every wake-up done, but a p99 three periods late: a backlog all the same.
        let mut m = model("100", [(1_000, 3, 10_000.0), (1_000, 1_003, 10_000.0)]);
        m.sides[1].figures.as_mut().unwrap().lateness_p99_us = Some(300_000);
        let (side, why) = overloaded(&m, 2.0).expect("late threads are overloaded");
        assert_eq!(side, Side::Threads);
        assert!(why.contains("lateness p99 300 ms > 100 ms period"), "{why}");
        // Threads sleeping 10 s, all spawned in the last second, none woken yet: they owe nothing
        // (the limits step was once scaled down mid-reach on "0/s of 62/s wake-ups").
        let mut m = model("10000", [(1_000, 3, 100.0), (6_000, 6_003, 0.0)]);
        m.sides[1].history = crate::model::Ring::new(10);
        for (t, units) in [(0.0, 0.0), (1.0, 6_000.0)] {
            m.sides[1].history.push(crate::model::Point {
                t_s: t,
                units,
                ..Default::default()
            });
        }
        assert_eq!(overloaded(&m, 2.0), None);
        // A stopped side is never scaled.
        let mut m = model("1", [(1_000, 3, 990_000.0), (2_154, 2_157, 400_000.0)]);
        m.sides[1].status = Status::Stopped;
        assert_eq!(overloaded(&m, 2.0), None);
    }
}
