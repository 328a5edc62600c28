//! A talk running on a session: the step on screen, the run it came from, and booth-mode timing.

use std::time::Instant;

use super::{Move, Talk, TalkState};
use crate::config::RunConfig;
use crate::controller::Session;
use crate::figure::Figure;
use crate::model::{Model, headline};
use crate::notes::server::{Deliver, Server};
use crate::notes_wire::{StepState, ToNotes};
use crate::protocol::Side;
use crate::talkfile::run_at;
use crate::ui::TalkView;

#[derive(Debug)]
pub struct Runner {
    pub talk: Talk,
    pub state: TalkState,
    /// The run before the first step: what a talk's state at a step is built over.
    base: RunConfig,
    /// When the step on screen started.
    entered: Instant,
    /// When the talk started: the notes terminal's clock.
    started: Instant,
    /// The socket `versus notes` attaches to, while the talk runs in the TUI.
    notes: Option<Server>,
    /// Per step (from 0): its headline figure and each side's steady value when it was last left.
    seen: Vec<Option<Seen>>,
    /// "was 47.1 ms vs 94 µs in step 8": the paired step's headline, for the step on screen.
    pair: Option<String>,
}

/// A step's headline as it was left.
#[derive(Debug, Clone, Copy)]
struct Seen {
    figure: &'static Figure,
    values: [Option<f64>; 2],
}

impl Seen {
    /// The headline's first figure and the values a speaker saw: those of steady sides.
    fn of(model: &Model) -> Option<Seen> {
        let head = model.headline.shown.first()?;
        let values = Side::BOTH.map(|side| {
            head.values[side.index()]
                .filter(|_| head.comparable || headline::steady(model.side(side)))
        });
        values.iter().any(Option::is_some).then_some(Seen {
            figure: head.figure,
            values,
        })
    }

    /// "was 47.1 ms vs 94 µs in step 8", "was async 1.00 cores in step 6"; the figure's words too
    /// when the step on screen leads with another figure.
    fn words(&self, model: &Model, step: usize) -> String {
        let show = |v: f64| crate::ui::format::figure(self.figure.format, v);
        let values = match self.values {
            [Some(a), Some(t)] => format!("{} vs {}", show(a), show(t)),
            _ => Side::BOTH
                .into_iter()
                .filter_map(|side| {
                    self.values[side.index()]
                        .map(|v| format!("{} {}", model.run.side_name(side), show(v)))
                })
                .collect::<Vec<_>>()
                .join(" · "),
        };
        let same = headline::figures_of(&model.run).first() == Some(&self.figure);
        let words = if same {
            String::new()
        } else {
            format!("{}: ", self.figure.words())
        };
        format!("was {words}{values} in step {}", step + 1)
    }
}

impl Runner {
    /// The runner at step 1 and the run that step asks for, to start the session with.
    pub fn start(
        talk: Talk,
        base: RunConfig,
        looping: bool,
    ) -> Result<(Runner, RunConfig), String> {
        // Every step's run is checked now, so a bad one cannot stop the talk half-way.
        for i in 0..talk.steps.len() {
            run_at(&talk.steps, i, &base)
                .map_err(|e| format!("talk {}, step {}: {e}", talk.name, i + 1))?;
        }
        let first = run_at(&talk.steps, 0, &base)?;
        let state = TalkState::new(talk.steps.len(), looping);
        let runner = Runner {
            seen: vec![None; talk.steps.len()],
            talk,
            state,
            base,
            entered: Instant::now(),
            started: Instant::now(),
            notes: None,
            pair: None,
        };
        Ok((runner, first))
    }

    /// Moves to the next or previous step and puts its run on the session; false when it did not move.
    pub fn go(&mut self, session: &mut Session, mv: Move) -> bool {
        let from = self.state.index;
        let Some(to) = self.state.step(mv) else {
            return false;
        };
        // The step left, as its headline read: a later step may pair with it.
        if let Some(seen) = Seen::of(&session.model) {
            self.seen[from] = Some(seen);
        }
        // One step on: what it names, over what runs now (keys pressed inside a step stay).
        // Any other move: the talk's own state at that step.
        let target = if to == from + 1 {
            let mut t = session.talk_snapshot();
            self.talk.steps[to].apply(&mut t).map(|()| t)
        } else {
            run_at(&self.talk.steps, to, &self.base)
        };
        match target {
            Ok(t) => session.go_to(&t),
            Err(e) => session.notice = Some(format!("step {}: {e}", to + 1)),
        }
        self.pair = self.talk.steps[to]
            .pair
            .and_then(|p| Some((p, self.seen.get(p).copied().flatten()?)))
            .map(|(p, seen)| seen.words(&session.model, p));
        self.entered = Instant::now();
        self.publish_notes();
        true
    }

    /// Opens the talk's socket for `versus notes`; what a notes terminal asks for goes to `deliver`.
    /// When it cannot open, the talk runs without notes and the line says why.
    pub fn open_notes(&mut self, deliver: Deliver) -> Result<(), String> {
        let server = Server::start(deliver).map_err(|e| format!("speaker notes off: {e}"))?;
        self.notes = Some(server);
        self.publish_notes();
        Ok(())
    }

    /// Tells the notes terminals where the talk is (an in-memory send; their threads write).
    fn publish_notes(&self) {
        let Some(server) = &self.notes else { return };
        let i = self.state.index;
        let next = match self.state.clone().step(Move::Next) {
            Some(n) if n != i => Some(self.talk.steps[n].title.clone()),
            _ => None,
        };
        let step = &self.talk.steps[i];
        server.publish(ToNotes::Step(StepState {
            talk: self.talk.name.clone(),
            title: self.talk.title.clone(),
            pid: std::process::id(),
            index: i + 1,
            len: self.talk.steps.len(),
            step_title: step.title.clone(),
            notes: step.notes.clone(),
            next,
            talk_ms: self.started.elapsed().as_millis() as u64,
            step_ms: self.entered.elapsed().as_millis() as u64,
        }));
    }

    /// When booth mode moves on from the step on screen; None when the speaker does.
    pub fn deadline(&self) -> Option<Instant> {
        let step = &self.talk.steps[self.state.index];
        self.state.dwell(step).map(|d| self.entered + d)
    }

    /// What the screen shows of the talk.
    pub fn view(&self) -> TalkView {
        let step = &self.talk.steps[self.state.index];
        TalkView {
            label: self.state.label(),
            title: step.title.clone(),
            say: step.say.clone(),
            pair: self.pair.clone(),
            focus: step.focus.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::fixtures;

    #[test]
    fn a_step_left_is_remembered_by_the_values_a_speaker_saw() {
        let show = |v: Option<f64>| {
            crate::ui::format::figure(
                crate::model::headline::find("rss_per_unit")
                    .expect("listed")
                    .format,
                v.expect("a value"),
            )
        };
        let model = fixtures::demo_model();
        let seen = Seen::of(&model).expect("a headline");
        assert_eq!(seen.figure.name(), "rss_per_unit");
        let [a, t] = model.headline.shown[0].values;
        assert_eq!(
            seen.words(&model, 7),
            format!("was {} vs {} in step 8", show(a), show(t))
        );
        // Only the side that ran steadily: by its name.
        let failed = fixtures::failed_model();
        let seen = Seen::of(&failed).expect("the async side");
        assert_eq!(seen.values[1], None, "the threads side failed");
        let a = failed.headline.shown[0].values[0];
        assert_eq!(
            seen.words(&failed, 5),
            format!("was async {} in step 6", show(a))
        );
        // Another figure on screen now: the paired one says which it was.
        let other = fixtures::scenario_model("spawn");
        assert_eq!(
            seen.words(&other, 5),
            format!("was per unit: async {} in step 6", show(a))
        );
        assert!(Seen::of(&fixtures::empty_model()).is_none());
    }
}
