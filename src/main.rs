//! versus: live, side by side, what async tasks cost next to OS threads.
//! One binary: the controller (TUI or headless) and, behind a hidden subcommand, the workers.

mod action;
mod limits;
mod model;
mod protocol;
mod term;
mod ui;
mod worker;
mod workload;

fn main() -> std::process::ExitCode {
    worker::main()
}
