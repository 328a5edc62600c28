//! The ratio line: the headline figures of one side as a multiple of the other's, biggest side named.

use ratatui::text::{Line, Span};

use super::{format, theme};
use crate::model::{Figures, Model, ratio};
use crate::protocol::Side;

/// Closer than this to 1× is not news and is left off the line.
const MIN_FACTOR: f64 = 1.1;

/// Reads one figure of a side, None when the side has no such figure.
type Getter = fn(&Figures) -> Option<f64>;

/// Headline figures in the order they matter to the comparison; the line keeps a prefix that fits.
const HEADLINES: &[(&str, Getter)] = &[
    ("RSS per unit", |f| f.rss_per_unit_bytes),
    ("OS threads", |f| Some(f.os_threads as f64)),
    ("ctx switches/s", |f| Some(f.ctx_switches_per_sec)),
    ("p99 lateness", |f| f.lateness_p99_us.map(|v| v as f64)),
    ("ops/s", |f| Some(f.ops_per_sec)),
    ("CPU", |f| Some(f.cpu_percent)),
    ("spawn time", |f| f.spawn_ns_per_unit),
    ("virtual per unit", |f| f.virtual_per_unit_bytes),
];

/// One headline: `bigger` has `factor` times the `what` of the other side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Headline {
    pub bigger: Side,
    pub factor: f64,
    pub what: &'static str,
}

/// Headlines that exist for both sides and differ enough to say so.
pub fn headlines(model: &Model) -> Vec<Headline> {
    let (Some(a), Some(t)) = (
        &model.side(Side::Async).figures,
        &model.side(Side::Threads).figures,
    ) else {
        return Vec::new();
    };
    HEADLINES
        .iter()
        .filter_map(|&(what, get)| {
            let (a, t) = (get(a), get(t));
            let (bigger, factor) = match ratio(a, t) {
                Some(r) if r >= 1.0 => (Side::Threads, r),
                _ => (Side::Async, ratio(t, a)?),
            };
            (factor >= MIN_FACTOR).then_some(Headline {
                bigger,
                factor,
                what,
            })
        })
        .collect()
}

/// "threads: 21× the RSS per unit · 512× the OS threads │ async: 2.0× the ops/s", as much as fits `width`.
pub fn line(model: &Model, width: usize) -> Line<'static> {
    let all = headlines(model);
    if all.is_empty() {
        return Line::styled(" ratios appear once both sides report", theme::dim());
    }
    // The most important headlines win; they are then grouped by the side that is bigger.
    let mut keep = all.len();
    while keep > 1 && grouped(&all[..keep]).width() > width {
        keep -= 1;
    }
    grouped(&all[..keep])
}

fn grouped(headlines: &[Headline]) -> Line<'static> {
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
        spans.push(Span::styled(
            format!("{}:", side.name()),
            theme::value().fg(theme::side(side)),
        ));
        for (i, h) in mine.enumerate() {
            spans.push(Span::styled(if i == 0 { " " } else { " · " }, theme::dim()));
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
}
