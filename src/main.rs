//! The binary: parse the command line, pick a mode (tui, headless, or the hidden worker).

fn main() -> std::process::ExitCode {
    versus::worker::main()
}
