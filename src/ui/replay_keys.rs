//! The keys of `versus replay`: the player's own table comes first; the view keys of `KEYS` (caption,
//! source view, OS view, export, big view, theme) work as live, then help and quit; a key that would
//! change what runs becomes `ReplayStep::Inert`, which says so on screen.

use std::sync::LazyLock;

use ratatui::crossterm::event::KeyEvent;

use super::keys::{KEYS, Key, KeyBinding, action_for, lookup};
use crate::action::{Action, ReplayStep};

/// The player's own rows, first in the footer.
const PLAYER_KEYS: &[KeyBinding] = &[
    KeyBinding {
        keys: &[Key::Char(' ')],
        label: "play/pause",
        help: "pause or play the recording (play at the end starts again)",
        action: Action::Replay(ReplayStep::PlayPause),
    },
    KeyBinding {
        keys: &[Key::Left],
        label: "-10 s",
        help: "back 10 s: the charts as they were then",
        action: Action::Replay(ReplayStep::Back),
    },
    KeyBinding {
        keys: &[Key::Right],
        label: "+10 s",
        help: "forward 10 s",
        action: Action::Replay(ReplayStep::Forward),
    },
    KeyBinding {
        keys: &[Key::Char('[')],
        label: "slower",
        help: "half the speed (down to ¼×)",
        action: Action::Replay(ReplayStep::Slower),
    },
    KeyBinding {
        keys: &[Key::Char(']')],
        label: "faster",
        help: "double the speed (up to 16×)",
        action: Action::Replay(ReplayStep::Faster),
    },
    KeyBinding {
        keys: &[Key::Home],
        label: "start",
        help: "back to the start",
        action: Action::Replay(ReplayStep::Home),
    },
    KeyBinding {
        keys: &[Key::End],
        label: "end",
        help: "to the end",
        action: Action::Replay(ReplayStep::End),
    },
];

/// Help and quit close the table, with what they mean in a replay.
const CLOSING_KEYS: &[KeyBinding] = &[
    KeyBinding {
        keys: &[Key::Char('?')],
        label: "help",
        help: "show or close this help (keys that would change what runs do nothing here)",
        action: Action::Help,
    },
    KeyBinding {
        keys: &[Key::Char('q'), Key::Ctrl('c')],
        label: "quit",
        help: "quit",
        action: Action::Quit,
    },
];

/// The keys of a replay, in the order the footer and the overlay show them: the player's, then every
/// view key of `KEYS` as it is live (caption, source, OS view, export, big view, theme: a key added
/// there is here too), then help and quit. Left out: keys that would change what runs (they say so
/// when pressed), side selection (nothing to act on), and freeze (space plays and pauses here).
pub static REPLAY_KEYS: LazyLock<Vec<KeyBinding>> = LazyLock::new(|| {
    let view_keys = KEYS.iter().filter(|b| {
        !changes_what_runs(b.action)
            && !matches!(
                b.action,
                Action::Select(_) | Action::Freeze | Action::Help | Action::Quit
            )
    });
    PLAYER_KEYS
        .iter()
        .chain(view_keys)
        .chain(CLOSING_KEYS)
        .copied()
        .collect()
});

/// Whether an action of `KEYS` would change what runs (units, workers, workload, scenario).
fn changes_what_runs(a: Action) -> bool {
    matches!(
        a,
        Action::ScaleUp
            | Action::ScaleDown
            | Action::StartStop
            | Action::Restart
            | Action::NextWorkload
            | Action::SwitchScenario(_)
            | Action::OpenPicker
            | Action::ToggleRuntime
            | Action::ToggleStack
            | Action::FlipFlag
            | Action::CancelUnits
            | Action::OneSide
    )
}

/// The action of a key press in a replay.
pub fn replay_action_for(ev: &KeyEvent) -> Option<Action> {
    if let Some(a) = lookup(&REPLAY_KEYS, ev) {
        return Some(a);
    }
    let a = action_for(ev)?;
    if !changes_what_runs(a) {
        return Some(a);
    }
    let label = KEYS
        .iter()
        .find(|b| std::mem::discriminant(&b.action) == std::mem::discriminant(&a))
        .map_or("this key", |b| b.label);
    Some(Action::Replay(ReplayStep::Inert(label)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new_with_kind(code, KeyModifiers::NONE, KeyEventKind::Press)
    }

    #[test]
    fn player_keys_first_view_keys_as_live_and_the_rest_inert() {
        let step = |c| replay_action_for(&press(c));
        assert_eq!(
            step(KeyCode::Char(' ')),
            Some(Action::Replay(ReplayStep::PlayPause))
        );
        assert_eq!(step(KeyCode::Left), Some(Action::Replay(ReplayStep::Back)));
        assert_eq!(
            step(KeyCode::Right),
            Some(Action::Replay(ReplayStep::Forward))
        );
        assert_eq!(
            step(KeyCode::Char('[')),
            Some(Action::Replay(ReplayStep::Slower))
        );
        assert_eq!(
            step(KeyCode::Char(']')),
            Some(Action::Replay(ReplayStep::Faster))
        );
        assert_eq!(step(KeyCode::Home), Some(Action::Replay(ReplayStep::Home)));
        assert_eq!(step(KeyCode::End), Some(Action::Replay(ReplayStep::End)));
        for (c, a) in [
            ('c', Action::Caption),
            ('v', Action::SourceView),
            ('d', Action::OsView),
            ('e', Action::Export),
            ('z', Action::BigView),
            ('T', Action::Theme),
            ('?', Action::Help),
            ('q', Action::Quit),
        ] {
            assert_eq!(step(KeyCode::Char(c)), Some(a), "{c}");
        }
        assert_eq!(
            step(KeyCode::Char('+')),
            Some(Action::Replay(ReplayStep::Inert("×10")))
        );
        assert_eq!(
            step(KeyCode::Char('3')),
            Some(Action::Replay(ReplayStep::Inert("scenario")))
        );
        for c in ['-', 's', 'r', 'w', 'p', 'm', 'k', 'f', 'x', 'o'] {
            assert!(
                matches!(
                    step(KeyCode::Char(c)),
                    Some(Action::Replay(ReplayStep::Inert(_)))
                ),
                "{c}"
            );
        }
    }

    #[test]
    fn the_table_lists_every_view_key_and_no_key_that_changes_what_runs() {
        let listed: Vec<Action> = REPLAY_KEYS.iter().map(|b| b.action).collect();
        for a in [
            Action::Caption,
            Action::SourceView,
            Action::OsView,
            Action::Export,
            Action::BigView,
            Action::Theme,
            Action::Help,
            Action::Quit,
        ] {
            assert!(
                listed.contains(&a),
                "{a:?} is missing from the replay's keys"
            );
        }
        assert!(!listed.iter().any(|&a| changes_what_runs(a)), "{listed:?}");
        assert_eq!(listed.last(), Some(&Action::Quit));
    }

    #[test]
    fn no_replay_key_is_bound_twice_and_each_row_answers_to_its_keys() {
        let keys: Vec<Key> = REPLAY_KEYS
            .iter()
            .flat_map(|b| b.keys.iter().copied())
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "{k:?} is bound twice");
        }
        for b in REPLAY_KEYS.iter() {
            if let Some(Key::Char(c)) = b.keys.first() {
                assert_eq!(replay_action_for(&press(KeyCode::Char(*c))), Some(b.action));
            }
        }
    }
}
