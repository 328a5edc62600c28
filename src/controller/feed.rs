//! The one way into the session's model: every change goes through `feed` as a `model::Input`, and a
//! recording (`--record`) gets the same input with its time. So a replay that feeds the recorded
//! inputs to a fresh model rebuilds what the live model held. Notes (keys, notices) go to the
//! recording only.

use super::Session;
use crate::model::Input;
use crate::record::{Note, Recorder};

impl Session {
    /// Microseconds since the run started: the time a recorded line carries and the model is given
    /// (rounded to the µs, so a replay gives the model the very same number).
    fn now_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    /// Applies one input to the model, recording it first.
    pub(crate) fn feed(&mut self, input: Input) {
        let t_us = self.now_us();
        if let Input::Sample { side, sample } = &input
            && let Some(limit) = &sample.worker.limit_hit
            && self.model.side(*side).limit_hit.as_ref() != Some(limit)
        {
            let note = Note::Limit {
                side: *side,
                text: limit.clone(),
            };
            self.record(t_us, &note);
        }
        self.record(t_us, &input);
        self.model.feed(input, t_us as f64 / 1e6);
    }

    /// Records what the user did or saw (nothing without a recording).
    pub fn note(&mut self, note: Note) {
        let t_us = self.now_us();
        self.record(t_us, &note);
    }

    /// Starts recording to `rec` (the header is already written).
    pub fn record_to(&mut self, rec: Recorder) {
        self.recorder = Some(rec);
    }

    /// Bytes recorded so far.
    pub fn recorded_bytes(&self) -> Option<u64> {
        self.recorder.as_ref().map(|r| r.bytes)
    }

    /// A notice that changed since the last call goes to the recording (call it now and then).
    pub(crate) fn record_notice(&mut self) {
        if self.recorder.is_some() && self.notice != self.recorded_notice {
            self.recorded_notice.clone_from(&self.notice);
            let text = self.notice.clone();
            self.note(Note::Notice { text });
        }
    }

    fn record(&mut self, t_us: u64, body: &impl serde::Serialize) {
        if let Some(r) = self.recorder.as_mut()
            && let Err(e) = r.write(t_us, body)
        {
            // The run goes on; the screen says the recording ended and why.
            self.recorder = None;
            self.notice = Some(format!("recording stopped: {e}"));
        }
    }
}

#[cfg(test)]
mod tests {
    /// A change to the model that bypasses `feed` would be missing from every recording, and a
    /// replay of it would differ from the live run without a word.
    #[test]
    fn the_controller_changes_the_model_only_through_feed() {
        let files = [
            ("mod.rs", include_str!("mod.rs")),
            ("scenario.rs", include_str!("scenario.rs")),
            ("loadgen.rs", include_str!("loadgen.rs")),
            ("guard.rs", include_str!("guard.rs")),
            ("overload.rs", include_str!("overload.rs")),
            ("talk.rs", include_str!("talk.rs")),
            ("programs.rs", include_str!("programs.rs")),
        ];
        for (name, text) in files {
            for bypass in [
                "model.apply(",
                "model.tick(",
                "self.model =",
                "model.run =",
                "outside_cores =",
            ] {
                assert!(
                    !text.contains(bypass),
                    "{name} has {bypass}: use Session::feed"
                );
            }
        }
    }
}
