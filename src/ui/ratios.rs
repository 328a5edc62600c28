//! The ratio line: the headline figures of one side as a multiple of the other's, biggest side named.
//! Per-unit costs compare at any unit counts; totals only say something when the counts match, so at
//! different counts they come last and the line says the counts.

use ratatui::text::{Line, Span};

use super::extras::{self, EXTRAS};
use super::{format, theme};
use crate::model::{Figures, Model, ratio};
use crate::protocol::Side;

/// Closer than this to 1× is not news and is left off the line.
const MIN_FACTOR: f64 = 1.1;

/// Whether a figure compares like with like when the sides run different numbers of units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// A cost per unit or per operation (RSS per unit, ns per switch, a p99): fair at any counts.
    PerUnit,
    /// A total of the side (OS threads, ctx switches/s, ops/s): it grows with the unit count.
    Total,
}

/// Reads one figure of a side, None when the side has no such figure.
type Getter = fn(&Figures) -> Option<f64>;

/// Generic headline figures in the order they matter to the comparison; the workload's own headline
/// figures (`EXTRAS` with a `ratio`) go first, and the line keeps a prefix that fits.
const HEADLINES: &[(&str, Scope, Getter)] = &[
    ("RSS per unit", Scope::PerUnit, |f| f.rss_per_unit_bytes),
    ("OS threads", Scope::Total, |f| Some(f.os_threads as f64)),
    ("ctx switches/s", Scope::Total, |f| {
        Some(f.ctx_switches_per_sec)
    }),
    ("p99 lateness", Scope::PerUnit, |f| {
        f.lateness_p99_us.map(|v| v as f64)
    }),
    ("ops/s", Scope::Total, |f| Some(f.ops_per_sec)),
    ("CPU", Scope::Total, |f| Some(f.cpu_percent)),
    ("spawn time", Scope::PerUnit, |f| f.spawn_ns_per_unit),
    ("virtual per unit", Scope::PerUnit, |f| {
        f.virtual_per_unit_bytes
    }),
];

/// One headline: `bigger` has `factor` times the `what` of the other side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Headline {
    pub bigger: Side,
    pub factor: f64,
    pub what: &'static str,
    pub scope: Scope,
}

/// Headlines that exist for both sides and differ enough to say so, most telling first.
pub fn headlines(model: &Model) -> Vec<Headline> {
    let (Some(a), Some(t)) = (
        &model.side(Side::Async).figures,
        &model.side(Side::Threads).figures,
    ) else {
        return Vec::new();
    };
    let own = EXTRAS.iter().filter_map(|e| {
        let (what, scope) = e.ratio?;
        Some((
            what,
            scope,
            extras::value(a, e.key),
            extras::value(t, e.key),
        ))
    });
    let generic = HEADLINES
        .iter()
        .map(|&(what, scope, get)| (what, scope, get(a), get(t)));
    let mut all: Vec<Headline> = own
        .chain(generic)
        .filter_map(|(what, scope, a, t)| {
            let (bigger, factor) = match ratio(a, t) {
                Some(r) if r >= 1.0 => (Side::Threads, r),
                _ => (Side::Async, ratio(t, a)?),
            };
            (factor >= MIN_FACTOR).then_some(Headline {
                bigger,
                factor,
                what,
                scope,
            })
        })
        .collect();
    if unit_counts(model).is_some() {
        // Stable: each scope keeps its order.
        all.sort_by_key(|h| h.scope);
    }
    all
}

/// Units of each side, indexed by `Side::index`, when they differ.
fn unit_counts(model: &Model) -> Option<[u64; 2]> {
    let units = Side::BOTH.map(|s| model.side(s).figures.as_ref().map_or(0, |f| f.units));
    (units[0] != units[1]).then_some(units)
}

/// "threads: 21× the RSS per unit · 512× the OS threads │ async: 2.0× the ops/s", as much as fits
/// `width`; at different unit counts a side's totals end with "at 10,000 vs 1,000 units".
pub fn line(model: &Model, width: usize) -> Line<'static> {
    let all = headlines(model);
    if all.is_empty() {
        return Line::styled(" ratios appear once both sides report", theme::dim());
    }
    let counts = unit_counts(model);
    // The most important headlines win; they are then grouped by the side that is bigger.
    let mut keep = all.len();
    while keep > 1 && grouped(&all[..keep], counts).width() > width {
        keep -= 1;
    }
    grouped(&all[..keep], counts)
}

/// At different unit counts a side's totals are introduced by the counts, its own first:
/// "threads: 15× the RSS per unit · at 10,000 vs 1,000 units: 3,334× the OS threads".
fn grouped(headlines: &[Headline], counts: Option<[u64; 2]>) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    let first = headlines.first().map_or(Side::Threads, |h| h.bigger);
    let order = if first == Side::Async {
        Side::BOTH
    } else {
        [Side::Threads, Side::Async]
    };
    for side in order {
        let mut mine = headlines.iter().filter(|h| h.bigger == side).peekable();
        if mine.peek().is_none() {
            continue;
        }
        if spans.len() > 1 {
            spans.push(Span::styled(" │ ", theme::dim()));
        }
        let at = counts.map(|units| {
            let (mine, other) = (units[side.index()], units[1 - side.index()]);
            format!(
                "at {} vs {} units:",
                format::count(mine),
                format::count(other)
            )
        });
        let mut qualified = false;
        let mut name = side.name().to_string();
        for (i, h) in mine.enumerate() {
            let qualify = h.scope == Scope::Total && !qualified && at.is_some();
            qualified |= qualify;
            let sep = match (i, qualify, &at) {
                (0, true, Some(at)) => {
                    name = format!("{name} {}", at.trim_end_matches(':'));
                    " ".to_string()
                }
                (0, _, _) => " ".to_string(),
                (_, true, Some(at)) => format!(" · {at} "),
                _ => " · ".to_string(),
            };
            if i == 0 {
                spans.push(Span::styled(
                    format!("{name}:"),
                    theme::value().fg(theme::side(side)),
                ));
            }
            spans.push(Span::styled(sep, theme::dim()));
            spans.push(Span::styled(format::factor(h.factor), theme::value()));
            spans.push(Span::raw(format!(" the {}", h.what)));
        }
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::fixtures;

    #[test]
    fn the_bigger_side_is_named_and_ties_are_left_out() {
        let model = fixtures::demo_model();
        let h = headlines(&model);
        let rss = h
            .iter()
            .find(|h| h.what == "RSS per unit")
            .expect("rss ratio");
        assert_eq!(rss.bigger, Side::Threads);
        assert!(rss.factor > 5.0, "{rss:?}");
        assert!(h.iter().all(|h| h.factor >= MIN_FACTOR));
    }

    #[test]
    fn the_line_fits_by_dropping_whole_headlines() {
        let model = fixtures::demo_model();
        for width in [10, 40, 80, 200] {
            let line = line(&model, width);
            assert!(
                line.width() <= width.max(line.spans.iter().take(5).map(Span::width).sum()),
                "{width}"
            );
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            assert!(text.contains("RSS per unit"), "{text}");
        }
        assert!(headlines(&fixtures::empty_model()).is_empty());
    }

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn totals_at_different_unit_counts_come_last_and_say_the_counts() {
        let same = fixtures::demo_model();
        assert!(!text(&line(&same, 500)).contains(" vs "));

        let mut model = fixtures::demo_model();
        if let Some(f) = model.sides[Side::Async.index()].figures.as_mut() {
            f.units = 1_000;
        }
        let h = headlines(&model);
        let first_total = h.iter().position(|h| h.scope == Scope::Total);
        let last_per_unit = h.iter().rposition(|h| h.scope == Scope::PerUnit);
        assert!(first_total > last_per_unit, "{h:?}");
        let wide = text(&line(&model, 500));
        assert!(
            wide.starts_with(" threads: 15× the RSS per unit · ")
                && wide.contains(" · at 10,000 vs 1,000 units: 2,001× the OS threads · "),
            "{wide}"
        );
        // A side whose only headlines are totals names the counts next to its name.
        for m in &mut model.sides {
            if let Some(f) = m.figures.as_mut() {
                f.lateness_p99_us = None;
                if m.side == Side::Async {
                    f.ops_per_sec *= 3.0;
                }
            }
        }
        let wide = text(&line(&model, 500));
        assert!(
            wide.ends_with("│ async at 1,000 vs 10,000 units: 3.0× the ops/s"),
            "{wide}"
        );
        // Per-unit headlines alone need no counts.
        let narrow = text(&line(&model, 40));
        assert!(
            narrow.contains("RSS per unit") && !narrow.contains(" vs "),
            "{narrow}"
        );
    }

    #[test]
    fn a_workload_headline_leads_the_line() {
        let mut model = fixtures::demo_model();
        for (side, ns) in [(Side::Async, 480.0), (Side::Threads, 4150.0)] {
            if let Some(f) = model.sides[side.index()].figures.as_mut() {
                f.extra.insert("switch_ns".into(), serde_json::json!(ns));
            }
        }
        let line = text(&line(&model, 80));
        assert!(
            line.starts_with(" threads: 8.6× the ns per switch · "),
            "{line}"
        );
    }
}
