//! A TUI session recorded with `--record`, then played with `versus replay` in a real terminal: the
//! REPLAY banner and position, space pauses, Home rebuilds the screen as it was at the start, keys
//! that would change what runs say they do nothing, and the recording holds the keys pressed.
#![allow(clippy::unwrap_used)]

use crate::common::tmux;

use std::time::Duration;

use tmux::Tmux;

/// The longest a condition is waited for: a bound for a stalled machine, not a target (both sides
/// showed no sample for over 15 s once, at load average ~18, in a fresh-clone run).
const T: Duration = Duration::from_secs(60);

#[test]
fn a_recorded_tui_session_replays_in_the_same_screen() {
    let dir = std::env::temp_dir().join(format!("versus-replay-tui-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let rec = dir.join("session.jsonl");
    let rec_s = rec.to_str().unwrap();

    // Record: 10 units a side, scaled ×10 on the threads side, then quit.
    let t = Tmux::start(
        "rec",
        100,
        30,
        &[
            "--async-units",
            "10",
            "--thread-units",
            "10",
            "--record",
            rec_s,
        ],
    );
    t.wait_for("both sides running", T, |s| {
        s.matches("running").count() >= 2
    });
    t.keys(&["t", "+"]);
    t.wait_for("100 threads", T, |s| {
        tmux::figures(s, "units") == vec![10, 100]
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    drop(t);
    let body = std::fs::read_to_string(&rec).unwrap();
    assert!(
        body.lines()
            .next()
            .unwrap()
            .contains("\"format\":\"versus-recording\"")
    );
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let has = |want: serde_json::Value| {
        lines.iter().any(|l| {
            want.as_object()
                .unwrap()
                .iter()
                .all(|(k, v)| l.get(k) == Some(v))
        })
    };
    assert!(
        has(serde_json::json!({"kind": "key", "key": "+", "action": "ScaleUp"})),
        "the key and its action are recorded: {body}"
    );
    assert!(
        has(serde_json::json!({"kind": "target", "side": "threads", "units": 100})),
        "the scale change is recorded"
    );

    // Replay it.
    let t = Tmux::start("play", 100, 30, &["replay", rec_s]);
    let s = t.wait_for("the banner", T, |s| {
        s.contains("REPLAY") && s.contains(" / 0:")
    });
    assert!(s.contains("recorded 20"), "when: {s}");
    assert!(s.contains("core"), "where: {s}");
    t.keys(&["End"]);
    t.wait_for("the end, as it was", T, |s| {
        tmux::figures(s, "units") == vec![10, 100] && s.contains(" end ")
    });
    // Home: the model rebuilt from the start, where no side had reported yet; space pauses there.
    t.keys(&["Home", "Space"]);
    let s = t.wait_for("paused at the start", T, |s| {
        s.contains("0:00 / ") && s.contains("paused")
    });
    assert!(
        tmux::figures(&s, "units").is_empty() && s.matches("starting").count() == 2,
        "no side has reported yet: {s}"
    );
    t.keys(&["+"]);
    t.wait_for("a key that changes what runs", T, |s| {
        s.contains("×10: does nothing in a replay")
    });
    // Right moves 10 s at a time: the scale-up comes within as many moves as the recording has
    // 10 s (when it came is the recording machine's pace), and every move shows a later time.
    let clock = |s: &str| {
        s.find(" / ")
            .and_then(|i| s[..i].rsplit(' ').next())
            .map(str::to_string)
    };
    // At the end the clock stops: a move that neither shows a later time nor the 100 threads times
    // out.
    loop {
        let before = t.screen();
        if tmux::figures(&before, "units") == vec![10, 100] {
            break;
        }
        t.keys(&["Right"]);
        t.wait_for("10 s on, or the 100 threads", T, |s| {
            tmux::figures(s, "units") == vec![10, 100] || clock(s) != clock(&before)
        });
    }
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
    let _ = std::fs::remove_dir_all(&dir);
}
