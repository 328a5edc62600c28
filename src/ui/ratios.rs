//! The headline line: the scenario's own figure first, in words a speaker can read out
//! ("per unit: 466 B vs 9.6 KiB — threads 21× heavier"), then its other figures while there is room. It renders
//! `model.headline` (smoothed, gated, chosen by the preset), never picks figures of its own; when the
//! sides cannot be compared it says why.

use ratatui::text::{Line, Span};

use super::format::{self, MISSING};
use super::theme;
use crate::figure::Format;
use crate::model::headline::{Headline, steady};
use crate::model::{Model, RunInfo};
use crate::protocol::Side;

const SEP: &str = " │ ";

/// A value in the figure's unit: "466 B", "148 ns", "1.02 cores", "69k/s" (`format::figure`).
pub fn show(unit: Format, v: f64) -> String {
    format::figure(unit, v)
}

/// "per unit: 466 B vs 9.6 KiB — threads 21× heavier"; values of the async side first, as the columns
/// are; the verdict's words name the side the word describes (`Headline::verdict`).
fn compared(h: &Headline, run: &RunInfo) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(
        format!("{}: ", h.figure.words()),
        theme::label(),
    )];
    for (i, side) in Side::BOTH.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" vs "));
        }
        let v = h.values[side.index()].map_or(MISSING.into(), |v| show(h.figure.format, v));
        spans.push(Span::styled(v, theme::value().fg(theme::side(side))));
    }
    spans.push(Span::raw(" — "));
    spans.push(Span::styled(h.verdict(run).words, theme::value()));
    spans
}

/// "cores used: async 1.00 cores · one side at a time": the figure, what a steady side measures, and
/// why there is no comparison.
fn withheld(h: &Headline, model: &Model) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(
        format!("{}: ", h.figure.words()),
        theme::label(),
    )];
    for side in Side::BOTH {
        let m = model.side(side);
        if let Some(v) = h.values[side.index()].filter(|_| steady(m)) {
            spans.push(Span::styled(
                format!(
                    "{} {} · ",
                    model.run.side_name(side),
                    show(h.figure.format, v)
                ),
                theme::value().fg(theme::side(side)),
            ));
        }
    }
    let why = h.reason.clone().unwrap_or_else(|| "not comparable".into());
    spans.push(Span::styled(why, theme::dim()));
    spans
}

fn width(spans: &[Span]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// The headline, then a talk step's paired headline ("was 47.1 ms vs 94 µs in step 8"), the
/// scenario's other figures that are comparable, then any limit a side hit, as many as fit `width`
/// (the headline always stays, cut if it must be).
pub fn line(model: &Model, width_cells: usize, pair: Option<&str>) -> Line<'static> {
    let shown = &model.headline.shown;
    let Some(head) = shown.first() else {
        return Line::styled(" the headline appears once both sides report", theme::dim());
    };
    let mut spans = vec![Span::raw(" ")];
    if head.comparable {
        spans.extend(compared(head, &model.run));
        if model.run.turns {
            // Measured one after the other, never at once: said next to the figure it shapes.
            spans.push(Span::styled(" (each alone, in turns)", theme::dim()));
        }
    } else {
        spans.extend(withheld(head, model));
    }
    let mut more: Vec<Vec<Span<'static>>> = Vec::new();
    if let Some(pair) = pair {
        more.push(vec![Span::styled(pair.to_string(), theme::label())]);
    }
    if head.comparable {
        more.extend(
            shown[1..]
                .iter()
                .filter(|h| h.comparable)
                .map(|h| compared(h, &model.run)),
        );
    }
    for side in Side::BOTH {
        if let Some(name) = model
            .side(side)
            .figures
            .as_ref()
            .and_then(|f| f.limit_name.clone())
        {
            more.push(vec![Span::styled(
                format!("{} stopped by {name}", model.run.side_name(side)),
                theme::warn(),
            )]);
        }
    }
    for item in more {
        if width(&spans) + format::width(SEP) + width(&item) > width_cells {
            break;
        }
        spans.push(Span::styled(SEP, theme::dim()));
        spans.extend(item);
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::headline::find;
    use crate::ui::fixtures;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    /// The headline's two values as the line shows them.
    fn values(model: &Model) -> [String; 2] {
        let h = model.headline.shown.first().expect("a headline");
        h.values
            .map(|v| show(h.figure.format, v.expect("both sides steady")))
    }

    #[test]
    fn the_demo_reads_as_a_sentence_with_the_bigger_side_named() {
        let model = fixtures::demo_model();
        let t = text(&line(&model, 80, None));
        let [a, th] = values(&model);
        assert!(
            t.starts_with(&format!(" per unit: {a} vs {th} — threads ")) && t.contains("× heavier"),
            "{t}"
        );
        assert!(
            text(&line(&fixtures::empty_model(), 80, None)).contains("once both sides report"),
            "nothing to show yet"
        );
    }

    #[test]
    fn a_failed_side_is_not_compared_and_the_line_says_why() {
        let t = text(&line(&fixtures::failed_model(), 80, None));
        assert!(t.contains("threads side failed"), "{t}");
        assert!(!t.contains('×'), "{t}");
    }

    #[test]
    fn other_figures_follow_the_headline_while_they_fit() {
        let mut run = fixtures::run_info();
        run.headline = vec![
            find("rss_per_unit").expect("listed"),
            find("lateness_p99").expect("listed"),
        ];
        let rebuilt = fixtures::demo_model_for(run);
        let wide = text(&line(&rebuilt, 200, None));
        assert!(
            wide.starts_with(" per unit: ") && wide.contains(" │ lateness p99: "),
            "{wide}"
        );
        let narrow = text(&line(&rebuilt, 50, None));
        assert!(
            narrow.starts_with(" per unit: ") && !narrow.contains("lateness"),
            "{narrow}"
        );
    }

    #[test]
    fn a_paired_step_shows_right_after_the_headline_while_it_fits() {
        let model = fixtures::demo_model();
        let pair = Some("was 2.0 KiB vs 15.0 KiB in step 1");
        let t = text(&line(&model, 120, pair));
        let [a, th] = values(&model);
        let verdict = model.headline.shown[0].verdict(&model.run).words;
        assert!(
            t.starts_with(&format!(
                " per unit: {a} vs {th} — {verdict} │ was 2.0 KiB vs 15.0 KiB in step 1"
            )),
            "{t}"
        );
        let narrow = text(&line(&model, 60, pair));
        assert!(!narrow.contains("was"), "{narrow}");
    }

    #[test]
    fn values_in_their_units() {
        assert_eq!(show(Format::Bytes, 466.0), "466 B");
        assert_eq!(show(Format::Nanos, 148.0), "148 ns");
        assert_eq!(show(Format::Micros, 47_900.0), "47.9 ms");
        assert_eq!(show(Format::Cores, 1.0), "1.00 cores");
        assert_eq!(show(Format::Count, 1_000_000.0), "1,000,000");
        assert_eq!(show(Format::Ratio, 2.034), "2.03");
        assert_eq!(show(Format::Bytes, f64::NAN), MISSING);
    }
}
