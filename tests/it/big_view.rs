//! Issue 12 in a real terminal: `z` shows the headline in large digits and closes again; `T` cycles the theme.
#![allow(clippy::unwrap_used)]

use crate::common::tmux;

use std::time::Duration;

use tmux::Tmux;

/// The longest a condition is waited for: a bound for a stalled machine, not a target (both sides
/// showed no sample for over 15 s once, at load average ~18, in a fresh-clone run).
const T: Duration = Duration::from_secs(60);

/// Quadrant blocks only the large digits use; the normal screen draws none of them.
fn has_big_glyphs(s: &str) -> bool {
    s.chars().any(|c| matches!(c, '▟' | '▜' | '▙' | '▛'))
}

#[test]
fn z_shows_the_headline_in_large_digits_and_closes_again() {
    let t = Tmux::start("bigview", 80, 24, &[]);
    t.wait_for("both sides running", T, |s| {
        s.matches("running").count() >= 2 && s.contains("OS threads")
    });
    assert!(!has_big_glyphs(&t.screen()), "large digits before z");
    t.keys(&["z"]);
    let s = t.wait_for("the big view", T, |s| s.contains("headline, large"));
    assert!(!s.contains("OS threads"), "the panels are covered: {s}");
    // Once the headline settles the values are drawn in large digits.
    t.wait_for("large digits", T, has_big_glyphs);
    t.keys(&["z"]);
    t.wait_for("the panels again", T, |s| {
        s.contains("OS threads") && !s.contains("headline, large")
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}

#[test]
fn capital_t_cycles_the_theme_live_from_the_one_given() {
    let t = Tmux::start("theme", 80, 24, &["--theme", "light"]);
    t.wait_for("both sides running", T, |s| {
        s.matches("running").count() >= 2
    });
    // The async side's colour is the theme's own (src/ui/theme.rs): blue on light, light cyan on
    // contrast, cyan on dark; no other part of the screen uses these three.
    const BLUE: u8 = 4;
    const CYAN: u8 = 6;
    const LIGHT_CYAN: u8 = 14;
    let drawn_in = |what: &str, colour: u8| {
        let start = std::time::Instant::now();
        loop {
            let c = t.foreground_colours();
            let others = [BLUE, CYAN, LIGHT_CYAN]
                .into_iter()
                .filter(|&o| o != colour);
            if c.contains(&colour) && others.clone().all(|o| !c.contains(&o)) {
                return;
            }
            assert!(
                start.elapsed() < T,
                "{what}: colours {c:?}, want {colour} and none of {:?}\n{}",
                others.collect::<Vec<_>>(),
                t.screen()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    drawn_in("light", BLUE);
    t.keys(&["T"]);
    t.wait_for("the next theme after light", T, |s| {
        s.contains("theme: contrast")
    });
    drawn_in("contrast", LIGHT_CYAN);
    t.keys(&["T"]);
    t.wait_for("and round to dark", T, |s| s.contains("theme: dark"));
    drawn_in("dark", CYAN);
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}
