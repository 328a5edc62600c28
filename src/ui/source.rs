//! The source view: the running workload's async half and thread half side by side, from its own file,
//! the lines that differ marked in each side's colour. The code on screen is the code being measured.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme;
use crate::protocol::Side;
use crate::workload::source::{self, Halves};

/// The halves of `kind` over `area`, both columns scrolled down by `scroll` rows (clamped so the
/// longer half's end stays reachable). A kind without halves says so in one line.
pub fn render(frame: &mut Frame, area: Rect, kind: &str, scroll: u16) {
    frame.render_widget(Clear, area);
    let Some(halves) = source::halves(kind) else {
        frame.render_widget(
            Paragraph::new(format!("no source view for workload {kind}")),
            area,
        );
        return;
    };
    let [left, right] = Layout::horizontal([Constraint::Fill(1); 2]).areas(area);
    let columns = [
        rows(&halves, Side::Async, left.width),
        rows(&halves, Side::Threads, right.width),
    ];
    let longest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let visible = usize::from(area.height.saturating_sub(2));
    let scroll = usize::from(scroll).min(longest.saturating_sub(visible));
    for ((side, area), rows) in Side::BOTH.into_iter().zip([left, right]).zip(columns) {
        column(
            frame,
            area,
            side,
            &halves.path,
            rows.into_iter().skip(scroll).collect(),
        );
    }
}

/// A bound for the scroll position: every line of both halves (wrapping only adds rows).
pub fn rows_at_most(kind: &str) -> u16 {
    source::halves(kind).map_or(0, |h| {
        (h.async_half.len() + h.thread_half.len()).min(usize::from(u16::MAX)) as u16
    })
}

/// One column's screen rows: each source line with its number and mark, indentation halved, and
/// wrapped under itself when it is wider than the column, so no code is cut off.
fn rows(halves: &Halves, side: Side, width: u16) -> Vec<Line<'static>> {
    let half = match side {
        Side::Async => &halves.async_half,
        Side::Threads => &halves.thread_half,
    };
    let colour = theme::side(side);
    let number_width = half.last().map_or(1, |l| l.number.to_string().len());
    // Border (2), number, a space, the mark, a space; a space before the right border.
    let text_width = usize::from(width)
        .saturating_sub(2 + number_width + 3 + 1)
        .max(1);
    let mut out = Vec::with_capacity(half.len());
    for line in half {
        let (mark, style) = if line.differs {
            ("▌", Style::new().fg(colour).add_modifier(Modifier::BOLD))
        } else {
            (" ", Style::new())
        };
        let indent = line.text.len() - line.text.trim_start().len();
        let shown = format!("{}{}", " ".repeat(indent / 2), line.text.trim_start());
        for (i, piece) in wrap(&shown, text_width).into_iter().enumerate() {
            let number = if i == 0 {
                format!("{:>number_width$} ", line.number)
            } else {
                " ".repeat(number_width + 1)
            };
            out.push(Line::from(vec![
                Span::styled(number, theme::dim()),
                Span::styled(mark, Style::new().fg(colour)),
                Span::raw(" "),
                Span::styled(piece, style),
            ]));
        }
    }
    out
}

/// `text` in pieces of at most `width` cells; a continuation keeps the line's indentation plus two,
/// and breaks after the last space, `.`, `(`, `,`, `<`, `&` or `::` that fits, never inside a name
/// that fits on a row of its own.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let indent = text.len() - text.trim_start().len();
    let mut pieces = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    let mut prefix = String::new();
    loop {
        let avail = width.saturating_sub(prefix.chars().count()).max(1);
        if rest.len() <= avail {
            pieces.push(format!("{prefix}{}", rest.iter().collect::<String>()));
            return pieces;
        }
        // The last break between tokens that fits; inside a name only when a name alone is too long.
        let cut = (1..avail)
            .rev()
            .find(|&i| {
                matches!(rest[i - 1], ' ' | '.' | '(' | ',' | '<' | '&')
                    || (rest[i - 1] == ':' && rest[i] != ':')
            })
            .unwrap_or(avail);
        let head: String = rest.drain(..cut).collect();
        pieces.push(format!("{prefix}{}", head.trim_end()));
        while rest.first() == Some(&' ') {
            rest.remove(0);
        }
        // Less indentation where the next name would not fit on the row whole.
        let name = rest
            .iter()
            .position(|c| !(c.is_alphanumeric() || *c == '_'))
            .unwrap_or(rest.len());
        prefix = " ".repeat((indent + 2).min(width / 2).min(width.saturating_sub(name)));
    }
}

fn column(frame: &mut Frame, area: Rect, side: Side, path: &str, rows: Vec<Line<'static>>) {
    let colour = theme::side(side);
    let title = match side {
        Side::Async => " async (tokio) · fn task ",
        Side::Threads => " threads (std) · fn thread ",
    };
    let block = Block::bordered()
        .border_style(Style::new().fg(colour))
        .title(Span::styled(title, Style::new().fg(colour)))
        .title_bottom(
            Line::styled(
                format!(" {} ", tail_that_fits(path, area.width)),
                theme::dim(),
            )
            .right_aligned(),
        );
    frame.render_widget(Paragraph::new(rows).block(block), area);
}

/// The longest tail of `path`, whole components, that fits on the bottom border of a column
/// `width` wide (`crates/versus-worker/src/workload/sleep.rs` gives `src/workload/sleep.rs` at 80
/// columns): the file name is always kept.
fn tail_that_fits(path: &str, width: u16) -> &str {
    let room = usize::from(width).saturating_sub(4);
    let mut tail = path;
    while tail.chars().count() > room {
        match tail.split_once('/') {
            Some((_, rest)) => tail = rest,
            None => break,
        }
    }
    tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_path_keeps_its_tail_in_whole_components() {
        let p = "crates/versus-worker/src/workload/sleep.rs";
        assert_eq!(tail_that_fits(p, 80), p);
        assert_eq!(tail_that_fits(p, 39), "versus-worker/src/workload/sleep.rs");
        assert_eq!(tail_that_fits(p, 38), "src/workload/sleep.rs");
        assert_eq!(tail_that_fits(p, 5), "sleep.rs");
    }
    use ratatui::{Terminal, backend::TestBackend};

    fn draw(kind: &str, width: u16, height: u16, scroll: u16) -> String {
        let mut t = match Terminal::new(TestBackend::new(width, height)) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        if let Err(e) = t.draw(|f| render(f, f.area(), kind, scroll)) {
            panic!("{e}");
        }
        super::super::svg::to_text(t.backend().buffer())
    }

    #[test]
    fn the_sleep_halves_stand_side_by_side_at_80x24() {
        let screen = draw("sleep", 80, 24, 0);
        let rows: Vec<&str> = screen.lines().collect();
        let row_with = |needle: &str| rows.iter().position(|r| r.contains(needle));
        assert!(rows[0].contains("async (tokio) · fn task"), "{screen}");
        assert!(rows[0].contains("threads (std) · fn thread"), "{screen}");
        // Each call in its own column: sleep_until on the left half, thread::sleep on the right.
        let until = rows[row_with("sleep_until").unwrap_or(0)];
        let half = until.chars().count() / 2;
        assert!(
            until
                .chars()
                .take(half)
                .collect::<String>()
                .contains("sleep_until"),
            "{screen}"
        );
        let sleep = rows[row_with("thread::sleep").unwrap_or(0)];
        assert!(
            !sleep
                .chars()
                .take(half)
                .collect::<String>()
                .contains("thread::sleep"),
            "{screen}"
        );
        assert!(screen.contains("▌"), "differing lines are marked: {screen}");
        assert!(screen.contains("src/workload/sleep.rs"));
    }

    #[test]
    fn scrolling_moves_both_columns_and_stops_at_the_end() {
        let top = draw("echo", 80, 12, 0);
        let down = draw("echo", 80, 12, 3);
        assert_ne!(top, down);
        assert_eq!(draw("echo", 80, 12, 999), draw("echo", 80, 12, 500));
        // Scrolled to the end, the last row shows the closing brace of the longer half.
        let end = draw("echo", 80, 12, 999);
        assert!(
            end.lines().nth(10).is_some_and(|r| r.contains('}')),
            "{end}"
        );
    }

    #[test]
    fn every_kind_and_every_small_size_draws() {
        for kind in crate::workload::KINDS {
            for (w, h) in [(1, 1), (20, 5), (80, 24), (200, 60)] {
                let _ = draw(kind.name, w, h, 0);
            }
        }
        assert!(draw("nap", 60, 5, 0).contains("no source view for workload nap"));
    }
}

#[cfg(test)]
mod wrap_tests {
    use super::wrap;

    #[test]
    fn long_lines_wrap_under_themselves_and_lose_nothing() {
        let line = "    tokio::time::sleep_until(deadline.into()).await;";
        let pieces = wrap(line, 24);
        assert!(pieces.len() > 1, "{pieces:?}");
        assert!(pieces.iter().all(|p| p.chars().count() <= 24), "{pieces:?}");
        assert!(pieces[1].starts_with("      "), "{pieces:?}");
        let joined: String = pieces.iter().map(|p| p.trim()).collect();
        assert_eq!(joined, line.trim().replace(' ', ""));
        assert_eq!(wrap("short", 24), vec!["short".to_string()]);
        assert!(!wrap(&"x".repeat(100), 3).is_empty());
    }
}
