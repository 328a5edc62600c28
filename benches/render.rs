//! Time to draw one full frame (the demo model at 200×60) into an off-screen buffer; the budget is 2 ms.
//! After divan's report the budget is checked: the median of 300 full frames over 2 ms exits 1.

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use versus::ui::{ViewState, fixtures, render};

/// The README's target for one full frame.
const FRAME_BUDGET: Duration = Duration::from_millis(2);

fn main() {
    divan::main();
    check_frame_budget();
}

/// Times 300 full redraws of the demo model at 200×60 (caption on) and fails the bench when their
/// median is over `FRAME_BUDGET`. The median, not the mean: a frame preempted by a busy machine
/// says nothing about the renderer.
fn check_frame_budget() {
    let model = fixtures::demo_model();
    let view = ViewState {
        caption: true,
        ..ViewState::default()
    };
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    let mut times: Vec<Duration> = (0..300)
        .map(|_| {
            let started = Instant::now();
            terminal.clear().expect("clear");
            terminal
                .draw(|frame| render(frame, &model, &view))
                .expect("draw");
            started.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let verdict = if median < FRAME_BUDGET {
        "ok"
    } else {
        "MISSED"
    };
    println!(
        "check: frame 200x60 median {median:?} over 300 frames, target < {FRAME_BUDGET:?}: {verdict}"
    );
    if median >= FRAME_BUDGET {
        std::process::exit(1);
    }
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
