//! Render tests: snapshots of whole screens (review the .snap diffs like code) and a sweep over sizes.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::{ViewState, fixtures, render};
use crate::action::Selection;
use crate::model::Model;

fn screen(model: &Model, view: &ViewState, width: u16, height: u16) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| render(frame, model, view)).unwrap();
    terminal.backend().clone()
}

#[test]
fn main_screen_80x24() {
    insta::assert_snapshot!(screen(
        &fixtures::demo_model(),
        &ViewState::default(),
        80,
        24
    ));
}

#[test]
fn main_screen_160x48() {
    let view = ViewState {
        selection: Selection::Threads,
        ..ViewState::default()
    };
    insta::assert_snapshot!(screen(&fixtures::demo_model(), &view, 160, 48));
}

#[test]
fn caption_notice_and_frozen_80x24() {
    let view = ViewState {
        caption: true,
        frozen: true,
        notice: Some("scaling refused: threads side is at its limit".into()),
        selection: Selection::Async,
        ..ViewState::default()
    };
    insta::assert_snapshot!(screen(&fixtures::demo_model(), &view, 80, 24));
}

#[test]
fn help_overlay_80x24() {
    let view = ViewState {
        help: true,
        ..ViewState::default()
    };
    insta::assert_snapshot!(screen(&fixtures::demo_model(), &view, 80, 24));
}

#[test]
fn failed_side_100x30() {
    insta::assert_snapshot!(screen(
        &fixtures::failed_model(),
        &ViewState::default(),
        100,
        30
    ));
}

#[test]
fn before_any_sample_80x24() {
    insta::assert_snapshot!(screen(
        &fixtures::empty_model(),
        &ViewState::default(),
        80,
        24
    ));
}

#[test]
fn too_small() {
    insta::assert_snapshot!(screen(
        &fixtures::demo_model(),
        &ViewState::default(),
        40,
        10
    ));
}

#[test]
fn ascii_fallback_has_only_ascii() {
    let view = ViewState {
        ascii: true,
        help: true,
        caption: true,
        ..ViewState::default()
    };
    let backend = screen(&fixtures::failed_model(), &view, 120, 40);
    let text = backend.to_string();
    assert!(text.is_ascii(), "{text}");
    assert!(text.contains("threads (std)"));
}

#[test]
fn no_size_panics() {
    let models = [
        fixtures::empty_model(),
        fixtures::demo_model(),
        fixtures::failed_model(),
    ];
    let views = [
        ViewState::default(),
        ViewState {
            help: true,
            frozen: true,
            caption: true,
            notice: Some("a notice long enough to need cutting on a narrow terminal".into()),
            ascii: true,
            selection: Selection::Async,
            ..ViewState::default()
        },
    ];
    // Sizes around the minimum and where rows run out for charts, then a coarse grid up to 500×200.
    let widths = [1, 2, 3, 5, 8, 13, 20, 30, 40, 59, 60, 61, 79, 80, 81];
    let heights = [1, 2, 3, 4, 5, 8, 12, 15, 16, 17, 19, 20, 23, 24, 25];
    let mut sizes = vec![(0, 0), (0, 24), (80, 0), (500, 200), (500, 1), (1, 200)];
    sizes.extend(
        widths
            .iter()
            .flat_map(|&w| heights.iter().map(move |&h| (w, h))),
    );
    sizes.extend(
        (90..=500)
            .step_by(82)
            .flat_map(|w| (30..=200).step_by(34).map(move |h| (w, h))),
    );
    for model in &models {
        for view in &views {
            for &(w, h) in &sizes {
                let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
                terminal.draw(|frame| render(frame, model, view)).unwrap();
            }
        }
    }
}
