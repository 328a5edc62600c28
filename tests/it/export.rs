//! Key `e` in a real terminal: the screen goes to `versus-<scenario>-<time>.svg` and `.txt` in the
//! working directory, the screen says so, and the SVG is well-formed XML holding the panel text.
#![allow(clippy::unwrap_used)]

use crate::common::tmux;

use std::path::{Path, PathBuf};
use std::time::Duration;

use tmux::Tmux;

/// The longest a condition is waited for: a bound for a stalled machine, not a target (both sides
/// showed no sample for over 15 s once, at load average ~18, in a fresh-clone run).
const T: Duration = Duration::from_secs(60);

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

#[test]
fn e_writes_the_screen_as_svg_and_text_and_says_so() {
    let dir = std::env::temp_dir().join(format!("versus-export-e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let t = Tmux::start_in(
        "export",
        100,
        30,
        dir.to_str().unwrap(),
        // The default sleep scenario, light on purpose: this test runs beside the other one in this
        // file, and a CPU-bound scenario at the tests' nice 0 (switch, as it once was here) took both
        // cores from it, which then saw its UI 54 s behind and no sample for 60 s in a fresh-clone run.
        &["--async-units", "10", "--thread-units", "10"],
    );
    t.wait_for("both sides running", T, |s| {
        s.matches("running").count() >= 2 && s.contains("OS threads")
    });
    assert!(files(&dir, "svg").is_empty());
    t.keys(&["e"]);
    let s = t.wait_for("the notice", T, |s| {
        s.contains("screen saved: versus-sleep-")
    });
    assert!(s.contains(".svg (and .txt)"), "{s}");
    let svgs = files(&dir, "svg");
    assert_eq!(svgs.len(), 1, "{svgs:?}");
    let name = svgs[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.starts_with("versus-sleep-2"), "{name}");
    let svg = std::fs::read_to_string(&svgs[0]).unwrap();
    versus::ui::xml::check_well_formed(&svg).unwrap();
    assert!(
        svg.contains("OS threads") && svg.contains("async (tokio)"),
        "{svg}"
    );
    assert!(svg.contains(r#"width="840""#), "100 columns of 8.4");
    let txt = std::fs::read_to_string(svgs[0].with_extension("txt")).unwrap();
    assert_eq!(txt.lines().count(), 30);
    assert!(txt.contains("threads (std)"), "{txt}");
    // Neither the key footer nor the notice of an earlier key goes into the picture.
    assert!(!txt.contains("q quit") && !txt.contains(" ! "), "{txt}");

    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn e_in_a_directory_that_cannot_be_written_says_why() {
    // A directory removed under the app: the write fails, the app goes on.
    let dir = std::env::temp_dir().join(format!("versus-export-ro-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let t = Tmux::start_in(
        "export-ro",
        100,
        30,
        dir.to_str().unwrap(),
        &["--async-units", "10", "--thread-units", "10"],
    );
    t.wait_for("both sides running", T, |s| {
        s.matches("running").count() >= 2
    });
    std::fs::remove_dir_all(&dir).unwrap();
    t.keys(&["e"]);
    t.wait_for("the error", T, |s| s.contains("could not save the screen"));
    t.wait_for("still running", T, |s| s.matches("running").count() >= 2);
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(T), 0);
    t.assert_restored();
}
