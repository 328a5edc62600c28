//! One line of progress on stderr while a long run goes on (a rehearsal, a headless run): only when
//! stderr is a terminal, redrawn in place and cleared at the end, so stdout holds the JSON alone.

use std::io::IsTerminal;
use std::time::Duration;

/// How often the line is redrawn.
pub const EVERY: Duration = Duration::from_millis(500);

/// A headless run at least this long shows its progress; a shorter one is over before it matters.
pub const AFTER: Duration = Duration::from_secs(3);

/// Whether a line drawn now would be seen: stderr is a terminal.
pub fn on() -> bool {
    std::io::stderr().is_terminal()
}

/// Replaces the line on stderr with `line`.
pub fn draw(line: &str) {
    eprint!("\r\x1b[2K{line}");
}

/// Clears the line, leaving the cursor at its start.
pub fn clear() {
    eprint!("\r\x1b[2K");
}

/// "headless run · 4 s left of 6 s": whole seconds, rounded up, so it reads 0 only at the end.
pub fn headless_line(left: Duration, total: Duration) -> String {
    format!(
        "headless run · {:.0} s left of {:.0} s",
        left.as_secs_f64().ceil(),
        total.as_secs_f64().ceil()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headless_line_rounds_time_left_up() {
        assert_eq!(
            headless_line(Duration::from_millis(3_200), Duration::from_secs(6)),
            "headless run · 4 s left of 6 s"
        );
        assert_eq!(
            headless_line(Duration::ZERO, Duration::from_secs(6)),
            "headless run · 0 s left of 6 s"
        );
    }
}
