//! The session fed by a recording instead of workers (`versus replay FILE`): the same model, fed the
//! recorded inputs by `record::player`; the player keys move through time, and the keys that would
//! change what runs say they do nothing here.

use std::sync::Arc;
use std::sync::mpsc::Sender;

use super::{Event, Session};
use crate::action::{Action, ReplayStep};
use crate::config::RunConfig;
use crate::model::Model;
use crate::record::Line;
use crate::record::player::{self, Cmd, Position, Replayed};
use crate::record::replay::Recording;

/// What a replaying session knows besides its model.
#[derive(Debug)]
pub struct ReplayState {
    control: Sender<Cmd>,
    pub position: Position,
    /// When and where it was recorded, for the banner.
    pub recorded: String,
    /// The model before any line: what a rebuild starts from.
    initial: Model,
}

impl Session {
    /// A session with no worker, played from `rec`.
    pub fn replaying(
        cfg: RunConfig,
        tx: Sender<Event>,
        rec: Arc<Recording>,
    ) -> std::io::Result<Session> {
        let recorded = format!(
            "recorded {} · {}",
            crate::utc::readable(rec.header.started_unix_s),
            rec.header.machine.summary()
        );
        let end_us = rec.end_us();
        let control = player::start(rec, tx.clone())?;
        let mut s = Session::idle(cfg, tx);
        s.replay = Some(ReplayState {
            control,
            position: Position {
                at_us: 0,
                end_us,
                paused: false,
                speed: 1.0,
            },
            recorded,
            initial: s.model.clone(),
        });
        Ok(s)
    }

    /// Applies what the player sent.
    pub fn on_replay(&mut self, r: Replayed) {
        let Some(state) = self.replay.as_mut() else {
            return;
        };
        match r {
            Replayed::Position(p) => state.position = p,
            Replayed::Lines { lines, rebuilt } => {
                if rebuilt {
                    self.model = state.initial.clone();
                    self.notice = None;
                }
                for (t_us, line) in lines {
                    match line {
                        Line::Model(input) => self.model.feed(input, t_us as f64 / 1e6),
                        Line::Note(crate::record::Note::Notice { text }) => self.notice = text,
                        Line::Note(_) => {}
                    }
                }
            }
        }
    }

    /// In a replay only the player's own keys do something.
    pub(crate) fn apply_in_replay(&mut self, action: Action) {
        let Some(state) = self.replay.as_ref() else {
            return;
        };
        let cmd = match action {
            Action::Replay(step) => match step {
                ReplayStep::PlayPause => Cmd::PlayPause,
                ReplayStep::Back => Cmd::Seek(-player::SEEK_US),
                ReplayStep::Forward => Cmd::Seek(player::SEEK_US),
                ReplayStep::Slower => Cmd::Slower,
                ReplayStep::Faster => Cmd::Faster,
                ReplayStep::Home => Cmd::Home,
                ReplayStep::End => Cmd::End,
                ReplayStep::Inert(label) => {
                    self.notice = Some(format!(
                        "{label}: does nothing in a replay (it would change what runs)"
                    ));
                    return;
                }
            },
            // Selecting a side only highlights it; the view keys never get here.
            _ => return,
        };
        // The player is gone only when the app is ending.
        let _ = state.control.send(cmd);
    }
}
