//! Plays a recording at a pace the user controls, on a thread of its own: the lines due by the play
//! position go on the controller's channel like worker events do. Seeking back sends every line from
//! the start again, marked `rebuilt`, so the model is built afresh up to that moment (simple, and
//! exactly what it was then).

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use super::replay::Recording;
use crate::record::Line;

/// Slowest and fastest play speeds.
pub const MIN_SPEED: f64 = 0.25;
pub const MAX_SPEED: f64 = 16.0;
/// How far ← and → move.
pub const SEEK_US: i64 = 10_000_000;
/// The position bar is refreshed this often while playing.
const POSITION_EVERY: Duration = Duration::from_millis(100);

/// What the user asks of the player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    PlayPause,
    /// Move by this many µs (negative: back).
    Seek(i64),
    Faster,
    Slower,
    Home,
    End,
}

/// Where the player is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub at_us: u64,
    pub end_us: u64,
    pub paused: bool,
    pub speed: f64,
}

/// What the player sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Replayed {
    /// Lines now due, in order. `rebuilt`: they start from the beginning; drop what was fed before.
    Lines {
        lines: Vec<(u64, Line)>,
        rebuilt: bool,
    },
    Position(Position),
}

/// Starts playing `rec` from the beginning; returns where to send commands. The thread ends when
/// the receiver of `tx` or the command sender is dropped.
pub fn start<E: From<Replayed> + Send + 'static>(
    rec: Arc<Recording>,
    tx: Sender<E>,
) -> std::io::Result<Sender<Cmd>> {
    let (cmd_tx, cmd_rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("replay".into())
        .spawn(move || {
            let mut p = Player {
                rec,
                pos: Position {
                    at_us: 0,
                    end_us: 0,
                    paused: false,
                    speed: 1.0,
                },
                next: 0,
            };
            p.pos.end_us = p.rec.end_us();
            let mut last = Instant::now();
            let mut rebuilt = false;
            loop {
                let due = p.due(rebuilt);
                rebuilt = false;
                if let Some(lines) = due
                    && tx.send(lines.into()).is_err()
                {
                    return;
                }
                if tx.send(Replayed::Position(p.pos).into()).is_err() {
                    return;
                }
                let wait = p.wait();
                let cmd = match cmd_rx.recv_timeout(wait) {
                    Ok(cmd) => Some(cmd),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                let now = Instant::now();
                p.advance(now.duration_since(last));
                last = now;
                if let Some(cmd) = cmd {
                    rebuilt = p.command(cmd);
                }
            }
        })?;
    Ok(cmd_tx)
}

struct Player {
    rec: Arc<Recording>,
    pos: Position,
    /// Index of the first line not sent yet.
    next: usize,
}

impl Player {
    /// The lines due by the position, if any.
    fn due(&mut self, rebuilt: bool) -> Option<Replayed> {
        if rebuilt {
            self.next = 0;
        }
        let upto = self.rec.index_after(self.pos.at_us);
        if upto <= self.next && !rebuilt {
            return None;
        }
        let lines = self.rec.lines[self.next..upto].to_vec();
        self.next = upto;
        Some(Replayed::Lines { lines, rebuilt })
    }

    /// How long to sleep: until the next line is due or the bar should move, whichever is first.
    fn wait(&self) -> Duration {
        if self.pos.paused || self.pos.at_us >= self.pos.end_us {
            return Duration::from_secs(1);
        }
        let next_t = self
            .rec
            .lines
            .get(self.next)
            .map_or(self.pos.end_us, |(t, _)| *t);
        let gap_us = next_t.saturating_sub(self.pos.at_us) as f64 / self.pos.speed;
        Duration::from_micros(gap_us as u64).min(POSITION_EVERY)
    }

    fn advance(&mut self, real: Duration) {
        if !self.pos.paused {
            let step = real.as_micros() as f64 * self.pos.speed;
            self.pos.at_us = (self.pos.at_us + step as u64).min(self.pos.end_us);
        }
    }

    /// Applies a command; true when the model must be rebuilt from the start.
    fn command(&mut self, cmd: Cmd) -> bool {
        let p = &mut self.pos;
        let target = match cmd {
            Cmd::PlayPause => {
                // Play at the end starts again from the beginning.
                if p.paused && p.at_us >= p.end_us {
                    p.paused = false;
                    p.at_us = 0;
                    return true;
                }
                p.paused = !p.paused;
                return false;
            }
            Cmd::Faster => {
                p.speed = (p.speed * 2.0).min(MAX_SPEED);
                return false;
            }
            Cmd::Slower => {
                p.speed = (p.speed / 2.0).max(MIN_SPEED);
                return false;
            }
            Cmd::Seek(d) => p.at_us.saturating_add_signed(d).min(p.end_us),
            Cmd::Home => 0,
            Cmd::End => p.end_us,
        };
        let back = target < p.at_us;
        p.at_us = target;
        back
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Input;
    use crate::record::format::encode;
    use crate::record::replay;

    fn recording(seconds: u64) -> Arc<Recording> {
        let header = include_str!("../../tests/fixtures/recording-header.json");
        let mut text = header.trim_end().to_string();
        text.push('\n');
        for s in 0..=seconds {
            text.push_str(&encode(s * 1_000_000, &Input::Tick));
        }
        Arc::new(replay::read("mem", text.as_bytes()).expect("valid"))
    }

    fn player(rec: Arc<Recording>) -> Player {
        let end_us = rec.end_us();
        Player {
            rec,
            pos: Position {
                at_us: 0,
                end_us,
                paused: true,
                speed: 1.0,
            },
            next: 0,
        }
    }

    fn sent(r: Option<Replayed>) -> (usize, bool) {
        match r {
            Some(Replayed::Lines { lines, rebuilt }) => (lines.len(), rebuilt),
            _ => (0, false),
        }
    }

    #[test]
    fn seeking_forward_sends_what_is_due_and_back_rebuilds_from_the_start() {
        let mut p = player(recording(60));
        assert_eq!(sent(p.due(false)), (1, false), "the line at 0 s");
        assert!(!p.command(Cmd::Seek(SEEK_US)));
        assert_eq!(sent(p.due(false)), (10, false), "1 s .. 10 s");
        assert!(p.command(Cmd::Seek(-SEEK_US / 2)), "back: rebuild");
        assert_eq!(p.pos.at_us, 5_000_000);
        assert_eq!(sent(p.due(true)), (6, true), "0 s .. 5 s again");
        assert!(!p.command(Cmd::End));
        assert_eq!(sent(p.due(false)), (55, false));
        assert!(
            !p.command(Cmd::Seek(SEEK_US)),
            "past the end stays at the end"
        );
        assert_eq!(p.pos.at_us, 60_000_000);
        assert!(p.command(Cmd::Home));
        assert_eq!(p.pos.at_us, 0);
    }

    #[test]
    fn speed_stays_between_a_quarter_and_sixteen_and_pause_stops_the_clock() {
        let mut p = player(recording(60));
        for _ in 0..10 {
            p.command(Cmd::Faster);
        }
        assert_eq!(p.pos.speed, MAX_SPEED);
        for _ in 0..20 {
            p.command(Cmd::Slower);
        }
        assert_eq!(p.pos.speed, MIN_SPEED);
        p.advance(Duration::from_secs(4));
        assert_eq!(p.pos.at_us, 0, "paused");
        p.command(Cmd::PlayPause);
        p.advance(Duration::from_secs(4));
        assert_eq!(p.pos.at_us, 1_000_000, "4 s at ¼×");
    }
}
