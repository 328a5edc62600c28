//! A talk running on a session: the step on screen, the run it came from, and booth-mode timing.

use std::time::Instant;

use super::step::run_at;
use super::{Move, Talk, TalkState};
use crate::config::RunConfig;
use crate::controller::Session;
use crate::ui::TalkView;

#[derive(Debug)]
pub struct Runner {
    pub talk: Talk,
    pub state: TalkState,
    /// The run before the first step: what a talk's state at a step is built over.
    base: RunConfig,
    /// When the step on screen started.
    entered: Instant,
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
        true
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
