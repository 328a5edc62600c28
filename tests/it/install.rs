//! What an installed binary must do: work from any directory with nothing beside it (the presets
//! are compiled in), and ship its completions and man page.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built binary alone in a fresh directory, as `cargo install` leaves it. A hard link, not a
/// copy: a copy is a file open for writing, and a test thread forking meanwhile keeps that descriptor
/// until its exec, which makes our exec fail with ETXTBSY ("Text file busy").
fn installed_copy() -> (tempdir::Dir, PathBuf) {
    let dir = tempdir::Dir::new("install");
    let bin = dir.path().join("versus");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_versus"), &bin).is_err() {
        // Another file system: copy, then wait until no other process holds it open for writing.
        std::fs::copy(env!("CARGO_BIN_EXE_versus"), &bin).unwrap();
    }
    (dir, bin)
}

/// Runs `bin` from a working directory that holds no project file.
fn run_from(bin: &Path, cwd: &Path, args: &[&str]) -> Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match Command::new(bin)
            .args(args)
            .current_dir(cwd)
            .env("VERSUS_TEST_TAG", "install-test")
            .output()
        {
            // Only after the copy fallback: a forked sibling still holds the written file open.
            Err(e)
                if e.raw_os_error() == Some(libc_etxtbsy())
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other.unwrap(),
        }
    }
}

/// ETXTBSY on Linux.
fn libc_etxtbsy() -> i32 {
    26
}

#[test]
fn an_installed_binary_lists_scenarios_and_runs_headless_from_another_directory() {
    let (dir, bin) = installed_copy();
    let elsewhere = tempdir::Dir::new("cwd");
    assert!(!elsewhere.path().join("assets").exists());

    let list = run_from(&bin, elsewhere.path(), &["--list"]);
    assert!(list.status.success(), "{list:?}");
    let text = String::from_utf8_lossy(&list.stdout);
    for scenario in ["memory", "switch", "limits", "echo"] {
        assert!(text.contains(scenario), "--list lacks {scenario}: {text}");
    }

    let run = run_from(
        &bin,
        elsewhere.path(),
        &[
            "--scenario",
            "memory",
            "--headless",
            "--duration",
            "4s",
            "--async-units",
            "20",
            "--thread-units",
            "20",
        ],
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["scenario"], "memory");
    let sides = json["sides"].as_array().unwrap();
    assert_eq!(sides.len(), 2);
    for side in sides {
        assert!(side["units"].as_u64().unwrap() > 0, "{side}");
        assert_eq!(side["errors"].as_array().map(Vec::len), Some(0), "{side}");
    }
    drop(dir);
}

#[test]
fn completions_and_man_page_are_printed_for_every_shell() {
    let (_dir, bin) = installed_copy();
    let cwd = std::env::temp_dir();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run_from(&bin, &cwd, &["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("scenario"), "{shell}: {script}");
        assert!(
            !script.contains("loadgen"),
            "{shell} offers a hidden subcommand"
        );
    }
    let bad = run_from(&bin, &cwd, &["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr)
            .trim_end()
            .lines()
            .count(),
        1
    );

    let man = run_from(&bin, &cwd, &["man"]);
    assert!(man.status.success());
    let roff = String::from_utf8_lossy(&man.stdout);
    assert!(
        roff.starts_with(".ie") || roff.contains(".TH versus"),
        "{roff}"
    );
    assert!(roff.contains("\\-\\-scenario"), "man page lacks --scenario");
    assert!(
        !roff.contains("loadgen"),
        "man page names a hidden subcommand"
    );
}

/// A temporary directory removed on drop, without a crate for it.
mod tempdir {
    use std::path::{Path, PathBuf};

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new(what: &str) -> Dir {
            let path = std::env::temp_dir().join(format!(
                "versus-{what}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
