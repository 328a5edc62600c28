//! The big view (key `z`): the scenario's headline figures for both sides in large digits
//! (`tui-big-text`), with the ratio and the figure's words, so the back row can read them. It draws
//! `model.headline.shown` (smoothed and gated by the model), nothing of its own; reads the model only.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use tui_big_text::{BigText, PixelSize};

use super::ratios::show;
use super::{format, theme};
use crate::model::Model;
use crate::model::headline::{EVEN_FACTOR, Headline, steady};
use crate::protocol::Side;

/// Rows of one line of large text (font8x8 in quadrants: 8 pixels / 2 per cell).
const BIG_ROWS: u16 = 4;
/// Columns of one large character (8 pixels / 2 per cell).
const BIG_COLS: u16 = 4;

/// Draws the view over `area`: the figure's words, each side's value, the ratio (or why there is none).
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
    let [words, _, values, _, verdict] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(BIG_ROWS + 2),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(head.figure.words(), theme::value())).centered(),
        words,
    );
    let columns: [Rect; 2] = Layout::horizontal([Constraint::Fill(1); 2]).areas(values);
    for (side, column) in Side::BOTH.into_iter().zip(columns) {
        // A value is shown only where the model says it is steady; a settling side shows a dash.
        let value = head.values[side.index()]
            .filter(|_| head.comparable || steady(model.side(side)))
            .map(|v| show(head.figure.format, v));
        render_value(frame, column, side, value.as_deref());
    }
    render_verdict(frame, verdict, head);
}

/// "async", then the number in large digits, then its unit in plain text under it.
fn render_value(frame: &mut Frame, area: Rect, side: Side, value: Option<&str>) {
    let colour = theme::side(side);
    let [name, big, unit] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(BIG_ROWS),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(Line::styled(side.name(), Style::new().fg(colour))).centered(),
        name,
    );
    let value = value.unwrap_or(format::MISSING);
    // "9.6 KiB": the number large, the unit under it, so a value fits half of 80 columns.
    let (number, rest) = value.split_once(' ').unwrap_or((value, ""));
    big_or_plain(frame, big, number, theme::value().fg(colour));
    frame.render_widget(
        Paragraph::new(Line::styled(rest.to_string(), Style::new().fg(colour))).centered(),
        unit,
    );
}

/// "threads 21×" in large letters when comparable; otherwise why not, plainly.
fn render_verdict(frame: &mut Frame, area: Rect, head: &Headline) {
    let text = match head.bigger() {
        Some((_, f)) if f < EVEN_FACTOR => "about even".to_string(),
        Some((side, f)) => format!("{} {}", side.name(), format::factor(f)),
        None => {
            let why = head
                .reason
                .clone()
                .unwrap_or_else(|| "not comparable".into());
            let line = Line::styled(format!("not compared: {why}"), theme::warn());
            frame.render_widget(
                Paragraph::new(line).centered().wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
    };
    let [big, _] =
        Layout::vertical([Constraint::Length(BIG_ROWS), Constraint::Fill(1)]).areas(area);
    big_or_plain(frame, big, &text, theme::value());
}

/// Large text when it fits the width, else the same words in plain bold (never cut).
fn big_or_plain(frame: &mut Frame, area: Rect, text: &str, style: Style) {
    // The font has no "×" or "—"; "x" and "-" read the same from the back.
    let text = text.replace('×', "x").replace('—', "-");
    let cols = text.chars().count() as u16 * BIG_COLS;
    if cols <= area.width && area.height >= BIG_ROWS {
        let big = BigText::builder()
            .pixel_size(PixelSize::Quadrant)
            .style(style)
            .alignment(Alignment::Center)
            .lines(vec![Line::from(text)])
            .build();
        frame.render_widget(big, area);
    } else {
        frame.render_widget(
            Paragraph::new(Line::styled(text, style))
                .centered()
                .wrap(Wrap { trim: true }),
            area,
        );
    }
}
