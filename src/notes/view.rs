//! The notes screen: which talk and step, the time in the talk and in the step, the step's notes,
//! what the rehearsal measured, the next step, and one status line. A pure function of `NotesView`
//! and the time now, so it can be drawn to a test backend.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::protocol::{StepState, ToNotes};
use super::rehearsal::Rehearsal;
use crate::ui::{format, theme};

/// Where the link to the talk is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// No talk found yet.
    Waiting,
    /// Attached to the talk with this pid; `others` run too.
    Attached { pid: u32, others: Vec<u32> },
    /// The talk we were attached to has ended (`clean`: it said so; else the connection dropped).
    Ended { pid: u32, clean: bool },
    /// Looking failed (one line).
    Problem(String),
}

/// Everything the notes screen shows.
#[derive(Debug)]
pub struct NotesView {
    pub link: Link,
    /// The talk's last state and when it arrived (the clocks run on from there).
    pub state: Option<(StepState, Instant)>,
    /// The last message dropped, or sent in vain (one line).
    pub dropped: Option<String>,
    pub rehearsal: Option<Rehearsal>,
    /// `--pid` was given: no other talk is looked for.
    pub pinned: bool,
}

impl NotesView {
    pub fn new(rehearsal: Option<Rehearsal>, pinned: bool) -> NotesView {
        NotesView {
            link: Link::Waiting,
            state: None,
            dropped: None,
            rehearsal,
            pinned,
        }
    }

    /// Takes in one message from the talk.
    pub fn on_msg(&mut self, msg: ToNotes, now: Instant) {
        match msg {
            ToNotes::Step(s) => self.state = Some((s, now)),
            ToNotes::Ended => {
                if let Link::Attached { pid, .. } = self.link {
                    self.link = Link::Ended { pid, clean: true };
                }
            }
            ToNotes::Rejected { why } => self.dropped = Some(format!("the talk {why}")),
        }
    }

    /// The connection closed: the talk ended, said so or not.
    pub fn on_closed(&mut self) {
        if let Link::Attached { pid, .. } = self.link {
            self.link = Link::Ended { pid, clean: false };
        }
    }
}

/// "1:05", "12:34", "1:02:03": the replay bar's clock.
pub use crate::ui::replay_bar::clock;

/// Notes as the screen wraps them: the lines of a paragraph joined (a talk file breaks them where
/// its editor did), a blank line between paragraphs kept, and a line that starts a list item
/// ("- ", "* ", "• ", "1. ") kept on its own.
pub fn paragraphs(notes: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in notes.lines().map(str::trim) {
        if line.is_empty() {
            if open {
                out.push(String::new());
            }
            open = false;
            continue;
        }
        let item = line.starts_with(['-', '*', '•'])
            || line
                .split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        match out.last_mut() {
            Some(last) if open && !item => {
                last.push(' ');
                last.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
        open = true;
    }
    if out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// The status line: where the link is, and how to pick another talk when several run.
fn status(view: &NotesView) -> Option<(String, bool)> {
    match &view.link {
        Link::Waiting if view.pinned => Some((
            "no talk of that pid runs: waiting for it (q quits)".into(),
            false,
        )),
        Link::Waiting => Some((
            "no talk runs: start one with versus --talk NAME; this screen attaches (q quits)"
                .into(),
            false,
        )),
        Link::Attached { others, .. } if !others.is_empty() => {
            let pids: Vec<String> = others.iter().map(u32::to_string).collect();
            Some((
                format!(
                    "newest of {} talks at attach; versus notes --pid {} picks another",
                    others.len() + 1,
                    pids.join(" / ")
                ),
                false,
            ))
        }
        Link::Attached { .. } => None,
        Link::Ended { pid, clean } => Some((
            format!(
                "talk ended (pid {pid}{}){} · q quits",
                if *clean { "" } else { ", connection lost" },
                if view.pinned {
                    ""
                } else {
                    " · a new talk attaches here"
                }
            ),
            true,
        )),
        Link::Problem(e) => Some((e.clone(), true)),
    }
}

pub fn render(frame: &mut Frame, view: &NotesView, now: Instant) {
    theme::set(theme::Theme::Dark);
    let area = frame.area();
    let [
        head,
        times,
        notes,
        rehearsed,
        next,
        dropped,
        status_row,
        footer,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let width = area.width as usize;
    let bold = |s: ratatui::style::Style| s.add_modifier(Modifier::BOLD);

    let pid = match &view.link {
        Link::Attached { pid, .. } | Link::Ended { pid, .. } => format!("pid {pid} "),
        Link::Waiting | Link::Problem(_) => String::new(),
    };
    let mut head_spans = vec![Span::styled("speaker notes", bold(theme::value()))];
    let mut time_spans = Vec::new();
    let mut notes_text = vec![Line::styled(
        "(the talk's steps and notes show here once a talk runs)",
        theme::dim(),
    )];
    let mut rehearsed_line = Line::default();
    let mut next_line = Line::default();
    if let Some((s, at)) = &view.state {
        let room = width.saturating_sub(format::width(&pid) + 20);
        head_spans = vec![
            Span::styled(format!("step {}/{}", s.index, s.len), bold(theme::warn())),
            Span::styled(" · ", theme::dim()),
            Span::styled(format::truncate(&s.step_title, room), bold(theme::value())),
        ];
        // The clocks run on from the talk's last word, and stop when it ends.
        let running = matches!(view.link, Link::Attached { .. });
        let gone = if running {
            now.saturating_duration_since(*at).as_millis() as u64
        } else {
            0
        };
        time_spans = vec![
            Span::styled("in the talk ", theme::label()),
            Span::styled(clock(s.talk_ms + gone), bold(theme::value())),
            Span::styled(" · in this step ", theme::label()),
            Span::styled(clock(s.step_ms + gone), bold(theme::value())),
            Span::styled(format!("   {}", s.title), theme::dim()),
        ];
        notes_text = if s.notes.trim().is_empty() {
            vec![Line::styled("(no notes for this step)", theme::dim())]
        } else {
            paragraphs(&s.notes)
                .into_iter()
                .map(|l| Line::styled(l, theme::value()))
                .collect()
        };
        let rehearsed = match &view.rehearsal {
            Some(r) => r.line_for(&s.talk, s.index, &s.step_title),
            None => "rehearsed: no rehearsal read (versus notes --rehearsal FILE)".into(),
        };
        rehearsed_line = Line::styled(rehearsed, theme::value());
        next_line = Line::from(vec![
            Span::styled("next: ", theme::label()),
            match &s.next {
                Some(t) => Span::styled(t.clone(), bold(theme::value())),
                None => Span::styled("— the last step", theme::dim()),
            },
        ]);
    }
    frame.render_widget(Paragraph::new(Line::from(head_spans)), head);
    frame.render_widget(
        Paragraph::new(Line::styled(pid, theme::dim()).right_aligned()),
        head,
    );
    frame.render_widget(Paragraph::new(Line::from(time_spans)), times);
    frame.render_widget(Paragraph::new(notes_text).wrap(Wrap { trim: false }), notes);
    frame.render_widget(
        Paragraph::new(rehearsed_line).wrap(Wrap { trim: true }),
        rehearsed,
    );
    frame.render_widget(Paragraph::new(next_line), next);
    if let Some(d) = &view.dropped {
        frame.render_widget(
            Paragraph::new(Line::styled(format::truncate(d, width), theme::warn())),
            dropped,
        );
    }
    if let Some((text, loud)) = status(view) {
        let style = if loud {
            bold(theme::warn())
        } else {
            theme::label()
        };
        frame.render_widget(
            Paragraph::new(Line::styled(format::truncate(&text, width), style)),
            status_row,
        );
    }
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" → ", theme::key()),
            Span::styled("next step ", theme::label()),
            Span::styled(" ← ", theme::key()),
            Span::styled("previous ", theme::label()),
            Span::styled(" q ", theme::key()),
            Span::styled("quit (the talk runs on)", theme::label()),
        ])),
        footer,
    );
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;

    fn screen(view: &NotesView, w: u16, h: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("backend");
        let now = Instant::now();
        t.draw(|f| render(f, view, now)).expect("drawn");
        t.backend().to_string()
    }

    fn state() -> StepState {
        StepState {
            talk: "async-vs-threads".into(),
            title: "Async vs threads".into(),
            pid: 9,
            index: 2,
            len: 14,
            step_title: "What a unit costs".into(),
            notes: "Point at RSS per unit.\nThen at the ratio.".into(),
            next: Some("Switching".into()),
            talk_ms: 75_000,
            step_ms: 5_000,
        }
    }

    #[test]
    fn the_screen_shows_the_step_its_notes_the_clocks_the_next_step_and_the_end() {
        let mut v = NotesView::new(None, false);
        let s = screen(&v, 80, 24);
        assert!(s.contains("no talk runs"), "{s}");
        v.link = Link::Attached {
            pid: 9,
            others: vec![5],
        };
        v.on_msg(ToNotes::Step(state()), Instant::now());
        let s = screen(&v, 80, 24);
        for want in [
            "step 2/14 · What a unit costs",
            "pid 9",
            "in the talk 1:15 · in this step 0:05",
            "Point at RSS per unit. Then at the ratio.",
            "next: Switching",
            "rehearsed: no rehearsal read",
            "newest of 2 talks at attach; versus notes --pid 5 picks another",
        ] {
            assert!(s.contains(want), "{want}:\n{s}");
        }
        v.on_msg(
            ToNotes::Rejected {
                why: "dropped a malformed message (x)".into(),
            },
            Instant::now(),
        );
        v.on_msg(ToNotes::Ended, Instant::now());
        let s = screen(&v, 80, 24);
        assert!(s.contains("the talk dropped a malformed message"), "{s}");
        assert!(s.contains("talk ended (pid 9)"), "{s}");
        let mut crashed = NotesView::new(None, true);
        crashed.link = Link::Attached {
            pid: 3,
            others: vec![],
        };
        crashed.on_closed();
        let s = screen(&crashed, 80, 24);
        assert!(
            s.contains("talk ended (pid 3, connection lost) · q quits"),
            "{s}"
        );
        // Tiny terminals draw without a panic.
        for (w, h) in [(1, 1), (10, 3), (30, 2)] {
            let _ = screen(&v, w, h);
        }
    }

    #[test]
    fn notes_are_reflowed_by_paragraph_and_list_items_stay_on_their_lines() {
        assert_eq!(
            paragraphs("one\ntwo\n\nthree\n- a\n- b\n  still b\n2. c\n\n\n"),
            vec!["one two", "", "three", "- a", "- b still b", "2. c"]
        );
        assert!(paragraphs("").is_empty());
    }

    #[test]
    fn clocks_read_as_minutes_and_seconds() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(65_400), "1:05");
        assert_eq!(clock(3_723_000), "1:02:03");
    }
}
