//! The source view: the running workload's async half and thread half side by side, from its own file.
//! It opens at the core loop (the `// core loop` comment in each half, lined up across the columns)
//! and marks, in each side's colour, only the lines that differ in what carries the model: an
//! `.await`, a task or a thread spawned, the runtime, a call that blocks its thread. The code on
//! screen is the code being measured.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme;
use crate::protocol::Side;
use crate::workload::source::{self, Halves};

/// The comment in each half where the view opens.
pub const CORE_LOOP: &str = "// core loop";

/// What in a line that differs between the halves carries the model, so the line is marked: waiting
/// that lets other tasks run, a task or a thread spawned, the runtime, and calls that block the thread.
const CARRIES_THE_MODEL: &[&str] = &[
    ".await",
    "tokio::spawn",
    "spawn_blocking(",
    "block_in_place",
    "tokio::runtime",
    "yield_now",
    "thread::spawn",
    "thread::Builder",
    "spawn_thread",
    "thread::sleep",
    ".accept()",
    ".read(",
    ".write_all(",
    ".lock()",
    ".recv()",
    ".send(",
    ".join()",
];

/// Whether `line` is marked: it differs from the other half and carries the model.
pub fn marked(line: &source::Line) -> bool {
    line.differs && CARRIES_THE_MODEL.iter().any(|t| line.text.contains(t))
}

/// The two halves lined up at their core loops: blank lines before the half whose loop comes
/// earlier. None for a kind without halves.
fn aligned(kind: &str) -> Option<(Halves, [Vec<Option<source::Line>>; 2])> {
    let halves = source::halves(kind)?;
    let at = |half: &[source::Line]| half.iter().position(|l| l.text.trim() == CORE_LOOP);
    let marks = [at(&halves.async_half), at(&halves.thread_half)];
    let top = marks.iter().flatten().copied().max().unwrap_or(0);
    let column = |half: &[source::Line], mark: Option<usize>| -> Vec<Option<source::Line>> {
        let pad = mark.map_or(0, |m| top - m);
        std::iter::repeat_n(None, pad)
            .chain(half.iter().cloned().map(Some))
            .collect()
    };
    let columns = [
        column(&halves.async_half, marks[0]),
        column(&halves.thread_half, marks[1]),
    ];
    Some((halves, columns))
}

/// Where the view opens for `kind`: its core loop, in lines from the top (0 without one).
pub fn start(kind: &str) -> u16 {
    aligned(kind).map_or(0, |(_, [a, _])| {
        a.iter()
            .position(|l| l.as_ref().is_some_and(|l| l.text.trim() == CORE_LOOP))
            .unwrap_or(0)
            .min(usize::from(u16::MAX)) as u16
    })
}

/// The halves of `kind` over `area`, both columns scrolled down by `scroll` lines from the top,
/// lined up at their core loops; the last row says how to scroll and close. Scrolling stops where
/// the longer half's end is on the last row, or at the core loop if that is further down. A kind
/// without halves says so in one line.
pub fn render(frame: &mut Frame, area: Rect, kind: &str, scroll: u16) {
    frame.render_widget(Clear, area);
    let Some((halves, lines)) = aligned(kind) else {
        frame.render_widget(
            Paragraph::new(format!("no source view for workload {kind}")),
            area,
        );
        return;
    };
    let [body, footer] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    let [left, right] = Layout::horizontal([Constraint::Fill(1); 2]).areas(body);
    let columns = [
        rows(&halves, &lines[0], Side::Async, left.width),
        rows(&halves, &lines[1], Side::Threads, right.width),
    ];
    let visible = usize::from(body.height.saturating_sub(2));
    // The furthest line a column can start at with the screen still full.
    let longest = lines.iter().map(Vec::len).max().unwrap_or(0);
    let full = (0..longest)
        .rev()
        .find(|&s| {
            columns
                .iter()
                .any(|c| c.iter().skip(s).map(Vec::len).sum::<usize>() >= visible)
        })
        .unwrap_or(0);
    let scroll = usize::from(scroll).min(full.max(usize::from(start(kind))));
    for ((side, area), rows) in Side::BOTH.into_iter().zip([left, right]).zip(columns) {
        column(
            frame,
            area,
            side,
            &halves.path,
            rows.into_iter().skip(scroll).flatten().collect(),
        );
    }
    render_footer(frame, footer);
}

/// "↑ ↓ scroll · v or Esc closes · ▌ what differs in the model".
fn render_footer(frame: &mut Frame, area: Rect) {
    let line = Line::from(vec![
        Span::raw(" "),
        Span::styled("↑ ↓", theme::key()),
        Span::styled(" scroll · ", theme::label()),
        Span::styled("v", theme::key()),
        Span::styled(" or ", theme::label()),
        Span::styled("Esc", theme::key()),
        Span::styled(" closes · ", theme::label()),
        Span::styled("▌", theme::value()),
        Span::styled(" where the model differs", theme::label()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// A bound for the scroll position: every line of both halves.
pub fn rows_at_most(kind: &str) -> u16 {
    aligned(kind).map_or(0, |(_, [a, t])| {
        a.len().max(t.len()).min(usize::from(u16::MAX)) as u16
    })
}

/// One column's screen rows, per line of the column: each source line with its number and mark,
/// indentation halved, and wrapped under itself when it is wider than the column, so no code is cut
/// off; a blank row where the column is padded to line up the core loops.
fn rows(
    halves: &Halves,
    lines: &[Option<source::Line>],
    side: Side,
    width: u16,
) -> Vec<Vec<Line<'static>>> {
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
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let Some(line) = line else {
            out.push(vec![Line::raw("")]);
            continue;
        };
        let (mark, style) = if marked(line) {
            ("▌", Style::new().fg(colour).add_modifier(Modifier::BOLD))
        } else {
            (" ", Style::new())
        };
        let indent = line.text.len() - line.text.trim_start().len();
        let shown = format!("{}{}", " ".repeat(indent / 2), line.text.trim_start());
        let mut pieces = Vec::new();
        for (i, piece) in wrap(&shown, text_width).into_iter().enumerate() {
            let number = if i == 0 {
                format!("{:>number_width$} ", line.number)
            } else {
                " ".repeat(number_width + 1)
            };
            pieces.push(Line::from(vec![
                Span::styled(number, theme::dim()),
                Span::styled(mark, Style::new().fg(colour)),
                Span::raw(" "),
                Span::styled(piece, style),
            ]));
        }
        out.push(pieces);
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
        // Scrolled to the end, the last row inside the borders shows the closing brace of the
        // longer half (row 10 is the bottom border, row 11 the footer).
        let end = draw("echo", 80, 12, 999);
        assert!(end.lines().nth(9).is_some_and(|r| r.contains('}')), "{end}");
    }

    /// The halves of `screen`'s rows inside the borders: (left, right).
    fn halves_of(screen: &str, height: usize) -> Vec<(String, String)> {
        screen
            .lines()
            .skip(1)
            .take(height.saturating_sub(3))
            .map(|r| {
                let cells: Vec<char> = r.chars().collect();
                let half = cells.len() / 2;
                (
                    cells[..half].iter().collect(),
                    cells[half..].iter().collect(),
                )
            })
            .collect()
    }

    #[test]
    fn the_echo_view_opens_at_the_serve_loop_and_marks_only_what_carries_the_model() {
        let screen = draw("echo", 80, 24, start("echo"));
        let rows = halves_of(&screen, 24);
        // Both columns start at their core loop, side by side.
        assert!(rows[0].0.contains(CORE_LOOP), "{screen}");
        assert!(rows[0].1.contains(CORE_LOOP), "{screen}");
        let left: String = rows.iter().map(|r| r.0.as_str()).collect();
        let right: String = rows.iter().map(|r| r.1.as_str()).collect();
        assert!(left.contains("listener.accept()."), "{screen}");
        assert!(
            left.contains("tokio::spawn(") && left.contains("serve_task("),
            "{screen}"
        );
        assert!(right.contains("listener.accept()"), "{screen}");
        // Fewer than a third of the source lines on screen, or in the halves, are marked (a wrapped
        // line is one line, its mark on each of its rows).
        for (side, right_half) in [("async", false), ("threads", true)] {
            let numbered: Vec<&str> = rows
                .iter()
                .map(|r| if right_half { &r.1 } else { &r.0 })
                .map(|r| r.trim_start_matches(['│', '┃']).trim_start())
                .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                .collect();
            let marked = numbered.iter().filter(|r| r.contains(" ▌ ")).count();
            assert!(
                marked > 0 && marked * 3 < numbered.len(),
                "{side}: {marked} of {} lines marked\n{screen}",
                numbered.len()
            );
        }
        let h = source::halves("echo").expect("echo has halves");
        for half in [&h.async_half, &h.thread_half] {
            let n = half.iter().filter(|l| marked(l)).count();
            assert!(n > 0 && n * 3 < half.len(), "{n} of {}", half.len());
        }
        // The lines that carry the model are the ones marked.
        let line = |half: &[source::Line], needle: &str| {
            half.iter().find(|l| l.text.contains(needle)).map(marked)
        };
        assert_eq!(line(&h.async_half, "tokio::spawn(serve_task"), Some(true));
        assert_eq!(line(&h.async_half, "listener.accept().await"), Some(true));
        assert_eq!(
            line(&h.async_half, "self.timed_spawn(started)"),
            Some(false)
        );
        assert_eq!(line(&h.thread_half, "let stack_bytes"), Some(false));
        // The last row says how to close the view.
        let footer = screen.lines().nth(23).unwrap_or("");
        assert!(footer.contains("v or Esc closes"), "{screen}");
    }

    #[test]
    fn every_kind_opens_at_its_core_loop_in_both_columns() {
        for kind in crate::workload::KINDS {
            let h = source::halves(kind.name).expect("halves");
            for half in [&h.async_half, &h.thread_half] {
                assert_eq!(
                    half.iter().filter(|l| l.text.trim() == CORE_LOOP).count(),
                    1,
                    "{}: one core loop in each half",
                    kind.name
                );
            }
            let top = start(kind.name);
            assert!(top > 0, "{}", kind.name);
            let screen = draw(kind.name, 100, 30, top);
            let first = screen.lines().nth(1).unwrap_or("");
            assert_eq!(
                first.matches(CORE_LOOP).count(),
                2,
                "{}\n{screen}",
                kind.name
            );
            // ↑ reaches the top of both halves again.
            assert!(
                draw(kind.name, 100, 30, 0).contains("fn task("),
                "{}",
                kind.name
            );
        }
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
