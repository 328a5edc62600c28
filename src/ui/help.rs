//! The key table on screen: a one-line footer of hints and the `?` overlay, both read from `keys::KEYS`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph};

use super::keys::{KeyBinding, TALK_KEYS};
use super::{format, theme};
use crate::action::{Action, Selection};

/// Hints that stay in the footer however narrow it gets: with these the rest can be found.
fn pinned(b: &KeyBinding) -> bool {
    matches!(b.action, Action::OpenPicker | Action::Help | Action::Quit)
}

/// The first key of each row and its label, as many as fit; help and quit always, on the right.
/// While a talk runs its keys lead, never dropped: the speaker's way on.
pub fn render_footer(frame: &mut Frame, area: Rect, keys: &[KeyBinding], talk: bool) {
    let right: Vec<Span> = keys
        .iter()
        .filter(|b| pinned(b))
        .flat_map(|b| hint(b))
        .collect();
    let lead: Vec<Span> = if talk {
        TALK_KEYS.iter().flat_map(hint).collect()
    } else {
        Vec::new()
    };
    let right_width: usize = right.iter().chain(&lead).map(Span::width).sum();
    let avail = (area.width as usize).saturating_sub(right_width);
    let hints: Vec<[Span; 6]> = keys.iter().filter(|b| !pinned(b)).map(hint).collect();
    let keep = format::prefix_fitting(hints.iter().map(|h| h.iter().map(Span::width).sum()), avail);
    let left: Vec<Span> = lead
        .into_iter()
        .chain(hints.into_iter().take(keep).flatten())
        .collect();
    frame.render_widget(Paragraph::new(Line::from(left)), area);
    frame.render_widget(Paragraph::new(Line::from(right).right_aligned()), area);
}

/// " a async " with the key in key style.
fn hint(b: &KeyBinding) -> [Span<'static>; 6] {
    let (prefix, name) = b.keys.first().map_or(("", "?"), |k| k.name());
    [
        Span::raw(" "),
        Span::styled(prefix, theme::key()),
        Span::styled(name, theme::key()),
        Span::raw(" "),
        Span::styled(b.label, theme::label()),
        Span::raw(" "),
    ]
}

/// In a talk, on the overlay's bottom edge: the talk's own keys and where the speaker notes are.
pub const TALK_HINT: &str = " → ← steps · speaker notes: versus notes ";

/// Every key with its sentence, centered over whatever is below; in a talk, `TALK_HINT` on its edge.
pub fn render_overlay(
    frame: &mut Frame,
    area: Rect,
    selection: Selection,
    keys: &[KeyBinding],
    talk: bool,
) {
    let key_col = keys.iter().map(keys_width).max().unwrap_or(0);
    let help_col = keys
        .iter()
        .map(|b| format::width(b.help))
        .max()
        .unwrap_or(0);
    let width = (key_col + help_col + 6).min(area.width as usize) as u16;
    // Where every key does not fit with the "keys act on" line and a blank under it (80×24), that
    // line moves into the title, so `q` is never the row cut off.
    let compact = keys.len() + 4 > area.height as usize;
    let head_rows = if compact { 0 } else { 2 };
    let height = (keys.len() + 2 + head_rows).min(area.height as usize) as u16;
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );

    let mut lines = Vec::with_capacity(keys.len() + 2);
    let acts_on = vec![
        Span::styled("keys act on: ", theme::label()),
        Span::styled(selection.label(), theme::value()),
    ];
    let title = if compact {
        let mut t = vec![Span::styled(" keys · ", theme::value())];
        t.extend(acts_on);
        t.push(Span::raw(" "));
        Line::from(t)
    } else {
        lines.push(Line::from(acts_on));
        lines.push(Line::raw(""));
        Line::from(Span::styled(" keys ", theme::value()))
    };
    // Still more keys than rows: the ones just before `?` and `q` share one line by their labels,
    // so every key is listed and `q` is still the last row.
    let room = (height as usize).saturating_sub(2 + head_rows);
    let folded = if keys.len() > room && keys.len() >= 2 {
        let n = (keys.len() + 1 - room).min(keys.len() - 2);
        keys.len() - 2 - n..keys.len() - 2
    } else {
        0..0
    };
    for (i, b) in keys.iter().enumerate() {
        if folded.contains(&i) {
            if i == folded.start {
                lines.push(folded_line(&keys[folded.clone()]));
            }
            continue;
        }
        let mut spans = Vec::with_capacity(2 * b.keys.len() + 2);
        for (i, k) in b.keys.iter().enumerate() {
            let (prefix, name) = k.name();
            if i > 0 {
                spans.push(Span::raw(" "));
            }
            spans.push(Span::styled(prefix, theme::key()));
            spans.push(Span::styled(name, theme::key()));
        }
        spans.push(Span::raw(" ".repeat(key_col - keys_width(b) + 2)));
        spans.push(Span::raw(b.help));
        lines.push(Line::from(spans));
    }
    let mut block = Block::bordered()
        .padding(Padding::horizontal(1))
        .border_style(theme::value())
        .title(title)
        .title_bottom(Line::styled(" any key closes this ", theme::dim()).right_aligned());
    if talk {
        block = block.title_bottom(Line::styled(TALK_HINT, theme::value()));
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// "also: z big · T theme": keys that did not get a row of their own, by their footer labels.
fn folded_line(keys: &[KeyBinding]) -> Line<'static> {
    let mut spans = vec![Span::styled("also: ", theme::label())];
    for (i, b) in keys.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        for k in b.keys {
            let (prefix, name) = k.name();
            spans.push(Span::styled(format!("{prefix}{name}"), theme::key()));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::raw(b.label));
    }
    Line::from(spans)
}

/// Cells the keys of a row take: "+ = ↑" is five.
fn keys_width(b: &KeyBinding) -> usize {
    let names: usize = b
        .keys
        .iter()
        .map(|k| k.name())
        .map(|(p, n)| format::width(p) + format::width(n))
        .sum();
    names + b.keys.len().saturating_sub(1)
}
