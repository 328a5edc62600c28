//! The worker: the child process that runs one side. It reads commands from stdin, runs units on
//! tokio or on std threads, and a reporter thread writes samples to stdout. It exits when stdin closes.

mod ready;
mod reporter;
mod spawner;
pub use crate::sys;

use std::io::BufReader;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::protocol::{
    self, FromWorker, PROTOCOL_VERSION, RuntimeFlavor, Side, ToWorker, WorkerSpec,
};
use crate::workload::{self, BuildCtx, Params, SideShared};

fn send(msg: &FromWorker) {
    crate::protocol::send_to_controller(msg);
}

/// Tells the controller why this worker cannot go on, and ends with exit code 2.
fn fatal(message: String) -> ExitCode {
    send(&FromWorker::Fatal {
        message: message.clone(),
    });
    eprintln!("versus worker: {message}");
    ExitCode::from(2)
}

pub fn main() -> ExitCode {
    let started = Instant::now();
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut buf = Vec::new();
    let spec = match next_command(&mut input, &mut buf) {
        Ok(Some(ToWorker::Start { version, spec })) if version == PROTOCOL_VERSION => spec,
        Ok(Some(ToWorker::Start { version, .. })) => {
            return fatal(format!(
                "protocol version {version} is not {PROTOCOL_VERSION}"
            ));
        }
        Ok(Some(other)) => return fatal(format!("expected start, got {other:?}")),
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => return fatal(e),
    };
    send(&FromWorker::Hello {
        version: PROTOCOL_VERSION,
        pid: std::process::id(),
    });
    match Running::start(spec, started) {
        Ok(running) => running.serve(&mut input, &mut buf),
        Err(e) => fatal(e),
    }
}

fn next_command<R: std::io::BufRead>(
    input: &mut R,
    buf: &mut Vec<u8>,
) -> Result<Option<ToWorker>, String> {
    match protocol::read_line_bounded(input, buf) {
        Ok(None) => Ok(None),
        Ok(Some(Ok(()))) => protocol::decode(buf)
            .map(Some)
            .map_err(|e| format!("bad command: {e}")),
        Ok(Some(Err(e))) => Err(format!("bad command: {e}")),
        Err(e) => Err(format!("reading stdin: {e}")),
    }
}

/// A side that runs: the state the command loop changes.
struct Running {
    shared: Arc<SideShared>,
    workload: Arc<dyn workload::Workload>,
    wake: Arc<spawner::Wake>,
    /// Asks the canceller thread to cancel every unit now; None for kinds that cancel nothing.
    canceller: Option<std::sync::mpsc::Sender<()>>,
    /// Kept so the runtime lives as long as the worker.
    _runtime: Option<tokio::runtime::Runtime>,
}

impl Running {
    fn start(spec: WorkerSpec, started: Instant) -> Result<Running, String> {
        let kind = workload::find(&spec.workload).ok_or_else(|| {
            format!(
                "unknown workload {} (known: {})",
                spec.workload,
                workload::names()
            )
        })?;
        let params = Params::resolve(kind.params, &spec.params)?;
        let shared = Arc::new(SideShared::default());
        let workload = (kind.build)(&BuildCtx {
            params: &params,
            shared: &shared,
            side: spec.side,
        })?;
        let ready = Arc::new(ready::Ready::default());
        let (runtime, launcher, runtime_threads) = match spec.side {
            Side::Async => {
                let (rt, handle) =
                    build_runtime(spec.runtime, spec.workers, ready.clone(), workload.clone())?;
                let threads = match spec.runtime {
                    RuntimeFlavor::MultiThread => spec.workers.max(1),
                    RuntimeFlavor::CurrentThread => 1,
                };
                (rt, spawner::Launcher::Async(handle, threads), threads)
            }
            Side::Threads => (
                None,
                spawner::Launcher::Threads {
                    stack_bytes: spec.stack_bytes,
                },
                0,
            ),
        };
        let wake = Arc::new(spawner::Wake::default());
        let timing = spawner::SpawnTiming::default();
        let (baseline_tx, baseline_rx) = std::sync::mpsc::channel();
        let reporter = reporter::Reporter {
            side: spec.side,
            shared: shared.clone(),
            workload: workload.clone(),
            timing: timing.clone(),
            interval: Duration::from_millis(spec.interval_ms.max(10)),
            started,
            baseline: reporter::Baseline::default(),
            runtime: match &launcher {
                spawner::Launcher::Async(handle, _) => Some(handle.clone()),
                spawner::Launcher::Threads { .. } => None,
            },
        };
        let r = ready.clone();
        std::thread::Builder::new()
            .name("reporter".into())
            .spawn(move || reporter.run(&r, &baseline_rx))
            .map_err(|e| format!("reporter thread: {e}"))?;
        let (w, s, k, r) = (
            workload.clone(),
            shared.clone(),
            wake.clone(),
            ready.clone(),
        );
        std::thread::Builder::new()
            .name("spawner".into())
            .spawn(move || {
                r.arrive();
                spawner::run(w, s, launcher, k, timing);
            })
            .map_err(|e| format!("spawner thread: {e}"))?;
        // Baseline once the reporter, the spawner and every runtime worker have allocated (each
        // thread's first malloc may reserve a 64 MiB glibc arena), before any unit: per-unit
        // figures then leave out the side's fixed costs.
        let canceller = start_canceller(&workload, &wake, &ready)?;
        ready.wait_for(
            2 + runtime_threads + usize::from(canceller.is_some()),
            Duration::from_secs(2),
        );
        let (virtual_bytes, rss_bytes) = sys::statm_bytes();
        let stack = spec
            .stack_bytes
            .filter(|_| spec.side == Side::Threads)
            .map_or(crate::limits::DEFAULT_STACK_BYTES, |b| b as u64);
        // A thread's stack mapping is its stack size plus one guard page (glibc 2.27 and later).
        let _ = baseline_tx.send(reporter::Baseline {
            rss_bytes,
            virtual_bytes,
            os_threads: sys::os_threads(),
            thread_stack_bytes: stack + sys::page_size(),
        });
        let running = Running {
            shared,
            workload,
            wake,
            canceller,
            _runtime: runtime,
        };
        running.set_units(spec.units);
        Ok(running)
    }

    fn set_units(&self, units: u64) {
        self.shared.clear_limit();
        self.shared.target.store(units, Ordering::SeqCst);
        self.wake.notify();
    }

    fn serve<R: std::io::BufRead>(self, input: &mut R, buf: &mut Vec<u8>) -> ExitCode {
        loop {
            match next_command(input, buf) {
                // Out at once, without dropping the runtime: with a million tasks its tear-down
                // alone took a second, and the controller kills a worker that takes longer.
                Ok(None) => std::process::exit(0),
                Ok(Some(ToWorker::SetUnits { units })) => self.set_units(units),
                Ok(Some(ToWorker::SetParam { name, value })) => {
                    if let Err(e) = self.workload.set_param(&name, &value) {
                        self.shared.push_error(e);
                    }
                }
                Ok(Some(ToWorker::CancelUnits)) => match &self.canceller {
                    Some(tx) => {
                        let _ = tx.send(());
                    }
                    None => self
                        .shared
                        .push_error("this workload has no units to cancel".into()),
                },
                Ok(Some(ToWorker::Start { .. })) => return fatal("start sent twice".into()),
                Err(e) => return fatal(e),
            }
        }
    }
}

/// The canceller thread of a kind that cancels its units (`Workload::cancel_every`): every period,
/// and at each request, it cancels every unit, waits until they are gone, and wakes the spawner to
/// spawn them again. Started before the baseline, so its thread is part of it on both sides.
fn start_canceller(
    workload: &Arc<dyn workload::Workload>,
    wake: &Arc<spawner::Wake>,
    ready: &Arc<ready::Ready>,
) -> Result<Option<std::sync::mpsc::Sender<()>>, String> {
    let Some(every) = workload.cancel_every() else {
        return Ok(None);
    };
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (w, k, r) = (workload.clone(), wake.clone(), ready.clone());
    std::thread::Builder::new()
        .name("canceller".into())
        .spawn(move || {
            r.arrive();
            loop {
                let asked = if every.is_zero() {
                    rx.recv()
                        .map_err(|_| std::sync::mpsc::RecvTimeoutError::Disconnected)
                } else {
                    rx.recv_timeout(every)
                };
                if asked == Err(std::sync::mpsc::RecvTimeoutError::Disconnected) {
                    return;
                }
                w.cancel_units();
                k.notify();
            }
        })
        .map_err(|e| format!("canceller thread: {e}"))?;
    Ok(Some(tx))
}

/// Builds the runtime of the async side. A current-thread runtime gets one OS thread of its own.
/// Each of its threads allocates once, lets the workload place it and reports to `ready` as it starts.
fn build_runtime(
    flavor: RuntimeFlavor,
    workers: usize,
    ready: Arc<ready::Ready>,
    workload: Arc<dyn workload::Workload>,
) -> Result<(Option<tokio::runtime::Runtime>, tokio::runtime::Handle), String> {
    let err = |e: std::io::Error| format!("tokio runtime: {e}");
    match flavor {
        RuntimeFlavor::MultiThread => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers.max(1))
                .on_thread_start(move || {
                    workload.runtime_thread_started();
                    ready.arrive();
                })
                .enable_all()
                .build()
                .map_err(err)?;
            let handle = rt.handle().clone();
            Ok((Some(rt), handle))
        }
        RuntimeFlavor::CurrentThread => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(err)?;
            let handle = rt.handle().clone();
            std::thread::Builder::new()
                .name("tokio-rt".into())
                .spawn(move || {
                    workload.runtime_thread_started();
                    ready.arrive();
                    rt.block_on(std::future::pending::<()>());
                })
                .map_err(|e| format!("runtime thread: {e}"))?;
            Ok((None, handle))
        }
    }
}
