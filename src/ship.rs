//! What an installed command-line tool ships beside itself: shell completions and a man page, both
//! generated from the one clap definition in cli.rs so they cannot drift from the real options.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;

/// Writes the completion script for `shell` to stdout, without the hidden subcommands.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = public_command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "versus", &mut out);
    write_stdout(&out)
}

/// The command line as a user sees it: clap_complete (unlike `--help` and clap_mangen) would offer
/// the hidden `worker` and `loadgen` subcommands, so they are left out of the copy it gets.
fn public_command() -> clap::Command {
    let full = Cli::command();
    let visible: Vec<clap::Command> = full
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    let mut public = clap::Command::new("versus")
        .args(full.get_arguments().cloned())
        .subcommands(visible);
    if let Some(about) = full.get_about() {
        public = public.about(about.clone());
    }
    public.version(env!("CARGO_PKG_VERSION"))
}

/// Writes the man page (roff) to stdout: `versus man | man -l -`.
pub fn man_page() -> ExitCode {
    let mut out = Vec::new();
    match clap_mangen::Man::new(Cli::command()).render(&mut out) {
        Ok(()) => write_stdout(&out),
        Err(e) => {
            eprintln!("versus: could not render the man page: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A closed pipe (`versus man | head`) is not an error worth a message.
fn write_stdout(bytes: &[u8]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("versus: could not write to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(shell: clap_complete::Shell) -> String {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut public_command(), "versus", &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn completions_offer_the_public_options_and_subcommands_but_not_the_hidden_ones() {
        use clap_complete::Shell;
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Elvish,
            Shell::PowerShell,
        ] {
            let text = script(shell);
            for wanted in ["scenario", "headless", "completions", "man"] {
                assert!(text.contains(wanted), "{shell}: no {wanted}");
            }
            // "worker" alone also names tokio's worker threads in option help, so the hidden
            // subcommands are recognised by their name (loadgen), their about text or bash's case arm.
            for hidden in ["loadgen", "Runs one side", ",worker)"] {
                assert!(
                    !text.contains(hidden),
                    "{shell}: offers a hidden subcommand ({hidden})"
                );
            }
        }
    }

    #[test]
    fn the_public_command_keeps_every_visible_option_of_the_real_one() {
        let full = Cli::command();
        let public = public_command();
        for arg in full.get_arguments() {
            assert!(
                public.get_arguments().any(|a| a.get_id() == arg.get_id()),
                "{} is missing",
                arg.get_id()
            );
        }
    }
}
