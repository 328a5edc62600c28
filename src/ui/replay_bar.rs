//! The line a replay adds on top: `REPLAY`, when and where it was recorded, and where the player is
//! (`1:23 / 5:00`, a bar, the speed), so nobody takes a recording for a live run.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;

/// What the bar shows; plain values so the view state stays comparable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayView {
    /// "recorded 2026-11-29 12:04 UTC · 2 cores · …".
    pub recorded: String,
    pub at_ms: u64,
    pub end_ms: u64,
    pub paused: bool,
    /// Play speed in quarters: 4 is 1×.
    pub speed_quarters: u32,
}

impl ReplayView {
    pub fn new(recorded: &str, at_us: u64, end_us: u64, paused: bool, speed: f64) -> ReplayView {
        ReplayView {
            recorded: recorded.to_string(),
            at_ms: at_us / 1000,
            end_ms: end_us / 1000,
            paused,
            speed_quarters: (speed * 4.0).round() as u32,
        }
    }
}

/// `m:ss`, or `h:mm:ss` from an hour.
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn speed(quarters: u32) -> String {
    match quarters {
        1 => "¼×".into(),
        2 => "½×".into(),
        q => format!("{}×", q / 4),
    }
}

pub fn render(frame: &mut Frame, area: Rect, v: &ReplayView) {
    let state = if v.paused {
        "paused".to_string()
    } else if v.at_ms >= v.end_ms {
        "end".to_string()
    } else {
        format!("playing {}", speed(v.speed_quarters))
    };
    let position = format!("{} / {}", clock(v.at_ms), clock(v.end_ms));
    let head = [
        Span::styled(
            " REPLAY ",
            theme::warn().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
        Span::raw(" "),
        Span::styled(position, theme::value()),
        Span::raw(" "),
        Span::styled(state, theme::label()),
        Span::raw(" "),
    ];
    let used: usize = head.iter().map(Span::width).sum();
    let left = (area.width as usize).saturating_sub(used);
    // The bar takes up to a quarter of the line; the rest says when and where it was recorded.
    let bar_cells = (left / 4).min(30);
    // An empty recording is all done.
    let done = (bar_cells as u64 * v.at_ms.min(v.end_ms))
        .checked_div(v.end_ms)
        .map_or(bar_cells, |d| d as usize);
    let mut spans: Vec<Span> = head.into();
    if bar_cells >= 4 {
        spans.push(Span::styled("━".repeat(done), theme::value()));
        spans.push(Span::styled("─".repeat(bar_cells - done), theme::dim()));
        spans.push(Span::raw(" "));
    }
    let rest = left.saturating_sub(if bar_cells >= 4 { bar_cells + 1 } else { 0 });
    spans.push(Span::styled(
        super::fit::fit(&v.recorded, rest),
        theme::dim(),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_and_speeds_read_as_a_player_does() {
        assert_eq!(clock(83_400), "1:23");
        assert_eq!(clock(300_000), "5:00");
        assert_eq!(clock(3_723_000), "1:02:03");
        assert_eq!(speed(1), "¼×");
        assert_eq!(speed(2), "½×");
        assert_eq!(speed(64), "16×");
        let v = ReplayView::new("r", 83_400_000, 300_000_000, false, 0.25);
        assert_eq!((v.at_ms, v.end_ms, v.speed_quarters), (83_400, 300_000, 1));
    }
}
