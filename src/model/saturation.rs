//! Saturation: a side that cannot keep up with what its units ask (wake-ups, requests) measures its own
//! backlog, not the cost of a unit, and says so. Judged on steady figures only.

use super::{Figures, RunInfo};
use crate::workload::{self, Pace};

/// Below this share of the asked rate a side is saturated.
pub const KEEP_UP_SHARE: f64 = 0.8;

fn param(run: &RunInfo, name: &str) -> Option<f64> {
    run.params
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse::<f64>().ok())
}

/// Why the side of `f` is saturated, None when it keeps up (or its workload asks no pace). Pass
/// figures of a steady state only: during a ramp the rates lag the unit count.
pub fn saturation(run: &RunInfo, f: &Figures) -> Option<String> {
    // How the workload's units ask for work, declared with the kind (`workload::Kind::pace`).
    let ask = workload::find(&run.workload)?.pace?;
    let (Pace::PeriodMs { param: name, .. } | Pace::PerSec { param: name, .. }) = ask;
    let pace = param(run, name)?;
    if f.units == 0 || pace <= 0.0 {
        return None;
    }
    match ask {
        Pace::PeriodMs { counted, .. } => {
            let period_us = pace * 1e3;
            if let Some(p50) = f.lateness_p50_us.filter(|&p| p as f64 > period_us) {
                return Some(format!(
                    "saturated: lateness p50 {} ms > {} ms period",
                    p50 / 1000,
                    pace
                ));
            }
            let asked = f.units as f64 * 1e3 / pace;
            (counted && f.ops_per_sec < KEEP_UP_SHARE * asked).then(|| {
                format!(
                    "saturated: {} of {} wake-ups asked",
                    per_sec(f.ops_per_sec),
                    per_sec(asked)
                )
            })
        }
        Pace::PerSec { done, .. } => {
            let done = f.value(done)?;
            let asked = f.units as f64 * pace;
            (done < KEEP_UP_SHARE * asked)
                .then(|| format!("saturated: {} of {} asked", per_sec(done), per_sec(asked)))
        }
    }
}

/// "612k/s", "1.0M/s": rates in the reason, as the panel prints them.
fn per_sec(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M/s", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k/s", v / 1e3)
    } else {
        format!("{v:.0}/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Side;

    fn run(workload: &str, params: &[(&str, &str)]) -> RunInfo {
        let mut r = crate::model::tests::run();
        r.workload = workload.into();
        r.params = params
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        r
    }

    fn figures(workload: &str, units: u64, ops_per_sec: f64, p50_us: u64) -> Figures {
        let mut f = Figures::empty(Side::Async, workload);
        f.units = units;
        f.ops_per_sec = ops_per_sec;
        f.lateness_p50_us = Some(p50_us);
        f
    }

    #[test]
    fn timer_units_late_by_more_than_their_period_are_saturated() {
        for workload in ["yield", "blocking"] {
            let r = run(workload, &[("tick_ms", "10")]);
            let held = saturation(&r, &figures(workload, 100, 0.0, 97_000));
            assert!(
                held.as_deref()
                    .is_some_and(|w| w.contains("97 ms > 10 ms period")),
                "{workload}: {held:?}"
            );
            // The spinners' own ops count nothing asked: a yielding run on time is not saturated.
            assert_eq!(
                saturation(&r, &figures(workload, 100, 0.0, 1_100)),
                None,
                "{workload}"
            );
        }
    }

    #[test]
    fn sleepers_that_wake_less_than_asked_are_saturated() {
        let r = run("sleep", &[("sleep_ms", "1")]);
        // 10,000 units at 1 ms ask 10M wake-ups a second.
        let why = saturation(&r, &figures("sleep", 10_000, 2e6, 500));
        assert_eq!(
            why.as_deref(),
            Some("saturated: 2.0M/s of 10.0M/s wake-ups asked")
        );
        assert_eq!(saturation(&r, &figures("sleep", 10_000, 9.5e6, 500)), None);
        // A workload that asks no pace is never saturated.
        assert_eq!(
            saturation(&run("cpu", &[]), &figures("cpu", 4, 1.0, 0)),
            None
        );
    }
}
