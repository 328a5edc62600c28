//! `switch`: the cost of handing control to another unit. A unit is a pair that bounces a number back
//! and forth over two channels: tokio::sync::mpsc between two tasks, std::sync::mpsc between two threads.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

use super::{BuildCtx, Kind, ParamDef, UnitFuture, Workload};
use crate::worker::sys;
use crate::workload::Unit;
use crate::workload::unit::TotalsWindow;

pub const KIND: Kind = Kind {
    name: "switch",
    summary: "pairs of units that bounce a message back and forth (the cost of a switch)",
    caption: "A task switch is a poll of another future on the same thread; a thread switch goes through the \
              kernel scheduler. Compare ns per switch and OS context switches per round trip: ~0 for a pair \
              of tasks on a current-thread runtime, ~2 for a pair of threads.",
    params: PARAMS,
    build,
};

const PARAMS: &[ParamDef] = &[];

/// Round trips between two reads of the clock and one update of the shared counters, so the
/// probe costs well under 1 ns per round trip, not the ~25 ns an Instant::now() each time would.
const ROUND_TRIPS_PER_TALLY: u64 = 256;

struct Switch {
    round_trips: AtomicU64,
    /// (round trips, OS context switches of the process, CPU µs of the process)
    window: Mutex<TotalsWindow<3>>,
}

fn build(_ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    Ok(Arc::new(Switch {
        round_trips: AtomicU64::new(0),
        window: Mutex::new(TotalsWindow::default()),
    }))
}

impl Switch {
    fn tally(&self, unit: &Unit, round_trips: u64) {
        self.round_trips.fetch_add(round_trips, Ordering::Relaxed);
        unit.add_ops(round_trips);
    }
}

impl Workload for Switch {
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        Box::pin(async move {
            let (to_partner, mut partner_rx) = tokio::sync::mpsc::channel::<u64>(1);
            let (to_unit, mut unit_rx) = tokio::sync::mpsc::channel::<u64>(1);
            // The partner ends when the unit drops its sender.
            tokio::spawn(async move {
                while let Some(n) = partner_rx.recv().await {
                    if to_unit.send(n + 1).await.is_err() {
                        return;
                    }
                }
            });
            let mut n = 0;
            loop {
                let mut done = 0;
                while done < ROUND_TRIPS_PER_TALLY {
                    if to_partner.send(n).await.is_err() {
                        break;
                    }
                    let Some(back) = unit_rx.recv().await else {
                        break;
                    };
                    n = back;
                    done += 1;
                }
                self.tally(&unit, done);
                // A partner that is gone (it cannot fail, but a panic would do it) ends the pair too.
                if done < ROUND_TRIPS_PER_TALLY || unit.retire_if_surplus() {
                    return;
                }
            }
        })
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        let (to_partner, partner_rx) = std::sync::mpsc::channel::<u64>();
        let (to_unit, unit_rx) = std::sync::mpsc::channel::<u64>();
        // The partner ends when the unit drops its sender.
        let partner = std::thread::Builder::new()
            .name("switch-partner".into())
            .spawn(move || {
                while let Ok(n) = partner_rx.recv() {
                    if to_unit.send(n + 1).is_err() {
                        return;
                    }
                }
            });
        let partner = match partner {
            Ok(p) => p,
            Err(e) => {
                return unit.shared.push_error(format!(
                    "switch partner: {}",
                    crate::limits::explain_spawn_error(&e)
                ));
            }
        };
        let mut n = 0;
        loop {
            let mut done = 0;
            while done < ROUND_TRIPS_PER_TALLY {
                if to_partner.send(n).is_err() {
                    break;
                }
                let Ok(back) = unit_rx.recv() else { break };
                n = back;
                done += 1;
            }
            self.tally(&unit, done);
            // A partner that is gone (it cannot fail, but a panic would do it) ends the pair too.
            if done < ROUND_TRIPS_PER_TALLY || unit.retire_if_surplus() {
                break;
            }
        }
        drop(to_partner);
        // Joined so the partner thread is gone before the unit counts as gone.
        let _ = partner.join();
    }

    /// switch_ns: CPU time of the side's process (getrusage, user + system, all threads) / switches
    /// of all pairs together (switches = 2 × round trips), over about the last second: a cost per
    /// switch that holds at any pair count (summing the pairs' own busy time grew with the pairs that
    /// wait their turn) and does not count time the machine gave to other processes.
    /// os_switches_per_round_trip: Δ(ru_nvcsw + ru_nivcsw) of the whole process / Δ round trips.
    fn extra(&self) -> BTreeMap<String, f64> {
        let u = sys::usage();
        let totals = [
            self.round_trips.load(Ordering::Relaxed),
            u.ctx_voluntary + u.ctx_involuntary,
            u.cpu_us,
        ];
        let mut out = BTreeMap::new();
        if let Some((_, [round_trips, os_switches, cpu_us])) =
            self.window.lock().advance(Instant::now(), totals)
            && round_trips > 0
        {
            out.insert(
                "switch_ns".into(),
                cpu_us as f64 * 1e3 / (2 * round_trips) as f64,
            );
            out.insert(
                "os_switches_per_round_trip".into(),
                os_switches as f64 / round_trips as f64,
            );
        }
        out
    }
}
