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
    /// The paired step's headline, beside this one's: "was 47.1 ms vs 94 µs in step 8".
    pub pair: Option<String>,
    /// The rows of the columns' tables the step is about (labels); the others are dimmed.
    pub focus: Vec<&'static str>,
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
    let title = super::fit::fit(
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

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::super::{ViewState, fixtures, render};
    use super::*;

    /// The run step 1 of the shipped talk starts (memory at 1,000 units a side), recorded.
    fn screen(view: &ViewState, width: u16, height: u16) -> String {
        let model = fixtures::talk_step_model();
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
        terminal
            .draw(|frame| render(frame, &model, view))
            .expect("drawn");
        terminal.backend().to_string()
    }

    /// The shipped talk's first step, as the TUI shows it.
    fn first_step() -> TalkView {
        let catalog = crate::scenario::Catalog::builtin().expect("presets");
        let talk = crate::talkfile::load("async-vs-threads", &catalog).expect("parses");
        let step = &talk.steps[0];
        TalkView {
            label: format!("step 1/{}", talk.steps.len()),
            title: step.title.clone(),
            say: step.say.clone(),
            pair: None,
            focus: step.focus.clone(),
        }
    }

    #[test]
    fn the_step_and_all_its_say_text_fit_80x24() {
        let talk = first_step();
        let view = ViewState {
            caption: true,
            talk: Some(talk.clone()),
            ..ViewState::default()
        };
        let text = screen(&view, 80, 24);
        assert!(text.contains("step 1/14 · An idle task"), "{text}");
        let last = talk.say.split_whitespace().last().expect("says something");
        assert!(text.contains(last), "say cut at 80×24\n{text}");
        assert!(
            !text.contains("look for:"),
            "the say replaces the caption\n{text}"
        );
        insta::assert_snapshot!("talk_step_80x24", text);
    }

    /// The recording the talk_step snapshot draws was made with step 1's own run, so its say text
    /// and the units on screen agree.
    #[test]
    fn the_talk_step_recording_runs_what_step_1_asks_for() {
        let catalog = crate::scenario::Catalog::builtin().expect("presets");
        let talk = crate::talkfile::load("async-vs-threads", &catalog).expect("parses");
        let plain = crate::scenario::Scenario::plain(
            "",
            crate::scenario::find_kind("sleep").expect("sleep"),
            "command line",
        );
        let mut cfg = crate::config::RunConfig::new(&plain, catalog).expect("a run");
        talk.steps[0].apply(&mut cfg).expect("step 1 applies");
        let rec = fixtures::recording("talk-step-1");
        let c = &rec.header.config;
        assert_eq!(
            (c.scenario.as_ref(), c.units, &c.params),
            (cfg.scenario.as_ref(), cfg.units, &cfg.params.0),
            "re-make talk-step-1 with {}",
            fixtures::SCRIPT
        );
        let model = fixtures::talk_step_model();
        for side in &model.sides {
            let f = side.figures.as_ref().expect("both sides reported");
            assert_eq!(f.units, cfg.units[side.side.index()], "{:?}", side.side);
        }
    }

    #[test]
    fn every_step_of_the_shipped_talk_says_all_of_it_at_80x24() {
        let catalog = crate::scenario::Catalog::builtin().expect("presets");
        let talk = crate::talkfile::load("async-vs-threads", &catalog).expect("parses");
        for (i, step) in talk.steps.iter().enumerate() {
            let view = TalkView {
                label: format!("step {}/{}", i + 1, talk.steps.len()),
                title: step.title.clone(),
                say: step.say.clone(),
                pair: None,
                focus: step.focus.clone(),
            };
            assert!(
                say_rows(&view, 80, u16::MAX) <= 4,
                "step {}: the say takes more than 4 rows at 80 columns",
                i + 1
            );
        }
    }

    #[test]
    fn help_in_a_talk_names_its_keys_and_the_speaker_notes_at_80x24() {
        let view = ViewState {
            help: true,
            talk: Some(first_step()),
            ..ViewState::default()
        };
        let text = screen(&view, 80, 24);
        assert!(text.contains(super::super::help::TALK_HINT), "{text}");
        assert!(text.contains("any key closes this"), "{text}");
        let plain = screen(
            &ViewState {
                help: true,
                ..ViewState::default()
            },
            80,
            24,
        );
        assert!(!plain.contains("versus notes"), "only in a talk\n{plain}");
    }

    /// The style of the left column's cell where its row labelled `label` starts, and the row's
    /// text across both columns; None when no row of the left column has that label.
    fn row_of(
        buf: &ratatui::buffer::Buffer,
        label: &str,
    ) -> Option<(ratatui::style::Style, String)> {
        let area = buf.area;
        (0..area.height).find_map(|y| {
            let row: String = (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            let at = row.find(&format!("┃ {label} "))?;
            let x = row[..at].chars().count() as u16 + 2;
            (x < area.width / 2).then(|| (buf[(x, y)].style(), row))
        })
    }

    fn buffer(model: &crate::model::Model, view: &ViewState) -> ratatui::buffer::Buffer {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test backend");
        terminal
            .draw(|frame| render(frame, model, view))
            .expect("drawn");
        terminal.backend().buffer().clone()
    }

    #[test]
    fn a_focused_step_dims_the_rows_it_is_not_about() {
        let model = fixtures::talk_step_model();
        let mut talk = first_step();
        talk.focus = vec!["RSS", "OS threads"];
        let view = ViewState {
            caption: true,
            talk: Some(talk.clone()),
            ..ViewState::default()
        };
        let focused = buffer(&model, &view);
        let dim = theme::dim().fg;
        for label in ["RSS", "OS threads"] {
            let (style, row) = row_of(&focused, label).expect("a focused row is drawn");
            assert_ne!(style.fg, dim, "{label} is focused: not dimmed\n{row}");
        }
        for label in ["units", "ctx switch", "CPU"] {
            let (style, row) = row_of(&focused, label).expect("drawn");
            assert_eq!(style.fg, dim, "{label} is not focused: dimmed\n{row}");
        }
        // Without a focus nothing is dimmed.
        talk.focus.clear();
        let plain = buffer(
            &model,
            &ViewState {
                caption: true,
                talk: Some(talk),
                ..ViewState::default()
            },
        );
        let (style, row) = row_of(&plain, "ctx switch").expect("drawn");
        assert_ne!(style.fg, dim, "{row}");
    }

    #[test]
    fn the_threads_column_draws_no_tokio_rows_at_80x24() {
        let model = fixtures::scenario_model("yield");
        for talk in [None, Some(first_step())] {
            let view = ViewState {
                caption: true,
                talk,
                ..ViewState::default()
            };
            let buf = buffer(&model, &view);
            let rows: Vec<String> = (0..24)
                .map(|y| (0..80).map(|x| buf[(x, y)].symbol().to_string()).collect())
                .collect();
            let columns = |half: usize| -> Vec<String> {
                rows.iter()
                    .filter(|r| r.starts_with('┃'))
                    .map(|r| r.chars().skip(half * 40).take(40).collect())
                    .collect()
            };
            let text = rows.join("\n");
            assert!(
                columns(0).iter().any(|r| r.contains("┃ tokio")),
                "the async column shows tokio's rows\n{text}"
            );
            assert!(
                !columns(1).iter().any(|r| r.contains("tokio")),
                "the threads column has no tokio rows\n{text}"
            );
            // The rows both sides have stay side by side.
            for label in ["units", "OS threads", "yields"] {
                let at = |half: usize| {
                    columns(half)
                        .iter()
                        .position(|r| r.starts_with(&format!("┃ {label} ")))
                };
                assert!(at(0).is_some(), "{label}\n{text}");
                assert_eq!(at(0), at(1), "{label}\n{text}");
            }
        }
    }

    #[test]
    fn c_hides_the_say() {
        let view = ViewState {
            caption: false,
            talk: Some(first_step()),
            ..ViewState::default()
        };
        let text = screen(&view, 80, 24);
        assert!(!text.contains("A thousand sleeping"), "{text}");
        assert!(
            text.contains("step 1/"),
            "the header keeps the step\n{text}"
        );
    }
}
