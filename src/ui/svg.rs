//! A drawn screen as SVG (and as plain text): one background rect per run of cells with the same
//! colour, one `<text>` per run of glyphs with the same style, each stretched to its cells so box
//! drawing and braille stay aligned whatever monospace font the viewer has.

use std::fmt::Write;

use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// Cell size in SVG user units (a 14 px monospace font).
const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;
const FONT_PX: f64 = 14.0;
/// What `Color::Reset` stands for: a dark terminal.
const DEFAULT_FG: &str = "#d0d0d0";
const DEFAULT_BG: &str = "#101010";

/// The buffer's glyphs, one line per row, trailing spaces kept (what a terminal capture gives).
pub fn to_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for row in rows(buf) {
        out.extend(row.iter().map(|(_, cell)| cell.symbol()));
        out.push('\n');
    }
    out
}

/// The buffer as a standalone SVG document.
pub fn to_svg(buf: &Buffer) -> String {
    let (w, h) = (
        f64::from(buf.area.width) * CELL_W,
        f64::from(buf.area.height) * CELL_H,
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" xml:space="preserve" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
    );
    let _ = writeln!(
        out,
        r#"<style>text{{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:{FONT_PX}px;white-space:pre}}</style>"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="{DEFAULT_BG}"/>"#
    );
    for (y, row) in rows(buf).iter().enumerate() {
        let top = y as f64 * CELL_H;
        for run in runs(row, |c| colours(c).1) {
            if run.key != DEFAULT_BG {
                let _ = writeln!(
                    out,
                    r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{CELL_H}" fill="{}"/>"#,
                    run.x as f64 * CELL_W,
                    run.cells as f64 * CELL_W,
                    run.key
                );
            }
        }
        let baseline = top + CELL_H * 0.78;
        for run in runs(row, text_style) {
            if run.text.trim().is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{baseline:.1}" textLength="{:.1}" lengthAdjust="spacingAndGlyphs" {}>{}</text>"#,
                run.x as f64 * CELL_W,
                run.cells as f64 * CELL_W,
                run.key,
                escape(&run.text)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

/// Each row as (column, cell) pairs, without the cells a wide glyph to their left covers.
fn rows(buf: &Buffer) -> Vec<Vec<(u16, &Cell)>> {
    let width = usize::from(buf.area.width.max(1));
    buf.content()
        .chunks(width)
        .map(|row| {
            let mut covered = 0usize;
            let mut cells = Vec::with_capacity(row.len());
            for (x, cell) in row.iter().enumerate() {
                if covered > 0 {
                    covered -= 1;
                    continue;
                }
                covered = cell.symbol().width().saturating_sub(1);
                cells.push((x as u16, cell));
            }
            cells
        })
        .collect()
}

#[derive(Debug)]
struct Run {
    x: u16,
    cells: u16,
    key: String,
    text: String,
}

/// Neighbouring cells that share `key`, merged.
fn runs(row: &[(u16, &Cell)], key: impl Fn(&Cell) -> String) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for &(x, cell) in row {
        let k = key(cell);
        let cells = cell.symbol().width().max(1) as u16;
        match out.last_mut() {
            Some(run) if run.key == k && run.x + run.cells == x => {
                run.cells += cells;
                run.text.push_str(cell.symbol());
            }
            _ => out.push(Run {
                x,
                cells,
                key: k,
                text: cell.symbol().to_string(),
            }),
        }
    }
    out
}

/// (foreground, background) as the viewer sees them, reverse video applied.
fn colours(cell: &Cell) -> (String, String) {
    let fg = hex(cell.fg).unwrap_or_else(|| DEFAULT_FG.to_string());
    let bg = hex(cell.bg).unwrap_or_else(|| DEFAULT_BG.to_string());
    if cell.modifier.contains(Modifier::REVERSED) {
        (bg, fg)
    } else {
        (fg, bg)
    }
}

/// The attributes of a `<text>` element for this cell's style.
fn text_style(cell: &Cell) -> String {
    let mut attrs = format!(r#"fill="{}""#, colours(cell).0);
    let m = cell.modifier;
    if m.contains(Modifier::BOLD) {
        attrs.push_str(r#" font-weight="bold""#);
    }
    if m.contains(Modifier::ITALIC) {
        attrs.push_str(r#" font-style="italic""#);
    }
    if m.contains(Modifier::DIM) {
        attrs.push_str(r#" opacity="0.6""#);
    }
    if m.contains(Modifier::UNDERLINED) {
        attrs.push_str(r#" text-decoration="underline""#);
    }
    attrs
}

/// A colour as `#rrggbb`, or None for the terminal's default.
fn hex(color: Color) -> Option<String> {
    let (r, g, b) = match color {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => indexed(i),
        named => indexed(named_index(named)),
    };
    Some(format!("#{r:02x}{g:02x}{b:02x}"))
}

/// The xterm index of a named colour.
fn named_index(color: Color) -> u8 {
    match color {
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        _ => 15,
    }
}

/// The xterm 256-colour palette.
fn indexed(i: u8) -> (u8, u8, u8) {
    const BASE: [(u8, u8, u8); 16] = [
        (0x00, 0x00, 0x00),
        (0xcd, 0x31, 0x31),
        (0x0d, 0xbc, 0x79),
        (0xe5, 0xe5, 0x10),
        (0x24, 0x72, 0xc8),
        (0xbc, 0x3f, 0xbc),
        (0x11, 0xa8, 0xcd),
        (0xc0, 0xc0, 0xc0),
        (0x76, 0x76, 0x76),
        (0xf1, 0x4c, 0x4c),
        (0x23, 0xd1, 0x8b),
        (0xf5, 0xf5, 0x43),
        (0x3b, 0x8e, 0xea),
        (0xd6, 0x70, 0xd6),
        (0x29, 0xb8, 0xdb),
        (0xff, 0xff, 0xff),
    ];
    match i {
        0..=15 => BASE[usize::from(i)],
        16..=231 => {
            let n = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(n / 36), level(n / 6 % 6), level(n % 6))
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            (v, v, v)
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    fn sample() -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, 20, 3));
        buf.set_string(0, 0, "┏ async <&> ━┓", Style::new().fg(Color::Cyan));
        buf.set_string(0, 1, "RSS 466 B", Style::new().add_modifier(Modifier::BOLD));
        buf.set_string(
            10,
            1,
            "FAILED",
            Style::new().fg(Color::White).bg(Color::Red),
        );
        buf.set_string(0, 2, "世界 ⣀⡠", Style::new());
        buf
    }

    /// Every `<text>` of one row, in order, by the column it starts at.
    fn texts(svg: &str, row: usize) -> Vec<(f64, String)> {
        let y = format!(r#"y="{:.1}""#, row as f64 * CELL_H + CELL_H * 0.78);
        svg.lines()
            .filter(|l| l.starts_with("<text") && l.contains(&y))
            .map(|l| {
                let x: f64 = l
                    .split(r#"x=""#)
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(-1.0);
                let body = l
                    .split_once('>')
                    .map(|(_, rest)| rest.trim_end_matches("</text>").to_string())
                    .unwrap_or_default();
                (x / CELL_W, body)
            })
            .collect()
    }

    #[test]
    fn text_runs_keep_the_glyphs_at_their_cells_and_escape_markup() {
        let svg = to_svg(&sample());
        let row0 = texts(&svg, 0);
        // The trailing blanks have another style, and a run of blanks draws nothing.
        assert_eq!(row0.len(), 1, "{row0:?}");
        assert_eq!(row0[0].1, "┏ async &lt;&amp;&gt; ━┓");
        let row1 = texts(&svg, 1);
        assert_eq!(row1[0].1, "RSS 466 B");
        assert!(
            (row1[1].0 - 10.0).abs() < 1e-9,
            "FAILED starts at column 10: {row1:?}"
        );
        assert_eq!(row1[1].1, "FAILED");
        // A wide glyph covers two cells: the braille after it stays at column 5.
        let row2 = texts(&svg, 2);
        assert_eq!(row2[0].1, format!("世界 ⣀⡠{}", " ".repeat(13)));
        assert!(svg.contains(&format!(r#"textLength="{:.1}""#, 20.0 * CELL_W)));
    }

    #[test]
    fn colours_bold_and_backgrounds_are_kept() {
        let svg = to_svg(&sample());
        assert!(svg.contains(r##"fill="#11a8cd""##), "cyan text");
        assert!(svg.contains(r#"font-weight="bold""#));
        let red_bg = format!(
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{CELL_H}" fill="#cd3131"/>"##,
            10.0 * CELL_W,
            CELL_H,
            6.0 * CELL_W
        );
        assert!(svg.contains(&red_bg), "{svg}");
    }

    #[test]
    fn the_document_is_balanced_and_sized_to_the_buffer() {
        let svg = to_svg(&sample());
        assert!(svg.starts_with("<svg "));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        assert!(svg.contains(&format!(r#"width="{}""#, 20.0 * CELL_W)));
        assert!(!svg.contains("<&"), "unescaped markup");
    }

    #[test]
    fn plain_text_is_the_grid() {
        let text = to_text(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "RSS 466 B FAILED    ");
        assert_eq!(lines[2].width(), 20);
    }

    #[test]
    fn palette_covers_named_indexed_and_rgb_colours() {
        assert_eq!(hex(Color::Reset), None);
        assert_eq!(hex(Color::Rgb(1, 2, 3)).as_deref(), Some("#010203"));
        assert_eq!(hex(Color::Indexed(16)).as_deref(), Some("#000000"));
        assert_eq!(hex(Color::Indexed(231)).as_deref(), Some("#ffffff"));
        assert_eq!(hex(Color::Indexed(255)).as_deref(), Some("#eeeeee"));
        assert_eq!(hex(Color::Magenta), hex(Color::Indexed(5)));
    }
}
