//! Colours and styles in one place, so the two columns and the charts agree on what each side looks like.
//! Three themes (`--theme`, key `T`): dark (the default), light for bright projectors, contrast with no
//! mid greys. `render` sets the frame's theme from its `ViewState` before drawing, so every style
//! function below answers for the theme of the frame being drawn.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

// The choice is run configuration (`--theme`); the colours are here.
pub use crate::config::Theme;
use crate::model::Status;
use crate::protocol::Side;

impl Theme {
    /// The themes in the order the key cycles them.
    pub const ALL: [Theme; 3] = [Theme::Dark, Theme::Light, Theme::Contrast];

    pub fn name(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
            Theme::Contrast => "contrast",
        }
    }

    /// The next theme, after the last the first.
    pub fn next(self) -> Theme {
        let i = Theme::ALL.iter().position(|&t| t == self).unwrap_or(0);
        Theme::ALL[(i + 1) % Theme::ALL.len()]
    }
}

thread_local! {
    /// The theme of the frame being drawn on this thread (set by `ui::render`).
    static CURRENT: Cell<Theme> = const { Cell::new(Theme::Dark) };
}

/// Sets the theme the style functions answer for; called by `ui::render` from its `ViewState`.
pub fn set(theme: Theme) {
    CURRENT.with(|c| c.set(theme));
}

fn current() -> Theme {
    CURRENT.with(Cell::get)
}

/// Light only: the cells left in the terminal's own colours get white paper and black ink, so the
/// whole screen is light, overlays (drawn over `Clear`ed cells) included.
pub fn paint(buf: &mut Buffer) {
    if current() != Theme::Light {
        return;
    }
    for cell in &mut buf.content {
        if cell.bg == Color::Reset {
            cell.bg = Color::White;
        }
        if cell.fg == Color::Reset {
            cell.fg = Color::Black;
        }
    }
}

/// The colour that means this side everywhere: column border, chart line, ratio text.
pub fn side(side: Side) -> Color {
    match (current(), side) {
        (Theme::Dark, Side::Async) => Color::Cyan,
        (Theme::Dark, Side::Threads) => Color::Magenta,
        // Cyan on white is faint; blue reads.
        (Theme::Light, Side::Async) => Color::Blue,
        (Theme::Light, Side::Threads) => Color::Magenta,
        (Theme::Contrast, Side::Async) => Color::LightCyan,
        (Theme::Contrast, Side::Threads) => Color::LightMagenta,
    }
}

pub fn label() -> Style {
    match current() {
        Theme::Dark => Style::new().fg(Color::Gray),
        Theme::Light => Style::new().fg(Color::Black),
        Theme::Contrast => Style::new().fg(Color::White),
    }
}

/// Secondary text; in contrast still white (no mid grey), set apart by not being bold.
pub fn dim() -> Style {
    match current() {
        Theme::Dark => Style::new().fg(Color::DarkGray),
        Theme::Light => Style::new().fg(Color::DarkGray),
        Theme::Contrast => Style::new().fg(Color::White),
    }
}

pub fn value() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// The paper of bars and key caps: grey in dark, white where greys are out or the screen is light.
fn paper() -> Color {
    match current() {
        Theme::Dark => Color::Gray,
        Theme::Light => Color::Black,
        Theme::Contrast => Color::White,
    }
}

fn ink() -> Color {
    match current() {
        Theme::Light => Color::White,
        _ => Color::Black,
    }
}

pub fn bar() -> Style {
    Style::new().fg(ink()).bg(paper())
}

pub fn key() -> Style {
    Style::new()
        .fg(ink())
        .bg(paper())
        .add_modifier(Modifier::BOLD)
}

pub fn warn() -> Style {
    match current() {
        // Yellow on white cannot be read.
        Theme::Light => Style::new().fg(Color::Red),
        Theme::Dark => Style::new().fg(Color::Yellow),
        Theme::Contrast => Style::new().fg(Color::LightYellow),
    }
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
        Status::Running => Style::new().fg(match current() {
            Theme::Contrast => Color::LightGreen,
            _ => Color::Green,
        }),
        Status::Starting => warn(),
        Status::Stopped => dim(),
        Status::NotResponding | Status::Failed(_) => alarm(),
    }
}
