//! A real terminal for end-to-end tests: the binary runs in a detached tmux pane on a private server.
#![allow(dead_code, clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `versus ARGS` in a WIDTH×HEIGHT pane under a shell that prints `EXIT=<code>` when it
    /// ends and then keeps the pane alive, so the terminal state after exit can be read.
    pub fn start(name: &str, width: u16, height: u16, args: &[&str]) -> Tmux {
        Tmux::start_with_env(name, width, height, &[], args)
    }

    /// `start` with environment variables set for the app only, e.g. `[("VERSUS_FAULT", "ui-panic")]`.
    pub fn start_with_env(
        name: &str,
        width: u16,
        height: u16,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Tmux {
        Tmux::launch(name, (width, height), env, args, None)
    }

    /// `start` with the app's working directory set to `dir` (where `e` writes its files).
    pub fn start_in(name: &str, width: u16, height: u16, dir: &str, args: &[&str]) -> Tmux {
        Tmux::launch(name, (width, height), &[], args, Some(dir))
    }

    fn launch(
        name: &str,
        (width, height): (u16, u16),
        env: &[(&str, &str)],
        args: &[&str],
        dir: Option<&str>,
    ) -> Tmux {
        let socket = format!("versus-test-{}-{name}", std::process::id());
        let t = Tmux { socket };
        // The workers compete on equal terms with whatever else the machine runs, as in the headless
        // tests: at the default nice 10 a machine loaded by other builds starved both sides into "not
        // responding" for 6 s (tests/it/export.rs, outside load 2.0 cores). A test that is about nice
        // passes its own.
        let mut args = args.to_vec();
        if !args.contains(&"--nice") && args.first() != Some(&"replay") {
            args.splice(0..0, ["--nice", "0"]);
        }
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let assignments: String = env.iter().map(|(k, v)| format!("{k}='{v}' ")).collect();
        let script = format!(
            "{assignments}'{}' {}; echo EXIT=$?; exec sleep 600",
            env!("CARGO_BIN_EXE_versus"),
            quoted.join(" ")
        );
        let (w, h) = (width.to_string(), height.to_string());
        let mut opts = vec![
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &w,
            "-y",
            &h,
            // The app reads LC_ALL first, then LC_CTYPE, then LANG: under an inherited LC_ALL=C it
            // would draw ASCII and every match on `·` or `×` would fail.
            "-e",
            "LANG=C.UTF-8",
            "-e",
            "LC_ALL=C.UTF-8",
            "-e",
            "LC_CTYPE=C.UTF-8",
        ];
        if let Some(dir) = dir {
            opts.extend(["-c", dir]);
        }
        t.tmux(&opts, &["sh".into(), "-c".into(), script]);
        t
    }

    /// Runs a tmux command on this test's server; a failure (the server gone, a bad target) panics
    /// with tmux's own message at once instead of surfacing later as a wait that times out.
    fn tmux(&self, args: &[&str], rest: &[String]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .args(rest)
            .output()
            .expect("tmux is installed (.ci/run installs it)");
        assert!(
            out.status.success(),
            "tmux {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Closes the pane as closing a terminal window would: its processes get SIGHUP.
    pub fn kill_pane(&self) {
        self.tmux(&["kill-pane", "-t", "t"], &[]);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"], &[])
    }

    /// The pane with its colours and attributes as escape sequences (`capture-pane -e`).
    pub fn styled_screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", "t"], &[])
    }

    /// The foreground colours drawn on the pane, as palette indices (0–15 for the 16 named colours,
    /// however the escape sequence spelled them: `36`, `96` or `38;5;6`).
    pub fn foreground_colours(&self) -> std::collections::BTreeSet<u8> {
        let styled = self.styled_screen();
        let mut colours = std::collections::BTreeSet::new();
        for seq in styled.split("\x1b[").skip(1) {
            let Some(end) = seq.find('m') else { continue };
            let params: Vec<u16> = seq[..end]
                .split(';')
                .map(|p| p.parse().unwrap_or(0))
                .collect();
            let mut i = 0;
            while i < params.len() {
                match params[i] {
                    n @ 30..=37 => {
                        colours.insert((n - 30) as u8);
                    }
                    n @ 90..=97 => {
                        colours.insert((n - 90 + 8) as u8);
                    }
                    38 if params.get(i + 1) == Some(&5) => {
                        if let Some(&n) = params.get(i + 2) {
                            colours.insert(n as u8);
                        }
                        i += 2;
                    }
                    38 | 48 if params.get(i + 1) == Some(&2) => i += 4,
                    48 if params.get(i + 1) == Some(&5) => i += 2,
                    _ => {}
                }
                i += 1;
            }
        }
        colours
    }

    pub fn keys(&self, keys: &[&str]) {
        let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        self.tmux(&["send-keys", "-t", "t"], &keys);
    }

    pub fn resize(&self, width: u16, height: u16) {
        self.tmux(
            &[
                "resize-window",
                "-t",
                "t",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ],
            &[],
        );
    }

    /// A tmux format of the pane, e.g. "#{pane_dead}".
    pub fn format(&self, f: &str) -> String {
        self.tmux(&["display-message", "-p", "-t", "t", f], &[])
            .trim()
            .to_string()
    }

    /// PID of the app: the child of the pane's shell.
    pub fn app_pid(&self) -> u32 {
        let shell: u32 = self.format("#{pane_pid}").parse().unwrap();
        children_of(shell).first().copied().expect("the app runs")
    }

    /// Waits until the screen satisfies `pred`, or panics with the last screen.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the program to exit; returns its exit status.
    pub fn wait_exit(&self, timeout: Duration) -> i32 {
        let s = self.wait_for("the app to exit", timeout, |s| s.contains("EXIT="));
        let code = s
            .split("EXIT=")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap();
        code.parse().unwrap()
    }

    /// The terminal is back to normal: alternate screen left, cursor shown.
    pub fn assert_restored(&self) {
        assert_eq!(
            self.format("#{alternate_on}"),
            "0",
            "still in the alternate screen"
        );
        assert_eq!(self.format("#{cursor_flag}"), "1", "cursor hidden");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// Direct children of `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Waits up to `timeout` for every pid to be gone. The list must not be empty: an empty one would
/// pass whatever was left running.
pub fn assert_gone(pids: &[u32], timeout: Duration) {
    assert!(!pids.is_empty(), "no process to wait for");
    super::faults::assert_all_gone(pids, timeout, "processes");
}

/// The numbers that follow `label` on the first screen line where a number follows it: [async, threads]
/// in the two-column layout. "1,003" reads as 1003.
pub fn figures(screen: &str, label: &str) -> Vec<u64> {
    let numbers = |line: &str| -> Vec<u64> {
        line.split(label)
            .skip(1)
            .filter_map(|rest| {
                let digits: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == ',')
                    .filter(char::is_ascii_digit)
                    .collect();
                digits.parse().ok()
            })
            .collect()
    };
    screen
        .lines()
        .map(numbers)
        .find(|v| !v.is_empty())
        .unwrap_or_default()
}
