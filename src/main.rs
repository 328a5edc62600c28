//! The binary: parse the command line, pick a mode (tui, headless, or the hidden worker).

use std::process::ExitCode;

use clap::Parser;
use versus::cli::{Cli, Command};
use versus::config::RunConfig;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One clear line: clap's first, without its usage block.
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            let allowed = text
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("[possible values"));
            eprintln!(
                "versus: {first}{} (see --help)",
                allowed.map(|a| format!(" {a}")).unwrap_or_default()
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    match &cli.command {
        Some(Command::Completions { shell }) => return versus::ship::completions(*shell),
        Some(Command::Man) => return versus::ship::man_page(),
        Some(Command::Replay(args)) => return versus::replay::run(args),
        Some(Command::Notes(args)) => return versus::notes::main(args),
        _ => {}
    }
    if cli.command == Some(Command::Worker) {
        return versus::worker::main();
    }
    if let Some(Command::Watch { label, command }) = &cli.command {
        return versus::watch::main(label, command);
    }
    if cli.command == Some(Command::Loadgen) {
        return versus::loadgen::main();
    }
    if cli.list {
        return match versus::talk::list(&cli) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("versus: {e}");
                ExitCode::from(2)
            }
        };
    }
    let cfg = match RunConfig::from_cli(&cli) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("versus: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &cfg.record
        && let Err(e) = std::fs::File::create(path)
    {
        eprintln!("versus: --record {}: {e}", path.display());
        return ExitCode::from(2);
    }
    if let Some(name) = &cli.talk {
        return talk(name, cfg, &cli);
    }
    let result = if cli.headless {
        versus::headless::run(cfg, cli.format)
    } else {
        versus::tui::run(cfg)
    };
    result.unwrap_or_else(|e| {
        eprintln!("versus: {e:#}");
        ExitCode::FAILURE
    })
}

/// `versus --talk NAME|FILE`: the talk in the TUI, or with --headless its rehearsal. A talk that
/// does not read, or a step whose run is not valid, is bad input: one line, exit 2. (Here, above
/// both modes: the talk module stays below the TUI that drives it.)
fn talk(arg: &str, base: RunConfig, cli: &Cli) -> ExitCode {
    let started = versus::talk::load(arg, &base.catalog).and_then(|talk| {
        if cli.headless && cli.format != versus::cli::Format::Json {
            return Err("a talk's rehearsal prints JSON: use --format json".into());
        }
        versus::talk::Runner::start(talk, base, cli.looping)
    });
    let (runner, first) = match started {
        Ok(s) => s,
        Err(e) => {
            eprintln!("versus: {e}");
            return ExitCode::from(2);
        }
    };
    let result = if cli.headless {
        versus::talk::rehearse::run(runner, first)
    } else {
        versus::tui::run_with(first, Some(runner))
    };
    result.unwrap_or_else(|e| {
        eprintln!("versus: {e:#}");
        ExitCode::FAILURE
    })
}
