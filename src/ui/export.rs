//! Key `e` (and `versus replay --svg`): the screen drawn into an off-screen buffer of the terminal's
//! size and written as `versus-<scenario>-<time>.svg` with a `.txt` beside it. Same `render` as the
//! terminal, so the picture is what was on screen, never a second drawing.

use std::path::{Path, PathBuf};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::{ViewState, render, svg};
use crate::model::Model;
use crate::utc;

/// The screen as `render` draws it at `width`×`height`.
pub fn screen(model: &Model, view: &ViewState, width: u16, height: u16) -> Buffer {
    let backend = TestBackend::new(width.max(1), height.max(1));
    // TestBackend never fails to draw; an error here would leave an empty buffer, not a panic.
    match Terminal::new(backend) {
        Ok(mut t) => {
            let _ = t.draw(|f| render(f, model, view));
            t.backend().buffer().clone()
        }
        Err(_) => Buffer::empty(ratatui::layout::Rect::new(0, 0, width, height)),
    }
}

/// The view an export draws: without the key footer, the REPLAY bar, the notice and the REC mark
/// unless `chrome` (`--export-chrome`) asks for them; the picture is of the figures, not the keys.
pub fn exported(view: &ViewState, chrome: bool) -> ViewState {
    ViewState {
        bare: !chrome,
        ..view.clone()
    }
}

/// The file name without extension: `versus-<scenario or workload>-<yyyymmdd-hhmmss>` (UTC), the name
/// kept to letters, digits, `-` and `_` so a scenario from a config file cannot make a path.
pub fn file_stem(name: &str, unix_s: u64) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let clean = if clean.is_empty() {
        "run".into()
    } else {
        clean
    };
    format!("versus-{clean}-{}", utc::stamp(unix_s))
}

/// Writes `<dir>/<stem>.svg` and `<dir>/<stem>.txt`; an existing file is never overwritten (`-2`,
/// `-3`, ... is added). Returns the SVG's path.
pub fn write(dir: &Path, stem: &str, buf: &Buffer) -> std::io::Result<PathBuf> {
    let mut n = 1;
    let (svg_path, txt_path) = loop {
        let stem = if n == 1 {
            stem.to_string()
        } else {
            format!("{stem}-{n}")
        };
        let (s, t) = (
            dir.join(format!("{stem}.svg")),
            dir.join(format!("{stem}.txt")),
        );
        if !s.exists() && !t.exists() {
            break (s, t);
        }
        n += 1;
        if n > 100 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} and 99 more exist", s.display()),
            ));
        }
    };
    std::fs::write(&svg_path, svg::to_svg(buf))?;
    std::fs::write(&txt_path, svg::to_text(buf))?;
    Ok(svg_path)
}

/// The one line the screen shows after `e`: where the files went, or why they could not be written.
pub fn export_notice(result: &std::io::Result<PathBuf>) -> String {
    match result {
        Ok(p) => format!(
            "screen saved: {} (and .txt)",
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            )
        ),
        Err(e) => format!("could not save the screen: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::fixtures::demo_model;
    use crate::ui::xml;

    #[test]
    fn stems_name_the_run_and_the_utc_time() {
        // 2026-11-29 12:04:58 UTC
        assert_eq!(
            file_stem("switch", 1_795_953_898),
            "versus-switch-20261129-120458"
        );
        assert_eq!(utc::stamp(0), "19700101-000000");
        assert_eq!(utc::stamp(951_782_400), "20000229-000000", "a leap day");
        assert_eq!(
            file_stem("../../etc/x y", 0),
            "versus-______etc_x_y-19700101-000000"
        );
        assert_eq!(file_stem("", 0), "versus-run-19700101-000000");
        assert_eq!(utc::readable(1_795_953_898), "2026-11-29 12:04 UTC");
        assert_eq!(utc::rfc3339(1_795_953_898), "2026-11-29T12:04:58Z");
    }

    #[test]
    fn the_export_is_the_screen_as_valid_svg_and_text_and_never_overwrites() {
        let dir = std::env::temp_dir().join(format!("versus-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let buf = screen(&demo_model(), &ViewState::default(), 100, 30);
        let first = write(&dir, "versus-sleep-x", &buf).expect("written");
        let second = write(&dir, "versus-sleep-x", &buf).expect("written");
        assert_eq!(
            first.file_name().and_then(|n| n.to_str()),
            Some("versus-sleep-x.svg")
        );
        assert_eq!(
            second.file_name().and_then(|n| n.to_str()),
            Some("versus-sleep-x-2.svg")
        );
        let svg = std::fs::read_to_string(&first).expect("svg");
        xml::check_well_formed(&svg).expect("well-formed XML");
        assert!(svg.contains("OS threads"), "the panel text is in it");
        let txt = std::fs::read_to_string(dir.join("versus-sleep-x.txt")).expect("txt");
        assert_eq!(txt.lines().count(), 30);
        assert!(txt.contains("async (tokio)") && txt.contains("threads (std)"));
        assert!(export_notice(&Ok(first)).contains("versus-sleep-x.svg"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn text(buf: &Buffer) -> String {
        svg::to_text(buf)
    }

    #[test]
    fn an_export_leaves_out_the_keys_the_bar_the_notice_and_rec_unless_asked() {
        let mut model = demo_model();
        model.now_s = 42.4;
        let view = ViewState {
            notice: Some("×10: does nothing in a replay (keys move through it)".into()),
            replay: Some(crate::ui::replay_bar::ReplayView::new(
                "recorded x",
                2_000_000,
                9_000_000,
                true,
                1.0,
            )),
            recording: true,
            ..ViewState::default()
        };
        let live = text(&screen(&model, &view, 80, 24));
        let chrome = ["REPLAY", "does nothing", "q quit", "● REC 0:42"];
        for t in chrome {
            assert!(live.contains(t), "{t} on the screen\n{live}");
        }
        let kept = text(&screen(&model, &exported(&view, true), 80, 24));
        assert_eq!(kept, live, "--export-chrome: the screen as it is");
        let bare = text(&screen(&model, &exported(&view, false), 80, 24));
        for t in chrome {
            assert!(!bare.contains(t), "{t} in a bare export\n{bare}");
        }
        assert!(bare.contains("OS threads") && bare.contains("async (tokio)"));
        assert_eq!(bare.lines().count(), 24, "the rows go to the columns");
    }

    #[test]
    fn a_write_that_fails_is_a_notice_not_a_panic() {
        let buf = screen(&demo_model(), &ViewState::default(), 80, 24);
        let r = write(Path::new("/nonexistent-dir-for-versus"), "x", &buf);
        assert!(export_notice(&r).starts_with("could not save the screen: "));
    }
}
