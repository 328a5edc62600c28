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
        // A notice the controller gives (controller/mod.rs), true of this run's threads side.
        notice: Some("threads side restarted".into()),
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

/// A scenario with figures of its own, the rows of them that must be on screen with their recorded
/// values, and the side its headline names as the loser.
struct Case {
    name: &'static str,
    rows: &'static [&'static crate::figure::Figure],
    loser: &'static str,
}

/// Row `label` of one column (0: async, 1: threads) of an 80-column screen.
fn column_row(text: &str, label: &str, side: usize) -> Option<String> {
    text.lines()
        .find(|l| l.contains(&format!("┃ {label} ")))
        .map(|l| l.chars().skip(side * 40).take(40).collect())
}

/// Each scenario with figures of its own: at 80×24 with the caption on, its key figures are on
/// screen in both columns with the values its recording holds, and its headline figure, as its
/// preset names it, leads the line with both values and the verdict naming the side that loses.
#[test]
fn scenario_figures_fit_80x24_with_the_caption() {
    use crate::workload::{blocking, contention, echo, spawn, switch};
    let cases = [
        Case {
            name: "switch",
            rows: &[&switch::OS_SWITCHES_PER_ROUND_TRIP],
            loser: "threads",
        },
        Case {
            name: "spawn",
            rows: &[&spawn::SPAWNS_PER_SEC],
            loser: "threads",
        },
        Case {
            name: "contention",
            rows: &[&contention::LOCK_WAIT_P99],
            loser: "threads",
        },
        Case {
            name: "echo",
            rows: &[&echo::REQUESTS_PER_SEC, &echo::REQUEST_P99],
            loser: "threads",
        },
        Case {
            name: "blocking",
            rows: &[&blocking::BLOCKING_CALLS_PER_SEC],
            loser: "async",
        },
    ];
    let view = ViewState {
        caption: true,
        ..ViewState::default()
    };
    for Case { name, rows, loser } in cases {
        let model = fixtures::scenario_model(name);
        let text = screen(&model, &view, 80, 24).to_string();
        for figure in rows {
            let panel = figure.panel.expect("a panel row");
            for (i, side) in model.sides.iter().enumerate() {
                let v = side
                    .figures
                    .as_ref()
                    .and_then(|f| f.value(figure))
                    .unwrap_or_else(|| panic!("{name}: no {} recorded", figure.name()));
                let want = panel
                    .template
                    .replace("{}", &super::format::figure(figure.format, v));
                let row = column_row(&text, panel.label, i)
                    .unwrap_or_else(|| panic!("{name}: no {:?} row\n{text}", panel.label));
                assert!(
                    row.contains(&want),
                    "{name}: {want:?} not in {row:?}\n{text}"
                );
            }
        }
        // The headline: its words, both recorded values, a verdict against the side that loses.
        let head = model.headline.shown.first().expect("a headline");
        assert!(head.comparable, "{name}: {head:?}");
        let [a, t] = head
            .values
            .map(|v| super::format::figure(head.figure.format, v.expect("a value")));
        let lead = format!(" {}: {a} vs {t} — ", head.figure.words());
        let verdict = text
            .lines()
            .find_map(|l| l.split_once(&lead))
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_else(|| panic!("{name}: {lead:?}\n{text}"));
        assert!(
            verdict.starts_with(loser) || verdict.contains(&format!(": {loser} ")),
            "{name}: {verdict}\n{text}"
        );
        // The caption is not cut to make room: its last word is on screen.
        let last = model.run.caption.split_whitespace().last().unwrap();
        assert!(text.contains(last), "{name}: caption cut\n{text}");
        // A key nobody labelled (the echo port) is not shown.
        if let Some(port) = model.sides[0]
            .figures
            .as_ref()
            .and_then(|f| f.value(&echo::PORT))
        {
            assert!(!text.contains(&format!("{port}")), "{text}");
        }
        insta::assert_snapshot!(format!("scenario_figures_{name}_80x24"), text);
        // On the smallest screen the charts and generic rows give way, the workload's rows stay.
        let small = screen(&model, &view, 60, 16).to_string();
        let figures = model.sides.each_ref().map(|s| s.figures.as_ref());
        for row in super::extras::rows(figures)
            .into_iter()
            .filter(|r| !r.minor())
        {
            let label = format!("┃ {:<11}", row.label);
            assert!(
                small.contains(&label),
                "{name}: {label:?} at 60×16\n{small}"
            );
        }
    }
}

/// With room to spare nothing folds: every generic row and every extra row, and charts below.
#[test]
fn scenario_figures_160x48() {
    let model = fixtures::scenario_model("contention");
    let text = screen(&model, &ViewState::default(), 160, 48).to_string();
    for label in [
        "virtual",
        "lateness",
        "spawn",
        "lock wait",
        "acquire",
        "RSS ──",
    ] {
        assert!(text.contains(label), "{label}\n{text}");
    }
    // The lock wait row: the async side's recorded percentiles, in the panel's words.
    use crate::workload::contention::{LOCK_WAIT_MAX, LOCK_WAIT_P50, LOCK_WAIT_P99};
    let f = model.sides[0].figures.as_ref().expect("async figures");
    let wait = [&LOCK_WAIT_P50, &LOCK_WAIT_P99, &LOCK_WAIT_MAX].map(|fig| {
        let v = f.value(fig).expect("recorded");
        fig.panel
            .expect("a panel row")
            .template
            .replace("{}", &super::format::figure(fig.format, v))
    });
    assert!(text.contains(&wait.join(" · ")), "{wait:?}\n{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn load_from_outside_versus_is_named_in_the_header_when_significant() {
    let mut model = fixtures::demo_model();
    let line_two = |model: &Model| {
        let text = screen(model, &ViewState::default(), 100, 30).to_string();
        text.lines().nth(1).unwrap_or_default().to_string()
    };
    model.outside_cores = Some(0.1);
    assert!(!line_two(&model).contains("outside load"));
    model.outside_cores = Some(1.34);
    let line = line_two(&model);
    assert!(
        line.contains(&format!("{} · outside load 1.3 cores", model.run.mode)),
        "{line}"
    );
}

#[test]
fn big_view_80x24() {
    let view = ViewState {
        big: true,
        ..ViewState::default()
    };
    let s = screen(&fixtures::demo_model(), &view, 80, 24);
    // The box uses its height: no more than two empty rows in a row inside it.
    let text = super::svg::to_text(s.buffer());
    let inside: Vec<&str> = text.lines().skip(4).take(18).collect();
    let mut run = 0;
    for row in &inside {
        run = if row.trim_matches(['│', ' ']).is_empty() {
            run + 1
        } else {
            0
        };
        assert!(run <= 2, "{text}");
    }
    insta::assert_snapshot!(s);
}

#[test]
fn big_view_shows_both_values_in_one_unit_and_the_verdict_80x24() {
    let view = ViewState {
        big: true,
        ..ViewState::default()
    };
    // The spawn scenario: CPU per spawn 830 ns vs 85 µs on the headline line, "0.8 µs" vs "85.0 µs" large.
    insta::assert_snapshot!(screen(&fixtures::scenario_model("spawn"), &view, 80, 24));
}

#[test]
fn big_view_says_why_when_not_comparable_80x24() {
    let view = ViewState {
        big: true,
        ..ViewState::default()
    };
    insta::assert_snapshot!(screen(&fixtures::failed_model(), &view, 80, 24));
}

/// Every foreground colour drawn on a screen in `theme`, with the text cells it is used for.
fn colours(theme: super::theme::Theme, view: ViewState) -> TestBackend {
    let view = ViewState { theme, ..view };
    screen(&fixtures::demo_model(), &view, 80, 24)
}

#[test]
fn each_theme_colours_the_screen_its_own_way() {
    use super::theme::Theme;
    use ratatui::style::Color;
    let greys = [
        Color::DarkGray,
        Color::Indexed(8),
        Color::Gray,
        Color::Indexed(7),
    ];
    for view in [
        ViewState::default(),
        ViewState {
            help: true,
            ..ViewState::default()
        },
        ViewState {
            big: true,
            caption: true,
            ..ViewState::default()
        },
    ] {
        let dark = colours(Theme::Dark, view.clone());
        let light = colours(Theme::Light, view.clone());
        let contrast = colours(Theme::Contrast, view.clone());
        let text = |b: &TestBackend| -> Vec<(Color, Color)> {
            b.buffer()
                .content
                .iter()
                .filter(|c| !c.symbol().trim().is_empty())
                .map(|c| (c.fg, c.bg))
                .collect()
        };
        // Dark is today's look: grey labels on the terminal's own background.
        assert!(text(&dark).iter().any(|(fg, _)| greys.contains(fg)));
        assert!(text(&dark).iter().all(|(_, bg)| *bg != Color::White));
        // Contrast: no grey ink and no grey paper for any text.
        for (fg, bg) in text(&contrast) {
            assert!(!greys.contains(&fg), "grey text in contrast: {fg:?}");
            assert!(!greys.contains(&bg), "grey paper in contrast: {bg:?}");
        }
        // Light: every cell on white paper (or a coloured bar), never the terminal's dark default,
        // and no ink the paper would swallow.
        for cell in &light.buffer().content {
            assert_ne!(
                cell.bg,
                Color::Reset,
                "a cell left on the terminal's background"
            );
        }
        for (fg, bg) in text(&light) {
            if bg == Color::White {
                assert!(
                    ![Color::White, Color::Yellow, Color::Cyan, Color::Reset].contains(&fg),
                    "unreadable ink on white: {fg:?}"
                );
            }
        }
    }
}

#[test]
fn help_lists_every_key_at_80x24_with_quit_last() {
    let view = ViewState {
        help: true,
        ..ViewState::default()
    };
    let s = screen(&fixtures::demo_model(), &view, 80, 24).to_string();
    for b in super::KEYS {
        let (_, name) = b.keys[0].name();
        assert!(
            s.contains(&format!("│ {name} ")) || s.contains(&format!("{name} {}", b.label)),
            "{name} missing from the help:\n{s}"
        );
    }
    assert!(s.contains("q ctrl-c"), "{s}");
}

/// The `lateness` row of one column (0: async, 1: threads) of an 80-column screen.
fn lateness_row(text: &str, side: usize) -> String {
    text.lines()
        .find(|l| l.contains("┃ lateness"))
        .map(|l| l.chars().skip(side * 40).take(40).collect())
        .unwrap_or_default()
}

#[test]
fn the_headline_and_its_row_show_the_same_value_at_the_same_moment() {
    // The headline is the median of the steady seconds, the rest of the table the last second: the
    // values are set here so the two differ.
    let mut model = fixtures::scenario_model("blocking");
    let head = model.headline.shown.first_mut().expect("a headline");
    assert_eq!(head.figure.name(), "lateness_p99");
    assert!(head.comparable, "{head:?}");
    head.values = [Some(47_100.0), Some(94.0)];
    let text = screen(&model, &ViewState::default(), 80, 24).to_string();
    assert!(text.contains("lateness p99: 47.1 ms vs 94 µs"), "{text}");
    let row = |side: usize| lateness_row(&text, side);
    assert!(
        row(0).contains("p99 47.1 ms"),
        "async row: {}\n{text}",
        row(0)
    );
    assert!(
        row(1).contains("p99 94 µs"),
        "threads row: {}\n{text}",
        row(1)
    );
    // Where the row is too narrow for the segment before it, the headline's segment goes first
    // rather than off screen (a slow p50 on a busy machine pushed p99 out).
    let mut late = model.clone();
    if let Some(f) = late.sides[0].figures.as_mut() {
        f.lateness_p50_us = Some(75_300);
    }
    late.headline.shown[0].values = [Some(191_500.0), Some(108_000.0)];
    let text = screen(&late, &ViewState::default(), 80, 24).to_string();
    let async_row = lateness_row(&text, 0);
    assert!(async_row.contains("p99 191.5 ms"), "{async_row}\n{text}");
    // Not compared: the headline shows the value of a side that runs steadily, and its row agrees;
    // the other side's row keeps its last second.
    let head = model.headline.shown.first_mut().expect("a headline");
    head.comparable = false;
    head.reason = Some("settling…".into());
    head.values = [Some(47_100.0), None];
    let text = screen(&model, &ViewState::default(), 80, 24).to_string();
    assert!(text.contains("lateness p99: async 47.1 ms"), "{text}");
    let row = |side: usize| lateness_row(&text, side);
    assert!(
        row(0).contains("p99 47.1 ms"),
        "async row: {}\n{text}",
        row(0)
    );
    let threads_p99 = model.sides[1]
        .figures
        .as_ref()
        .and_then(|f| f.lateness_p99_us)
        .expect("the threads side's last second");
    let want = format!(
        "p99 {}",
        super::format::figure(model.headline.shown[0].figure.format, threads_p99 as f64)
    );
    assert!(
        row(1).contains(&want),
        "threads row: {} wants {want}\n{text}",
        row(1)
    );
}
