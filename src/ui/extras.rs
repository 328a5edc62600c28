//! The rows of the figures a workload kind reports of its own (`Figures.extra`, from
//! `Workload::extra()` and the echo load generator) and of tokio's runtime: the catalog's figures with
//! a `panel` place, under their label, in their format.

use super::format::{self, MISSING};
use crate::catalog;
use crate::figure::{Figure, Generic, Source};
use crate::model::Figures;
use crate::protocol::Side;

/// Whether either side reports `f` at all (null counts: the figure exists, it is just not in yet).
fn reported(figures: [Option<&Figures>; 2], f: &Figure) -> bool {
    figures.iter().flatten().any(|s| s.reports(f))
}

/// The catalog's figures with a place in the panel, in row order.
fn panel_figures() -> impl Iterator<Item = &'static Figure> {
    catalog::all().filter(|f| f.panel.is_some())
}

/// An extra row: the panel figures of the catalog under one label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtraRow {
    pub label: &'static str,
}

impl ExtraRow {
    fn entries(self) -> impl Iterator<Item = &'static Figure> {
        panel_figures().filter(move |f| f.panel.is_some_and(|p| p.label == self.label))
    }

    pub fn minor(self) -> bool {
        self.entries().all(|f| f.panel.is_some_and(|p| p.minor))
    }

    /// Whether the row means anything on `side`: tokio's own figures only on the async side; a
    /// workload's figure wherever the side reports it (or before the side reports at all).
    pub fn applies(self, side: Side, f: Option<&Figures>) -> bool {
        self.entries().any(|e| match e.source {
            Source::Runtime(_) => side == Side::Async,
            _ => f.is_none_or(|f| f.reports(e)),
        })
    }

    /// Where `figure`'s segment is in `segments`, when the row shows it.
    pub fn position(self, figures: [Option<&Figures>; 2], figure: &Figure) -> Option<usize> {
        self.entries()
            .filter(|e| reported(figures, e))
            .position(|e| e == figure)
    }

    /// One segment per entry reported by either side (so both columns have the same), "—" where this
    /// side has no value; the value the headline shows of an entry (`headline`) where it shows one.
    pub fn segments(
        self,
        figures: [Option<&Figures>; 2],
        f: Option<&Figures>,
        headline: &dyn Fn(&Figure) -> Option<f64>,
    ) -> Vec<String> {
        let segments: Vec<String> = self
            .entries()
            .filter(|e| reported(figures, e))
            .map(|e| {
                let v = headline(e)
                    .or_else(|| f.and_then(|f| f.value(e)))
                    .map_or(MISSING.into(), |v| format::figure(e.format, v));
                e.panel.map_or("{}", |p| p.template).replace("{}", &v)
            })
            .collect();
        if segments.is_empty() {
            vec![MISSING.into()]
        } else {
            segments
        }
    }
}

/// The extra rows either side reports, in table order, the same for both columns.
pub fn rows(figures: [Option<&Figures>; 2]) -> Vec<ExtraRow> {
    let mut rows: Vec<ExtraRow> = Vec::new();
    for f in panel_figures() {
        let Some(p) = f.panel else { continue };
        if reported(figures, f) && rows.last().is_none_or(|r| r.label != p.label) {
            rows.push(ExtraRow { label: p.label });
        }
    }
    rows
}

/// Whether a reported extra makes generic row `g` redundant.
pub fn replaced(figures: [Option<&Figures>; 2], g: Generic) -> bool {
    panel_figures().any(|f| f.panel.is_some_and(|p| p.replaces == Some(g)) && reported(figures, f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::Format;

    #[test]
    fn labels_fit_the_label_column() {
        for f in panel_figures() {
            let p = f.panel.expect("a panel figure");
            assert!(format::width(p.label) <= 10, "{}", p.label);
            assert!(p.template.contains("{}"), "{}", f.key);
        }
    }

    #[test]
    fn values_in_their_units() {
        let show = format::figure;
        assert_eq!(show(Format::Nanos, 478.7), "479 ns");
        assert_eq!(show(Format::Nanos, 4146.0), "4.1 µs");
        assert_eq!(show(Format::Micros, 0.051), "51 ns");
        assert_eq!(show(Format::Micros, 428_031.0), "428.0 ms");
        assert_eq!(show(Format::PerSec, 1_204_700.0), "1.2M/s");
        assert_eq!(show(Format::Ratio, 2.034), "2.03");
        assert_eq!(show(Format::Ratio, 0.000_094), "<0.001");
        assert_eq!(show(Format::Bytes, 10_227.7), "10.0 KiB");
        assert_eq!(show(Format::Count, 1000.0), "1,000");
        assert_eq!(show(Format::Count, f64::NAN), MISSING);
    }
}
