//! The lines above the columns: what runs and how (always on screen), the caption and the notice.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{ViewState, format, theme};
use crate::model::Model;
use crate::protocol::{RuntimeFlavor, Side};
use crate::workload::params::Zero;

pub const HEIGHT: u16 = 2;
const SEP: &str = " · ";
const FROZEN: &str = " FROZEN ";
const PER_WORKER: &str = " (one per worker)";
const CAPTION_PREFIX: &str = "look for: ";
const CAPTION_MARGIN: u16 = 1;
/// Outside load is named from this many cores kept busy by other processes.
const OUTSIDE_SIGNIFICANT_CORES: f64 = 0.25;

/// Line one names the workload and its parameters (badges on the right); line two says how both sides
/// run, the fairness mode last and never dropped, since it qualifies every figure below.
pub fn render(frame: &mut Frame, area: Rect, model: &Model, view: &ViewState) {
    let width = area.width as usize;
    let run = &model.run;

    // A scenario leads with its name; the workload follows when it says something more.
    let (name, workload) = match &run.scenario {
        Some(s) if *s != run.workload => (s.as_str(), Some(run.workload.as_str())),
        Some(s) => (s.as_str(), None),
        None => (run.workload.as_str(), None),
    };
    // Right of the title, never pushed off: REC while recording, FROZEN while frozen.
    let mut badges = Vec::new();
    if view.recording && !view.bare {
        badges.push(Span::styled(rec_mark(model.now_s), theme::alarm()));
    }
    if view.frozen {
        badges.push(Span::styled(FROZEN, theme::frozen()));
    }
    let badge_width: usize = badges.iter().map(Span::width).sum();
    let room = width.saturating_sub(badge_width);
    let mut title = vec![Span::styled(" versus ", theme::bar()), Span::raw(" ")];
    // A talk leads with where it is: "step 3/12 · title", then what runs.
    if let Some(talk) = &view.talk {
        title.extend(super::talk::header_spans(talk, room.saturating_sub(10)));
        title.push(Span::raw("  "));
    }
    // After a talk's step the name goes only whole, and the workload only if it fits too.
    let fits =
        |title: &[Span], more: usize| title.iter().map(Span::width).sum::<usize>() + more <= room;
    if view.talk.is_none() || fits(&title, format::width(name)) {
        title.push(Span::styled(name, theme::value()));
        if let Some(workload) = workload.map(|w| format!(" ({w})"))
            && fits(&title, format::width(&workload))
        {
            title.push(Span::raw(workload));
        }
    }
    let params = shown_params(model);
    let used: usize = title.iter().map(Span::width).sum();
    // Parameters leave room for FROZEN even before it shows, so a freeze does not reflow them.
    let avail = width.saturating_sub(used + badge_width.max(FROZEN.len()));
    let fitting = |params: &[String]| {
        format::prefix_fitting(params.iter().map(|p| 2 + format::width(p)), avail)
    };
    // What a 0 stands for goes before a parameter does: `blockers=2` beside `spawn_blocking=false`.
    let mut params = params;
    if fitting(&params) < params.len() {
        for p in &mut params {
            if let Some(short) = p.strip_suffix(PER_WORKER) {
                *p = short.to_string();
            }
        }
    }
    let keep = fitting(&params);
    for p in params.into_iter().take(keep) {
        title.push(Span::raw("  "));
        title.push(Span::styled(p, theme::label()));
    }
    let [row_one, row_two] = Layout::vertical([Constraint::Length(1); 2]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(title)), row_one);
    if !badges.is_empty() {
        // Drawn last and on their own, so a long title can never push them off screen.
        frame.render_widget(Paragraph::new(Line::from(badges).right_aligned()), row_one);
    }

    // Worker threads count only on the multi-thread runtime.
    let runtime = match run.runtime {
        // The user's programs bring their own runtimes.
        _ if run.labels.is_some() => "your own programs, measured from outside".into(),
        RuntimeFlavor::MultiThread => format!("tokio {} ×{}", run.runtime.name(), run.workers),
        RuntimeFlavor::CurrentThread => format!("tokio {}", run.runtime.name()),
    };
    let interval = format!("sample {} ms", run.interval_ms);
    let window = format!("charts {:.0} s", model.window_s);
    let optional = [runtime.as_str(), interval.as_str(), window.as_str()];
    // Load from outside versus shares the cores too: named right after the mode, never dropped.
    let outside = model
        .outside_cores
        .filter(|&c| c >= OUTSIDE_SIGNIFICANT_CORES)
        .map(|c| format!("{SEP}outside load {c:.1} cores"));
    let outside_width = outside.as_deref().map_or(0, format::width);
    let avail = width.saturating_sub(1 + format::width(&run.mode) + outside_width);
    let keep = format::prefix_fitting(
        optional
            .iter()
            .map(|s| format::width(s) + format::width(SEP)),
        avail,
    );
    let mut line_two = vec![Span::raw(" ")];
    for seg in &optional[..keep] {
        line_two.push(Span::styled(*seg, theme::label()));
        line_two.push(Span::styled(SEP, theme::dim()));
    }
    if run.mode.is_empty() {
        line_two.pop();
    } else {
        line_two.push(Span::styled(run.mode.as_str(), theme::warn()));
    }
    if let Some(outside) = outside {
        line_two.push(Span::styled(outside, theme::alarm()));
    }
    frame.render_widget(Paragraph::new(Line::from(line_two)), row_two);
}

/// " ● REC 0:42 ": the run's time while it is recorded.
pub fn rec_mark(now_s: f64) -> String {
    let ms = (now_s.max(0.0) * 1000.0) as u64;
    format!(" ● REC {} ", super::replay_bar::clock(ms))
}

/// The parameters as `name=value`, a 0 that stands for something shown as the value in force:
/// `spinners=2 (one per worker)`, `connections=1,000`.
pub(super) fn shown_params(model: &Model) -> Vec<String> {
    let run = &model.run;
    let kind = crate::workload::find(&run.workload);
    run.params
        .iter()
        .map(|(k, v)| {
            let zero = kind
                .and_then(|kind| kind.params.iter().find(|d| d.name == k))
                .map_or(Zero::Zero, |d| d.zero);
            match zero {
                _ if v != "0" => format!("{k}={v}"),
                Zero::Zero => format!("{k}={v}"),
                Zero::PerWorker => {
                    let workers = match run.runtime {
                        RuntimeFlavor::MultiThread => run.workers,
                        RuntimeFlavor::CurrentThread => 1,
                    };
                    format!("{k}={workers}{PER_WORKER}")
                }
                Zero::Units => {
                    let [a, t] = Side::BOTH.map(|s| model.side(s).target_units);
                    if a == t {
                        format!("{k}={}", format::count(a))
                    } else {
                        format!("{k}={} vs {}", format::count(a), format::count(t))
                    }
                }
            }
        })
        .collect()
}

/// Rows the caption needs at `width`, at most `max_rows`; 0 when it is off or empty.
pub fn caption_rows(model: &Model, view: &ViewState, width: u16, max_rows: u16) -> u16 {
    if !view.caption || model.run.caption.is_empty() {
        return 0;
    }
    let text_width = width.saturating_sub(2 * CAPTION_MARGIN) as usize;
    let words = CAPTION_PREFIX
        .split_whitespace()
        .chain(model.run.caption.split_whitespace());
    wrapped_rows(words, text_width).min(max_rows as usize) as u16
}

pub fn render_caption(frame: &mut Frame, area: Rect, model: &Model) {
    let text = Line::from(vec![
        Span::styled(CAPTION_PREFIX, theme::label()),
        Span::styled(
            model.run.caption.as_str(),
            theme::label().add_modifier(Modifier::ITALIC),
        ),
    ]);
    let area = area.inner(Margin::new(CAPTION_MARGIN, 0));
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

pub fn render_notice(frame: &mut Frame, area: Rect, notice: &str) {
    let text = super::fit::fit(&format!(" ! {notice}"), area.width as usize);
    frame.render_widget(Paragraph::new(Line::styled(text, theme::warn())), area);
}

/// Greedy word wrap, as the paragraph does it, counting rows only.
pub(super) fn wrapped_rows<'a>(words: impl IntoIterator<Item = &'a str>, width: usize) -> usize {
    if width == 0 {
        return 0;
    }
    let mut rows = 1;
    let mut used = 0;
    for word in words {
        let w = format::width(word);
        if used > 0 && used + 1 + w <= width {
            used += 1 + w;
            continue;
        }
        if used > 0 {
            rows += 1;
        }
        // The word starts a row; one longer than a row is broken over several.
        let extra_rows = w.saturating_sub(1) / width;
        rows += extra_rows;
        used = w - extra_rows * width;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::wrapped_rows;

    fn rows(text: &str, width: usize) -> usize {
        wrapped_rows(text.split_whitespace(), width)
    }

    #[test]
    fn a_zero_that_stands_for_a_default_shows_the_value_in_force() {
        let shown = |name: &str| super::shown_params(&crate::ui::fixtures::scenario_model(name));
        let spinners = shown("yield");
        assert!(
            spinners.contains(&"spinners=2 (one per worker)".to_string()),
            "{spinners:?}"
        );
        let blockers = shown("blocking");
        assert!(
            blockers.contains(&"blockers=2 (one per worker)".to_string()),
            "{blockers:?}"
        );
        let mut echo = crate::ui::fixtures::scenario_model("echo");
        let units = echo.sides[0].target_units;
        assert!(units > 0);
        let expected = format!("connections={}", crate::ui::format::count(units));
        assert!(super::shown_params(&echo).contains(&expected), "{expected}");
        echo.sides[1].target_units = 100;
        let differ = format!("connections={} vs 100", crate::ui::format::count(units));
        assert!(super::shown_params(&echo).contains(&differ), "{differ}");
        assert!(
            shown("memory").iter().all(|p| !p.contains("one per")),
            "only where 0 stands for something"
        );
    }

    #[test]
    fn wrapping_counts_rows() {
        assert_eq!(rows("", 10), 1);
        assert_eq!(rows("one two", 10), 1);
        assert_eq!(rows("one two three", 10), 2);
        assert_eq!(rows("abcdefghijklmnopqrstu", 10), 3);
        assert_eq!(rows("x", 0), 0);
    }
}
