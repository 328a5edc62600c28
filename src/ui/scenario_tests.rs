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
        text.contains("tokio current-thread · taking turns of 10 s: "),
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

/// Every preset of the catalog has a recording of its own (`scripts/record-fixtures.sh` makes one
/// per preset `versus --list` prints), made with the preset's settings as they are now, and it
/// draws at 80×24 with both columns' figures.
#[test]
fn every_preset_has_a_recording_that_renders_at_80x24() {
    let catalog = Catalog::load(None).unwrap();
    let missing: Vec<&str> = catalog
        .0
        .iter()
        .map(|s| s.name.as_str())
        .filter(|name| !fixtures::path(name).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "no recording under {} for the preset(s) {missing:?}: run {} (just fixtures)",
        fixtures::DIR,
        fixtures::SCRIPT
    );
    for s in &catalog.0 {
        let rec = fixtures::recording(&s.name);
        let cfg = crate::config::RunConfig::new(s, catalog.clone()).unwrap();
        let c = &rec.header.config;
        assert_eq!(
            (c.scenario.as_deref(), c.units, &c.params),
            (Some(s.name.as_str()), cfg.units, &cfg.params.0),
            "{}: the recording's settings are not the preset's: re-make it with {}",
            s.name,
            fixtures::SCRIPT
        );
        let model = fixtures::scenario_model(&s.name);
        let text = screen(&model, &ViewState::default(), 80, 24);
        assert!(text.contains(&format!(" versus  {}", s.name)), "{text}");
        for side in &model.sides {
            let units = cfg.units[side.side.index()];
            let reported = side.figures.as_ref().is_some_and(|f| f.units > 0);
            assert!(
                reported || units == 0 || model.run.turns,
                "{}: the {:?} side has no figures\n{text}",
                s.name,
                side.side
            );
        }
        assert!(!text.contains("no samples yet"), "{}\n{text}", s.name);
    }
}
