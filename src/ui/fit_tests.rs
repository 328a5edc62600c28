//! No word is cut at 80×24: every scenario, every talk step, every overlay and notice is drawn at 80×24
//! and at a size where nothing needs cutting; each word of the small screen must be a whole word of
//! the big one. A cut shows as a word that is not one (`bo…`, `resta`) or a word run into a border
//! (`(d c┐`); looking for `…` alone would miss the cuts at a border.

use std::collections::BTreeSet;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::replay_bar::ReplayView;
use super::{Picker, TalkView, ViewState, fixtures, render};
use crate::model::Model;
use crate::scenario::Catalog;

const WIDE: (u16, u16) = (250, 70);

fn rows(model: &Model, view: &ViewState, (w, h): (u16, u16)) -> Vec<Vec<char>> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    terminal
        .draw(|frame| render(frame, model, view))
        .expect("drawn");
    let buf = terminal.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .filter_map(|x| {
                    let s = buf[(x, y)].symbol();
                    // The cell a wide glyph covers is empty; it is no character of its own.
                    s.chars().next()
                })
                .collect()
        })
        .collect()
}

/// Lines, borders, charts: what separates words on screen besides spaces.
fn is_drawing(c: char) -> bool {
    matches!(c, '\u{2500}'..='\u{259f}' | '\u{2800}'..='\u{28ff}' | '▶' | '●' | '◀')
}

fn is_gap(c: char) -> bool {
    c.is_whitespace() || is_drawing(c)
}

/// The names and numbers in a word: `switches/acquisition` has two, `map_or(1,` two.
fn runs(word: &str) -> impl Iterator<Item = &str> {
    word.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|r| !r.is_empty())
}

/// Words the small screens say to make room, which the wide ones have no need for.
const SHORTENED: [&str; 1] = ["also"];

/// The words of a screen, each with whether it runs into a border or the screen's right edge.
fn words(rows: &[Vec<char>]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for row in rows {
        let mut word = String::new();
        for (x, &c) in row.iter().enumerate() {
            if is_gap(c) {
                if !word.is_empty() {
                    out.push((std::mem::take(&mut word), is_drawing(c)));
                }
            } else {
                word.push(c);
                if x + 1 == row.len() {
                    out.push((std::mem::take(&mut word), true));
                }
            }
        }
    }
    out
}

/// Every cut word of the 80×24 screen: a name or number in it that is not one of the wide screen
/// (`bo…`, `resta`, `acquisi`), or a word run into a border (`(d c┐`).
fn cuts(model: &Model, view: &ViewState) -> Vec<String> {
    let small = rows(model, view, (80, 24));
    let wide = words(&rows(model, view, WIDE));
    let vocabulary: BTreeSet<&str> = wide
        .iter()
        .flat_map(|(w, _)| runs(w))
        .chain(SHORTENED)
        .collect();
    let mut bad = Vec::new();
    for (word, at_border) in words(&small) {
        if let Some(run) = runs(&word).find(|r| !vocabulary.contains(r)) {
            bad.push(format!("`{run}` in `{word}` is no whole word"));
        } else if at_border && word.chars().last().is_some_and(char::is_alphanumeric) {
            bad.push(format!("`{word}` runs into a border"));
        }
    }
    bad
}

fn check(name: &str, model: &Model, view: &ViewState, failures: &mut Vec<String>) {
    let bad = cuts(model, view);
    if !bad.is_empty() {
        let screen: Vec<String> = rows(model, view, (80, 24))
            .into_iter()
            .map(|r| r.into_iter().collect())
            .collect();
        failures.push(format!("{name}: {}\n{}", bad.join(", "), screen.join("\n")));
    }
}

fn overlays() -> Vec<(&'static str, ViewState)> {
    let base = ViewState {
        caption: true,
        ..ViewState::default()
    };
    let picker = Picker::new(&Catalog::builtin().expect("presets"), Some(0));
    vec![
        ("main", base.clone()),
        (
            "help ?",
            ViewState {
                help: true,
                ..base.clone()
            },
        ),
        (
            "picker p",
            ViewState {
                picker: Some(picker),
                ..base.clone()
            },
        ),
        (
            "OS view d",
            ViewState {
                os_view: true,
                ..base.clone()
            },
        ),
        (
            "source v",
            ViewState {
                source: Some(0),
                ..base.clone()
            },
        ),
        (
            "big z",
            ViewState {
                big: true,
                ..base.clone()
            },
        ),
        (
            "starved",
            ViewState {
                notice: Some(format!(
                    "UI starved: {:.1} s behind (the machine is overloaded: try --pin, or o for one side)",
                    0.3
                )),
                ..base.clone()
            },
        ),
        (
            "replay",
            ViewState {
                notice: Some(
                    "×10: does nothing in a replay (it would change what runs)".to_string(),
                ),
                replay: Some(ReplayView::new(
                    "recorded 2026-12-05 21:04 UTC · 2 cores · Linux 6.8 · 7.6 GiB",
                    12_000_000,
                    60_000_000,
                    true,
                    1.0,
                )),
                recording: false,
                ..base.clone()
            },
        ),
        (
            "recording, frozen",
            ViewState {
                recording: true,
                frozen: true,
                ..base
            },
        ),
    ]
}

/// A model whose sides cannot keep up: lateness far past the period, nothing done.
fn saturated(mut model: Model) -> Model {
    for side in &mut model.sides {
        if let Some(f) = side.figures.as_mut() {
            f.lateness_p50_us = Some(13_000_000);
            f.lateness_p99_us = Some(13_000_000);
            f.lateness_max_us = Some(13_000_000);
            f.ops_per_sec = 0.0;
        }
    }
    // The model judges saturation as samples arrive; these figures are set after, so judge them here.
    let run = model.run.clone();
    for side in &mut model.sides {
        if let Some(f) = side.figures.as_ref()
            && let crate::model::saturation::Verdict::Over(why) =
                crate::model::saturation::judge(&run, f)
        {
            side.saturation.why = Some(why);
        }
    }
    model
}

#[test]
fn no_word_is_cut_at_80x24_on_any_screen() {
    let catalog = Catalog::builtin().expect("presets");
    let mut failures = Vec::new();
    let mut saturated_seen = false;
    for s in &catalog.0 {
        let model = fixtures::scenario_model(&s.name);
        for (what, view) in overlays() {
            check(
                &format!("{} · {what}", s.name),
                &model,
                &view,
                &mut failures,
            );
        }
        let sat = saturated(model);
        saturated_seen |= sat
            .sides
            .iter()
            .any(|m| super::panel::saturation(m).is_some());
        check(
            &format!("{} · saturated", s.name),
            &sat,
            &ViewState::default(),
            &mut failures,
        );
    }
    assert!(saturated_seen, "some scenario shows its saturation line");
    for (name, model) in [
        ("failed", fixtures::failed_model()),
        ("limit hit", fixtures::limit_model()),
        ("before any sample", fixtures::empty_model()),
    ] {
        for (what, view) in overlays() {
            check(&format!("{name} · {what}"), &model, &view, &mut failures);
        }
    }

    let talk = crate::talkfile::load("async-vs-threads", &catalog).expect("the built-in talk");
    let mut scenario = "memory".to_string();
    for (i, step) in talk.steps.iter().enumerate() {
        if let Some(s) = &step.scenario {
            scenario.clone_from(s);
        }
        // A recording of the scenario: tokio's rows too, as a real run shows them (the focus of some
        // steps is on them).
        let model = fixtures::scenario_model(&scenario);
        let talk_view = TalkView {
            label: format!("step {}/{}", i + 1, talk.steps.len()),
            title: step.title.clone(),
            say: step.say.clone(),
            // A paired step's headline beside this one's, as long as a time pair reads.
            pair: step
                .pair
                .map(|p| format!("was 47.1 ms vs 94 µs in step {}", p + 1)),
            focus: step.focus.clone(),
        };
        for (what, view) in overlays() {
            let view = ViewState {
                talk: Some(talk_view.clone()),
                ..view
            };
            check(
                &format!("talk step {} · {what}", i + 1),
                &model,
                &view,
                &mut failures,
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} screens cut a word at 80×24:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_check_finds_a_cut_inside_a_word_and_at_a_border() {
    let row = |s: &str| s.chars().collect::<Vec<char>>();
    let small = [row("│ idle (o runs bo… │"), row("│ what the OS sees (d c┐")];
    let found: Vec<String> = words(&small)
        .into_iter()
        .filter(|(w, border)| w.ends_with('…') || *border)
        .map(|(w, _)| w)
        .collect();
    assert_eq!(found, ["bo…", "c"]);
}
