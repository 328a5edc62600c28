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

/// The view keys work inside a replay as they do live, on what the recording holds: the OS view
/// shows the recorded census (its wait channels), the source view the recorded workload's code, the
/// big view the recorded headline in large digits, the caption the recorded caption; `T` changes
/// the colours, `e` writes the picture, `?` lists the player's keys; each closes again.
#[test]
fn every_view_opens_and_closes_inside_a_replay() {
    let dir = std::env::temp_dir().join(format!("versus-replay-views-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let rec = dir.join("run.jsonl");
    let rec_s = rec.to_str().unwrap();
    // A headless recording that ends once both sides are steady: by then each side has had a census.
    let out = crate::common::bin()
        .args([
            "--headless",
            "--until-steady",
            "--duration",
            crate::common::STEADY_BOUND,
            "--async-units",
            "50",
            "--thread-units",
            "50",
            "--nice",
            "0",
            "--record",
            rec_s,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let body = std::fs::read_to_string(&rec).unwrap();
    assert!(body.contains("\"wait_channels\""), "no census recorded");

    let t = Tmux::start_in("views", 100, 30, dir.to_str().unwrap(), &["replay", rec_s]);
    t.keys(&["End"]);
    let panels = |s: &str| tmux::figures(s, "units") == vec![50, 50] && s.contains("ctx switch");
    t.wait_for("the end of the recording", T, |s| {
        s.contains(" end ") && panels(s)
    });

    // Caption: the recorded one, shown and hidden.
    let caption = "very different bill";
    let shown = t.screen().contains(caption);
    t.keys(&["c"]);
    t.wait_for("the caption toggled", T, |s| s.contains(caption) != shown);
    t.keys(&["c"]);
    t.wait_for("the caption back", T, |s| s.contains(caption) == shown);

    // OS view: the threads by wait channel, as the recording's census had them.
    t.keys(&["d"]);
    let s = t.wait_for("the OS view", T, |s| s.contains("sees threads, not tasks"));
    assert!(s.contains("nanosleep"), "the recorded wait channels: {s}");
    assert!(!s.contains("no census"), "{s}");
    t.keys(&["d"]);
    t.wait_for("the panels after d", T, |s| {
        panels(s) && !s.contains("sees threads")
    });

    // Source view: the recorded workload's code, both sides.
    t.keys(&["v"]);
    let s = t.wait_for("the source view", T, |s| s.contains("v or Esc closes"));
    assert!(
        s.contains("sleep_until") && s.contains("std::thread::sleep"),
        "both sides of workload/sleep.rs: {s}"
    );
    t.keys(&["Escape"]);
    t.wait_for("the panels after Esc", T, |s| {
        panels(s) && !s.contains("Esc closes")
    });

    // Big view: the recorded headline, in large digits.
    t.keys(&["z"]);
    t.wait_for("the big view", T, |s| {
        s.contains("headline, large") && s.chars().any(|c| matches!(c, '▟' | '▜' | '▙' | '▛' | '█'))
    });
    t.keys(&["z"]);
    t.wait_for("the panels after z", T, |s| {
        panels(s) && !s.contains("headline, large")
    });

    // Theme: the async colour changes (dark's cyan, then light's blue).
    const BLUE: u8 = 4;
    const CYAN: u8 = 6;
    assert!(t.foreground_colours().contains(&CYAN), "dark at start");
    t.keys(&["T"]);
    t.wait_for("the next theme", T, |s| s.contains("theme: light"));
    let start = std::time::Instant::now();
    while !t.foreground_colours().contains(&BLUE) || t.foreground_colours().contains(&CYAN) {
        assert!(
            start.elapsed() < T,
            "light colours: {:?}",
            t.foreground_colours()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Export: the replayed screen as an SVG and its text beside it, in the working directory.
    // The notice comes once both files are written (the SVG first: reading the text as soon as the
    // SVG showed once found no text yet).
    t.keys(&["e"]);
    t.wait_for("the export's notice", T, |s| s.contains("screen saved"));
    let svg = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "svg"))
        .unwrap_or_else(|| panic!("no SVG written: {}", t.screen()));
    let txt = std::fs::read_to_string(svg.with_extension("txt")).unwrap();
    assert!(txt.contains("REPLAY") || txt.contains("units"), "{txt}");

    // Help: the player's keys first.
    t.keys(&["?"]);
    let s = t.wait_for("the help", T, |s| {
        s.contains("play/pause") && s.contains("close this help")
    });
    assert!(
        s.contains("does nothing here") || s.contains("do nothing here"),
        "{s}"
    );
    t.keys(&["?"]);
    t.wait_for("the panels after ?", T, |s| {
        panels(s) && !s.contains("close this help")
    });

    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
    let _ = std::fs::remove_dir_all(&dir);
}
