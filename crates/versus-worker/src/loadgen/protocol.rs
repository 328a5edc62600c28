//! Controller <-> load generator messages: JSON lines like the worker protocol, with their own version.
//! Framing, size bound and decoding are the worker protocol's (`crate::protocol`).

use serde::{Deserialize, Serialize};

use crate::protocol::{Percentiles, Side};

/// Bumped whenever a message here changes shape.
pub const LOADGEN_VERSION: u32 = 1;

/// How the load generator drives every connection; sent once, first.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LoadSpec {
    /// Requests per second on each connection; 0 = as fast as the echo comes back (busy).
    pub requests_per_sec_per_conn: f64,
    /// Size of each request, echoed byte for byte.
    pub request_bytes: usize,
    pub interval_ms: u64,
    /// tokio worker threads of the load generator.
    pub workers: usize,
}

/// Controller -> load generator.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ToLoadgen {
    Start {
        version: u32,
        spec: LoadSpec,
    },
    /// Keep this many connections open to the side's server. A new port closes the connections to
    /// the old one first; no port closes them all.
    Target {
        side: Side,
        port: Option<u16>,
        connections: u64,
    },
}

/// One side as the load generator sees it, every interval.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct LoadSideSample {
    pub side: Side,
    /// Connections asked for.
    pub target_connections: u64,
    /// Connections open now (connected and not failed).
    pub connections: u64,
    /// Requests whose echo came back complete and byte for byte equal, since start.
    pub requests_total: u64,
    /// Verified requests per second over about the last second.
    pub requests_per_sec: f64,
    /// Verified requests per second since the connection count last changed, once that is a second.
    pub requests_per_sec_steady: Option<f64>,
    /// Connect, read, write and mismatch errors since start.
    pub errors_total: u64,
    /// Request latency during this interval: write start to last echo byte, on the load generator's clock.
    pub latency: Option<Percentiles>,
    /// Request latency since the connection count last changed (the steady state).
    pub latency_steady: Option<Percentiles>,
    /// Why connections stopped being opened (e.g. EMFILE), with how many were reached.
    pub limit_hit: Option<String>,
    /// Which limit that was (e.g. "ulimit -n (RLIMIT_NOFILE)").
    pub limit_name: Option<String>,
    /// Errors since the last sample, alike ones counted together.
    pub errors: Vec<String>,
}

/// Load generator -> controller.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromLoadgen {
    Hello {
        version: u32,
        pid: u32,
    },
    Side(Box<LoadSideSample>),
    /// The load generator cannot go on; it exits after sending this.
    Fatal {
        message: String,
    },
}

impl LoadSideSample {
    /// A side with nothing asked for and nothing measured yet.
    pub fn new(side: Side) -> LoadSideSample {
        LoadSideSample {
            side,
            target_connections: 0,
            connections: 0,
            requests_total: 0,
            requests_per_sec: 0.0,
            requests_per_sec_steady: None,
            errors_total: 0,
            latency: None,
            latency_steady: None,
            limit_hit: None,
            limit_name: None,
            errors: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{decode, encode};

    #[test]
    fn messages_round_trip_and_garbage_is_refused() {
        let msgs = [
            ToLoadgen::Target {
                side: Side::Threads,
                port: Some(40_000),
                connections: 200,
            },
            ToLoadgen::Start {
                version: LOADGEN_VERSION,
                spec: LoadSpec {
                    requests_per_sec_per_conn: 0.0,
                    request_bytes: 64,
                    interval_ms: 250,
                    workers: 2,
                },
            },
        ];
        for m in msgs {
            assert_eq!(decode::<ToLoadgen>(encode(&m).as_bytes()), Ok(m));
        }
        let s = FromLoadgen::Side(Box::new(LoadSideSample {
            connections: 3,
            ..LoadSideSample::new(Side::Async)
        }));
        assert_eq!(decode::<FromLoadgen>(encode(&s).as_bytes()), Ok(s));
        for bad in [
            &b"{\"kind\":\"target\",\"side\":\"both\",\"port\":1,\"connections\":1}"[..],
            b"{\"kind\":\"target\",\"side\":\"async\",\"port\":70000,\"connections\":1}",
            b"{\"kind\":\"start\"}",
        ] {
            assert!(decode::<ToLoadgen>(bad).is_err());
        }
    }
}
