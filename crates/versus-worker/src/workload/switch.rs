//! `switch`: the cost of handing control to another unit. A unit is a pair that bounces a number back
//! and forth over two channels: tokio::sync::mpsc between two tasks, std::sync::mpsc between two threads.
//! With `via=pipe` the pair passes one byte through two pipes instead, as in jimblandy/context-switch:
//! every hop is a write and a read woken by I/O readiness (tokio's reactor, or a blocking read).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

use super::{BuildCtx, Kind, ParamDef, Params, UnitFuture, Workload};
use crate::figure::{Csv, Direction, Figure, Format, Panel};
use crate::protocol::Side;
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
              their per-hop times come close. placement=same-cpu (the default) keeps a pair on one CPU, \
              as lmbench lat_ctx does; cross-cpu puts it on two and shows what waking another CPU \
              costs (f flips them).",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&SWITCH_CPU_NS, &OS_SWITCHES_PER_ROUND_TRIP],
    pace: None,
    churns: false,
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

const PARAMS: &[ParamDef] = &[
    ParamDef::choice(
        "via",
        &["channel", "pipe"],
        0,
        "channel: in-memory channels; pipe: one byte through two pipes, each hop a write and a read \
         woken by I/O readiness",
    ),
    ParamDef::choice(
        "placement",
        PLACEMENTS,
        0,
        "same-cpu: both units of a pair on one CPU, as lmbench lat_ctx (async on one CPU, threads \
         on another); cross-cpu: the two units on two CPUs (async: two current-thread runtimes); \
         os: the scheduler decides; f flips same-cpu and cross-cpu, restarting both sides",
    )
    .flipping(1)
    .restarting(),
];

/// The values of `placement`, by index.
pub const PLACEMENTS: &[&str] = &["same-cpu", "cross-cpu", "os"];

/// Where the two units of a pair run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Both on one CPU, as lmbench `lat_ctx` does; each side on a CPU of its own when there are two.
    SameCpu,
    /// The unit on one CPU, its partner on another.
    CrossCpu,
    /// Wherever the scheduler puts them.
    Os,
}

impl Placement {
    pub fn of(params: &Params) -> Placement {
        match params.int("placement") {
            1 => Placement::CrossCpu,
            2 => Placement::Os,
            _ => Placement::SameCpu,
        }
    }

    pub fn name(self) -> &'static str {
        PLACEMENTS[self as usize]
    }

    /// The CPUs of `side`'s pairs (unit, partner) given the CPUs the side may use; None: the
    /// scheduler decides. Same-cpu takes the side's own CPU (async the first, threads the second,
    /// both the only one on a 1-CPU affinity); cross-cpu takes two (async the first two, threads
    /// the next two when there are four) and is refused with fewer.
    pub fn cpus(self, side: Side, allowed: &[usize]) -> Result<Option<(usize, usize)>, String> {
        let n = allowed.len();
        match self {
            _ if n == 0 => Ok(None),
            Placement::Os => Ok(None),
            Placement::SameCpu => {
                let c = allowed[side.index() % n];
                Ok(Some((c, c)))
            }
            Placement::CrossCpu if n < 2 => Err(format!(
                "placement=cross-cpu needs two CPUs, and the {} side may run on {} only (cpu {}); \
                 use placement=same-cpu or os",
                side.name(),
                n,
                list(allowed)
            )),
            Placement::CrossCpu => {
                let base = if n >= 4 { 2 * side.index() } else { 0 };
                Ok(Some((allowed[base], allowed[base + 1])))
            }
        }
    }
}

fn list(cpus: &[usize]) -> String {
    cpus.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Checks that each side can have its placement: `allowed[side]` are the CPUs it may use.
pub fn check(params: &Params, allowed: &[Vec<usize>; 2]) -> Result<(), String> {
    let placement = Placement::of(params);
    for side in Side::BOTH {
        placement.cpus(side, &allowed[side.index()])?;
    }
    Ok(())
}

/// Where the pairs of `sides` (those that run) are, in words for the header's mode (the placement's
/// name is among the header's parameters), given the CPUs each side may use; None for `os` (then
/// the sides share the cores as ever).
pub fn placement_words(
    params: &Params,
    allowed: &[Vec<usize>; 2],
    sides: &[Side],
) -> Option<String> {
    let placement = Placement::of(params);
    let cpus: Vec<_> = sides
        .iter()
        .map(|&s| (s, placement.cpus(s, &allowed[s.index()]).ok().flatten()))
        .collect();
    let at = |(a, b): (usize, usize)| {
        if a == b {
            format!("cpu {a}")
        } else {
            format!("cpus {a}+{b}")
        }
    };
    let words = match cpus.as_slice() {
        [(_, None), ..] | [] => return None,
        [(_, Some(c))] => format!("on {}", at(*c)),
        [(_, Some(a)), (_, Some(t))] if a == t => {
            format!("both sides on {}", at(*a))
        }
        [(_, Some(a)), (_, Some(t)), ..] => {
            format!("async on {}, threads on {}", at(*a), at(*t))
        }
        [(_, Some(_)), (_, None), ..] => return None,
    };
    Some(words)
}

/// Round trips between two reads of the clock and one update of the shared counters, so the
/// probe costs well under 1 ns per round trip, not the ~25 ns an Instant::now() each time would.
const ROUND_TRIPS_PER_TALLY: u64 = 256;

struct Switch {
    /// `via=pipe`: the pair talks through pipes, not channels.
    via_pipe: bool,
    /// The CPUs of a pair's unit and partner; None: the scheduler decides (`placement=os`).
    cpus: Option<(usize, usize)>,
    /// Async side, cross-cpu: the current-thread runtime on the partner's CPU that runs the partners.
    partner_rt: Option<tokio::runtime::Handle>,
    round_trips: AtomicU64,
    /// Wall time the pairs took for those round trips, ns, summed over the pairs.
    wall_ns: AtomicU64,
    /// (round trips, OS context switches of the process, CPU µs of the process, wall ns of the pairs)
    window: Mutex<TotalsWindow<4>>,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    let placement = Placement::of(ctx.params);
    // The worker inherits the CPUs the controller may use, or one under --pin.
    let cpus = placement.cpus(ctx.side, &sys::allowed_cpus())?;
    let partner_rt = match (ctx.side, placement, cpus) {
        (Side::Async, Placement::CrossCpu, Some((_, partner))) => Some(partner_runtime(partner)?),
        _ => None,
    };
    Ok(Arc::new(Switch {
        via_pipe: ctx.params.int("via") == 1,
        cpus,
        partner_rt,
        round_trips: AtomicU64::new(0),
        wall_ns: AtomicU64::new(0),
        window: Mutex::new(TotalsWindow::default()),
    }))
}

/// A current-thread runtime on its own thread, pinned to `cpu`, for the partners of cross-cpu pairs.
fn partner_runtime(cpu: usize) -> Result<tokio::runtime::Handle, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("switch partner runtime: {e}"))?;
    let handle = rt.handle().clone();
    let (pinned_tx, pinned_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("switch-partner-rt".into())
        .spawn(move || {
            let pinned = sys::pin_current_thread(&[cpu]);
            let ok = pinned.is_ok();
            let _ = pinned_tx.send(pinned);
            if ok {
                rt.block_on(std::future::pending::<()>());
            }
        })
        .map_err(|e| format!("switch partner runtime thread: {e}"))?;
    pinned_rx
        .recv()
        .map_err(|_| "switch partner runtime thread ended".to_string())??;
    Ok(handle)
}

impl Switch {
    /// Pins the calling thread where a pair's unit (or, `partner`, its partner) goes.
    fn place(&self, partner: bool) -> Result<(), String> {
        match self.cpus {
            Some((unit, other)) => sys::pin_current_thread(&[if partner { other } else { unit }]),
            None => Ok(()),
        }
    }

    /// Starts an async partner: on the partner runtime (cross-cpu), else beside its unit.
    fn spawn_partner(&self, partner: impl std::future::Future<Output = ()> + Send + 'static) {
        match &self.partner_rt {
            Some(rt) => drop(rt.spawn(partner)),
            None => drop(tokio::spawn(partner)),
        }
    }

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
            self.spawn_partner(async move {
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

    /// The async side's runtime runs the units: on the unit's CPU (the whole runtime, so a pair
    /// stays on it whichever worker polls it).
    fn runtime_thread_started(&self) {
        // A refusal leaves the thread where it was; the side reports it as an error at its first unit.
        let _ = self.place(false);
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        if let Err(e) = self.place(false) {
            return unit.shared.push_error(format!("switch: {e}"));
        }
        if self.via_pipe {
            return pipe_thread(self, unit);
        }
        let (to_partner, partner_rx) = std::sync::mpsc::channel::<u64>();
        let (to_unit, unit_rx) = std::sync::mpsc::channel::<u64>();
        // The partner ends when the unit drops its sender.
        let (me, shared) = (self.clone(), unit.shared.clone());
        let partner = std::thread::Builder::new()
            .name("switch-partner".into())
            .spawn(move || {
                // Refused a CPU: the pair ends, and says why.
                if let Err(e) = me.place(true) {
                    return shared.push_error(format!("switch partner: {e}"));
                }
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
/// Each end joins the reactor of the runtime that runs it (the partner's may be another, cross-cpu).
async fn pipe_task(sw: Arc<Switch>, mut unit: Unit) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::unix::pipe;
    let pipes = std::io::pipe().and_then(|a| Ok((a, std::io::pipe()?)));
    let ((partner_rx, to_partner), (unit_rx, to_unit)) = match pipes {
        Ok(p) => p,
        Err(e) => return unit.shared.push_error(format!("switch pipe: {e}")),
    };
    let unit_ends = pipe::Sender::from_owned_fd(to_partner.into())
        .and_then(|tx| Ok((tx, pipe::Receiver::from_owned_fd(unit_rx.into())?)));
    let (mut to_partner, mut unit_rx) = match unit_ends {
        Ok(p) => p,
        Err(e) => return unit.shared.push_error(format!("switch pipe: {e}")),
    };
    let shared = unit.shared.clone();
    // The partner ends when the unit closes its end of the first pipe.
    sw.spawn_partner(async move {
        let ends = pipe::Receiver::from_owned_fd(partner_rx.into())
            .and_then(|rx| Ok((rx, pipe::Sender::from_owned_fd(to_unit.into())?)));
        let (mut partner_rx, mut to_unit) = match ends {
            Ok(p) => p,
            Err(e) => return shared.push_error(format!("switch pipe: {e}")),
        };
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
fn pipe_thread(sw: Arc<Switch>, mut unit: Unit) {
    use std::io::{Read, Write};
    let pipes = std::io::pipe().and_then(|a| Ok((a, std::io::pipe()?)));
    let ((mut partner_rx, mut to_partner), (mut unit_rx, mut to_unit)) = match pipes {
        Ok(p) => p,
        Err(e) => return unit.shared.push_error(format!("switch pipe: {e}")),
    };
    let (me, shared) = (sw.clone(), unit.shared.clone());
    // The partner ends when the unit closes its end of the first pipe.
    let partner = std::thread::Builder::new()
        .name("switch-partner".into())
        .spawn(move || {
            if let Err(e) = me.place(true) {
                return shared.push_error(format!("switch partner: {e}"));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn params(placement: &str) -> Params {
        let def = PARAMS
            .iter()
            .find(|d| d.name == "placement")
            .expect("declared");
        let mut given = BTreeMap::new();
        given.insert(
            "placement".to_string(),
            def.parse(placement).expect("valid"),
        );
        Params::resolve(PARAMS, &given).expect("valid")
    }

    #[test]
    fn same_cpu_gives_each_side_a_cpu_of_its_own_and_shares_the_only_one() {
        let p = Placement::of(&params("same-cpu"));
        assert_eq!(
            p,
            Placement::of(&Params::resolve(PARAMS, &BTreeMap::new()).expect("ok"))
        );
        assert_eq!(p.cpus(Side::Async, &[0, 1]), Ok(Some((0, 0))));
        assert_eq!(p.cpus(Side::Threads, &[0, 1]), Ok(Some((1, 1))));
        assert_eq!(p.cpus(Side::Threads, &[3]), Ok(Some((3, 3))));
        assert_eq!(p.cpus(Side::Threads, &[]), Ok(None), "affinity unreadable");
    }

    #[test]
    fn cross_cpu_needs_two_cpus_and_takes_two_a_side_when_there_are_four() {
        let p = Placement::of(&params("cross-cpu"));
        assert_eq!(p.cpus(Side::Threads, &[0, 1]), Ok(Some((0, 1))));
        assert_eq!(p.cpus(Side::Threads, &[0, 1, 2, 3]), Ok(Some((2, 3))));
        let refused = p.cpus(Side::Async, &[2]).unwrap_err();
        assert!(
            refused.contains("needs two CPUs") && refused.contains("cpu 2"),
            "{refused}"
        );
        assert_eq!(
            Placement::of(&params("os")).cpus(Side::Async, &[0, 1]),
            Ok(None)
        );
    }

    #[test]
    fn the_mode_words_say_where_the_pairs_run() {
        let two = [vec![0, 1], vec![0, 1]];
        let words = |p: &str, cpus: &[Vec<usize>; 2], sides: &[Side]| {
            placement_words(&params(p), cpus, sides)
        };
        assert_eq!(
            words("same-cpu", &two, &Side::BOTH).as_deref(),
            Some("async on cpu 0, threads on cpu 1")
        );
        assert_eq!(
            words("same-cpu", &[vec![0], vec![0]], &Side::BOTH).as_deref(),
            Some("both sides on cpu 0")
        );
        assert_eq!(
            words("cross-cpu", &two, &[Side::Threads]).as_deref(),
            Some("on cpus 0+1")
        );
        assert_eq!(words("os", &two, &Side::BOTH), None);
    }
}
