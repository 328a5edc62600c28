//! Rendering only: draws a `Model` as two columns side by side (async | threads). Reads the model,
//! never mutates it; what the user toggles (selection, help, freeze) comes in as a `ViewState`.

mod ascii;
mod big;
mod charts;
pub mod export;
mod extras;
pub mod fit;
/// Models for tests and benches only (the `test-support` feature, on in every test and bench build).
#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
pub(crate) mod format;
mod header;
mod help;
pub mod keys;
pub(crate) mod limit;
mod osview;
mod panel;
pub mod picker;
mod ratios;
pub mod replay_bar;
pub mod replay_keys;
pub mod source;
pub mod svg;
mod talk;
pub mod theme;
pub mod xml;

#[cfg(test)]
mod fit_tests;
#[cfg(test)]
mod scenario_tests;
#[cfg(test)]
mod tests;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

pub use ascii::locale_is_utf8;
pub use keys::{
    KEYS, KeyBinding, action_for, picker_action_for, source_action_for, talk_action_for,
};
pub use picker::Picker;
pub use talk::TalkView;

use crate::action::Selection;
use crate::model::Model;
use crate::protocol::Side;

/// The smallest terminal the main screen is drawn in; below it a single line says so.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// What the controller tells the renderer besides the model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewState {
    /// The side(s) the scaling and start/stop keys act on; their columns are highlighted.
    pub selection: Selection,
    /// The `?` overlay is open.
    pub help: bool,
    /// The model passed in is a frozen copy; say so plainly.
    pub frozen: bool,
    /// Show the "what to look for" caption of the run.
    pub caption: bool,
    /// One line from the controller, e.g. "scaling refused: ...".
    pub notice: Option<String>,
    /// Draw with ASCII only (no UTF-8 locale); see `locale_is_utf8`.
    pub ascii: bool,
    /// The scenario picker, when open.
    pub picker: Option<Picker>,
    /// The source view, when open: rows scrolled down.
    pub source: Option<u16>,
    /// "What the OS sees" is open (key `d`).
    pub os_view: bool,
    /// The big view is open (key `z`): the headline in large digits.
    pub big: bool,
    /// The colours (`--theme`, key `T`).
    pub theme: theme::Theme,
    /// `versus replay`: the banner and position bar; the player's keys in the footer and overlay.
    pub replay: Option<replay_bar::ReplayView>,
    /// The running talk's step, when one runs: its `say` replaces the caption.
    pub talk: Option<TalkView>,
    /// `--record` is on: the header shows `● REC 0:42` (the run's time).
    pub recording: bool,
    /// Drawn for an export without the chrome: no key footer, REPLAY bar, notice or REC mark.
    pub bare: bool,
}

impl ViewState {
    /// The key table on screen: the player's in a replay.
    fn keys(&self) -> &'static [KeyBinding] {
        if self.replay.is_some() {
            &replay_keys::REPLAY_KEYS
        } else {
            KEYS
        }
    }
}

/// Draws one frame. Never panics, whatever the terminal size.
pub fn render(frame: &mut Frame, model: &Model, view: &ViewState) {
    theme::set(view.theme);
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(frame, area);
    } else {
        render_main(frame, area, model, view);
        if view.os_view {
            // Over the columns; the header stays in sight.
            let top = header::HEIGHT + 1;
            let below = Rect {
                y: area.y + top,
                height: area.height.saturating_sub(top + 1),
                ..area
            };
            osview::render(frame, below, model);
        }
        if view.big {
            let top = header::HEIGHT + 1;
            let below = Rect {
                y: area.y + top,
                height: area.height.saturating_sub(top + 1),
                ..area
            };
            big::render(frame, below, model);
        }
        if let Some(scroll) = view.source {
            source::render(frame, area, &model.run.workload, scroll);
        }
        if let Some(p) = &view.picker {
            picker::render(frame, area, p);
        }
        if view.help {
            help::render_overlay(
                frame,
                area,
                view.selection,
                view.keys(),
                view.talk.is_some(),
            );
        }
    }
    theme::paint(frame.buffer_mut());
    if view.ascii {
        ascii::downgrade(frame.buffer_mut());
    }
}

fn render_too_small(frame: &mut Frame, area: Rect) {
    let need = format!("terminal too small: need {MIN_WIDTH}×{MIN_HEIGHT}");
    let have = format!("(now {}×{})", area.width, area.height);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(2),
        Constraint::Fill(1),
    ])
    .areas(area);
    let text = vec![
        Line::from(need).centered(),
        Line::styled(have, theme::dim()).centered(),
    ];
    frame.render_widget(Paragraph::new(text), middle);
}

fn render_main(frame: &mut Frame, area: Rect, model: &Model, view: &ViewState) {
    // Extra text gives way to the columns on short terminals, but a caption asked for is mostly shown.
    let caption_max = if area.height >= 24 { 3 } else { 2 };
    let caption = match &view.talk {
        // What the speaker says to look at stands in for the caption, a row longer if it needs it.
        Some(t) if view.caption => talk::say_rows(t, area.width, caption_max + 1),
        Some(_) => 0,
        None => header::caption_rows(model, view, area.width, caption_max),
    };
    let chrome = !view.bare;
    let notice = u16::from(chrome && view.notice.is_some());
    let replay = u16::from(chrome && view.replay.is_some());
    let [
        replay_area,
        head,
        ratio,
        caption_area,
        notice_area,
        body,
        footer,
    ] = Layout::vertical([
        Constraint::Length(replay),
        Constraint::Length(header::HEIGHT),
        Constraint::Length(1),
        Constraint::Length(caption),
        Constraint::Length(notice),
        Constraint::Fill(1),
        Constraint::Length(u16::from(chrome)),
    ])
    .areas(area);

    if let Some(r) = view.replay.as_ref().filter(|_| chrome) {
        replay_bar::render(frame, replay_area, r);
    }
    header::render(frame, head, model, view);
    frame.render_widget(
        Paragraph::new(ratios::line(
            model,
            ratio.width as usize,
            view.talk.as_ref().and_then(|t| t.pair.as_deref()),
        )),
        ratio,
    );
    match &view.talk {
        Some(t) if caption > 0 => talk::render_say(frame, caption_area, t),
        None if caption > 0 => header::render_caption(frame, caption_area, model),
        _ => {}
    }
    if let Some(notice) = view.notice.as_ref().filter(|_| chrome) {
        header::render_notice(frame, notice_area, notice);
    }
    let focus = view.talk.as_ref().map_or(&[][..], |t| t.focus.as_slice());
    render_columns(frame, body, model, view.selection, focus);
    if chrome {
        help::render_footer(frame, footer, view.keys(), view.talk.is_some());
    }
}

/// Two columns of the same shape: problem lines, figures (generic, then the workload's own), then as
/// many charts as fit. Rows outside a talk step's `focus` are dimmed.
fn render_columns(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    selection: Selection,
    focus: &[&str],
) {
    let columns: [Rect; 2] = Layout::horizontal([Constraint::Fill(1); 2]).areas(area);
    let blocks = Side::BOTH.map(|s| {
        let m = model.side(s);
        panel::block(
            m,
            model.run.side_title(s),
            selection.includes(s),
            panel::saturation(m).is_some(),
        )
    });
    let inner = [0, 1].map(|i| blocks[i].inner(columns[i]));
    let problems =
        Side::BOTH.map(|s| panel::problems(model, model.side(s), inner[s.index()].width));
    // The same rows on both sides even when only one has a problem to report, so charts line up.
    let problem_rows = problems.iter().map(Vec::len).max().unwrap_or(0) as u16;
    let table = panel::table(model, inner[0].height.saturating_sub(problem_rows), focus);
    let split = |area: Rect| -> [Rect; 3] {
        Layout::vertical([
            Constraint::Length(problem_rows),
            Constraint::Length(table.len() as u16),
            Constraint::Fill(1),
        ])
        .areas(area)
    };
    let chart_rows = split(inner[0])[2].height;
    let count = charts::fitting(chart_rows);
    let metrics = charts::metrics(model);
    let metrics = &metrics[..count.min(metrics.len())];
    // One scale per chart, computed once and shared by both columns.
    let y_max: Vec<Option<f64>> = metrics
        .iter()
        .map(|&metric| charts::shared_y_max(model, metric))
        .collect();
    let x = charts::x_bounds(model);

    for (((side, column), block), problems) in Side::BOTH
        .into_iter()
        .zip(columns)
        .zip(blocks)
        .zip(problems)
    {
        let m = model.side(side);
        let [problem_area, figure_area, chart_area] = split(inner[side.index()]);
        frame.render_widget(block, column);
        frame.render_widget(Paragraph::new(problems), problem_area);
        panel::render_figures(frame, figure_area, model, m, &table, focus);
        if count == 0 {
            continue;
        }
        let rows = Layout::vertical(vec![Constraint::Fill(1); count]).split(chart_area);
        for ((&metric, &y_max), &row) in metrics.iter().zip(&y_max).zip(rows.iter()) {
            charts::render(frame, row, model, m, metric, x, y_max);
        }
    }
}
