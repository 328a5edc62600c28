//! What a key press (or a script) asks for. Input becomes an `Action`; the controller applies it.

use crate::protocol::Side;

/// Which side(s) the scaling and start/stop keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    Async,
    Threads,
    #[default]
    Both,
}

impl Selection {
    pub fn sides(self) -> &'static [Side] {
        match self {
            Selection::Async => &[Side::Async],
            Selection::Threads => &[Side::Threads],
            Selection::Both => &Side::BOTH,
        }
    }

    pub fn includes(self, side: Side) -> bool {
        self.sides().contains(&side)
    }

    /// The selection of one side.
    pub fn of(side: Side) -> Selection {
        match side {
            Side::Async => Selection::Async,
            Side::Threads => Selection::Threads,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Selection::Async => "async",
            Selection::Threads => "threads",
            Selection::Both => "both",
        }
    }
}

/// Everything the keys can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Select(Selection),
    /// Units × 10 on the selected side(s) (0 becomes 1).
    ScaleUp,
    /// Units ÷ 10 on the selected side(s).
    ScaleDown,
    /// Stop the selected side(s) if running, start them at their last count if stopped.
    StartStop,
    /// Restart the selected side(s) if their worker died.
    Restart,
    /// Next workload kind, both sides.
    NextWorkload,
    /// Switch to the scenario at this index of the catalog (the number keys: 1 is index 0).
    SwitchScenario(usize),
    /// Open the scenario picker.
    OpenPicker,
    /// A key inside the open picker.
    Picker(PickerStep),
    /// Show or hide the "what to look for" caption.
    Caption,
    /// Async side: current-thread ↔ multi-thread runtime (restarts the async worker only).
    ToggleRuntime,
    /// Threads side: 64 KiB ↔ Rust's default 2 MiB stacks (restarts the threads worker only).
    ToggleStack,
    /// Flip the workload's on/off parameter live (spawn_blocking, parking_lot).
    FlipFlag,
    /// Cancel every unit of both sides now and spawn them again (the `cancel` workload).
    CancelUnits,
    /// One side at a time: only the selected side runs; again to run both.
    OneSide,
    /// Freeze the display; sampling goes on.
    Freeze,
    /// Open or close the source view: the running workload's two halves side by side.
    SourceView,
    /// Scroll the open source view by this many rows (negative: up).
    SourceScroll(i8),
    /// Open or close "what the OS sees": each side's threads by state and wait channel.
    OsView,
    /// Open or close the big view: the headline figures in large digits.
    BigView,
    /// Cycle the colours: dark, light, contrast.
    Theme,
    /// Write the screen as drawn now to an SVG and a text file in the working directory.
    Export,
    /// A key of `versus replay` (`ui::replay_keys`).
    Replay(ReplayStep),
    /// While a talk runs: the next step (after the last, the first under --loop).
    TalkNext,
    /// While a talk runs: the previous step.
    TalkPrev,
    Help,
    Quit,
}

/// What a key does while the scenario picker is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerStep {
    Up,
    Down,
    Choose,
    Close,
}

/// What a key does in a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayStep {
    PlayPause,
    Back,
    Forward,
    Slower,
    Faster,
    Home,
    End,
    /// A key that would change what runs, named by its label: it says it does nothing.
    Inert(&'static str),
}

/// ×10 / ÷10 steps; 0 ↑ 1 so a stopped side can be started by scaling.
pub fn scaled(units: u64, up: bool) -> u64 {
    if up {
        if units == 0 {
            1
        } else {
            units.saturating_mul(10)
        }
    } else {
        units / 10
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_steps() {
        assert_eq!(scaled(0, true), 1);
        assert_eq!(scaled(1000, true), 10_000);
        assert_eq!(scaled(1000, false), 100);
        assert_eq!(scaled(1, false), 0);
        assert!(Selection::Both.includes(Side::Threads));
        assert!(!Selection::Async.includes(Side::Threads));
    }
}
