//! ASCII fallback for terminals without UTF-8: one pass over the finished frame swaps every wide-alphabet
//! symbol (box drawing, braille, µ, ×, …) for an ASCII look-alike of the same width.

use ratatui::buffer::Buffer;

/// Whether the locale promises UTF-8, as the C library decides it (LC_ALL, then LC_CTYPE, then LANG).
pub fn locale_is_utf8() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
}

/// Rewrites every non-ASCII cell of the buffer; ASCII cells are left alone, so this costs one scan.
pub fn downgrade(buf: &mut Buffer) {
    for cell in &mut buf.content {
        let mut chars = cell.symbol().chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            if !cell.symbol().is_ascii() {
                cell.set_char('?');
            }
            continue;
        };
        if !c.is_ascii() {
            cell.set_char(ascii_for(c));
        }
    }
}

fn ascii_for(c: char) -> char {
    match c {
        '─' | '━' | '═' | '—' | '–' | '╌' | '┄' => '-',
        '│' | '┃' | '║' | '╎' | '┆' => '|',
        '\u{2500}'..='\u{257f}' => '+',
        '\u{2800}' => ' ',
        // Braille with few dots reads as a thin line, with many as a thick one.
        '\u{2801}'..='\u{28ff}' => {
            if (c as u32 - 0x2800).count_ones() <= 2 {
                '.'
            } else {
                ':'
            }
        }
        '·' | '•' | '…' => '.',
        '×' => 'x',
        '÷' => '/',
        'µ' => 'u',
        '↑' | '▲' => '^',
        '↓' | '▼' => 'v',
        '→' | '▶' | '▸' => '>',
        '←' | '◀' | '◂' => '<',
        '≈' => '~',
        _ => '?',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn only_ascii_is_left() {
        let mut buf = Buffer::with_lines(["┌─ 12 µs × 3 ─┐", "│⠀⣿⠁ p99 · ok│"]);
        downgrade(&mut buf);
        assert_eq!(
            buf,
            Buffer::with_lines(["+- 12 us x 3 -+", "| :. p99 . ok|"])
        );
        let mut empty = Buffer::empty(Rect::ZERO);
        downgrade(&mut empty);
    }
}
