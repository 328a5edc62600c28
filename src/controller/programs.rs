//! The session when the user's own programs run (`--cmd`): which keys make sense for a program, and
//! how a side is stopped (SIGSTOP of its group) or scaled (connections, only with {port}).

use super::Session;
use crate::action::Action;
use crate::protocol::{Side, ToWorker};

impl Session {
    /// The program of a side, when programs run.
    pub(crate) fn program(&self, side: Side) -> Option<&crate::collect::external::Program> {
        self.cfg.programs.as_ref().map(|p| &p[side.index()])
    }

    /// Whether a side's figures come from the load generator: a built-in echo server, or a
    /// program whose command has {port}.
    pub(crate) fn is_driven(&self, side: Side) -> bool {
        self.is_echo() && self.program(side).is_none_or(|p| p.has_port())
    }

    /// Why `action` does not apply to a program side, if it does not; None: go ahead.
    pub(crate) fn refused_for_program(&self, action: Action, side: Side) -> Option<String> {
        let program = self.program(side)?;
        match action {
            Action::ScaleUp | Action::ScaleDown if !program.has_port() => Some(format!(
                "{}: nothing to scale without {{port}} in its command (connections need a port)",
                program.label
            )),
            Action::NextWorkload
            | Action::SwitchScenario(_)
            | Action::ToggleRuntime
            | Action::ToggleStack
            | Action::FlipFlag
            | Action::CancelUnits => Some(
                "your own programs run: workloads, scenarios, runtime and stack are theirs".into(),
            ),
            _ => None,
        }
    }

    /// A program side's unit count changed: 0 stops its whole process group (SIGSTOP), anything
    /// else lets it go on (SIGCONT). Built-in workers are not told here.
    pub(crate) fn stop_or_go_program(&mut self, side: Side, units: u64) {
        if self.program(side).is_some() {
            self.send(side, &ToWorker::SetUnits { units });
        }
    }
}
