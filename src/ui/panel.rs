//! One side's column: the bordered frame with its status, the problem lines, and the table of figures:
//! the generic rows, then the rows of the workload's own figures (`extras`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Padding, Paragraph};

use super::extras::{self, ExtraRow};
use super::format::{self, MISSING};
use super::{charts, theme};
use crate::figure::Figure;
pub use crate::figure::Generic;
use crate::model::{Model, SideModel, Status};
use crate::protocol::Side;

/// Width of the label column of the figure table.
const LABEL_WIDTH: usize = 11;
const SEP: &str = " · ";

/// Why a running side cannot keep up with what its units ask, as judged on its steady windows (with
/// hysteresis: `model::saturation`); None when it can.
pub fn saturation(m: &SideModel) -> Option<String> {
    m.saturation
        .why
        .clone()
        .filter(|_| m.status == Status::Running)
}

/// A side whose figures are last words, not live ones: dimmed, and never compared.
fn is_out(m: &SideModel) -> bool {
    matches!(
        m.status,
        Status::Failed(_) | Status::Stopped | Status::NotResponding
    )
}

/// The column frame: side name on the left (marked when selected), status on the right, and
/// "saturated" next to it while the side cannot keep up.
pub fn block(m: &SideModel, title: &str, selected: bool, saturated: bool) -> Block<'static> {
    let colour = theme::side(m.side);
    let (marker, border, title_style) = if selected {
        (
            "▶ ",
            BorderType::Thick,
            theme::value().fg(colour).add_modifier(Modifier::REVERSED),
        )
    } else {
        ("", BorderType::Plain, theme::value().fg(colour))
    };
    let (status, style) = match &m.status {
        Status::Failed(_) => ("FAILED".to_string(), theme::status(&m.status)),
        // Running on, but no further: the border says so, not just "running".
        Status::Running if m.latest().is_some_and(|s| s.worker.limit_hit.is_some()) => (
            "at its limit".to_string(),
            theme::warn().add_modifier(Modifier::BOLD),
        ),
        s => (s.label(), theme::status(s)),
    };
    let mut right = vec![Span::styled(format!(" {status} "), style)];
    if saturated {
        right.push(Span::styled(
            " saturated ",
            theme::warn().add_modifier(Modifier::REVERSED),
        ));
    }
    right.push(Span::raw(" "));
    Block::bordered()
        .padding(Padding::horizontal(1))
        .border_type(border)
        .border_style(if selected {
            colour.into()
        } else {
            theme::dim()
        })
        .title(Line::from(vec![
            Span::raw(" "),
            Span::styled(format!("{marker}{title}"), title_style),
            Span::raw(" "),
        ]))
        .title(Line::from(right).right_aligned())
}

/// Lines about what went wrong, cut to `width`: the failure or silence (and the key that helps), the
/// saturation, then the limit hit or newest error.
pub fn problems(model: &Model, m: &SideModel, width: u16) -> Vec<Line<'static>> {
    let now_s = model.now_s;
    let mut lines = Vec::new();
    // Wrapped, two rows at most: a key hint cut to `r resta…` helps nobody.
    let mut push = |text: String, style| {
        for row in super::fit::wrap(&text, width as usize, 2) {
            lines.push(Line::styled(row, style));
        }
    };
    match &m.status {
        Status::Failed(_) => {
            push(m.status.label(), theme::alarm());
            push(
                "figures below are its last; r restarts it".into(),
                theme::dim(),
            );
        }
        Status::NotResponding => {
            let silent_s = (now_s - m.last_seen_s).max(0.0);
            push(
                format!(
                    "{}: no sample for {silent_s:.1} s · r restarts it",
                    m.status.label()
                ),
                theme::alarm(),
            );
        }
        Status::Stopped if model.run.turns => push(
            if m.turn_figures.is_some() {
                "idle until its turn: headline from its last turn".into()
            } else {
                "idle until its turn (o runs both)".into()
            },
            theme::dim(),
        ),
        Status::Stopped if model.run.one_side.is_some() => push(
            "idle: one side at a time (o runs both)".into(),
            theme::dim(),
        ),
        Status::Stopped => push("stopped: s starts it, r restarts it".into(), theme::dim()),
        _ => {}
    }
    if let Some(why) = saturation(m) {
        push(why, theme::warn());
    }
    if let Some(limit) = &m.limit_hit {
        // The limit's name and value first, wrapped: the punchline of the limits scenario.
        lines.extend(super::limit::lines(
            limit,
            m.limit_name.as_deref(),
            width as usize,
        ));
    } else if let Some(error) = m.errors.last() {
        push(format!("error: {error}"), theme::warn());
    }
    lines
}

/// Generic rows that give way, on a short terminal, so one chart still fits.
const FOLD_FOR_CHART: [Generic; 2] = [Generic::Spawn, Generic::Virtual];
/// Then, once no chart fits anyway, those that give way so the workload's own figures stay on screen.
const FOLD_REST: [Generic; 8] = [
    Generic::SchedDelay,
    Generic::Lateness,
    Generic::Cpu,
    Generic::Throughput,
    Generic::CtxSwitch,
    Generic::OsThreads,
    Generic::Rss,
    Generic::Units,
];

/// A row of the figure table: a generic figure, or figures the workload reports of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Generic(Generic),
    Extra(ExtraRow),
}

impl Row {
    /// The label in the first column; what a talk step's `focus` names.
    pub fn label(self) -> &'static str {
        match self {
            Row::Generic(g) => g.label(),
            Row::Extra(r) => r.label,
        }
    }

    /// Whether the row means anything on `side` (tokio's rows do not on threads): it is left
    /// undrawn where it does not.
    pub fn applies(self, side: Side, f: Option<&crate::model::Figures>) -> bool {
        match self {
            Row::Generic(_) => true,
            Row::Extra(r) => r.applies(side, f),
        }
    }
}

/// Whether `row` is dimmed under a talk step's `focus` (none is without one).
fn dimmed(row: Row, focus: &[&str]) -> bool {
    !focus.is_empty() && !focus.contains(&row.label())
}

/// The rows of the figure table, the same for both columns so their charts line up, fitted to `avail`
/// rows. Rows that mean something on one side only (tokio's) come last, so the rows of both sides
/// stay side by side and the other column leaves them out. All of them when one chart fits below;
/// else rows fold, in this order, until one does: generic rows neither side measures, extra rows that
/// repeat a generic one, the spawn and virtual rows. If that is not enough the charts give way and the
/// rest fold only as far as `avail` needs; the workload's own figures never fold, they are what its
/// scenario is about, and neither do the rows a talk step focuses on.
pub fn table(model: &Model, avail: u16, focus: &[&str]) -> Vec<Row> {
    let figures = Side::BOTH.map(|s| model.side(s).figures.as_ref());
    let extra_rows = extras::rows(figures);
    let both = |r: &Row| Side::BOTH.iter().all(|&s| r.applies(s, figures[s.index()]));
    let all: Vec<Row> = Generic::ALL
        .into_iter()
        .filter(|&g| !extras::replaced(figures, g))
        // The timer row only where a side sleeps on a timer, so other workloads keep their rows.
        .filter(|&g| {
            g != Generic::SchedDelay || figures.iter().flatten().any(|f| f.timer_tick_us.is_some())
        })
        .map(Row::Generic)
        .chain(extra_rows.iter().copied().map(Row::Extra))
        .collect();
    let (shared, one_sided): (Vec<Row>, Vec<Row>) = all.into_iter().partition(both);
    let rows: Vec<Row> = shared.into_iter().chain(one_sided).collect();
    let (avail, chart) = (avail as usize, charts::MIN_HEIGHT as usize);
    if rows.len() + chart <= avail {
        return rows;
    }
    // Before any figure every row is missing; that says nothing about the workload.
    let measured = figures.iter().any(Option::is_some);
    let unmeasured = rows.iter().rev().copied().filter(|&r| {
        measured
            && matches!(r, Row::Generic(g)
                if Side::BOTH.iter().all(|&s| segments(g, model.side(s), &|_| None).is_none()))
    });
    let minor = extra_rows
        .iter()
        .rev()
        .filter(|r| r.minor())
        .map(|&r| Row::Extra(r));
    let kept = |r: &Row| !focus.contains(&r.label());
    let mut order: Vec<Row> = unmeasured
        .chain(minor)
        .chain(FOLD_FOR_CHART.map(Row::Generic))
        .filter(kept)
        .collect();
    let with_chart = fold(rows.clone(), &order, avail.saturating_sub(chart));
    if with_chart.len() + chart <= avail {
        return with_chart;
    }
    order.extend(FOLD_REST.map(Row::Generic).into_iter().filter(kept));
    fold(rows, &order, avail)
}

/// `rows` without the first rows of `order` it takes to leave at most `budget`.
fn fold(mut rows: Vec<Row>, order: &[Row], budget: usize) -> Vec<Row> {
    for r in order {
        if rows.len() <= budget {
            break;
        }
        rows.retain(|x| x != r);
    }
    rows
}

/// The figure table, one figure per row; values that do not fit drop whole segments from the right.
/// Rows that do not apply to this side are left out (they come last); rows a talk step does not
/// focus on are dimmed.
pub fn render_figures(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    m: &SideModel,
    rows: &[Row],
    focus: &[&str],
) {
    let figures = Side::BOTH.map(|s| model.side(s).figures.as_ref());
    let value_width = (area.width as usize).saturating_sub(LABEL_WIDTH);
    let out = is_out(m);
    let headline = |fig: &Figure| headline_value(model, m.side, fig);
    let lines: Vec<Line> = rows
        .iter()
        .filter(|row| row.applies(m.side, m.figures.as_ref()))
        .map(|&row| {
            let faint = out || dimmed(row, focus);
            let style = |s: ratatui::style::Style| if faint { theme::dim() } else { s };
            let (label, mut segments) = match row {
                Row::Generic(g) => (
                    g.label(),
                    segments(g, m, &headline).unwrap_or_else(|| vec![MISSING.to_string()]),
                ),
                Row::Extra(r) => (r.label, r.segments(figures, m.figures.as_ref(), &headline)),
            };
            let mut keep = format::segments_fitting(&segments, SEP, value_width);
            // The headline's segment stays on screen: first, when it would not fit where it is.
            if let Some(i) = headline_segment(model, m.side, row, figures)
                && i >= keep
                && i < segments.len()
            {
                let s = segments.remove(i);
                segments.insert(0, s);
                keep = format::segments_fitting(&segments, SEP, value_width);
            }
            let mut spans = Vec::with_capacity(1 + 2 * keep);
            spans.push(Span::styled(
                format!("{label:<LABEL_WIDTH$}"),
                style(theme::label()),
            ));
            for (i, s) in segments.into_iter().take(keep).enumerate() {
                if i == 0 {
                    let s = super::fit::fit(&s, value_width);
                    spans.push(Span::styled(s, style(theme::value())));
                } else {
                    spans.push(Span::styled(SEP, theme::dim()));
                    spans.push(Span::styled(s, style(ratatui::style::Style::default())));
                }
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// The value the headline shows now for `side` of `figure`, when the headline is that figure and
/// shows a value for the side (the median of its steady seconds, `model::headline`). The figure's
/// place in its row shows the same, so headline and row never disagree at the same moment; the rest
/// of the table is the last second.
pub fn headline_value(model: &Model, side: Side, figure: &Figure) -> Option<f64> {
    let h = model
        .headline
        .shown
        .first()
        .filter(|h| h.figure == figure)?;
    let v = h.values[side.index()]?;
    // As the headline line shows it: both sides when compared, else a side that runs steadily.
    (h.comparable || crate::model::headline::steady(model.side(side))).then_some(v)
}

/// Where in `row`'s segments the headline's figure is, when the headline shows a value for `side`
/// (`headline_value`).
fn headline_segment(
    model: &Model,
    side: Side,
    row: Row,
    figures: [Option<&crate::model::Figures>; 2],
) -> Option<usize> {
    use crate::figure::{
        CORES_USED, LATENESS_MAX, LATENESS_P50, LATENESS_P99, OPS_PER_SEC, RSS_PER_UNIT, UNITS,
        VIRTUAL_PER_UNIT,
    };
    let figure = model.headline.shown.first()?.figure;
    headline_value(model, side, figure)?;
    match row {
        Row::Extra(r) => r.position(figures, figure),
        Row::Generic(g) => [
            (Generic::Units, &UNITS, 0),
            (Generic::Rss, &RSS_PER_UNIT, 1),
            (Generic::Virtual, &VIRTUAL_PER_UNIT, 1),
            (Generic::Cpu, &CORES_USED, 0),
            (Generic::Throughput, &OPS_PER_SEC, 0),
            (Generic::Lateness, &LATENESS_P50, 0),
            (Generic::Lateness, &LATENESS_P99, 1),
            (Generic::Lateness, &LATENESS_MAX, 2),
        ]
        .into_iter()
        .find(|(row, f, _)| *row == g && *f == figure)
        .map(|(_, _, i)| i),
    }
}

/// Value segments of a generic row, most telling first; None when the side has no such figure.
/// `headline` gives the value the headline shows of a figure, which its segment shows instead.
fn segments(
    g: Generic,
    m: &SideModel,
    headline: &dyn Fn(&Figure) -> Option<f64>,
) -> Option<Vec<String>> {
    use crate::figure::{
        CORES_USED, LATENESS_MAX, LATENESS_P50, LATENESS_P99, OPS_PER_SEC, RSS_PER_UNIT, UNITS,
        VIRTUAL_PER_UNIT,
    };
    let per_unit = |v: Option<f64>| format!("{}/unit", v.map_or(MISSING.into(), format::bytes));
    let f = m.figures.as_ref();
    Some(match g {
        Generic::Units => {
            let shown = headline(&UNITS)
                .map(|v| v.round() as u64)
                .or(f.map(|f| f.units));
            let mut segs = vec![shown.map_or(MISSING.into(), format::count)];
            if shown.unwrap_or(0) != m.target_units {
                segs.push(format!("target {}", format::count(m.target_units)));
            }
            segs
        }
        Generic::OsThreads => vec![format::count(f?.os_threads)],
        Generic::Rss => {
            let f = f?;
            let mut segs = vec![
                format::bytes(f.rss_bytes as f64),
                per_unit(headline(&RSS_PER_UNIT).or(f.rss_per_unit_bytes)),
            ];
            // After a scale-down the per-unit figure is the one measured at the peak: say so.
            if let Some(at) = f.per_unit_measured_at_units {
                segs.push(format!("at {} units", format::count(at)));
            }
            segs
        }
        Generic::Virtual => {
            let f = f?;
            let mut segs = vec![
                format::bytes(f.virtual_bytes as f64),
                per_unit(headline(&VIRTUAL_PER_UNIT).or(f.virtual_per_unit_bytes)),
            ];
            // How much of it is thread stacks (reserved), so a reader does not take arenas for stacks.
            if f.virtual_stacks_bytes > 0 {
                segs.push(format!(
                    "stacks {}",
                    format::bytes(f.virtual_stacks_bytes as f64)
                ));
            }
            segs
        }
        Generic::CtxSwitch => {
            let f = f?;
            vec![
                format::rate(f.ctx_switches_per_sec),
                format!("vol {}", format::compact(f.ctx_voluntary as f64)),
                format!("invol {}", format::compact(f.ctx_involuntary as f64)),
            ]
        }
        // The headline's cores used is this row's percentage ÷ 100.
        Generic::Cpu => vec![format::percent(
            headline(&CORES_USED).map_or(f?.cpu_percent, |c| c * 100.0),
        )],
        Generic::Throughput => vec![format!(
            "{} ops/s",
            format::compact(headline(&OPS_PER_SEC).unwrap_or(f?.ops_per_sec))
        )],
        Generic::Lateness => {
            let f = f?;
            let (p50, p99, max) = (f.lateness_p50_us?, f.lateness_p99_us?, f.lateness_max_us?);
            let shown = |fig: &Figure, v: u64| format::micros(headline(fig).unwrap_or(v as f64));
            vec![
                format!("p50 {}", shown(&LATENESS_P50, p50)),
                format!("p99 {}", shown(&LATENESS_P99, p99)),
                format!("max {}", shown(&LATENESS_MAX, max)),
            ]
        }
        Generic::SchedDelay => {
            let f = f?;
            let tick = match f.timer_tick_us? {
                0 => "no tick".to_string(),
                us => format!("tick {}", format::micros(us as f64)),
            };
            vec![
                format!("delay p50 {}", format::micros(f.sched_delay_p50_us? as f64)),
                format!("p99 {}", format::micros(f.sched_delay_p99_us? as f64)),
                tick,
            ]
        }
        Generic::Spawn => vec![format!("{}/unit", format::nanos(f?.spawn_ns_per_unit?))],
    })
}
