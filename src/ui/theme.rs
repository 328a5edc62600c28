//! Colours and styles in one place, so the two columns and the charts agree on what each side looks like.

use ratatui::style::{Color, Modifier, Style};

use crate::model::Status;
use crate::protocol::Side;

/// The colour that means this side everywhere: column border, chart line, ratio text.
pub fn side(side: Side) -> Color {
    match side {
        Side::Async => Color::Cyan,
        Side::Threads => Color::Magenta,
    }
}

pub fn label() -> Style {
    Style::new().fg(Color::Gray)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn value() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn bar() -> Style {
    Style::new().fg(Color::Black).bg(Color::Gray)
}

pub fn key() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Gray)
        .add_modifier(Modifier::BOLD)
}

pub fn warn() -> Style {
    Style::new().fg(Color::Yellow)
}

pub fn alarm() -> Style {
    Style::new()
        .fg(Color::White)
        .bg(Color::Red)
        .add_modifier(Modifier::BOLD)
}

pub fn frozen() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}

/// A dead or silent side must be seen from across the room; a healthy one stays quiet.
pub fn status(status: &Status) -> Style {
    match status {
        Status::Running => Style::new().fg(Color::Green),
        Status::Starting => Style::new().fg(Color::Yellow),
        Status::Stopped => dim(),
        Status::NotResponding | Status::Failed(_) => alarm(),
    }
}
