//! What the talk and `versus notes` say to each other: newline-delimited JSON, one message a line,
//! every message carrying the protocol version `v`. A line longer than `MAX_LINE` is read to its end
//! and dropped unparsed; a line that does not parse is dropped. Either way the reader goes on.

use std::io::{self, BufRead};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The protocol version; a message of another version is dropped with a line saying so.
pub const VERSION: u32 = 1;
/// Most bytes in one line (without its newline). The talk's longest message is a step's notes.
pub const MAX_LINE: usize = 64 * 1024;

/// From the talk to the notes terminal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToNotes {
    /// Where the talk is: sent on attach and on every step change.
    Step(StepState),
    /// The talk has ended (its terminal quit); the connection closes after this.
    Ended,
    /// The talk dropped a message from this notes terminal, and why.
    Rejected { why: String },
}

/// The talk at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    /// The built-in talk's name or the talk file's path.
    pub talk: String,
    /// The talk's title.
    pub title: String,
    /// The talk's process id (`versus notes --pid` picks by it).
    pub pid: u32,
    /// The step on screen, from 1 as the audience counts.
    pub index: usize,
    pub len: usize,
    pub step_title: String,
    /// The step's `notes` from the talk file, as written.
    pub notes: String,
    /// The next step's title; None on the last step (booth mode wraps to the first).
    pub next: Option<String>,
    /// Milliseconds since the talk started and since this step came on screen, when this was sent.
    pub talk_ms: u64,
    pub step_ms: u64,
}

/// From the notes terminal to the talk: the speaker's → and ←.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToTalk {
    Next,
    Prev,
}

/// A message with its version, as it goes on the wire.
#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    v: u32,
    #[serde(flatten)]
    msg: T,
}

/// Only the version, read first so a newer peer's message is named as such.
#[derive(Deserialize)]
struct VersionOnly {
    v: Option<serde_json::Value>,
}

/// One line of JSON for `msg`, newline included.
pub fn encode<T: Serialize>(msg: &T) -> String {
    let mut line = serde_json::to_string(&Envelope { v: VERSION, msg }).unwrap_or_else(|e| {
        format!("{{\"v\":{VERSION},\"type\":\"unencodable\",\"why\":\"{e}\"}}")
    });
    line.push('\n');
    line
}

/// A step's line, its notes cut (at a char, marked) until the line fits in `MAX_LINE`: a talk
/// file's notes may be any length, and a line over the cap would be dropped whole.
pub fn encode_fitting(msg: &ToNotes) -> String {
    let mut line = encode(msg);
    let mut msg = msg.clone();
    while line.len() > MAX_LINE + 1 {
        let ToNotes::Step(s) = &mut msg else { break };
        let keep = s.notes.len() / 2;
        if keep == 0 {
            break;
        }
        let cut = (0..=keep)
            .rev()
            .find(|&i| s.notes.is_char_boundary(i))
            .unwrap_or(0);
        s.notes.truncate(cut);
        s.notes.push_str(" … (notes cut: too long to send)");
        line = encode(&msg);
    }
    line
}

/// The message in one line (without its newline), or one line saying why it was dropped.
pub fn decode<T: DeserializeOwned>(line: &[u8]) -> Result<T, String> {
    let version = serde_json::from_slice::<VersionOnly>(line)
        .map_err(|e| format!("dropped a malformed message ({})", short(&e.to_string())))?;
    match version.v {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(u64::from(VERSION)) => {}
        Some(v) => {
            return Err(format!(
                "dropped a message of protocol version {v} (this versus speaks {VERSION})"
            ));
        }
        None => return Err("dropped a message without a protocol version".into()),
    }
    serde_json::from_slice::<Envelope<T>>(line)
        .map(|e| e.msg)
        .map_err(|e| format!("dropped a malformed message ({})", short(&e.to_string())))
}

/// serde's message on one short line.
fn short(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= 80 {
        return one;
    }
    one.chars().take(79).chain(['…']).collect()
}

/// One line as read: its bytes, or that it was longer than the cap (its bytes are gone).
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Text(Vec<u8>),
    TooLong,
}

/// Reads the next line, keeping at most `cap` bytes of it; None at the end of the stream. A line
/// over the cap is read to its newline without being kept, so the next line starts clean. A last
/// line without a newline counts as a line.
pub fn read_line(r: &mut impl BufRead, cap: usize) -> io::Result<Option<Line>> {
    let mut buf = Vec::new();
    let mut over = false;
    let mut any = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(match (any, over) {
                (false, _) => None,
                (true, true) => Some(Line::TooLong),
                (true, false) => Some(Line::Text(buf)),
            });
        }
        any = true;
        let (chunk, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (&avail[..i], Some(i + 1)),
            None => (avail, None),
        };
        if !over {
            if buf.len() + chunk.len() > cap {
                over = true;
                buf = Vec::new();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let used = done.unwrap_or(avail.len());
        r.consume(used);
        if done.is_some() {
            return Ok(Some(if over { Line::TooLong } else { Line::Text(buf) }));
        }
    }
}

/// Reads lines until the stream ends, handing each message (or why it was dropped) to `each`;
/// stops early when `each` returns false.
pub fn read_messages<T: DeserializeOwned>(
    r: &mut impl BufRead,
    mut each: impl FnMut(Result<T, String>) -> bool,
) -> io::Result<()> {
    while let Some(line) = read_line(r, MAX_LINE)? {
        let msg = match line {
            Line::Text(t) if t.iter().all(u8::is_ascii_whitespace) => continue,
            Line::Text(t) => decode(&t),
            Line::TooLong => Err(format!("dropped a message over {} KiB", MAX_LINE / 1024)),
        };
        if !each(msg) {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> StepState {
        StepState {
            talk: "async-vs-threads".into(),
            title: "Async vs threads".into(),
            pid: 42,
            index: 2,
            len: 14,
            step_title: "Memory".into(),
            notes: "Point at RSS.\nThen at the ratio.".into(),
            next: Some("Switches".into()),
            talk_ms: 61_000,
            step_ms: 5_000,
        }
    }

    fn all<T: DeserializeOwned>(input: &[u8]) -> Vec<Result<T, String>> {
        let mut out = Vec::new();
        read_messages(&mut &input[..], |m| {
            out.push(m);
            true
        })
        .expect("reads from memory");
        out
    }

    #[test]
    fn every_message_goes_there_and_back_on_one_line() {
        for msg in [
            ToNotes::Step(state()),
            ToNotes::Ended,
            ToNotes::Rejected { why: "x".into() },
        ] {
            let line = encode(&msg);
            assert!(
                line.ends_with('\n') && line.matches('\n').count() == 1,
                "{line}"
            );
            assert!(line.starts_with("{\"v\":1,"), "{line}");
            assert_eq!(decode::<ToNotes>(line.trim_end().as_bytes()), Ok(msg));
        }
        for msg in [ToTalk::Next, ToTalk::Prev] {
            assert_eq!(
                decode::<ToTalk>(encode(&msg).trim_end().as_bytes()),
                Ok(msg)
            );
        }
        assert_eq!(encode(&ToTalk::Next), "{\"v\":1,\"type\":\"next\"}\n");
    }

    #[test]
    fn malformed_lines_are_dropped_with_one_line_and_the_next_still_reads() {
        let good = encode(&ToTalk::Prev);
        let input = format!(
            "not json\n{{\"v\":1,\"type\":\"jump\"}}\n{{\"type\":\"next\"}}\n{{\"v\":2,\"type\":\"next\"}}\n\n[1,2]\n\u{0}\u{ff}\n{good}"
        );
        let got = all::<ToTalk>(input.as_bytes());
        assert_eq!(got.len(), 7, "{got:?}");
        for (m, want) in got.iter().zip([
            "malformed",
            "malformed",
            "without a protocol version",
            "protocol version 2 (this versus speaks 1)",
            "malformed",
            "malformed",
        ]) {
            let why = m.as_ref().expect_err("dropped");
            assert!(why.contains(want), "{why} should say {want}");
            assert_eq!(why.lines().count(), 1, "{why}");
        }
        assert_eq!(got[6], Ok(ToTalk::Prev), "the line after them reads");
    }

    #[test]
    fn an_oversized_line_is_dropped_whole_and_the_next_line_reads() {
        let huge = format!(
            "{{\"v\":1,\"type\":\"rejected\",\"why\":\"{}\"}}\n",
            "x".repeat(MAX_LINE)
        );
        let input = format!("{huge}{}", encode(&ToNotes::Ended));
        // Through a small buffer, so the long line arrives in many reads.
        let mut r = io::BufReader::with_capacity(1000, input.as_bytes());
        let mut got = Vec::new();
        read_messages::<ToNotes>(&mut r, |m| {
            got.push(m);
            true
        })
        .expect("reads");
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], Err("dropped a message over 64 KiB".into()));
        assert_eq!(got[1], Ok(ToNotes::Ended));
        // Exactly at the cap still reads.
        let at_cap = "y".repeat(MAX_LINE);
        let mut r = format!("{at_cap}\nz").into_bytes();
        let mut src = &r[..];
        assert_eq!(
            read_line(&mut src, MAX_LINE).expect("reads"),
            Some(Line::Text(at_cap.into_bytes()))
        );
        assert_eq!(
            read_line(&mut src, MAX_LINE).expect("reads"),
            Some(Line::Text(b"z".to_vec())),
            "a last line without a newline"
        );
        assert_eq!(read_line(&mut src, MAX_LINE).expect("reads"), None);
        r.clear();
    }

    #[test]
    fn notes_too_long_for_a_line_are_cut_not_dropped() {
        let mut s = state();
        s.notes = "é".repeat(MAX_LINE);
        let line = encode_fitting(&ToNotes::Step(s));
        assert!(line.len() <= MAX_LINE + 1, "{}", line.len());
        let Ok(ToNotes::Step(got)) = decode::<ToNotes>(line.trim_end().as_bytes()) else {
            panic!("a step")
        };
        assert!(got.notes.starts_with("éé"));
        assert!(got.notes.ends_with("(notes cut: too long to send)"));
        let short = ToNotes::Step(state());
        assert_eq!(
            encode_fitting(&short),
            encode(&short),
            "short notes stay whole"
        );
    }

    #[test]
    fn notes_with_newlines_and_quotes_stay_on_one_line() {
        let mut s = state();
        s.notes = "line \"one\"\nline two\r\n\ttabbed ✓".into();
        let line = encode(&ToNotes::Step(s.clone()));
        assert_eq!(line.matches('\n').count(), 1);
        assert_eq!(
            decode::<ToNotes>(line.trim_end().as_bytes()),
            Ok(ToNotes::Step(s))
        );
    }
}
