//! The code being measured, for the source view: each kind's async half (`fn task`) and thread half
//! (`fn thread`) cut from its own file (`Kind::source`, compiled in), with the lines that differ
//! between them marked.

/// One line of a half, and whether the other half lacks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in the kind's file.
    pub number: usize,
    pub text: String,
    /// Not in the other half (compared without indentation).
    pub differs: bool,
}

/// The two halves of one kind, side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Halves {
    /// The file the halves come from, e.g. `crates/versus-worker/src/workload/sleep.rs`.
    pub path: String,
    pub async_half: Vec<Line>,
    pub thread_half: Vec<Line>,
}

/// The halves of `kind`, or None for a kind whose file has no `fn task` / `fn thread`.
pub fn halves(kind: &str) -> Option<Halves> {
    let (file, text) = super::find(kind)?.source;
    let lines: Vec<&str> = text.lines().collect();
    let mut async_half = function(&lines, "fn task(")?;
    let mut thread_half = function(&lines, "fn thread(")?;
    mark_differences(&mut async_half, &mut thread_half);
    Some(Halves {
        path: format!("crates/versus-worker/src/workload/{file}"),
        async_half,
        thread_half,
    })
}

/// The lines of the first function whose signature holds `signature`, with the doc comments
/// above it, up to its closing brace. Braces are counted outside strings, char literals and comments.
fn function(lines: &[&str], signature: &str) -> Option<Vec<Line>> {
    let start = lines.iter().position(|l| l.contains(signature))?;
    let first = (0..start)
        .rev()
        .take_while(|&i| lines[i].trim_start().starts_with("///"))
        .last()
        .unwrap_or(start);
    let mut depth = 0i64;
    let mut opened = false;
    for (i, line) in lines.iter().enumerate().skip(start) {
        depth += brace_balance(line);
        opened |= line.contains('{');
        if opened && depth <= 0 {
            let indent = lines[first..=i]
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            return Some(
                (first..=i)
                    .map(|n| Line {
                        number: n + 1,
                        text: lines[n].get(indent..).unwrap_or("").trim_end().to_string(),
                        differs: false,
                    })
                    .collect(),
            );
        }
    }
    None
}

/// `{` minus `}` in a line of Rust, skipping strings, char literals and `//` comments.
fn brace_balance(line: &str) -> i64 {
    let mut balance = 0;
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            '/' if !in_string && chars.peek() == Some(&'/') => break,
            '\'' if !in_string => {
                // A char literal ('{', '\n') is at most a few chars; a lifetime has no closing quote.
                let rest: String = chars.clone().take(3).collect();
                if let Some(end) = rest.find('\'') {
                    for _ in 0..=end {
                        chars.next();
                    }
                }
            }
            '{' if !in_string => balance += 1,
            '}' if !in_string => balance -= 1,
            _ => {}
        }
    }
    balance
}

/// Marks the lines of each half that are not in the longest common subsequence of the two.
fn mark_differences(a: &mut [Line], b: &mut [Line]) {
    let key = |l: &Line| l.text.trim().to_string();
    let (ka, kb): (Vec<String>, Vec<String>) =
        (a.iter().map(key).collect(), b.iter().map(key).collect());
    let (n, m) = (ka.len(), kb.len());
    // lcs[i][j]: length of the LCS of ka[i..] and kb[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if ka[i] == kb[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    a.iter_mut().for_each(|l| l.differs = true);
    b.iter_mut().for_each(|l| l.differs = true);
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if ka[i] == kb[j] {
            a[i].differs = false;
            b[j].differs = false;
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(half: &[Line]) -> String {
        half.iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn every_kind_has_both_halves() {
        for kind in crate::workload::KINDS {
            let h =
                halves(kind.name).unwrap_or_else(|| panic!("{}: no task/thread halves", kind.name));
            assert!(
                h.async_half[0].text.contains("fn task") || h.async_half[0].text.starts_with("///")
            );
            assert!(
                h.async_half.last().is_some_and(|l| l.text == "}"),
                "{}",
                kind.name
            );
            assert!(
                h.thread_half.last().is_some_and(|l| l.text == "}"),
                "{}",
                kind.name
            );
            assert!(h.async_half.len() >= 3 && h.thread_half.len() >= 3);
        }
        assert!(halves("no-such-kind").is_none());
    }

    #[test]
    fn the_sleep_halves_differ_in_the_sleep_call_and_agree_on_the_rest() {
        let h = halves("sleep").unwrap_or_else(|| panic!("sleep has halves"));
        let a = text(&h.async_half);
        let t = text(&h.thread_half);
        assert!(a.contains("sleep_until") && !a.contains("fn thread"), "{a}");
        assert!(
            t.contains("std::thread::sleep") && !t.contains("fn task"),
            "{t}"
        );
        let marked = |half: &[Line], needle: &str| {
            half.iter()
                .find(|l| l.text.contains(needle))
                .map(|l| l.differs)
        };
        assert_eq!(marked(&h.async_half, "sleep_until"), Some(true));
        assert_eq!(marked(&h.thread_half, "std::thread::sleep"), Some(true));
        assert_eq!(marked(&h.async_half, "unit.add_ops(1)"), Some(false));
        assert_eq!(marked(&h.thread_half, "unit.add_ops(1)"), Some(false));
        // Line numbers point into the file.
        let file = crate::workload::sleep::KIND.source.1;
        let first = &h.thread_half[0];
        assert_eq!(
            file.lines().nth(first.number - 1).map(str::trim),
            Some(first.text.trim())
        );
    }

    #[test]
    fn braces_in_strings_chars_and_comments_do_not_count() {
        assert_eq!(brace_balance(r#"let s = "{"; // }"#), 0);
        assert_eq!(brace_balance("if c == '{' {"), 1);
        assert_eq!(brace_balance("fn f<'a>(x: &'a str) {"), 1);
        assert_eq!(brace_balance(r#"format!("{x}") }"#), -1);
        assert_eq!(brace_balance(r#""\"{" }"#), -1);
    }
}
