//! Where a talk is: the step on screen, how to move, and when booth mode (`--loop`) moves on.

use std::time::Duration;

use super::{DEFAULT_BOOTH_STEP, Step};

/// A move the speaker asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Next,
    Prev,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalkState {
    /// The step on screen, from 0.
    pub index: usize,
    pub len: usize,
    /// Booth mode: steps advance by themselves, and after the last comes the first.
    pub looping: bool,
}

impl TalkState {
    pub fn new(len: usize, looping: bool) -> TalkState {
        TalkState {
            index: 0,
            len,
            looping,
        }
    }

    /// Moves; the new index when it changed (no step before the first, none after the last unless looping).
    pub fn step(&mut self, mv: Move) -> Option<usize> {
        let next = match mv {
            Move::Next if self.index + 1 < self.len => self.index + 1,
            Move::Next if self.looping && self.len > 1 => 0,
            Move::Prev if self.index > 0 => self.index - 1,
            _ => return None,
        };
        self.index = next;
        Some(next)
    }

    /// "step 3/12" (counted from 1, as the audience counts).
    pub fn label(&self) -> String {
        format!("step {}/{}", self.index + 1, self.len)
    }

    /// How long the step stays under `--loop`; None when the speaker moves on.
    pub fn dwell(&self, step: &Step) -> Option<Duration> {
        self.looping
            .then(|| step.advance_after.unwrap_or(DEFAULT_BOOTH_STEP))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_next_prev_goes_one_three_two_and_stops_at_the_ends() {
        let mut s = TalkState::new(3, false);
        assert_eq!(s.label(), "step 1/3");
        assert_eq!(s.step(Move::Prev), None, "nothing before the first");
        assert_eq!(s.step(Move::Next), Some(1));
        assert_eq!(s.step(Move::Next), Some(2));
        assert_eq!(s.label(), "step 3/3");
        assert_eq!(s.step(Move::Next), None, "nothing after the last");
        assert_eq!(s.step(Move::Prev), Some(1));
        assert_eq!(s.label(), "step 2/3");
    }

    #[test]
    fn booth_mode_wraps_and_dwells() {
        let mut s = TalkState::new(2, true);
        assert_eq!(s.step(Move::Next), Some(1));
        assert_eq!(s.step(Move::Next), Some(0), "after the last, the first");
        let mut step = crate::talk::Step {
            title: "x".into(),
            scenario: None,
            workload: None,
            params: Default::default(),
            settings: Vec::new(),
            say: String::new(),
            notes: String::new(),
            advance_after: Some(Duration::from_secs(7)),
            rehearse: Duration::from_secs(1),
            pair: None,
            focus: Vec::new(),
        };
        assert_eq!(s.dwell(&step), Some(Duration::from_secs(7)));
        step.advance_after = None;
        assert_eq!(s.dwell(&step), Some(DEFAULT_BOOTH_STEP));
        assert_eq!(
            TalkState::new(2, false).dwell(&step),
            None,
            "the speaker moves on"
        );
        let mut one = TalkState::new(1, true);
        assert_eq!(one.step(Move::Next), None, "one step has nowhere to go");
    }
}
