//! Time to draw one full frame (the demo model at 200×60) into an off-screen buffer; the budget is 2 ms.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use versus::ui::{ViewState, fixtures, render};

fn main() {
    divan::main();
}

#[divan::bench]
fn frame_200x60(bencher: divan::Bencher) {
    let model = fixtures::demo_model();
    let view = ViewState {
        caption: true,
        ..ViewState::default()
    };
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    bencher.bench_local(|| {
        // Ratatui diffs against the previous frame; clearing keeps every iteration a full redraw.
        terminal.clear().expect("clear");
        terminal
            .draw(|frame| render(frame, divan::black_box(&model), &view))
            .map(|_| ())
            .expect("draw");
    });
}

#[divan::bench]
fn frame_200x60_help_ascii(bencher: divan::Bencher) {
    let model = fixtures::demo_model();
    let view = ViewState {
        help: true,
        ascii: true,
        ..ViewState::default()
    };
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    bencher.bench_local(|| {
        terminal.clear().expect("clear");
        terminal
            .draw(|frame| render(frame, divan::black_box(&model), &view))
            .map(|_| ())
            .expect("draw");
    });
}
