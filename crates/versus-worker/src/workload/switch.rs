//! `switch`: the cost of handing control to another unit. A unit is a pair that bounces a number back
//! and forth over two channels: tokio::sync::mpsc between two tasks, std::sync::mpsc between two threads.
//! With `via=pipe` the pair passes one byte through two pipes instead, as in jimblandy/context-switch:
//! every hop is a write and a read woken by I/O readiness (tokio's reactor, or a blocking read).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

use super::{BuildCtx, Kind, ParamDef, UnitFuture, Workload};
use crate::figure::{Csv, Direction, Figure, Format, Panel};
use crate::sys;
use crate::workload::Unit;
use crate::workload::unit::TotalsWindow;

pub const KIND: Kind = Kind {
    name: "switch",
    summary: "pairs of units that bounce a message back and forth (the cost of a switch)",
    caption: "A task switch is a poll of another future on the same thread; a thread switch goes through the \
              kernel scheduler. Compare ns per switch and OS context switches per round trip: ~0 for a pair \
              of tasks on a current-thread runtime, ~2 for a pair of threads. With via=pipe the byte goes \
              through pipes and every hop waits on I/O readiness: then both sides pay the kernel and \
              their per-hop times come close.",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&SWITCH_CPU_NS, &OS_SWITCHES_PER_ROUND_TRIP],
    pace: None,
    source: ("switch.rs", include_str!("switch.rs")),
};

/// CPU time per switch: the process's CPU time ÷ switches (`switch_ns` before it had a wall twin).
pub const SWITCH_CPU_NS: Figure =
    Figure::extra("switch_cpu_ns", Format::Nanos, Direction::LessIsBetter)
        .panel(Panel::segment("per switch", "{} CPU"))
        .csv(Csv::Tenths)
        .headline("switch_cpu_ns", "CPU per switch")
        .was("switch_ns");
/// Wall time per switch: a pair's round trip ÷ 2, as lmbench `lat_ctx` and jimblandy/context-switch
/// publish it.
pub const SWITCH_WALL_NS: Figure =
    Figure::extra("switch_wall_ns", Format::Nanos, Direction::LessIsBetter)
        .panel(Panel::segment("per switch", "{} wall"))
        .csv(Csv::Tenths)
        .headline("switch_wall_ns", "wall per switch");
pub const OS_SWITCHES_PER_ROUND_TRIP: Figure = Figure::extra(
    "os_switches_per_round_trip",
    Format::Ratio,
    Direction::LessIsBetter,
)
.panel(Panel::segment("OS switch", "{} per round trip"))
.headline("os_switches_per_round_trip", "OS switches/round trip");
const FIGURES: &[Figure] = &[SWITCH_CPU_NS, SWITCH_WALL_NS, OS_SWITCHES_PER_ROUND_TRIP];

const PARAMS: &[ParamDef] = &[ParamDef::choice(
    "via",
    &["channel", "pipe"],
    0,
    "channel: in-memory channels; pipe: one byte through two pipes, each hop a write and a read \
     woken by I/O readiness",
)];

/// Round trips between two reads of the clock and one update of the shared counters, so the
/// probe costs well under 1 ns per round trip, not the ~25 ns an Instant::now() each time would.
const ROUND_TRIPS_PER_TALLY: u64 = 256;

struct Switch {
    /// `via=pipe`: the pair talks through pipes, not channels.
    via_pipe: bool,
    round_trips: AtomicU64,
    /// Wall time the pairs took for those round trips, ns, summed over the pairs.
    wall_ns: AtomicU64,
    /// (round trips, OS context switches of the process, CPU µs of the process, wall ns of the pairs)
    window: Mutex<TotalsWindow<4>>,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    Ok(Arc::new(Switch {
        via_pipe: ctx.params.int("via") == 1,
        round_trips: AtomicU64::new(0),
        wall_ns: AtomicU64::new(0),
        window: Mutex::new(TotalsWindow::default()),
    }))
}

impl Switch {
    /// `round_trips` more of one pair, which took the wall time since `since`.
    fn tally(&self, unit: &Unit, round_trips: u64, since: Instant) {
        let wall_ns = since.elapsed().as_nanos() as u64;
        // Wall time first: a reader that sees the round trips sees their time too.
        self.wall_ns.fetch_add(wall_ns, Ordering::Relaxed);
        self.round_trips.fetch_add(round_trips, Ordering::Relaxed);
        unit.add_ops(round_trips);
    }
}

impl Workload for Switch {
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        if self.via_pipe {
            return Box::pin(pipe_task(self, unit));
        }
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
            // core loop
            loop {
                let since = Instant::now();
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
                self.tally(&unit, done, since);
                // A partner that is gone (it cannot fail, but a panic would do it) ends the pair too.
                if done < ROUND_TRIPS_PER_TALLY || unit.retire_if_surplus() {
                    return;
                }
            }
        })
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        if self.via_pipe {
            return pipe_thread(&self, unit);
        }
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
        // core loop
        loop {
            let since = Instant::now();
            let mut done = 0;
            while done < ROUND_TRIPS_PER_TALLY {
                if to_partner.send(n).is_err() {
                    break;
                }
                let Ok(back) = unit_rx.recv() else { break };
                n = back;
                done += 1;
            }
            self.tally(&unit, done, since);
            // A partner that is gone (it cannot fail, but a panic would do it) ends the pair too.
            if done < ROUND_TRIPS_PER_TALLY || unit.retire_if_surplus() {
                break;
            }
        }
        drop(to_partner);
        // Joined so the partner thread is gone before the unit counts as gone.
        let _ = partner.join();
    }

    /// switch_cpu_ns: CPU time of the side's process (getrusage, user + system, all threads) / switches
    /// of all pairs together (switches = 2 × round trips), over about the last second: a cost per
    /// switch that holds at any pair count (summing the pairs' own busy time grew with the pairs that
    /// wait their turn) and does not count time the machine gave to other processes.
    /// switch_wall_ns: the pairs' wall time for their round trips / (2 × round trips): a pair's round
    /// trip ÷ 2, as published figures give it; it counts the waits (CPUs woken, other pairs and
    /// processes served first) that CPU time does not.
    /// os_switches_per_round_trip: Δ(ru_nvcsw + ru_nivcsw) of the whole process / Δ round trips.
    fn extra(&self) -> BTreeMap<String, f64> {
        let u = sys::usage();
        let totals = [
            self.round_trips.load(Ordering::Relaxed),
            u.ctx_voluntary + u.ctx_involuntary,
            u.cpu_us,
            self.wall_ns.load(Ordering::Relaxed),
        ];
        let mut out = BTreeMap::new();
        if let Some((_, [round_trips, os_switches, cpu_us, wall_ns])) =
            self.window.lock().advance(Instant::now(), totals)
            && round_trips > 0
        {
            let switches = (2 * round_trips) as f64;
            out.insert(SWITCH_CPU_NS.key.into(), cpu_us as f64 * 1e3 / switches);
            out.insert(SWITCH_WALL_NS.key.into(), wall_ns as f64 / switches);
            out.insert(
                OS_SWITCHES_PER_ROUND_TRIP.key.into(),
                os_switches as f64 / round_trips as f64,
            );
        }
        out
    }
}

/// `via=pipe`, async half: the unit writes a byte into one pipe, its partner task reads it (woken by
/// tokio's reactor when the pipe is readable) and writes it back through the other.
async fn pipe_task(sw: Arc<Switch>, mut unit: Unit) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::unix::pipe;
    let pipes = pipe::pipe().and_then(|a| Ok((a, pipe::pipe()?)));
    let ((mut to_partner, mut partner_rx), (mut to_unit, mut unit_rx)) = match pipes {
        Ok(p) => p,
        Err(e) => return unit.shared.push_error(format!("switch pipe: {e}")),
    };
    // The partner ends when the unit closes its end of the first pipe.
    tokio::spawn(async move {
        let mut byte = [0u8; 1];
        while partner_rx.read_exact(&mut byte).await.is_ok() {
            if to_unit.write_all(&byte).await.is_err() {
                return;
            }
        }
    });
    let mut byte = [0u8; 1];
    loop {
        let since = Instant::now();
        let mut done = 0;
        while done < ROUND_TRIPS_PER_TALLY {
            if to_partner.write_all(&byte).await.is_err()
                || unit_rx.read_exact(&mut byte).await.is_err()
            {
                break;
            }
            done += 1;
        }
        sw.tally(&unit, done, since);
        if done < ROUND_TRIPS_PER_TALLY || unit.retire_if_surplus() {
            return;
        }
    }
}

/// `via=pipe`, thread half: the same byte through two std pipes, a blocking write and read each hop.
fn pipe_thread(sw: &Switch, mut unit: Unit) {
    use std::io::{Read, Write};
    let pipes = std::io::pipe().and_then(|a| Ok((a, std::io::pipe()?)));
    let ((mut partner_rx, mut to_partner), (mut unit_rx, mut to_unit)) = match pipes {
        Ok(p) => p,
        Err(e) => return unit.shared.push_error(format!("switch pipe: {e}")),
    };
    // The partner ends when the unit closes its end of the first pipe.
    let partner = std::thread::Builder::new()
        .name("switch-partner".into())
        .spawn(move || {
            let mut byte = [0u8; 1];
            while partner_rx.read_exact(&mut byte).is_ok() {
                if to_unit.write_all(&byte).is_err() {
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
    let mut byte = [0u8; 1];
    loop {
        let since = Instant::now();
        let mut done = 0;
        while done < ROUND_TRIPS_PER_TALLY {
            if to_partner.write_all(&byte).is_err() || unit_rx.read_exact(&mut byte).is_err() {
                break;
            }
            done += 1;
        }
        sw.tally(&unit, done, since);
        if done < ROUND_TRIPS_PER_TALLY || unit.retire_if_surplus() {
            break;
        }
    }
    drop(to_partner);
    // Joined so the partner thread is gone before the unit counts as gone.
    let _ = partner.join();
}
