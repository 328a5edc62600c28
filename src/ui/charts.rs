//! Braille time series of one side's history over the chart window. The same chart in both columns
//! shares one y scale, so a line twice as high means twice as much, across sides.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType};

use super::{format, ratios, theme};
use crate::figure::{self, Figure, Format};
use crate::model::headline;
use crate::model::{Model, Point, SideModel};

/// A chart below this many rows (title + three braille rows = twelve dots high) is not worth drawing.
pub const MIN_HEIGHT: u16 = 4;

/// What a chart plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Rss,
    OsThreads,
    CtxPerSec,
    LatenessP99,
    OpsPerSec,
    /// The run's headline figure `i` (`model::headline::figures_of`), charted first.
    Headline(usize),
}

impl Metric {
    /// The catalog figure a generic chart plots (its title is the figure's `chart`); None for a
    /// headline chart.
    fn figure(self) -> Option<&'static Figure> {
        Some(match self {
            Metric::Rss => &figure::RSS,
            Metric::OsThreads => &figure::OS_THREADS,
            Metric::CtxPerSec => &figure::CTX_SWITCHES_PER_SEC,
            Metric::LatenessP99 => &figure::LATENESS_P99,
            Metric::OpsPerSec => &figure::OPS_PER_SEC,
            Metric::Headline(_) => return None,
        })
    }

    pub fn title(self, model: &Model) -> String {
        let title = match self {
            Metric::Headline(i) => headline::figures_of(&model.run)
                .get(i)
                .map_or("", |d| d.words()),
            _ => self.figure().and_then(|f| f.chart).unwrap_or(""),
        };
        title.to_string()
    }

    fn value(self, p: &Point) -> f64 {
        match self {
            Metric::Rss => p.rss_bytes,
            Metric::OsThreads => p.os_threads,
            Metric::CtxPerSec => p.ctx_per_sec,
            Metric::LatenessP99 => p.lateness_p99_us,
            Metric::OpsPerSec => p.ops_per_sec,
            Metric::Headline(i) => p.headline.get(i).copied().unwrap_or(f64::NAN),
        }
    }

    fn unit(self, model: &Model) -> Option<Format> {
        match self {
            Metric::Headline(i) => headline::figures_of(&model.run).get(i).map(|d| d.format),
            _ => None,
        }
    }

    fn format(self, model: &Model, v: f64) -> String {
        if let Some(unit) = self.unit(model) {
            return ratios::show(unit, v).replace(".0 ", " ");
        }
        match self {
            Metric::Rss => format::bytes(v).replace(".0 ", " "),
            Metric::OsThreads => format::count(v as u64),
            Metric::CtxPerSec | Metric::OpsPerSec => format::rate(v),
            Metric::LatenessP99 => format::micros(v),
            Metric::Headline(_) => format::compact(v),
        }
    }

    /// A round top for the y axis: bytes round in their binary unit, the rest in decimal.
    fn ceiling(self, model: &Model, max: f64) -> f64 {
        let bytes = self == Metric::Rss || self.unit(model) == Some(Format::Bytes);
        if bytes && max >= 1024.0 {
            let unit = 1024f64.powi((max.log2() / 10.0).floor() as i32);
            nice_ceil(max / unit) * unit
        } else {
            nice_ceil(max)
        }
    }
}

/// The charts in the order they give way when rows run short: the scenario's headline figure first (so
/// the chart that fits at 80×24 is the one that matters), then its second figure, then RSS, OS
/// threads, context switches and lateness (throughput when nothing measures lateness).
pub fn metrics(model: &Model) -> Vec<Metric> {
    let figures = headline::figures_of(&model.run);
    let mut out: Vec<Metric> = (0..figures.len().min(2)).map(Metric::Headline).collect();
    for m in generic(model) {
        // A generic chart that plots the same figure as a leading headline is left out.
        let same = figures.iter().take(2).any(|d| m.figure() == Some(*d));
        if !same && out.len() < 4 {
            out.push(m);
        }
    }
    out
}

/// The generic charts, in the order they give way; the last one is lateness when the workload
/// measures it (sleep, ping-pong) and throughput otherwise (cpu).
fn generic(model: &Model) -> [Metric; 4] {
    let has_lateness = model
        .sides
        .iter()
        .any(|s| s.history.iter().any(|p| p.lateness_p99_us > 0.0));
    let last = if has_lateness {
        Metric::LatenessP99
    } else {
        Metric::OpsPerSec
    };
    [Metric::Rss, Metric::OsThreads, Metric::CtxPerSec, last]
}

/// How many charts fit in `height` rows.
pub fn fitting(height: u16) -> usize {
    (height / MIN_HEIGHT).min(4) as usize
}

/// The visible time range, ending now.
pub fn x_bounds(model: &Model) -> [f64; 2] {
    let window = if model.window_s > 0.0 {
        model.window_s
    } else {
        1.0
    };
    [model.now_s - window, model.now_s]
}

/// The y axis top shared by both columns; None while neither side has a point in the window.
pub fn shared_y_max(model: &Model, metric: Metric) -> Option<f64> {
    let [from, _] = x_bounds(model);
    model
        .sides
        .iter()
        .flat_map(|s| s.history.iter())
        .filter(|p| p.t_s >= from)
        .map(|p| metric.value(p))
        .filter(|v| v.is_finite())
        .reduce(f64::max)
        .map(|max| metric.ceiling(model, max))
}

/// One chart of one side: a rule with the title and the scale, the braille line below.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    m: &SideModel,
    metric: Metric,
    x: [f64; 2],
    y_max: Option<f64>,
) {
    let scale = match y_max {
        Some(max) => format!(" 0–{} ", metric.format(model, max)),
        None => " no samples yet ".into(),
    };
    // The title gives way to the scale, a word at a time: the two never run into each other.
    let room = (area.width as usize).saturating_sub(super::format::width(&scale) + 1);
    let title = super::fit::fit(&format!(" {}", metric.title(model)), room.saturating_sub(1));
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme::dim())
        .title(Span::styled(format!("{title} "), theme::label()))
        .title(Line::styled(scale, theme::dim()).right_aligned());
    let data: Vec<(f64, f64)> = m
        .history
        .iter()
        .filter(|p| p.t_s >= x[0])
        .map(|p| (p.t_s, metric.value(p)))
        .filter(|(_, v)| v.is_finite())
        .collect();
    let dataset = Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(theme::side(m.side))
        .data(&data);
    let chart = Chart::new(vec![dataset])
        .block(block)
        .x_axis(Axis::default().bounds(x))
        .y_axis(Axis::default().bounds([0.0, y_max.unwrap_or(1.0)]))
        .legend_position(None);
    frame.render_widget(chart, area);
}

/// The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k not below `x`; fine steps so the line
/// fills most of the height.
pub fn nice_ceil(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let decade = 10f64.powi(x.log10().floor() as i32);
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&v| v >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * decade)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Side;
    use crate::ui::fixtures;

    #[test]
    fn round_ceilings() {
        assert_eq!(nice_ceil(0.0), 1.0);
        assert_eq!(nice_ceil(1.0), 1.0);
        assert_eq!(nice_ceil(10_003.0), 12_000.0);
        assert_eq!(nice_ceil(0.37), 0.4);
        assert_eq!(nice_ceil(f64::NAN), 1.0);
        let mib = 1024.0 * 1024.0;
        let model = fixtures::empty_model();
        assert_eq!(Metric::Rss.ceiling(&model, 148.0 * mib), 150.0 * mib);
        assert_eq!(Metric::Rss.format(&model, 150.0 * mib), "150 MiB");
    }

    #[test]
    fn both_columns_share_the_scale_of_the_bigger_side() {
        let model = fixtures::demo_model();
        let top = shared_y_max(&model, Metric::OsThreads).expect("points");
        let threads_max = model
            .side(Side::Threads)
            .history
            .iter()
            .map(|p| p.os_threads)
            .fold(0.0, f64::max);
        assert!(
            top >= threads_max && top < threads_max * 1.3,
            "{top} {threads_max}"
        );
        assert_eq!(shared_y_max(&fixtures::empty_model(), Metric::Rss), None);
    }

    #[test]
    fn lateness_is_charted_only_when_measured() {
        assert_eq!(metrics(&fixtures::demo_model())[3], Metric::CtxPerSec);
        assert_eq!(generic(&fixtures::demo_model())[3], Metric::LatenessP99);
        assert_eq!(generic(&fixtures::empty_model())[3], Metric::OpsPerSec);
    }

    #[test]
    fn the_headline_figure_is_the_first_chart_and_not_charted_twice() {
        let model = fixtures::demo_model();
        let first = metrics(&model)[0];
        assert_eq!(first, Metric::Headline(0));
        assert_eq!(first.title(&model), "per unit");
        let mut run = fixtures::run_info();
        run.headline = vec![headline::find("lateness_p99").expect("listed")];
        let model = fixtures::demo_model_for(run);
        let m = metrics(&model);
        assert_eq!(m[0], Metric::Headline(0));
        assert!(!m.contains(&Metric::LatenessP99), "{m:?}");
        assert_eq!(m.len(), 4);
    }
}
