//! Talk mode on screen: the step in the header and its `say` text, large enough to read from the
//! back: bold, wrapped, in place of the scenario's caption (c hides it, as it hides the caption).

use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{format, header, theme};

/// What the controller tells the renderer of a running talk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TalkView {
    /// "step 3/12".
    pub label: String,
    pub title: String,
    /// What to look at, one paragraph; wrapped here.
    pub say: String,
}

const SAY_MARGIN: u16 = 1;
const SAY_PREFIX: &str = "▶ ";

/// Rows the say text needs at `width`, at most `max_rows`; 0 when there is nothing to say.
pub fn say_rows(talk: &TalkView, width: u16, max_rows: u16) -> u16 {
    if talk.say.is_empty() {
        return 0;
    }
    let text_width = width.saturating_sub(2 * SAY_MARGIN) as usize;
    let words = SAY_PREFIX
        .split_whitespace()
        .chain(talk.say.split_whitespace());
    header::wrapped_rows(words, text_width).min(max_rows as usize) as u16
}

pub fn render_say(frame: &mut Frame, area: Rect, talk: &TalkView) {
    let text = Line::from(vec![
        Span::styled(SAY_PREFIX, theme::warn().add_modifier(Modifier::BOLD)),
        Span::styled(talk.say.as_str(), theme::value()),
    ]);
    let area = area.inner(Margin::new(SAY_MARGIN, 0));
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

/// "step 3/12 · title" for the header, cut to `width`.
pub fn header_spans(talk: &TalkView, width: usize) -> Vec<Span<'static>> {
    let title = format::truncate(
        &talk.title,
        width.saturating_sub(format::width(&talk.label) + 3),
    );
    vec![
        Span::styled(
            talk.label.clone(),
            theme::warn().add_modifier(Modifier::BOLD),
        ),
        Span::styled(" · ", theme::dim()),
        Span::styled(title, theme::value()),
    ]
}
