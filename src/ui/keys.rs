//! The key table: one const list drives input mapping, the footer hints and the `?` overlay.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::action::{Action, PickerStep, Selection};

/// A key as the table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character, with or without shift (`?` and `+` arrive shifted on most layouts).
    Char(char),
    /// A character with Ctrl held.
    Ctrl(char),
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    /// Any of 1..9; the digit picks the scenario (see `action_for`).
    Digits,
    Enter,
    Esc,
}

/// Printable ASCII in code-point order, so a key's name is a slice of it and costs no allocation.
const PRINTABLE: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

impl Key {
    /// The name on screen as (modifier prefix, key): ("", "a"), ("ctrl-", "c"), ("", "space").
    pub fn name(self) -> (&'static str, &'static str) {
        let char_name = |c: char| match c {
            ' ' => "space",
            c if c.is_ascii_graphic() => {
                let i = c as usize - ' ' as usize;
                PRINTABLE.get(i..=i).unwrap_or("?")
            }
            _ => "?",
        };
        match self {
            Key::Char(c) => ("", char_name(c)),
            Key::Ctrl(c) => ("ctrl-", char_name(c)),
            Key::Up => ("", "↑"),
            Key::Down => ("", "↓"),
            Key::Left => ("", "←"),
            Key::Right => ("", "→"),
            Key::Home => ("", "home"),
            Key::End => ("", "end"),
            Key::PageUp => ("", "pgup"),
            Key::PageDown => ("", "pgdn"),
            Key::Digits => ("", "1-9"),
            Key::Enter => ("", "enter"),
            Key::Esc => ("", "esc"),
        }
    }

    fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl_or_alt = ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match self {
            Key::Char(c) => ev.code == KeyCode::Char(c) && !ctrl_or_alt,
            Key::Ctrl(c) => {
                ev.modifiers.contains(KeyModifiers::CONTROL)
                    && matches!(ev.code, KeyCode::Char(k) if k.eq_ignore_ascii_case(&c))
            }
            Key::Up => ev.code == KeyCode::Up,
            Key::Down => ev.code == KeyCode::Down,
            Key::Left => ev.code == KeyCode::Left,
            Key::Right => ev.code == KeyCode::Right,
            Key::Home => ev.code == KeyCode::Home,
            Key::End => ev.code == KeyCode::End,
            Key::PageUp => ev.code == KeyCode::PageUp,
            Key::PageDown => ev.code == KeyCode::PageDown,
            Key::Digits => matches!(ev.code, KeyCode::Char('1'..='9')) && !ctrl_or_alt,
            Key::Enter => ev.code == KeyCode::Enter,
            Key::Esc => ev.code == KeyCode::Esc,
        }
    }
}

/// One row of the key table.
#[derive(Debug, Clone, Copy)]
pub struct KeyBinding {
    pub keys: &'static [Key],
    /// A word or two for the footer.
    pub label: &'static str,
    /// A sentence for the `?` overlay.
    pub help: &'static str,
    pub action: Action,
}

/// Every key, in the order the footer and the overlay show them.
pub const KEYS: &[KeyBinding] = &[
    KeyBinding {
        keys: &[Key::Char('a')],
        label: "async",
        help: "select the async side: scaling and start/stop act on it",
        action: Action::Select(Selection::Async),
    },
    KeyBinding {
        keys: &[Key::Char('t')],
        label: "threads",
        help: "select the threads side",
        action: Action::Select(Selection::Threads),
    },
    KeyBinding {
        keys: &[Key::Char('b')],
        label: "both",
        help: "select both sides (the default)",
        action: Action::Select(Selection::Both),
    },
    KeyBinding {
        keys: &[Key::Char('+'), Key::Char('='), Key::Up],
        label: "×10",
        help: "scale the selected side(s) up ×10 (0 becomes 1)",
        action: Action::ScaleUp,
    },
    KeyBinding {
        keys: &[Key::Char('-'), Key::Down],
        label: "÷10",
        help: "scale the selected side(s) down ÷10",
        action: Action::ScaleDown,
    },
    KeyBinding {
        keys: &[Key::Char('s')],
        label: "start/stop",
        help: "stop the selected side(s), or start them again at their last count",
        action: Action::StartStop,
    },
    KeyBinding {
        keys: &[Key::Char('r')],
        label: "restart",
        help: "restart the selected side(s) if their worker died",
        action: Action::Restart,
    },
    KeyBinding {
        keys: &[Key::Char('w')],
        label: "workload",
        help: "next workload kind, both sides",
        action: Action::NextWorkload,
    },
    KeyBinding {
        keys: &[Key::Digits],
        label: "scenario",
        help: "switch to scenario 1-9 (both workers restart with its settings)",
        action: Action::SwitchScenario(0),
    },
    KeyBinding {
        keys: &[Key::Char('p')],
        label: "scenarios",
        help: "pick a scenario from the list",
        action: Action::OpenPicker,
    },
    KeyBinding {
        keys: &[Key::Char('c')],
        label: "caption",
        help: "show or hide what to look for",
        action: Action::Caption,
    },
    KeyBinding {
        keys: &[Key::Char('m')],
        label: "runtime",
        help: "current-thread / multi-thread runtime (restarts the async side)",
        action: Action::ToggleRuntime,
    },
    KeyBinding {
        keys: &[Key::Char('k')],
        label: "stack",
        help: "64 KiB / 2 MiB thread stacks (restarts the threads side)",
        action: Action::ToggleStack,
    },
    KeyBinding {
        keys: &[Key::Char('f')],
        label: "flip",
        help: "flip live: spawn_blocking, parking_lot, yield_every_us, wait, pool",
        action: Action::FlipFlag,
    },
    KeyBinding {
        keys: &[Key::Char('o')],
        label: "one side",
        help: "one side at a time: only the selected side runs; again: both",
        action: Action::OneSide,
    },
    KeyBinding {
        keys: &[Key::Char('v')],
        label: "source",
        help: "the workload's async and thread code side by side",
        action: Action::SourceView,
    },
    KeyBinding {
        keys: &[Key::Char('d')],
        label: "OS view",
        help: "what the OS sees: threads by state and kernel wait channel",
        action: Action::OsView,
    },
    KeyBinding {
        keys: &[Key::Char(' ')],
        label: "freeze",
        help: "freeze the display (sampling goes on); again to follow live",
        action: Action::Freeze,
    },
    KeyBinding {
        keys: &[Key::Char('e')],
        label: "export",
        help: "save the screen as an SVG and a text file in the working directory",
        action: Action::Export,
    },
    KeyBinding {
        keys: &[Key::Char('z')],
        label: "big",
        help: "the headline figures in large digits, for the back row",
        action: Action::BigView,
    },
    KeyBinding {
        keys: &[Key::Char('T')],
        label: "theme",
        help: "colours: dark, light (bright projectors), contrast (no greys)",
        action: Action::Theme,
    },
    KeyBinding {
        keys: &[Key::Char('x')],
        label: "cancel",
        help: "cancel workload: cancel every unit now, then spawn them again",
        action: Action::CancelUnits,
    },
    KeyBinding {
        keys: &[Key::Char('?')],
        label: "help",
        help: "show or close this help",
        action: Action::Help,
    },
    KeyBinding {
        keys: &[Key::Char('q'), Key::Ctrl('c')],
        label: "quit",
        help: "quit: stop both workers and restore the terminal",
        action: Action::Quit,
    },
];

/// The keys of the open scenario picker; the footer of the picker shows them.
pub const PICKER_KEYS: &[KeyBinding] = &[
    KeyBinding {
        keys: &[Key::Up, Key::Char('k')],
        label: "up",
        help: "previous scenario",
        action: Action::Picker(PickerStep::Up),
    },
    KeyBinding {
        keys: &[Key::Down, Key::Char('j')],
        label: "down",
        help: "next scenario",
        action: Action::Picker(PickerStep::Down),
    },
    KeyBinding {
        keys: &[Key::Enter],
        label: "start",
        help: "switch to the marked scenario",
        action: Action::Picker(PickerStep::Choose),
    },
    KeyBinding {
        keys: &[Key::Digits],
        label: "start",
        help: "switch to that scenario",
        action: Action::SwitchScenario(0),
    },
    KeyBinding {
        keys: &[Key::Esc, Key::Char('p')],
        label: "close",
        help: "close the picker",
        action: Action::Picker(PickerStep::Close),
    },
    KeyBinding {
        keys: &[Key::Char('q'), Key::Ctrl('c')],
        label: "quit",
        help: "quit",
        action: Action::Quit,
    },
];

/// Keys while a talk runs, looked up before `KEYS` (which keep working inside a step).
pub const TALK_KEYS: &[KeyBinding] = &[
    KeyBinding {
        keys: &[Key::Right, Key::Char('n'), Key::PageDown, Key::Enter],
        label: "next",
        help: "the talk's next step",
        action: Action::TalkNext,
    },
    KeyBinding {
        keys: &[Key::Left, Key::PageUp],
        label: "back",
        help: "the talk's previous step",
        action: Action::TalkPrev,
    },
];

/// Keys while the source view is open; the others wait until it closes.
pub const SOURCE_KEYS: &[KeyBinding] = &[
    KeyBinding {
        keys: &[Key::Up, Key::Char('k')],
        label: "up",
        help: "scroll up",
        action: Action::SourceScroll(-1),
    },
    KeyBinding {
        keys: &[Key::Down, Key::Char('j')],
        label: "down",
        help: "scroll down",
        action: Action::SourceScroll(1),
    },
    KeyBinding {
        keys: &[Key::Char('v'), Key::Esc],
        label: "close",
        help: "close the source view",
        action: Action::SourceView,
    },
    KeyBinding {
        keys: &[Key::Char('q'), Key::Ctrl('c')],
        label: "quit",
        help: "quit",
        action: Action::Quit,
    },
];

pub fn source_action_for(ev: &KeyEvent) -> Option<Action> {
    lookup(SOURCE_KEYS, ev)
}

/// The action a key press asks for; repeats and releases (reported by some terminals) ask for nothing.
pub fn action_for(ev: &KeyEvent) -> Option<Action> {
    lookup(KEYS, ev)
}

/// The talk keys' action, or None for a key that is not one of them.
pub fn talk_action_for(ev: &KeyEvent) -> Option<Action> {
    lookup(TALK_KEYS, ev)
}

/// The action of a key press while the scenario picker is open.
pub fn picker_action_for(ev: &KeyEvent) -> Option<Action> {
    lookup(PICKER_KEYS, ev)
}

pub(crate) fn lookup(table: &[KeyBinding], ev: &KeyEvent) -> Option<Action> {
    if ev.kind != KeyEventKind::Press {
        return None;
    }
    let action = table
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)?;
    Some(match (action, ev.code) {
        // One row stands for nine keys: the digit says which scenario.
        (Action::SwitchScenario(_), KeyCode::Char(d)) => {
            Action::SwitchScenario(d.to_digit(10)?.checked_sub(1)? as usize)
        }
        (a, _) => a,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new_with_kind(code, modifiers, KeyEventKind::Press)
    }

    /// Every action; the match makes a new `Action` variant fail to compile here until it is listed.
    fn all_actions() -> Vec<Action> {
        let all = vec![
            Action::Select(Selection::Async),
            Action::Select(Selection::Threads),
            Action::Select(Selection::Both),
            Action::ScaleUp,
            Action::ScaleDown,
            Action::StartStop,
            Action::Restart,
            Action::NextWorkload,
            Action::SwitchScenario(0),
            Action::OpenPicker,
            Action::Caption,
            Action::ToggleRuntime,
            Action::ToggleStack,
            Action::FlipFlag,
            Action::CancelUnits,
            Action::OneSide,
            Action::Freeze,
            Action::SourceView,
            Action::OsView,
            Action::BigView,
            Action::Theme,
            Action::Export,
            Action::Help,
            Action::Quit,
        ];
        for a in &all {
            match a {
                Action::Select(Selection::Async | Selection::Threads | Selection::Both)
                | Action::ScaleUp
                | Action::ScaleDown
                | Action::StartStop
                | Action::Restart
                | Action::NextWorkload
                | Action::SwitchScenario(_)
                | Action::OpenPicker
                | Action::Picker(_)
                | Action::Caption
                | Action::ToggleRuntime
                | Action::ToggleStack
                | Action::FlipFlag
                | Action::CancelUnits
                | Action::OneSide
                | Action::Freeze
                | Action::SourceView
                | Action::SourceScroll(_)
                | Action::OsView
                | Action::BigView
                | Action::Theme
                | Action::Export
                | Action::Replay(_)
                | Action::TalkNext
                | Action::TalkPrev
                | Action::Help
                | Action::Quit => {}
            }
        }
        all
    }

    fn event_for(key: Key) -> KeyEvent {
        match key {
            Key::Char(c) => press(KeyCode::Char(c), KeyModifiers::NONE),
            Key::Ctrl(c) => press(KeyCode::Char(c), KeyModifiers::CONTROL),
            Key::Up => press(KeyCode::Up, KeyModifiers::NONE),
            Key::Down => press(KeyCode::Down, KeyModifiers::NONE),
            Key::Left => press(KeyCode::Left, KeyModifiers::NONE),
            Key::Right => press(KeyCode::Right, KeyModifiers::NONE),
            Key::Home => press(KeyCode::Home, KeyModifiers::NONE),
            Key::End => press(KeyCode::End, KeyModifiers::NONE),
            Key::PageUp => press(KeyCode::PageUp, KeyModifiers::NONE),
            Key::PageDown => press(KeyCode::PageDown, KeyModifiers::NONE),
            Key::Digits => press(KeyCode::Char('1'), KeyModifiers::NONE),
            Key::Enter => press(KeyCode::Enter, KeyModifiers::NONE),
            Key::Esc => press(KeyCode::Esc, KeyModifiers::NONE),
        }
    }

    #[test]
    fn every_action_is_reachable_by_a_key() {
        for action in all_actions() {
            let binding = KEYS.iter().find(|b| b.action == action);
            let binding = binding.unwrap_or_else(|| panic!("{action:?} has no key"));
            assert!(!binding.keys.is_empty(), "{action:?}");
            for &key in binding.keys {
                assert_eq!(action_for(&event_for(key)), Some(action), "{key:?}");
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        for table in [KEYS, PICKER_KEYS, TALK_KEYS] {
            let keys: Vec<Key> = table.iter().flat_map(|b| b.keys.iter().copied()).collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(k), "{k:?} is bound twice");
            }
        }
        let actions: Vec<Action> = KEYS.iter().map(|b| b.action).collect();
        for (i, a) in actions.iter().enumerate() {
            assert!(!actions[i + 1..].contains(a), "{a:?} has two rows");
        }
    }

    #[test]
    fn digits_pick_scenarios_and_the_picker_has_its_own_keys() {
        let digit = |c| press(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(action_for(&digit('1')), Some(Action::SwitchScenario(0)));
        assert_eq!(action_for(&digit('9')), Some(Action::SwitchScenario(8)));
        assert_eq!(action_for(&digit('0')), None);
        assert_eq!(
            picker_action_for(&digit('3')),
            Some(Action::SwitchScenario(2))
        );
        let up = press(KeyCode::Up, KeyModifiers::NONE);
        assert_eq!(action_for(&up), Some(Action::ScaleUp));
        assert_eq!(picker_action_for(&up), Some(Action::Picker(PickerStep::Up)));
        assert_eq!(
            picker_action_for(&press(KeyCode::Esc, KeyModifiers::NONE)),
            Some(Action::Picker(PickerStep::Close))
        );
        assert_eq!(
            picker_action_for(&press(KeyCode::Char('w'), KeyModifiers::NONE)),
            None,
            "other keys do nothing while the picker is open"
        );
        for step in [
            PickerStep::Up,
            PickerStep::Down,
            PickerStep::Choose,
            PickerStep::Close,
        ] {
            let b = PICKER_KEYS
                .iter()
                .find(|b| b.action == Action::Picker(step))
                .unwrap_or_else(|| panic!("{step:?} has no key"));
            for &k in b.keys {
                assert_eq!(picker_action_for(&event_for(k)), Some(b.action), "{k:?}");
            }
        }
    }

    #[test]
    fn talk_keys_move_steps_and_leave_the_others_alone() {
        for b in TALK_KEYS {
            for &k in b.keys {
                assert_eq!(talk_action_for(&event_for(k)), Some(b.action), "{k:?}");
                assert_eq!(
                    action_for(&event_for(k)),
                    None,
                    "{k:?} is free outside a talk"
                );
            }
        }
        let right = press(KeyCode::Right, KeyModifiers::NONE);
        assert_eq!(talk_action_for(&right), Some(Action::TalkNext));
        assert_eq!(
            talk_action_for(&press(KeyCode::Char('m'), KeyModifiers::NONE)),
            None,
            "other keys fall through to KEYS"
        );
    }

    #[test]
    fn ctrl_c_quits_and_plain_c_toggles_the_caption() {
        assert_eq!(
            action_for(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&press(
                KeyCode::Char('C'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            )),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('c'), KeyModifiers::NONE)),
            Some(Action::Caption)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            None
        );
        assert_eq!(action_for(&press(KeyCode::Esc, KeyModifiers::NONE)), None);
    }

    #[test]
    fn shifted_symbols_count_and_releases_do_not() {
        assert_eq!(
            action_for(&press(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Help)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('+'), KeyModifiers::SHIFT)),
            Some(Action::ScaleUp)
        );
        let release = KeyEvent::new_with_kind(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
            KeyEventKind::Release,
        );
        assert_eq!(action_for(&release), None);
        let repeat =
            KeyEvent::new_with_kind(KeyCode::Char('+'), KeyModifiers::NONE, KeyEventKind::Repeat);
        assert_eq!(action_for(&repeat), None);
    }

    #[test]
    fn names_cost_nothing_and_read_well() {
        assert_eq!(Key::Char('a').name(), ("", "a"));
        assert_eq!(Key::Char('~').name(), ("", "~"));
        assert_eq!(Key::Char(' ').name(), ("", "space"));
        assert_eq!(Key::Ctrl('c').name(), ("ctrl-", "c"));
        assert_eq!(Key::Char('é').name(), ("", "?"));
    }
}
