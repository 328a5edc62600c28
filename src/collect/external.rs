//! A third source of samples: the user's own programs (`--cmd LABEL=COMMAND`, twice). Each side's
//! child is a watcher (`versus watch`, see `crate::watch`) that runs the program and reports its
//! process tree from /proc in ordinary worker samples, so the controller and the model need nothing
//! of their own beyond the labels.

use std::process::Command;
use std::sync::mpsc::Sender;

use super::{LaunchOpts, WorkerEvent, WorkerHandle, attach, spawn_guarded};
use crate::protocol::WorkerSpec;
use crate::watch::PORT_PLACEHOLDER;

/// One user program: its column's label and its shell command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub label: String,
    pub command: String,
}

impl Program {
    /// Whether versus gives it a port and drives it with the echo load generator.
    pub fn has_port(&self) -> bool {
        self.command.contains(PORT_PLACEHOLDER)
    }
}

/// What to look for, on screen under the header while programs run.
pub const CAPTION: &str = "Your own programs, measured from outside: OS threads, RSS and CPU of each program's \
    process tree; context switches summed over its live threads only (/proc/<pid>/task/*/status; \
    above 512 threads sampled: 512 re-read per interval in turn). \
    With {port} in a command, the echo load generator drives it: connections scale with the keys.";

/// Connections per side a program starts with unless the command line says otherwise: light
/// enough for a thread-per-connection program on a laptop.
pub const DEFAULT_CONNECTIONS: u64 = 100;

/// Longest label kept: it heads a column.
const MAX_LABEL_CHARS: usize = 24;

/// The two programs of `--cmd`, first the left (async) column, then the right (threads) one.
pub fn parse(given: &[String]) -> Result<Option<[Program; 2]>, String> {
    if given.is_empty() {
        return Ok(None);
    }
    if given.len() != 2 {
        return Err(format!(
            "--cmd needs exactly two programs (LABEL=COMMAND each, left column first), got {}",
            given.len()
        ));
    }
    let one = |text: &String| -> Result<Program, String> {
        let (label, command) = text
            .split_once('=')
            .ok_or_else(|| format!("--cmd '{text}': expected LABEL=COMMAND"))?;
        let (label, command) = (label.trim(), command.trim());
        if label.is_empty() || command.is_empty() {
            return Err(format!(
                "--cmd '{text}': the label and the command must not be empty"
            ));
        }
        if label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
            return Err(format!(
                "--cmd '{text}': a label is at most {MAX_LABEL_CHARS} printable characters"
            ));
        }
        Ok(Program {
            label: label.into(),
            command: command.into(),
        })
    };
    let (a, b) = (one(&given[0])?, one(&given[1])?);
    if a.label == b.label {
        return Err(format!(
            "--cmd: both programs are labelled '{}'; give each its own label",
            a.label
        ));
    }
    Ok(Some([a, b]))
}

/// Starts `versus watch LABEL COMMAND` for `spec.side`, tied to the controller like a worker, and
/// its reader threads.
pub fn launch<E: From<WorkerEvent> + Send + 'static>(
    spec: &WorkerSpec,
    program: &Program,
    opts: &LaunchOpts,
    generation: u64,
    tx: Sender<E>,
) -> std::io::Result<WorkerHandle> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("watch").arg(&program.label).arg(&program.command);
    let child = spawn_guarded(cmd, opts.priority(), &opts.cpus[spec.side.index()])?;
    attach(child, spec, generation, tx)
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn two_labelled_commands_or_a_clear_error() {
        let ok = parse(&args(&["a=sleep 1", "b = python3 x.py {port}"])).expect("valid");
        let [a, b] = ok.expect("two");
        assert_eq!((a.label.as_str(), a.command.as_str()), ("a", "sleep 1"));
        assert!(!a.has_port() && b.has_port());
        assert_eq!(parse(&[]), Ok(None));
        for bad in [
            &["a=x"][..],
            &["a=x", "b=y", "c=z"],
            &["=x", "b=y"],
            &["a=", "b=y"],
            &["a x", "b=y"],
            &["a=x", "a=y"],
        ] {
            let e = parse(&args(bad)).expect_err("refused");
            assert!(e.starts_with("--cmd") && !e.contains('\n'), "{e}");
        }
    }
}
