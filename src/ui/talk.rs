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

    fn screen(view: &ViewState, width: u16, height: u16) -> String {
        let model = fixtures::scenario_model("memory");
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
        terminal
            .draw(|frame| render(frame, &model, view))
            .expect("drawn");
        terminal.backend().to_string()
    }

    /// The shipped talk's first step, as the TUI shows it.
    fn first_step() -> TalkView {
        let catalog = crate::scenario::Catalog::builtin().expect("presets");
        let talk = crate::talk::load("async-vs-threads", &catalog).expect("parses");
        let step = &talk.steps[0];
        TalkView {
            label: format!("step 1/{}", talk.steps.len()),
            title: step.title.clone(),
            say: step.say.clone(),
            pair: None,
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

    #[test]
    fn every_step_of_the_shipped_talk_says_all_of_it_at_80x24() {
        let catalog = crate::scenario::Catalog::builtin().expect("presets");
        let talk = crate::talk::load("async-vs-threads", &catalog).expect("parses");
        for (i, step) in talk.steps.iter().enumerate() {
            let view = TalkView {
                label: format!("step {}/{}", i + 1, talk.steps.len()),
                title: step.title.clone(),
                say: step.say.clone(),
                pair: None,
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
