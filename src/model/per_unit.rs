//! Per-unit memory that holds after a scale-down. Freed memory stays with the process (malloc keeps
//! it), so after units go, current RSS ÷ current units is the memory of the units that left spread
//! over the ones still here. The cost is measured at the most units the side has had, and kept.

use super::Figures;

/// Below this many units a per-unit figure is mostly the side's fixed cost: none is given.
pub const MIN_UNITS: u64 = 10;

/// Per-unit memory of one side as measured at its peak unit count.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PeakCost {
    /// Most units alive at any sample so far.
    pub units: u64,
    pub rss_per_unit_bytes: Option<f64>,
    pub virtual_per_unit_bytes: Option<f64>,
}

impl PeakCost {
    /// Notes the per-unit figures of `f` when its units are at (or past) the peak; below the peak, puts
    /// the peak's figures in `f` and says at how many units they were measured.
    pub fn apply(&mut self, f: &mut Figures) {
        if f.units >= self.units {
            *self = PeakCost {
                units: f.units,
                rss_per_unit_bytes: f.rss_per_unit_bytes,
                virtual_per_unit_bytes: f.virtual_per_unit_bytes,
            };
            return;
        }
        if f.units < MIN_UNITS {
            return;
        }
        f.rss_per_unit_bytes = self.rss_per_unit_bytes;
        f.virtual_per_unit_bytes = self.virtual_per_unit_bytes;
        f.per_unit_measured_at_units = Some(self.units);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Model, OsStat, RunInfo, SideEvent, SideSample};
    use crate::protocol::{Side, WorkerSample};

    const BASE: u64 = 4 << 20;

    fn model() -> Model {
        let run = RunInfo {
            scenario: Some("memory".into()),
            ..crate::model::tests::run()
        };
        Model::new(run, 10.0)
    }

    fn sample(m: &mut Model, t_ms: u64, units: u64, rss_bytes: u64) {
        let s = SideSample {
            worker: WorkerSample {
                t_us: t_ms * 1000,
                units,
                target_units: units,
                baseline_rss_bytes: BASE,
                ..Default::default()
            },
            os: OsStat {
                rss_bytes,
                virtual_bytes: rss_bytes * 2,
                os_threads: 5,
            },
            threads: None,
        };
        m.apply(
            Side::Async,
            SideEvent::Sample(Box::new(s)),
            t_ms as f64 / 1e3,
        );
    }

    /// The case: 100,000 tasks at ~466 B each, then 1,000; the memory stays with the process.
    #[test]
    fn after_a_scale_down_per_unit_memory_is_the_peak_figure_not_rss_over_fewer_units() {
        let mut m = model();
        let at_peak = BASE + 100_000 * 466;
        for i in 0..8 {
            sample(&mut m, i * 250, 100_000, at_peak);
        }
        for i in 8..16 {
            sample(&mut m, i * 250, 1_000, at_peak);
        }
        let f = m.side(Side::Async).figures.clone().expect("figures");
        let per_unit = f.rss_per_unit_bytes.expect("per unit");
        assert!((per_unit - 466.0).abs() < 1.0, "{per_unit}");
        assert_eq!(f.per_unit_measured_at_units, Some(100_000));
        let fin = m.side(Side::Async).final_figures("sleep").expect("final");
        assert_eq!(fin.per_unit_measured_at_units, Some(100_000));
        // Past the old peak the figure is measured afresh.
        sample(&mut m, 5000, 200_000, BASE + 200_000 * 500);
        let f = m.side(Side::Async).figures.clone().expect("figures");
        assert_eq!(f.per_unit_measured_at_units, None);
        assert!((f.rss_per_unit_bytes.expect("per unit") - 500.0).abs() < 1.0);
    }

    #[test]
    fn too_few_units_give_no_per_unit_memory() {
        let mut m = model();
        for i in 0..8 {
            sample(&mut m, i * 250, MIN_UNITS - 1, BASE + (1 << 30));
        }
        let f = m.side(Side::Async).figures.clone().expect("figures");
        assert_eq!(
            (f.rss_per_unit_bytes, f.virtual_per_unit_bytes),
            (None, None)
        );
        sample(&mut m, 2000, MIN_UNITS, BASE + MIN_UNITS * 1000);
        let f = m.side(Side::Async).figures.clone().expect("figures");
        assert_eq!(f.rss_per_unit_bytes, Some(1000.0));
    }
}
