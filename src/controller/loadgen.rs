//! The `echo` workload's load generator, seen from the session: started after the workers, aimed at
//! each server's port once the server reports it, scaled by the unit keys, and its figures merged
//! into each side's samples, so the model, the screen and the JSON need nothing of their own.

use std::time::Duration;

use super::Session;
use crate::collect::loadgen::{self as launch, LoadIncoming, LoadgenEvent, LoadgenHandle};
use crate::loadgen::protocol::{LoadSideSample, LoadSpec, ToLoadgen};
use crate::model::{Input, SideSample};
use crate::protocol::{Percentiles, Side, WorkerSpec};
use crate::workload::echo::{self, CONNECTIONS_KEY, PORT_KEY, SPAWN_NS_KEY};

/// How long the load generator gets to exit after its stdin closes before it is killed.
const STOP_GRACE: Duration = Duration::from_millis(1000);

/// The session's load generator and what it knows of the servers.
#[derive(Debug, Default)]
pub struct Loadgen {
    handle: Option<LoadgenHandle>,
    /// (worker generation, port) each side's server was last seen listening on.
    servers: [Option<(u64, u16)>; 2],
    /// Newest figures of each side.
    latest: [Option<LoadSideSample>; 2],
}

impl Session {
    /// PID of the running load generator (tests and diagnostics).
    pub fn loadgen_pid(&self) -> Option<u32> {
        self.loadgen.handle.as_ref().map(|h| h.pid)
    }

    pub(crate) fn is_echo(&self) -> bool {
        self.cfg.workload == echo::KIND.name
    }

    /// A side's worker spec. An echo worker runs one unit, its server: its connections are opened by
    /// the load generator, so the side's unit count goes there instead.
    pub(crate) fn worker_spec(&self, side: Side) -> WorkerSpec {
        let mut spec = self.cfg.spec(side);
        if self.is_echo() {
            spec.units = 1;
        }
        spec
    }

    /// Starts the load generator when the workload is echo; call once the workers are launched.
    pub(crate) fn start_loadgen(&mut self) {
        if !self.is_echo() {
            return;
        }
        let connections = self.cfg.params.int(echo::CONNECTIONS_PARAM);
        if connections > 0 {
            // With one side at a time, the stopped side stays at 0.
            let one_side = self.cfg.one_side;
            for side in Side::BOTH
                .into_iter()
                .filter(|&side| one_side.is_none_or(|s| s == side))
            {
                self.cfg.units[side.index()] = connections as u64;
                self.resume_units[side.index()] = connections as u64;
                self.feed(Input::Target {
                    side,
                    units: connections as u64,
                });
            }
        }
        let spec = LoadSpec {
            requests_per_sec_per_conn: self.cfg.params.float("rate"),
            request_bytes: self.cfg.params.int("request_bytes").max(1) as usize,
            interval_ms: self.cfg.interval_ms,
            // Its own runtime's size, whatever the async side's: it serves both sides alike.
            workers: crate::config::cores(),
        };
        self.generation += 1;
        let nice = self.cfg.launch.priority();
        match launch::launch(&spec, nice, self.generation, self.tx.clone()) {
            Ok(handle) => {
                self.loadgen = Loadgen {
                    handle: Some(handle),
                    ..Loadgen::default()
                }
            }
            Err(e) => self.loadgen_error(format!("could not start the load generator: {e}")),
        }
    }

    pub(crate) fn stop_loadgen(&mut self) {
        if let Some(mut h) = self.loadgen.handle.take() {
            h.stop(STOP_GRACE);
        }
        self.loadgen = Loadgen::default();
    }

    /// Echo: a side's unit count is its connection count, kept by the load generator.
    pub(crate) fn set_connections(&mut self, side: Side, connections: u64) {
        // Before the server has reported its port, the target goes out with the port.
        if let Some((_, port)) = self.loadgen.servers[side.index()] {
            self.send_loadgen(&ToLoadgen::Target {
                side,
                port: Some(port),
                connections,
            });
        }
    }

    fn send_loadgen(&mut self, cmd: &ToLoadgen) {
        if let Some(h) = self.loadgen.handle.as_mut()
            && let Err(e) = h.send(cmd)
        {
            self.notice = Some(format!("the load generator did not take the command: {e}"));
        }
    }

    /// Errors go on both sides: the load generator serves both.
    fn loadgen_error(&mut self, text: String) {
        for side in Side::BOTH {
            let text = text.clone();
            self.feed(Input::Error { side, text });
        }
    }

    /// Applies what the load generator's reader threads sent.
    pub fn on_loadgen(&mut self, ev: LoadgenEvent) {
        let current = self.loadgen.handle.as_ref().map(|h| h.generation);
        if current != Some(ev.generation) {
            return; // from a load generator stopped on purpose
        }
        let why = match ev.incoming {
            LoadIncoming::Side(s) => {
                let side = s.side;
                for e in &s.errors {
                    let text = format!("load generator: {e}");
                    self.feed(Input::Error { side, text });
                }
                self.loadgen.latest[side.index()] = Some(*s);
                return;
            }
            LoadIncoming::Stderr(line) => {
                return self.loadgen_error(format!("load generator: {line}"));
            }
            LoadIncoming::Fatal(why) => why,
            LoadIncoming::Protocol(e) => format!("bad message: {e}"),
            LoadIncoming::Closed => "it stopped reporting".into(),
        };
        let status = self
            .loadgen
            .handle
            .take()
            .map_or_else(String::new, |mut h| format!("; {}", h.stop(STOP_GRACE)));
        self.loadgen.latest = [None, None];
        self.loadgen_error(format!("load generator failed: {why}{status}"));
    }

    /// An echo worker's sample, before the model takes it: a port not seen before (a new or
    /// restarted server) gets the side's connections aimed at it; then the figures are merged.
    pub(crate) fn merge_load(&mut self, side: Side, s: &mut SideSample) {
        if !self.is_driven(side) {
            return;
        }
        let i = side.index();
        let generation = self.workers[i].as_ref().map_or(0, |w| w.generation);
        if let Some(port) = s.worker.extra.get(PORT_KEY).map(|&p| p as u16)
            && self.loadgen.servers[i] != Some((generation, port))
        {
            self.loadgen.servers[i] = Some((generation, port));
            let connections = self.cfg.units[i];
            self.send_loadgen(&ToLoadgen::Target {
                side,
                port: Some(port),
                connections,
            });
        }
        let target_units = self.cfg.units[i];
        merge(s, target_units, self.loadgen.latest[i].as_ref());
    }
}

/// Makes an echo sample say what the side's connections cost: units are the connections the server
/// has open, the target the connections asked for; the load generator's live figures go into `extra`
/// (requests/s over the last second, latency over the last sample interval; a final report takes
/// their mean over the steady state, see `SideModel::final_figures`) and its
/// request latency, timed on the load generator's clock, stands in for the lateness. Its limit becomes
/// the side's, unless the server has one.
fn merge(s: &mut SideSample, target_units: u64, load: Option<&LoadSideSample>) {
    let w = &mut s.worker;
    let open = w.extra.get(CONNECTIONS_KEY).copied().unwrap_or(0.0) as u64;
    w.units = open;
    w.target_units = target_units;
    let rss_per_connection = (open > 0)
        .then(|| s.os.rss_bytes.saturating_sub(w.baseline_rss_bytes) as f64 / open as f64);
    let latency = load.and_then(|l| l.latency);
    let pct = |f: fn(&Percentiles) -> u64| latency.map_or(f64::NAN, |p| f(&p) as f64);
    // NaN stands for "not measured" and prints as null.
    let figures = [
        (
            echo::RSS_PER_CONNECTION,
            rss_per_connection.unwrap_or(f64::NAN),
        ),
        (
            echo::CLIENT_CONNECTIONS,
            load.map_or(f64::NAN, |l| l.connections as f64),
        ),
        (
            echo::REQUESTS_PER_SEC,
            load.map_or(f64::NAN, |l| l.requests_per_sec),
        ),
        (echo::REQUEST_P50, pct(|p| p.p50_us)),
        (echo::REQUEST_P99, pct(|p| p.p99_us)),
        (echo::REQUEST_MAX, pct(|p| p.max_us)),
        (
            echo::REQUEST_ERRORS,
            load.map_or(f64::NAN, |l| l.errors_total as f64),
        ),
    ];
    for (figure, value) in figures {
        w.extra.insert(figure.key.into(), value);
    }
    // The one unit the spawner started is the server; what a connection costs to start is the kind's.
    w.spawn_ns_per_unit = w.extra.get(SPAWN_NS_KEY).copied();
    w.lateness = load.and_then(|l| l.latency);
    w.lateness_steady = load.and_then(|l| l.latency_steady);
    if w.limit_hit.is_none()
        && let Some(l) = load.filter(|l| l.limit_hit.is_some())
    {
        w.limit_hit = l.limit_hit.as_ref().map(|h| format!("load generator: {h}"));
        w.limit_name.clone_from(&l.limit_name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::WorkerSample;

    fn server_sample(open: f64, rss_bytes: u64) -> SideSample {
        SideSample {
            worker: WorkerSample {
                units: 1,
                target_units: 1,
                baseline_rss_bytes: 1_000_000,
                extra: [(CONNECTIONS_KEY.to_string(), open)].into(),
                ..WorkerSample::default()
            },
            os: crate::model::OsStat {
                rss_bytes,
                ..Default::default()
            },
            threads: None,
        }
    }

    #[test]
    fn units_are_the_server_s_connections_and_the_load_figures_join_them() {
        let steady = Percentiles {
            count: 10,
            p50_us: 80,
            p99_us: 300,
            max_us: 900,
        };
        let live = Percentiles {
            p99_us: 250,
            ..steady
        };
        let load = LoadSideSample {
            connections: 200,
            requests_per_sec: 190.0,
            requests_per_sec_steady: Some(200.0),
            latency: Some(live),
            latency_steady: Some(steady),
            limit_hit: Some("reached 200 of 300 connections: connect failed: EMFILE".into()),
            limit_name: Some("ulimit -n (RLIMIT_NOFILE)".into()),
            ..LoadSideSample::new(Side::Threads)
        };
        let mut s = server_sample(200.0, 3_000_000);
        merge(&mut s, 300, Some(&load));
        let w = &s.worker;
        assert_eq!((w.units, w.target_units), (200, 300));
        assert_eq!(w.extra[echo::RSS_PER_CONNECTION.key], 10_000.0);
        assert_eq!(
            w.extra[echo::REQUESTS_PER_SEC.key],
            190.0,
            "the rate over the last second"
        );
        assert_eq!(
            w.extra[echo::REQUEST_P99.key],
            250.0,
            "the latency of the last interval"
        );
        assert_eq!(w.lateness_steady, Some(steady));
        assert!(
            w.limit_hit
                .as_deref()
                .is_some_and(|h| h.starts_with("load generator: reached 200"))
        );
    }

    #[test]
    fn without_connections_or_a_load_generator_the_figures_are_null_not_made_up() {
        let mut s = server_sample(0.0, 3_000_000);
        s.worker.limit_hit = Some("the server's own".into());
        merge(&mut s, 0, None);
        let w = &s.worker;
        assert_eq!((w.units, w.target_units), (0, 0));
        for key in [
            echo::RSS_PER_CONNECTION.key,
            echo::REQUESTS_PER_SEC.key,
            echo::REQUEST_P50.key,
        ] {
            assert!(w.extra[key].is_nan(), "{key}");
        }
        assert!(w.lateness.is_none());
        assert_eq!(w.limit_hit.as_deref(), Some("the server's own"));
    }
}
