//! Scenarios in a real terminal (tmux): number keys, the picker, the caption and the live toggles.
#![allow(clippy::unwrap_used)]

use crate::common::{faults, tmux};

use std::time::Duration;

use tmux::Tmux;

/// The longest a condition is waited for: a bound for a stalled machine, not a target (both sides
/// showed no sample for over 15 s once, at load average ~18, in a fresh-clone run).
const T: Duration = Duration::from_secs(60);

/// Built-ins made light, so the test runs beside others: the keys and the screen are the point here.
const LIGHT: &str = r#"
[scenarios.memory]
async_units = 200
thread_units = 20

[scenarios.blocking]
async_units = 10
thread_units = 10

[scenarios.limits]
async_units = 500
thread_units = 20
"#;

/// The header line: the first line of the screen.
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

#[test]
fn number_keys_the_picker_and_the_toggles_change_what_runs() {
    let config = std::env::temp_dir().join(format!("versus-e2e-{}.toml", std::process::id()));
    std::fs::write(&config, LIGHT).unwrap();
    let t = Tmux::start(
        "scenarios",
        100,
        30,
        &[
            "--config",
            config.to_str().unwrap(),
            "--scenario",
            "memory",
            "--interval-ms",
            "100",
        ],
    );
    let s = t.wait_for("the memory scenario with its caption", T, |s| {
        header(s).contains("versus  memory (sleep)") && s.contains("look for:")
    });
    assert!(s.contains("sleep_ms=1000"), "its parameters: {s}");

    // A number key switches: both workers restart with the scenario's settings.
    t.keys(&["7"]);
    t.wait_for("the limits scenario", T, |s| {
        header(s).contains("versus  limits (sleep)") && tmux::figures(s, "units") == [500, 20]
    });
    t.keys(&["k"]);
    t.wait_for("64 KiB stacks", T, |s| {
        header(s).contains("stack=64 KiB")
            && s.contains("threads side restarted with 64 KiB stacks")
    });

    // The picker: two up from limits is blocking.
    t.keys(&["p"]);
    t.wait_for("the picker", T, |s| {
        s.contains("scenarios") && s.contains("2  spawn") && s.contains("esc close")
    });
    t.keys(&["Up", "Up", "Enter"]);
    t.wait_for("the blocking scenario", T, |s| {
        header(s).contains("versus  blocking") && !s.contains("esc close")
    });
    t.keys(&["f"]);
    t.wait_for("spawn_blocking on", T, |s| {
        header(s).contains("spawn_blocking=true")
    });

    // The caption hides; one side at a time and the runtime show in the mode line.
    t.keys(&["c"]);
    t.wait_for("no caption", T, |s| !s.contains("look for:"));
    t.keys(&["o"]);
    t.wait_for("one side at a time", T, |s| {
        s.contains("one side at a time: async only") && tmux::figures(s, "units").get(1) == Some(&0)
    });
    t.keys(&["m"]);
    t.wait_for("a current-thread runtime", T, |s| {
        s.contains("tokio current-thread ·") && s.contains("one side at a time")
    });

    // Both workers, waited for: the list `assert_gone` checks must hold what ran.
    let workers = faults::wait_descendants(t.app_pid(), 2, T);
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
    tmux::assert_gone(&workers, Duration::from_secs(2));
    let _ = std::fs::remove_file(&config);
}
