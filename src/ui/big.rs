//! The big view (key `z`): the scenario's headline figure for both sides in large digits and units
//! (`tui-big-text`), in one unit, with the verdict in words, so the back row can read them. It draws
//! `model.headline.shown` (smoothed and gated by the model), nothing of its own; reads the model only.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use tui_big_text::{BigText, PixelSize};

use super::ratios::show;
use super::{format, theme};
use crate::figure::Format;
use crate::model::Model;
use crate::model::headline::steady;
use crate::protocol::Side;

/// The sizes of large text, largest first: (pixel size, columns, rows of one character).
const SIZES: [(PixelSize, u16, u16); 3] = [
    (PixelSize::Full, 8, 8),
    (PixelSize::HalfWidth, 4, 8),
    (PixelSize::Quadrant, 4, 4),
];
/// Rows of the smallest large text.
const BIG_ROWS: u16 = 4;

/// Draws the view over `area`: the figure's words, each side's value with its unit, both in the
/// unit of the bigger one ("0.6 KiB" vs "9.8 KiB"), and the verdict ("threads 16× heavier") or why
/// there is none; the values as large as the box allows, the rest of its height spread between.
pub fn render(frame: &mut Frame, area: Rect, model: &Model) {
    frame.render_widget(Clear, area);
    let block =
        Block::bordered().title(Line::styled(" headline, large (z closes) ", theme::label()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(head) = model.headline.shown.first() else {
        let text = Line::styled(
            "the headline appears once both sides report",
            theme::value(),
        );
        frame.render_widget(Paragraph::new(text).centered(), inner);
        return;
    };
    // A value is shown only where the model says it is steady; a settling side shows a dash.
    let shown = Side::BOTH.map(|side| {
        head.values[side.index()].filter(|_| head.comparable || steady(model.side(side)))
    });
    let values = same_unit(head.figure.format, shown).map(|v| {
        v.map_or(format::MISSING.to_string(), |(n, u)| {
            if u.is_empty() { n } else { format!("{n} {u}") }
        })
    });
    let verdict = head.verdict(&model.run);
    // The verdict in large letters, on as few lines as its words wrap to; else plainly.
    let verdict_lines = head
        .comparable
        .then(|| wrap_big(&verdict.words, inner.width))
        .flatten()
        .filter(|l| l.len() as u16 * BIG_ROWS + 2 + BIG_ROWS + 3 <= inner.height);
    let verdict_rows = verdict_lines
        .as_ref()
        .map_or(2, |l| l.len() as u16 * BIG_ROWS);
    // The values: the largest size whose rows leave room for the rest and whose characters fit half
    // the width.
    let half = inner.width / 2;
    let longest = values.iter().map(|v| big_chars(v)).max().unwrap_or(1);
    let room = inner.height.saturating_sub(2 + verdict_rows + 3);
    let size = SIZES
        .iter()
        .find(|&&(_, cols, rows)| longest * cols <= half && rows <= room)
        .copied();
    let value_rows = size.map_or(1, |(_, _, rows)| rows);
    let [_, words, _, names, values_area, _, verdict_area, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(value_rows),
        Constraint::Fill(2),
        Constraint::Length(verdict_rows),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(head.figure.words(), theme::value())).centered(),
        words,
    );
    let name_cols: [Rect; 2] = Layout::horizontal([Constraint::Fill(1); 2]).areas(names);
    let value_cols: [Rect; 2] = Layout::horizontal([Constraint::Fill(1); 2]).areas(values_area);
    for (i, side) in Side::BOTH.into_iter().enumerate() {
        let colour = theme::side(side);
        frame.render_widget(
            Paragraph::new(Line::styled(
                model.run.side_name(side).to_string(),
                Style::new().fg(colour),
            ))
            .centered(),
            name_cols[i],
        );
        let style = theme::value().fg(colour);
        match size {
            Some((pixels, _, _)) => big(frame, value_cols[i], &[values[i].clone()], pixels, style),
            None => plain(frame, value_cols[i], &values[i], style),
        }
    }
    match verdict_lines {
        Some(lines) => big(
            frame,
            verdict_area,
            &lines,
            PixelSize::Quadrant,
            theme::value(),
        ),
        None if head.comparable => plain(frame, verdict_area, &verdict.words, theme::value()),
        None => plain(frame, verdict_area, &verdict.words, theme::warn()),
    }
}

/// The font has no "×" or "—"; "x" and "-" read the same from the back.
fn for_font(text: &str) -> String {
    text.replace('×', "x").replace('—', "-")
}

/// Characters of `text` in large type.
fn big_chars(text: &str) -> u16 {
    for_font(text).chars().count() as u16
}

/// `text` in lines of large quadrant letters no wider than `width`, broken between words; None when
/// a word alone is too wide.
fn wrap_big(text: &str, width: u16) -> Option<Vec<String>> {
    let per_line = (width / SIZES[2].1) as usize;
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        let n = big_chars(word) as usize;
        if n > per_line {
            return None;
        }
        match lines.last_mut() {
            Some(line) if big_chars(line) as usize + 1 + n <= per_line => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    Some(lines)
}

/// Lines of large text, centred.
fn big(frame: &mut Frame, area: Rect, lines: &[String], pixels: PixelSize, style: Style) {
    let big = BigText::builder()
        .pixel_size(pixels)
        .style(style)
        .alignment(Alignment::Center)
        .lines(
            lines
                .iter()
                .map(|l| Line::from(for_font(l)))
                .collect::<Vec<_>>(),
        )
        .build();
    frame.render_widget(big, area);
}

/// The same words in plain bold, wrapped (never cut).
fn plain(frame: &mut Frame, area: Rect, text: &str, style: Style) {
    frame.render_widget(
        Paragraph::new(Line::styled(text.to_string(), style))
            .centered()
            .wrap(Wrap { trim: true }),
        area,
    );
}

/// Both values in the unit of the bigger one, as (number, unit): 610 B and 9.8 KiB read "0.6" "KiB"
/// and "9.8" "KiB", so the digits compare at a glance. Formats without a unit ladder print as always.
fn same_unit(f: Format, values: [Option<f64>; 2]) -> [Option<(String, String)>; 2] {
    let split = |s: String| match s.split_once(' ') {
        Some((n, u)) => (n.to_string(), u.to_string()),
        None => (s, String::new()),
    };
    let plain = values.map(|v| v.map(|v| split(show(f, v))));
    let Some(max) = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .reduce(f64::max)
    else {
        return plain;
    };
    // The value in the ladder's base unit, and the ladder: (unit, its size, decimals).
    let (base, ladder): (f64, &[(&str, f64, usize)]) = match f {
        Format::Bytes => (
            1.0,
            &[
                ("B", 1.0, 0),
                ("KiB", 1024.0, 1),
                ("MiB", 1024.0 * 1024.0, 1),
                ("GiB", 1024.0 * 1024.0 * 1024.0, 1),
                ("TiB", 1024.0 * 1024.0 * 1024.0 * 1024.0, 1),
            ],
        ),
        Format::Nanos | Format::Micros => (
            if f == Format::Micros { 1e3 } else { 1.0 },
            &[
                ("ns", 1.0, 0),
                ("µs", 1e3, 1),
                ("ms", 1e6, 1),
                ("s", 1e9, 2),
            ],
        ),
        Format::PerSec => (
            1.0,
            &[
                ("/s", 1.0, 0),
                ("k/s", 1e3, 1),
                ("M/s", 1e6, 1),
                ("G/s", 1e9, 1),
            ],
        ),
        _ => return plain,
    };
    // The unit the bigger value prints in on its own: "KiB" of "9.8 KiB", "k/s" of "42.2k/s".
    let shown = show(f, max);
    let unit = shown
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',')
        .trim();
    let Some(&(unit, size, decimals)) = ladder.iter().find(|(u, _, _)| *u == unit) else {
        return plain;
    };
    let unit = unit.to_string();
    values.map(|v| {
        v.filter(|v| v.is_finite() && *v >= 0.0).map(|v| {
            let x = v * base / size;
            // "150 KiB" beside "2.4 KiB": three digits need no decimal.
            let decimals = if x >= 99.95 { 0 } else { decimals };
            (digits(x, decimals), unit.clone())
        })
    })
}

/// `x` with `decimals` digits, more for a small value that would print as 0 ("0.004"), "<0.001"
/// below that.
fn digits(x: f64, decimals: usize) -> String {
    if x == 0.0 {
        return "0".into();
    }
    for d in decimals..=3 {
        let s = format!("{x:.d$}");
        if s.trim_start_matches(['0', '.']).chars().any(|c| c != '0') {
            return s;
        }
    }
    "<0.001".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(f: Format, a: f64, b: f64) -> [String; 2] {
        same_unit(f, [Some(a), Some(b)]).map(|v| {
            let (n, u) = v.expect("a value");
            format!("{n} {u}").trim().to_string()
        })
    }

    #[test]
    fn both_values_print_in_the_unit_of_the_bigger_one() {
        assert_eq!(pair(Format::Bytes, 610.0, 10_035.0), ["0.6 KiB", "9.8 KiB"]);
        assert_eq!(pair(Format::Bytes, 400.0, 12.0), ["400 B", "12 B"]);
        assert_eq!(
            pair(Format::Bytes, 150.0 * 1024.0, 2_458.0),
            ["150 KiB", "2.4 KiB"]
        );
        assert_eq!(pair(Format::Micros, 47_100.0, 94.0), ["47.1 ms", "0.1 ms"]);
        assert_eq!(pair(Format::Nanos, 830.0, 85_000.0), ["0.8 µs", "85.0 µs"]);
        assert_eq!(
            pair(Format::PerSec, 340_000.0, 9_000.0),
            ["340 k/s", "9.0 k/s"]
        );
        // A value far below the other keeps a digit that is not 0.
        assert_eq!(
            pair(Format::Bytes, 4.0, 10.0 * 1024.0 * 1024.0)[0],
            "<0.001 MiB"
        );
        // Formats without a ladder print as everywhere else.
        assert_eq!(
            pair(Format::Count, 1_000_000.0, 16_332.0),
            ["1,000,000", "16,332"]
        );
        assert_eq!(pair(Format::Cores, 1.0, 3.9), ["1.00 cores", "3.90 cores"]);
        assert_eq!(same_unit(Format::Bytes, [None, Some(5.0)])[0], None);
    }

    #[test]
    fn the_verdict_wraps_between_words_or_not_at_all() {
        assert_eq!(
            wrap_big("threads 16× heavier", 78),
            Some(vec!["threads 16× heavier".to_string()])
        );
        assert_eq!(
            wrap_big("threads 16× heavier", 48),
            Some(vec!["threads 16×".to_string(), "heavier".to_string()])
        );
        assert_eq!(wrap_big("unbreakablewordthatiswide", 40), None);
    }
}
