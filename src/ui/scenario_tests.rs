//! Render tests of the scenario screens: each built-in scenario's header and caption, and the picker.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::{Picker, ViewState, fixtures, render};
use crate::action::PickerStep;
use crate::model::Model;
use crate::scenario::Catalog;

fn screen(model: &Model, view: &ViewState, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| render(frame, model, view)).unwrap();
    terminal.backend().to_string()
}

/// Scenario `name` as a 2-core machine shows it (see `fixtures::scenario_model`).
fn scenario_model(name: &str) -> Model {
    fixtures::scenario_model(name)
}

#[test]
fn every_scenario_screen_shows_its_name_parameters_and_caption() {
    let view = ViewState {
        caption: true,
        ..ViewState::default()
    };
    for s in Catalog::builtin().unwrap().0 {
        let text = screen(&scenario_model(&s.name), &view, 80, 24);
        assert!(text.contains(&format!(" versus  {}", s.name)), "{text}");
        assert!(text.contains("look for:"), "{text}");
        // The whole caption fits the rows an 80×24 terminal gives it: its last word is on screen.
        let last = s.caption.split_whitespace().last().unwrap();
        assert!(
            text.contains(last),
            "{}: caption cut at 80×24\n{text}",
            s.name
        );
        insta::assert_snapshot!(format!("scenario_{}_80x24", s.name), text);
    }
}

#[test]
fn the_mode_says_the_sides_take_turns() {
    let text = screen(&scenario_model("parallel"), &ViewState::default(), 80, 24);
    assert!(
        text.contains("tokio current-thread · taking turns of 10 s: async now · each side nice 10"),
        "{text}"
    );
    assert!(text.contains("idle until its turn"), "{text}");
}

fn picker() -> Picker {
    let mut p = Picker::new(&Catalog::builtin().unwrap(), Some(0));
    p.step(PickerStep::Down);
    p.step(PickerStep::Down);
    p
}

#[test]
fn picker_80x24() {
    let view = ViewState {
        picker: Some(picker()),
        ..ViewState::default()
    };
    insta::assert_snapshot!(screen(&scenario_model("memory"), &view, 80, 24));
}

#[test]
fn the_picker_fits_any_size() {
    let view = ViewState {
        picker: Some(picker()),
        ascii: true,
        ..ViewState::default()
    };
    let model = scenario_model("limits");
    for w in [1, 40, 59, 60, 61, 79, 80, 120, 300] {
        for h in [1, 10, 15, 16, 17, 24, 60] {
            let text = screen(&model, &view, w, h);
            assert!(text.is_ascii());
        }
    }
}

#[test]
fn the_limit_hit_names_the_limit_and_its_value_at_80x24() {
    let text = screen(&fixtures::limit_model(), &ViewState::default(), 80, 24);
    assert!(
        text.contains("limit hit: vm.max_map_count=65530"),
        "the limit's name and value, whole\n{text}"
    );
    assert!(text.contains("at its limit"), "the border says so\n{text}");
    assert!(text.contains("this process has 65466 memory"), "{text}");
    insta::assert_snapshot!("limits_hit_80x24", text);
}
