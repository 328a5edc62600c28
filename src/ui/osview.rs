//! "What the OS sees" (key `d`): per side, its threads by scheduler state and the kernel wait channels
//! they sleep in, from the side's last census (`collect::threads`, at most one a second). Drawn over
//! the columns; reads the model only.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Wrap};

use super::{format, theme};
use crate::model::{Model, SideModel, ThreadCensus};
use crate::protocol::Side;

/// The one line that says what the view means.
pub const MEANING: &str =
    "The OS, and every debugger and profiler built on it, sees threads, not tasks.";

/// Scheduler states by letter, as /proc/<pid>/task/*/stat gives them (proc(5)).
const STATES: &[(char, &str)] = &[
    ('R', "running or runnable"),
    ('S', "sleeping"),
    ('D', "uninterruptible (disk)"),
    ('T', "stopped"),
    ('t', "traced"),
    ('Z', "zombie"),
    ('I', "idle"),
    ('X', "dead"),
];

/// Draws the view over `area`: the meaning on top, then one column per side.
pub fn render(frame: &mut Frame, area: Rect, model: &Model) {
    frame.render_widget(Clear, area);
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    frame.render_widget(
        Paragraph::new(Line::styled(MEANING, theme::label())).centered(),
        top,
    );
    let columns: [Rect; 2] = Layout::horizontal([Constraint::Fill(1); 2]).areas(body);
    for (side, column) in Side::BOTH.into_iter().zip(columns) {
        let colour = theme::side(side);
        // The longest title that fits the border, so `d closes` is never cut to `d c`.
        let room = (column.width as usize).saturating_sub(2);
        let t = side.title();
        let title = [
            format!(" {t} · what the OS sees (d closes) "),
            format!(" {t} · OS view (d closes) "),
            format!(" {t} · d closes "),
        ]
        .into_iter()
        .find(|s| super::format::width(s) <= room)
        .unwrap_or_else(|| super::fit::fit(&format!(" {t} "), room));
        // A cell before the right border: a wrapped line that fills the row exactly
        // ("…threads read, counts") would otherwise run into it.
        let block = Block::bordered()
            .padding(Padding::right(1))
            .border_style(Style::new().fg(colour))
            .title(Span::styled(title, Style::new().fg(colour)));
        let text = lines(model.side(side));
        frame.render_widget(
            Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
            column,
        );
    }
}

/// The text of one side's column.
pub fn lines(m: &SideModel) -> Vec<Line<'static>> {
    let Some(c) = &m.census else {
        return vec![Line::styled(
            "no census yet (read once a second)",
            theme::dim(),
        )];
    };
    let units = m.latest().map_or(0, |s| s.worker.units);
    let what = match m.side {
        Side::Async => "tasks",
        Side::Threads => "threads",
    };
    let mut out = vec![Line::from(vec![
        Span::styled(
            format!("{} OS threads", format::count(c.threads_seen)),
            theme::value(),
        ),
        Span::styled(
            format!(" for {} {what}", format::count(units)),
            theme::label(),
        ),
    ])];
    if c.sampled() {
        out.push(Line::styled(
            format!(
                "sampled: {} of {} threads read, counts are of those",
                format::count(c.threads_read),
                format::count(c.threads_seen)
            ),
            theme::warn(),
        ));
    }
    out.push(Line::styled("by state", theme::label()));
    out.extend(c.states.iter().map(|(&state, &n)| {
        let name = STATES
            .iter()
            .find(|(s, _)| *s == state)
            .map_or("other", |(_, name)| name);
        Line::from(vec![
            Span::styled(format!("{:>8} ", format::count(n)), theme::value()),
            Span::raw(format!("{state} {name}")),
        ])
    }));
    out.push(Line::styled("top wait channels (wchan)", theme::label()));
    out.extend(channel_lines(c));
    out
}

fn channel_lines(c: &ThreadCensus) -> Vec<Line<'static>> {
    if c.wait_channels.is_empty() {
        return vec![Line::styled("   none asleep", theme::dim())];
    }
    c.wait_channels
        .iter()
        .map(|(name, n)| {
            Line::from(vec![
                Span::styled(format!("{:>8} ", format::count(*n)), theme::value()),
                Span::raw(name.clone()),
            ])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SideEvent, SideSample};
    use crate::protocol::WorkerSample;
    use ratatui::{Terminal, backend::TestBackend};

    fn census(threads: u64, read: u64, channel: &str) -> ThreadCensus {
        ThreadCensus {
            threads_seen: threads,
            threads_read: read,
            states: [('S', read - 2), ('R', 2)].into(),
            wait_channels: vec![(channel.into(), read - 3), ("futex_do_wait".into(), 1)],
        }
    }

    fn model_with(census_of: [Option<ThreadCensus>; 2]) -> Model {
        let mut m = Model::new(crate::ui::fixtures::run_info(), 10.0);
        for (side, c) in Side::BOTH.into_iter().zip(census_of) {
            let s = SideSample {
                worker: WorkerSample {
                    units: 1000,
                    target_units: 1000,
                    ..WorkerSample::default()
                },
                threads: c,
                ..SideSample::default()
            };
            m.apply(side, SideEvent::Sample(Box::new(s)), 1.0);
        }
        m
    }

    fn draw(model: &Model, w: u16, h: u16) -> String {
        let mut t = match Terminal::new(TestBackend::new(w, h)) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        if let Err(e) = t.draw(|f| render(f, f.area(), model)) {
            panic!("{e}");
        }
        super::super::svg::to_text(t.backend().buffer())
    }

    #[test]
    fn each_side_shows_its_states_and_wait_channels_and_what_they_mean() {
        let m = model_with([
            Some(census(5, 5, "ep_poll")),
            Some(census(10_004, 2_000, "hrtimer_nanosleep")),
        ]);
        let screen = draw(&m, 100, 24);
        assert!(screen.contains("sees threads, not tasks"), "{screen}");
        let rows: Vec<&str> = screen.lines().collect();
        let left = |needle: &str| {
            rows.iter().any(|r| {
                let half: String = r.chars().take(50).collect();
                half.contains(needle)
            })
        };
        let right = |needle: &str| {
            rows.iter().any(|r| {
                let half: String = r.chars().skip(50).collect();
                half.contains(needle)
            })
        };
        assert!(left("ep_poll") && !left("hrtimer_nanosleep"), "{screen}");
        assert!(right("hrtimer_nanosleep") && right("1,997"), "{screen}");
        assert!(right("sampled: 2,000 of 10,004"), "{screen}");
        assert!(!left("sampled"), "{screen}");
        assert!(left("5 OS threads for 1,000 tasks"), "{screen}");
        assert!(right("S sleeping"), "{screen}");
    }

    #[test]
    fn before_a_census_it_says_so_and_small_sizes_draw() {
        let m = model_with([None, None]);
        assert!(draw(&m, 80, 24).contains("no census yet"));
        for (w, h) in [(1, 1), (20, 5), (60, 16)] {
            let _ = draw(&m, w, h);
        }
    }
}
