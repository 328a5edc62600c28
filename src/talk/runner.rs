//! A talk running on a session: the step on screen, the run it came from, and booth-mode timing.

use std::time::Instant;

use super::step::run_at;
use super::{Move, Talk, TalkState};
use crate::config::RunConfig;
use crate::controller::Session;
use crate::notes::protocol::{StepState, ToNotes};
use crate::notes::server::{Deliver, Server};
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
            talk,
            state,
            base,
            entered: Instant::now(),
            started: Instant::now(),
            notes: None,
        };
        Ok((runner, first))
    }

    /// Moves to the next or previous step and puts its run on the session; false when it did not move.
    pub fn go(&mut self, session: &mut Session, mv: Move) -> bool {
        let from = self.state.index;
        let Some(to) = self.state.step(mv) else {
            return false;
        };
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
        }
    }
}
