//! Resource guardrails of the session: a memory budget per side, checked before scaling up against the
//! side's measured cost per unit and, as a backstop, against the side's RSS on every sample. The point
//! is to say no on screen before the OOM killer picks a process on the presenter's laptop.

use super::Session;
use crate::model::{Figures, Input};
use crate::protocol::Side;
// The budget is run configuration (`--memory-budget`); the guard enforces it.
pub use crate::config::{DEFAULT_PERCENT, MIN_BUDGET_BYTES, MemoryBudget};

/// After a cut, how long the side's RSS gets to come down before the next step.
const SETTLE_S: f64 = 1.0;
/// Longest wait, after a cut, for surplus units to retire (a unit blocked in a call retires late).
const RETIRE_S: f64 = 5.0;
/// A cut aims at this share of the budget, so the side does not hover at the edge.
const CUT_TO_SHARE: f64 = 0.5;
/// MemAvailable as the kernel estimates it: what can be used without swapping (0 if sysinfo cannot
/// read it, which leaves the smallest budget in force rather than none).
pub fn available_memory_bytes() -> u64 {
    sysinfo::System::new().map_or(0, |mut sys| {
        sys.refresh_memory();
        sys.available_memory()
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Cut {
    at_s: f64,
    units: u64,
}

/// The session's guardrail state.
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    /// RSS each side may use.
    pub budget_bytes: u64,
    /// The last cut of each side while over budget: when (seconds since start) and to how many units.
    last_cut: [Option<Cut>; 2],
}

impl Guard {
    pub fn new(budget: MemoryBudget) -> Guard {
        Guard {
            budget_bytes: budget.resolve(available_memory_bytes()),
            last_cut: [None; 2],
        }
    }
}

/// The RSS the side of `f` would reach at `units`, at its measured cost per unit (RSS above its
/// baseline over its units); None until a sample with units has been measured.
pub fn projected_rss_bytes(f: &Figures, units: u64) -> Option<u64> {
    let per_unit = f
        .rss_per_unit_bytes
        .filter(|c| c.is_finite() && *c >= 0.0)?;
    Some(
        f.rss_baseline_bytes
            .saturating_add((per_unit * units as f64) as u64),
    )
}

/// Most units that fit in `bytes` at the measured cost per unit.
pub fn units_fitting(f: &Figures, bytes: u64) -> Option<u64> {
    let per_unit = f.rss_per_unit_bytes.filter(|c| c.is_finite() && *c > 0.0)?;
    Some((bytes.saturating_sub(f.rss_baseline_bytes) as f64 / per_unit) as u64)
}

/// The least RSS per task an async side has been measured at (ten million sleeping tasks: under
/// 400 B each, docs/figures.md), rounded down: before a side is measured, a count of tasks that
/// would pass the budget even at this is refused rather than started.
pub const ASYNC_TASK_FLOOR_BYTES: u64 = 256;

/// Refuses `units` on a side not measured yet when even the least a unit was ever measured at
/// would pass `budget` (async side only: a thread's cost depends on its stack and the kernel).
pub fn refuse_unmeasured(side: Side, units: u64, budget: u64) -> Result<(), String> {
    let need = units.saturating_mul(ASYNC_TASK_FLOOR_BYTES);
    if side != Side::Async || need <= budget {
        return Ok(());
    }
    Err(format!(
        "{} side at {} units refused: at least {} at {} B a task (the least a task has been \
         measured at), over the {} memory budget per side (--memory-budget); at most {} fit",
        side.name(),
        count(units),
        bytes(need),
        ASYNC_TASK_FLOOR_BYTES,
        bytes(budget),
        count(budget / ASYNC_TASK_FLOOR_BYTES),
    ))
}

impl Session {
    /// Refuses a scale-up whose projected RSS passes the side's budget, with the reason in words.
    /// Scaling down always passes; a side not measured yet is held to `refuse_unmeasured` (the
    /// backstop watches it after that).
    pub(crate) fn check_memory_budget(&self, side: Side, units: u64) -> Result<(), String> {
        let budget = self.guard.budget_bytes;
        let m = self.model.side(side);
        if units <= m.target_units {
            return Ok(());
        }
        let Some(f) = m.figures.as_ref() else {
            return refuse_unmeasured(side, units, budget);
        };
        match projected_rss_bytes(f, units) {
            Some(need) if need > budget => {
                let per_unit = f.rss_per_unit_bytes.unwrap_or(0.0) as u64;
                let fit = units_fitting(f, budget).unwrap_or(0);
                Err(format!(
                    "{} to {} units refused: ~{} at the measured {}/unit, over the {} memory budget \
                     per side (--memory-budget); about {} fit",
                    side.name(),
                    count(units),
                    bytes(need),
                    bytes(per_unit),
                    bytes(budget),
                    count(fit),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The backstop, after each sample. A side whose RSS passed its budget is scaled down to what fits
    /// in half of it. If its RSS is still over once the surplus units have retired, scaling down does
    /// not give the memory back (freed memory can stay with the process), so the side is stopped:
    /// only its end returns the memory; `r` starts it afresh. Each step is a notice on screen and an
    /// error of the side, so headless JSON shows it too.
    pub(crate) fn enforce_memory_budget(&mut self, side: Side) {
        let budget = self.guard.budget_bytes;
        let now = self.now_s();
        let m = self.model.side(side);
        let Some(f) = m.figures.as_ref() else {
            return;
        };
        let (rss, alive, target) = (f.rss_bytes, f.units, m.target_units);
        let last_cut = self.guard.last_cut[side.index()];
        if rss <= budget {
            self.guard.last_cut[side.index()] = None;
            return;
        }
        let stop = match last_cut {
            Some(cut) if now - cut.at_s < SETTLE_S => return,
            // Scaled up again since the cut: the projection check let it, so cut again.
            Some(cut) if target > cut.units => false,
            Some(cut) if alive > target && now - cut.at_s < RETIRE_S => return,
            Some(_) => true,
            None => target == 0,
        };
        if stop {
            let why = format!(
                "stopped: RSS {} still over the {} memory budget at {} units",
                bytes(rss),
                bytes(budget),
                count(alive)
            );
            self.notice = Some(format!("{} side {why}; r starts it afresh", side.name()));
            self.fail(side, why);
            return;
        }
        let fit = units_fitting(f, (budget as f64 * CUT_TO_SHARE) as u64);
        let cut = fit.filter(|&n| n < target).unwrap_or(target / 10);
        let msg = format!(
            "{} side over its memory budget (RSS {} > {}): scaled down to {} units",
            side.name(),
            bytes(rss),
            bytes(budget),
            count(cut)
        );
        self.guard.last_cut[side.index()] = Some(Cut {
            at_s: now,
            units: cut,
        });
        self.set_units(side, cut);
        self.feed(Input::Error {
            side,
            text: msg.clone(),
        });
        self.notice = Some(msg);
    }
}

/// "9.4 GiB", "512 MiB", "9.8 KiB", "312 B".
fn bytes(n: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 || v >= 100.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// "1,000,000".
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SideSample;
    use crate::model::figures::OsStat;
    use crate::protocol::WorkerSample;

    fn figures(units: u64, rss_bytes: u64, baseline: u64) -> Figures {
        let s = SideSample {
            worker: WorkerSample {
                units,
                target_units: units,
                baseline_rss_bytes: baseline,
                ..WorkerSample::default()
            },
            os: OsStat {
                rss_bytes,
                ..OsStat::default()
            },
            threads: None,
        };
        Figures::derive(Side::Threads, "sleep", &s, &s, None)
    }

    #[test]
    fn budgets_parse_as_sizes_or_percents_and_bad_ones_are_named() {
        assert_eq!(MemoryBudget::parse("2g"), Ok(MemoryBudget::Bytes(2 << 30)));
        assert_eq!(
            MemoryBudget::parse("512MiB"),
            Ok(MemoryBudget::Bytes(512 << 20))
        );
        assert_eq!(
            MemoryBudget::parse("1.5g"),
            Ok(MemoryBudget::Bytes(3 << 29))
        );
        assert_eq!(
            MemoryBudget::parse(" 40% "),
            Ok(MemoryBudget::PercentOfAvailable(40.0))
        );
        for (bad, why) in [
            ("lots", "not a memory budget"),
            ("", "not a memory budget"),
            ("-1g", "at least 16m"),
            ("1m", "at least 16m"),
            ("0%", "between 1% and 100%"),
            ("150%", "between 1% and 100%"),
            ("x%", "not a memory budget"),
            ("inf", "not a memory budget"),
        ] {
            let e = MemoryBudget::parse(bad).unwrap_err();
            assert!(e.contains(why) && e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn a_percent_is_of_what_is_available() {
        let gib = 1u64 << 30;
        assert_eq!(MemoryBudget::default().resolve(10 * gib), 4 * gib);
        assert_eq!(MemoryBudget::Bytes(gib).resolve(0), gib);
        assert_eq!(
            MemoryBudget::PercentOfAvailable(50.0).resolve(0),
            MIN_BUDGET_BYTES
        );
        assert!(available_memory_bytes() > MIN_BUDGET_BYTES);
    }

    #[test]
    fn projections_use_the_measured_cost_per_unit() {
        // 1,000 units took 10 MB above a 5 MB baseline: 10 kB a unit.
        let f = figures(1000, 15_000_000, 5_000_000);
        assert_eq!(projected_rss_bytes(&f, 10_000), Some(105_000_000));
        assert_eq!(units_fitting(&f, 55_000_000), Some(5000));
        let none = figures(0, 15_000_000, 5_000_000);
        assert_eq!(projected_rss_bytes(&none, 10), None);
        assert_eq!(units_fitting(&none, 1 << 30), None);
    }

    #[test]
    fn ten_million_tasks_fit_a_big_budget_and_are_refused_with_the_reason_by_a_small_one() {
        let gib = 1u64 << 30;
        assert_eq!(refuse_unmeasured(Side::Async, 10_000_000, 8 * gib), Ok(()));
        let e = refuse_unmeasured(Side::Async, 10_000_000, gib).unwrap_err();
        assert!(
            e.contains("10,000,000 units refused")
                && e.contains("2.4 GiB at 256 B a task")
                && e.contains("at most 4,194,304 fit"),
            "{e}"
        );
        assert_eq!(refuse_unmeasured(Side::Threads, 10_000_000, gib), Ok(()));
    }

    #[test]
    fn words_for_sizes_and_counts() {
        assert_eq!(bytes(312), "312 B");
        assert_eq!(bytes(10_035), "9.8 KiB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
        assert_eq!(bytes(512 << 20), "512 MiB");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(count(999), "999");
    }
}
