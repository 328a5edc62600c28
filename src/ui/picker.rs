//! The scenario picker: an overlay listing every scenario with its number, workload and claim.
//! What it lists is copied into the view state when it opens, so drawing it reads nothing else.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph};

use super::keys::PICKER_KEYS;
use super::{format, theme};
use crate::action::PickerStep;
use crate::scenario::Catalog;
use crate::scenario::list::NUMBERED;

/// One row of the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerEntry {
    pub name: String,
    pub title: String,
    pub workload: String,
}

/// The open picker: its rows and the marked one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Picker {
    pub entries: Vec<PickerEntry>,
    pub cursor: usize,
    /// The scenario that runs now, if any.
    pub current: Option<usize>,
}

/// What a picker key leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Close,
    Choose(usize),
}

impl Picker {
    /// Opens on the current scenario, or the first.
    pub fn new(catalog: &Catalog, current: Option<usize>) -> Picker {
        let entries = catalog
            .0
            .iter()
            .map(|s| PickerEntry {
                name: s.name.clone(),
                title: s.title.clone(),
                workload: s.kind.name.to_string(),
            })
            .collect();
        Picker {
            entries,
            cursor: current.unwrap_or(0),
            current,
        }
    }

    pub fn step(&mut self, step: PickerStep) -> Outcome {
        let last = self.entries.len().saturating_sub(1);
        match step {
            PickerStep::Up => self.cursor = self.cursor.checked_sub(1).unwrap_or(last),
            PickerStep::Down => {
                self.cursor = if self.cursor >= last {
                    0
                } else {
                    self.cursor + 1
                }
            }
            PickerStep::Choose if self.entries.is_empty() => return Outcome::Close,
            PickerStep::Choose => return Outcome::Choose(self.cursor),
            PickerStep::Close => return Outcome::Close,
        }
        Outcome::Stay
    }
}

/// The list, centered over whatever is below; rows that do not fit are cut from the right.
pub fn render(frame: &mut Frame, area: Rect, picker: &Picker) {
    let name_col = picker
        .entries
        .iter()
        .map(|e| format::width(&e.name))
        .max()
        .unwrap_or(0);
    let work_col = picker
        .entries
        .iter()
        .map(|e| format::width(&e.workload))
        .max()
        .unwrap_or(0);
    let rows: Vec<(String, String)> = picker
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let key = if i < NUMBERED {
                (i + 1).to_string()
            } else {
                " ".into()
            };
            let mark = if picker.current == Some(i) {
                "▶"
            } else {
                " "
            };
            let head = format!(
                "{mark}{key}  {:name_col$}  {:work_col$}  ",
                e.name, e.workload
            );
            (head, e.title.clone())
        })
        .collect();
    let hints: Vec<Span> = PICKER_KEYS
        .iter()
        .flat_map(|b| {
            let (prefix, name) = b.keys.first().map_or(("", "?"), |k| k.name());
            [
                Span::raw(" "),
                Span::styled(format!("{prefix}{name}"), theme::key()),
                Span::raw(" "),
                Span::styled(b.label, theme::label()),
                Span::raw(" "),
            ]
        })
        .collect();
    let content = rows
        .iter()
        .map(|(h, t)| format::width(h) + format::width(t))
        .max()
        .unwrap_or(0)
        .max(hints.iter().map(Span::width).sum());
    let width = (content + 4).min(area.width as usize) as u16;
    let height = (rows.len() + 2).min(area.height as usize) as u16;
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let text_width = width.saturating_sub(4) as usize;
    let lines: Vec<Line> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (head, title))| {
            let line = super::fit::fit(&format!("{head}{title}"), text_width);
            let style = if i == picker.cursor {
                theme::value().add_modifier(Modifier::REVERSED)
            } else {
                theme::label()
            };
            Line::styled(line, style)
        })
        .collect();
    let block = Block::bordered()
        .padding(Padding::horizontal(1))
        .border_style(theme::value())
        .title(Span::styled(" scenarios ", theme::value()))
        .title_bottom(Line::from(hints));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_wraps_and_choosing_names_the_row() {
        let catalog = Catalog::builtin().expect("valid");
        let mut p = Picker::new(&catalog, Some(1));
        assert_eq!(p.cursor, 1);
        p.step(PickerStep::Up);
        assert_eq!(p.step(PickerStep::Up), Outcome::Stay);
        assert_eq!(p.cursor, catalog.0.len() - 1, "wraps to the last");
        p.step(PickerStep::Down);
        assert_eq!(p.step(PickerStep::Choose), Outcome::Choose(0));
        assert_eq!(p.step(PickerStep::Close), Outcome::Close);
        let mut empty = Picker::default();
        assert_eq!(empty.step(PickerStep::Choose), Outcome::Close);
    }
}
