//! One side's column: the bordered frame with its status, the problem lines, and the table of figures.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Padding, Paragraph};

use super::format::{self, MISSING};
use super::theme;
use crate::model::{Figures, SideModel, Status};

/// Rows the figure table takes; both columns use the same, so their charts line up.
pub const FIGURE_ROWS: u16 = 9;
/// Width of the label column of the figure table.
const LABEL_WIDTH: usize = 11;
const SEP: &str = " · ";

/// The column frame: side name on the left (marked when selected), status on the right.
pub fn block(m: &SideModel, selected: bool) -> Block<'static> {
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
    let status = match &m.status {
        Status::Failed(_) => "FAILED".to_string(),
        s => s.label(),
    };
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
            Span::styled(format!("{marker}{}", m.side.title()), title_style),
            Span::raw(" "),
        ]))
        .title(
            Line::from(vec![
                Span::styled(format!(" {status} "), theme::status(&m.status)),
                Span::raw(" "),
            ])
            .right_aligned(),
        )
}

/// Lines about what went wrong, cut to `width`: the failure or silence, then the limit hit or newest error.
pub fn problems(m: &SideModel, now_s: f64, width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut push = |text: String, style| {
        lines.push(Line::styled(format::truncate(&text, width as usize), style))
    };
    match &m.status {
        Status::Failed(_) => push(m.status.label(), theme::alarm()),
        Status::NotResponding => {
            let silent_s = (now_s - m.last_seen_s).max(0.0);
            push(
                format!("{}: no sample for {silent_s:.1} s", m.status.label()),
                theme::alarm(),
            );
        }
        _ => {}
    }
    if let Some(limit) = &m.limit_hit {
        push(format!("limit hit: {limit}"), theme::warn());
    } else if let Some(error) = m.errors.last() {
        push(format!("error: {error}"), theme::warn());
    }
    lines
}

/// The figure table, one figure per row; values that do not fit drop whole segments from the right.
pub fn render_figures(frame: &mut Frame, area: Rect, m: &SideModel) {
    let f = m.figures.as_ref();
    let value_width = (area.width as usize).saturating_sub(LABEL_WIDTH);
    let lines: Vec<Line> = rows(m, f)
        .into_iter()
        .map(|(label, segments)| {
            let keep = format::segments_fitting(&segments, SEP, value_width);
            let mut spans = Vec::with_capacity(1 + 2 * keep);
            spans.push(Span::styled(
                format!("{label:<LABEL_WIDTH$}"),
                theme::label(),
            ));
            for (i, s) in segments.into_iter().take(keep).enumerate() {
                if i == 0 {
                    spans.push(Span::styled(s, theme::value()));
                } else {
                    spans.push(Span::styled(SEP, theme::dim()));
                    spans.push(Span::raw(s));
                }
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// Label and value segments of every row, most telling segment first.
fn rows(m: &SideModel, f: Option<&Figures>) -> [(&'static str, Vec<String>); FIGURE_ROWS as usize] {
    let missing = || vec![MISSING.to_string()];
    let or_missing = |v: Option<Vec<String>>| v.unwrap_or_else(missing);
    let per_unit = |v: Option<f64>| format!("{}/unit", v.map_or(MISSING.into(), format::bytes));
    let units = {
        let mut segs = vec![f.map_or(MISSING.into(), |f| format::count(f.units))];
        let shown = f.map_or(0, |f| f.units);
        if shown != m.target_units {
            segs.push(format!("target {}", format::count(m.target_units)));
        }
        segs
    };
    [
        ("units", units),
        (
            "OS threads",
            or_missing(f.map(|f| vec![format::count(f.os_threads)])),
        ),
        (
            "RSS",
            or_missing(f.map(|f| {
                vec![
                    format::bytes(f.rss_bytes as f64),
                    per_unit(f.rss_per_unit_bytes),
                ]
            })),
        ),
        (
            "virtual",
            or_missing(f.map(|f| {
                vec![
                    format::bytes(f.virtual_bytes as f64),
                    per_unit(f.virtual_per_unit_bytes),
                ]
            })),
        ),
        (
            "ctx switch",
            or_missing(f.map(|f| {
                vec![
                    format::rate(f.ctx_switches_per_sec),
                    format!("vol {}", format::compact(f.ctx_voluntary as f64)),
                    format!("invol {}", format::compact(f.ctx_involuntary as f64)),
                ]
            })),
        ),
        (
            "CPU",
            or_missing(f.map(|f| vec![format::percent(f.cpu_percent)])),
        ),
        (
            "throughput",
            or_missing(f.map(|f| vec![format!("{} ops/s", format::compact(f.ops_per_sec))])),
        ),
        (
            "lateness",
            or_missing(f.and_then(|f| {
                let (p50, p99, max) = (f.lateness_p50_us?, f.lateness_p99_us?, f.lateness_max_us?);
                Some(vec![
                    format!("p50 {}", format::micros(p50 as f64)),
                    format!("p99 {}", format::micros(p99 as f64)),
                    format!("max {}", format::micros(max as f64)),
                ])
            })),
        ),
        (
            "spawn",
            or_missing(
                f.and_then(|f| f.spawn_ns_per_unit)
                    .map(|ns| vec![format!("{}/unit", format::nanos(ns))]),
            ),
        ),
    ]
}
