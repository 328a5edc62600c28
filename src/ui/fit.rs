//! Text fitted to a width without cutting a word: whole words (and whole ` · ` segments) as fit, and
//! `…` after the last whole word when some are left out. Every line of text drawn goes through `fit`
//! or `wrap`; a word cut at a projector's edge (`o runs bo…`) reads as a typo from the back row.

use super::format::width;

/// The mark of words left out.
pub const CUT: &str = "…";

/// `text` in at most `avail` cells: unchanged when it fits, else its longest run of whole words that
/// fits with `…` after it. Separators left hanging (` · `, `,`, `:`, `(`) go with the words cut off.
/// When not even the first word fits, only `…` (nothing at all at width 0).
pub fn fit(text: &str, avail: usize) -> String {
    if width(text) <= avail {
        return text.to_string();
    }
    if avail == 0 {
        return String::new();
    }
    let room = avail - width(CUT);
    // The ends of words: each place a space follows a non-space.
    let mut best = "";
    let mut prev_space = true;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        // After a whole word, or before a `/` between two (`switches/acquisition`).
        if (space || c == '/') && !prev_space {
            let head = trim_hanging(&text[..i]);
            if width(head) > room {
                break;
            }
            best = head;
        }
        prev_space = space;
    }
    format!("{best}{CUT}")
}

/// `head` without the separators a cut would leave at its end.
fn trim_hanging(head: &str) -> &str {
    head.trim_end_matches(|c: char| c.is_whitespace() || "·,;:(—–-/|".contains(c))
}

/// Greedy word wrap into at most `rows` rows of at most `avail` cells; the last row is `fit` when
/// words are left over. A word longer than a row is fitted on a row of its own.
pub fn wrap(text: &str, avail: usize, rows: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        if !row.is_empty() && width(&row) + 1 + width(word) > avail {
            out.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        row.push_str(word);
    }
    if !row.is_empty() {
        out.push(row);
    }
    if rows > 0 && out.len() > rows {
        let rest = out.split_off(rows - 1).join(" ");
        out.push(rest);
    }
    out.truncate(rows);
    out.into_iter().map(|r| fit(&r, avail)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_falls_between_words_and_is_marked() {
        assert_eq!(fit("limit hit", 20), "limit hit");
        assert_eq!(fit("limit hit", 9), "limit hit");
        assert_eq!(fit("limit hit", 8), "limit…");
        assert_eq!(fit("limit hit", 3), "…");
        assert_eq!(fit("limit hit", 0), "");
        assert_eq!(
            fit("idle: one side at a time (o runs both)", 36),
            "idle: one side at a time (o runs…"
        );
        assert_eq!(
            fit("saturated: lateness p50 13 ms > 10 ms period", 36),
            "saturated: lateness p50 13 ms > 10…"
        );
    }

    #[test]
    fn a_cut_takes_the_separator_with_it() {
        assert_eq!(
            fit("850 µs · p99 1.2 ms · max 3 ms", 22),
            "850 µs · p99 1.2 ms…"
        );
        assert_eq!(fit("what the OS sees (d closes)", 19), "what the OS sees…");
        assert_eq!(fit("a, b, c", 5), "a, b…");
        assert_eq!(fit("OS switches/acquisition", 15), "OS switches…");
    }

    #[test]
    fn wrapping_keeps_words_whole_and_marks_what_is_left() {
        assert_eq!(
            wrap("figures below are its last; r restarts it", 36, 2),
            ["figures below are its last; r", "restarts it"]
        );
        assert_eq!(wrap("one two three four", 9, 2), ["one two", "three…"]);
        assert_eq!(wrap("", 9, 2), Vec::<String>::new());
        assert_eq!(wrap("abcdefghijkl", 5, 2), ["…"]);
    }
}
