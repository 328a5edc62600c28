//! `echo`: real network I/O. Each side runs a TCP echo server on 127.0.0.1, on a port the OS picks;
//! the load generator (its own process) opens the connections and measures the requests. The async
//! server spawns one tokio task per accepted connection, the threads server one std thread.
//!
//! The worker runs one unit here, the server (listener and accept loop); connections are counted
//! apart and reported in `extra`, and the controller shows them as the side's units.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{BuildCtx, Kind, Pace, ParamDef, SideShared, UnitFuture, Workload};
use crate::figure::{Direction, Figure, Format, Generic, Panel};
use crate::limits::fds;
use crate::limits::{self, SpawnGuard};
use crate::workload::Unit;

pub const KIND: Kind = Kind {
    name: "echo",
    summary: "a TCP echo server on loopback per side, driven by a separate load generator (the C10K case)",
    caption: "Real sockets: every connection costs the threads side an OS thread, the async side a task. \
              Watch OS threads, RSS per unit (per connection) and context switches/s from 100 to 10,000 \
              connections; with rate=0 they are busy, compare throughput (requests/s).",
    params: PARAMS,
    build,
    figures: FIGURES,
    headline: &[&RSS_PER_CONNECTION, &REQUEST_P99],
    pace: Some(Pace::PerSec {
        param: "rate",
        done: &REQUESTS_PER_SEC,
    }),
    churns: false,
    source: ("echo.rs", include_str!("echo.rs")),
};

const PARAMS: &[ParamDef] = &[
    ParamDef::int(
        CONNECTIONS_PARAM,
        0,
        0,
        1_000_000,
        "connections per side; 0 = the side's units (--async-units, --thread-units, keys)",
    )
    .zero_means(super::params::Zero::Units),
    ParamDef::float(
        "rate",
        1.0,
        0.0,
        100_000.0,
        "requests per second on each connection; 0 = as fast as the echo comes back (busy)",
    ),
    ParamDef::int(
        "request_bytes",
        64,
        16,
        16_384,
        "size of each request, echoed and checked byte for byte",
    ),
];

/// The parameter of the connections per side.
pub const CONNECTIONS_PARAM: &str = "connections";

/// Figures of `extra`: the port the server listens on, connections it has open, and the mean time it
/// took to start a connection's task or thread; the controller adds the load generator's
/// (`controller::loadgen`), whose request latency is what the generic lateness row would show.
pub const PORT: Figure = Figure::extra("port", Format::Count, Direction::Neutral);
pub const CONNECTIONS: Figure = Figure::extra("connections", Format::Count, Direction::Neutral)
    .panel(Panel::segment("conns", "{} open").minor());
pub const SPAWN_NS_PER_CONNECTION: Figure = Figure::extra(
    "spawn_ns_per_connection",
    Format::Nanos,
    Direction::LessIsBetter,
);
pub const REQUESTS_PER_SEC: Figure =
    Figure::extra("requests_per_sec", Format::PerSec, Direction::MoreIsBetter)
        .panel(Panel::row("requests"))
        .total("requests_per_sec", "requests/s");
pub const REQUEST_ERRORS: Figure =
    Figure::extra("request_errors", Format::Count, Direction::LessIsBetter)
        .panel(Panel::segment("requests", "{} errors"));
pub const REQUEST_P50: Figure =
    Figure::extra("request_p50_us", Format::Micros, Direction::LessIsBetter)
        .panel(Panel::segment("latency", "p50 {}").replaces(Generic::Lateness));
pub const REQUEST_P99: Figure =
    Figure::extra("request_p99_us", Format::Micros, Direction::LessIsBetter)
        .panel(Panel::segment("latency", "p99 {}").replaces(Generic::Lateness))
        .headline("request_p99", "request p99");
pub const REQUEST_MAX: Figure =
    Figure::extra("request_max_us", Format::Micros, Direction::LessIsBetter)
        .panel(Panel::segment("latency", "max {}"));
pub const CLIENT_CONNECTIONS: Figure =
    Figure::extra("client_connections", Format::Count, Direction::Neutral)
        .panel(Panel::segment("conns", "{} client").minor());
pub const RSS_PER_CONNECTION: Figure = Figure::extra(
    "rss_per_connection_bytes",
    Format::Bytes,
    Direction::LessIsBetter,
)
.panel(Panel::row("RSS/conn").minor())
.headline("rss_per_connection", "per connection");
/// In panel order.
const FIGURES: &[Figure] = &[
    REQUESTS_PER_SEC,
    REQUEST_ERRORS,
    REQUEST_P50,
    REQUEST_P99,
    REQUEST_MAX,
    CONNECTIONS,
    CLIENT_CONNECTIONS,
    RSS_PER_CONNECTION,
    PORT,
    SPAWN_NS_PER_CONNECTION,
];
pub const PORT_KEY: &str = PORT.key;
pub const CONNECTIONS_KEY: &str = CONNECTIONS.key;
pub const SPAWN_NS_KEY: &str = SPAWN_NS_PER_CONNECTION.key;
/// The largest read a connection makes at once; requests longer than this take several.
const BUF_BYTES: usize = 1024;
/// Pending connections the kernel queues for accept, so thousands of connects at once are not dropped
/// (the kernel caps it at net.core.somaxconn).
const BACKLOG: i32 = 4096;
/// How often a unit beyond the server checks whether it may end.
const SPARE_UNIT_CHECK: Duration = Duration::from_millis(250);
/// Pause after an accept error, so a full descriptor table does not turn the accept loop into a spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

struct Echo {
    shared: Arc<SideShared>,
    /// Taken by the server unit when it starts.
    listener: Mutex<Option<TcpListener>>,
    port: u16,
    /// Connections accepted and still served.
    connections: AtomicU64,
    /// Time spent starting connection tasks or threads, and how many were started.
    spawn_ns_total: AtomicU64,
    spawns: AtomicU64,
    request_bytes: u64,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    fds::raise_nofile();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("echo server: bind 127.0.0.1: {}", fds::describe(&e)))?;
    // SAFETY: listen on the socket just bound; calling it again only changes the backlog.
    unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) };
    let port = listener
        .local_addr()
        .map_err(|e| format!("echo server: {e}"))?
        .port();
    Ok(Arc::new(Echo {
        shared: ctx.shared.clone(),
        listener: Mutex::new(Some(listener)),
        port,
        connections: AtomicU64::new(0),
        spawn_ns_total: AtomicU64::new(0),
        spawns: AtomicU64::new(0),
        request_bytes: ctx.params.int("request_bytes").max(1) as u64,
    }))
}

/// One accepted connection, counted while it lives.
struct Open(Arc<Echo>);

impl Open {
    fn new(echo: &Arc<Echo>) -> Open {
        echo.connections.fetch_add(1, Ordering::SeqCst);
        Open(echo.clone())
    }

    /// Counts the whole requests among `n` more bytes echoed (a request may take several reads).
    fn echoed(&self, echoed_bytes: &mut u64, n: usize) {
        let rb = self.0.request_bytes;
        let before = *echoed_bytes / rb;
        *echoed_bytes += n as u64;
        let done = *echoed_bytes / rb - before;
        if done > 0 {
            self.0.shared.ops.fetch_add(done, Ordering::Relaxed);
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Echo {
    fn timed_spawn(&self, since: Instant) {
        let ns = since.elapsed().as_nanos() as u64;
        self.spawn_ns_total.fetch_add(ns, Ordering::Relaxed);
        self.spawns.fetch_add(1, Ordering::Relaxed);
    }

    /// An accept that failed: a limit is reported as the side's limit, anything else as an error.
    fn accept_failed(&self, e: &io::Error) {
        let open = self.connections.load(Ordering::SeqCst);
        match fds::limit_of(e) {
            Some((name, detail)) => self.shared.hit_limit(
                format!(
                    "accept failed at {open} connections: {}; {detail}",
                    fds::describe(e)
                ),
                Some(name.into()),
            ),
            None => self
                .shared
                .push_error(format!("accept failed: {}", fds::describe(e))),
        }
    }

    /// Starts the thread of one connection; false when a limit stops it (the connection is then closed).
    fn spawn_thread(
        self: &Arc<Self>,
        stream: std::net::TcpStream,
        stack_bytes: Option<usize>,
        guard: &mut SpawnGuard,
    ) -> bool {
        let open = self.connections.load(Ordering::SeqCst);
        let started = Instant::now();
        let conn = Open::new(self);
        let mut b = std::thread::Builder::new();
        if let Some(bytes) = stack_bytes {
            b = b.stack_size(bytes);
        }
        // The guard may stop the side here, or wait for this thread to run near a per-process
        // limit (see limits::guard); on a stop the closure and its connection are dropped.
        match guard.spawn(b, open, move || serve_blocking(stream, &conn)) {
            Ok(()) => {
                self.timed_spawn(started);
                true
            }
            Err((why, limit)) => {
                self.shared.hit_limit(why, Some(limit));
                false
            }
        }
    }
}

impl Workload for Echo {
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        Box::pin(async move {
            let Some(listener) = self.listener.lock().take() else {
                // One server per side. A unit beyond it idles until it is surplus: ending at once
                // would have the spawner replace it, again and again.
                while !unit.retire_if_surplus() {
                    tokio::time::sleep(SPARE_UNIT_CHECK).await;
                }
                return;
            };
            let _server = unit;
            let listener = match listener
                .set_nonblocking(true)
                .and_then(|()| tokio::net::TcpListener::from_std(listener))
            {
                Ok(l) => l,
                Err(e) => {
                    self.shared.push_error(format!("echo server: {e}"));
                    return;
                }
            };
            // core loop
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        let started = Instant::now();
                        let conn = Open::new(&self);
                        drop(tokio::spawn(serve_task(stream, conn)));
                        self.timed_spawn(started);
                    }
                    Err(e) => {
                        self.accept_failed(&e);
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                }
            }
        })
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        let Some(listener) = self.listener.lock().take() else {
            while !unit.retire_if_surplus() {
                std::thread::sleep(SPARE_UNIT_CHECK);
            }
            return;
        };
        let _server = unit;
        // Connection threads get the stack this thread got: --stack-size, or Rust's default.
        let stack_bytes = current_stack_bytes();
        let mut guard =
            SpawnGuard::new(stack_bytes.map_or(limits::DEFAULT_STACK_BYTES, |b| b as u64));
        // Connections open when a limit stopped the side: new ones are refused until fewer are open.
        let mut stopped_at: Option<u64> = None;
        // core loop
        loop {
            let stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) => {
                    self.accept_failed(&e);
                    std::thread::sleep(ACCEPT_BACKOFF);
                    continue;
                }
            };
            let open = self.connections.load(Ordering::SeqCst);
            if stopped_at.is_some_and(|at| open >= at) {
                continue; // dropping the stream closes it: the load generator sees the refusal
            }
            stopped_at = None;
            if !self.spawn_thread(stream, stack_bytes, &mut guard) {
                stopped_at = Some(open);
            }
        }
    }

    fn extra(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::from([
            (PORT_KEY.to_string(), f64::from(self.port)),
            (
                CONNECTIONS_KEY.to_string(),
                self.connections.load(Ordering::SeqCst) as f64,
            ),
        ]);
        let spawns = self.spawns.load(Ordering::Relaxed);
        if spawns > 0 {
            let total_ns = self.spawn_ns_total.load(Ordering::Relaxed);
            out.insert(SPAWN_NS_KEY.into(), total_ns as f64 / spawns as f64);
        }
        out
    }
}

/// The async side's connection: read what came, write it back, until the peer closes.
async fn serve_task(mut stream: tokio::net::TcpStream, conn: Open) {
    let _ = stream.set_nodelay(true);
    let mut buf = [0u8; BUF_BYTES];
    let mut echoed_bytes = 0u64;
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if stream.write_all(&buf[..n]).await.is_err() {
            return;
        }
        conn.echoed(&mut echoed_bytes, n);
    }
}

/// The threads side's connection: the same loop with blocking calls on its own thread.
fn serve_blocking(mut stream: std::net::TcpStream, conn: &Open) {
    let _ = stream.set_nodelay(true);
    let mut buf = [0u8; BUF_BYTES];
    let mut echoed_bytes = 0u64;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        if stream.write_all(&buf[..n]).is_err() {
            return;
        }
        conn.echoed(&mut echoed_bytes, n);
    }
}

/// Stack size of the calling thread, from pthread_getattr_np.
fn current_stack_bytes() -> Option<usize> {
    // SAFETY: attr is initialised by pthread_getattr_np before it is read and destroyed once after.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut bytes = 0usize;
        let rc = libc::pthread_attr_getstacksize(&attr, &mut bytes);
        libc::pthread_attr_destroy(&mut attr);
        (rc == 0 && bytes > 0).then_some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Params;

    fn server(side: crate::protocol::Side) -> (Arc<dyn Workload>, Arc<SideShared>) {
        let shared = Arc::new(SideShared::default());
        let params = Params::resolve(PARAMS, &BTreeMap::new()).expect("defaults");
        let w = build(&BuildCtx {
            params: &params,
            shared: &shared,
            side,
        })
        .expect("binds");
        (w, shared)
    }

    fn echo_once(port: u16) -> Vec<u8> {
        let mut s = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connects");
        let request: Vec<u8> = (0..64u8).collect();
        s.write_all(&request).expect("writes");
        let mut back = vec![0u8; request.len()];
        s.read_exact(&mut back).expect("echo");
        assert_eq!(back, request);
        back
    }

    #[test]
    fn the_threads_server_echoes_on_loopback_and_counts_connections() {
        let (w, shared) = server(crate::protocol::Side::Threads);
        let port = w.extra()[PORT_KEY] as u16;
        assert!(port > 0);
        let unit = Unit::enlist(0, shared.clone());
        let server = w.clone();
        std::thread::spawn(move || server.thread(unit));
        echo_once(port);
        echo_once(port);
        // The server counts a request after it has written the echo, so the count may trail the read.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while shared.ops.load(Ordering::SeqCst) < 2 {
            assert!(std::time::Instant::now() < deadline, "requests not counted");
            std::thread::sleep(Duration::from_millis(5));
        }
        let _held = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connects");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while w.extra()[CONNECTIONS_KEY] < 1.0 {
            assert!(
                std::time::Instant::now() < deadline,
                "connection not counted"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn the_async_server_listens_on_127_0_0_1_only() {
        let (w, shared) = server(crate::protocol::Side::Async);
        let addr = w_listener_addr(&w);
        assert_eq!(addr, Ipv4Addr::LOCALHOST);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let port = w.extra()[PORT_KEY] as u16;
        let task = w.clone().task(Unit::enlist(0, shared));
        let _running = rt.spawn(task);
        let echoed = std::thread::spawn(move || echo_once(port));
        rt.block_on(async {
            while !echoed.is_finished() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        assert_eq!(echoed.join().expect("echo thread").len(), 64);
    }

    #[test]
    fn a_unit_beyond_the_server_ends_once_surplus() {
        let (w, shared) = server(crate::protocol::Side::Threads);
        let listener = w.clone();
        let server_unit = Unit::enlist(0, shared.clone());
        std::thread::spawn(move || listener.thread(server_unit));
        // One echo proves the first unit holds the listener; otherwise the spare could take it and
        // sit in accept() where no retirement check reaches it.
        echo_once(w.extra()[PORT_KEY] as u16);
        shared.target.store(2, Ordering::SeqCst);
        let spare = Unit::enlist(1, shared.clone());
        let w2 = w.clone();
        let ended = std::thread::spawn(move || w2.thread(spare));
        shared.target.store(1, Ordering::SeqCst);
        ended.join().expect("the spare unit ends");
        assert_eq!(shared.alive.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_full_descriptor_table_is_the_side_s_limit_not_a_crash() {
        let (w, shared) = server(crate::protocol::Side::Threads);
        drop(w);
        let echo = Echo {
            shared: shared.clone(),
            listener: Mutex::new(None),
            port: 1,
            connections: AtomicU64::new(3),
            spawn_ns_total: AtomicU64::new(0),
            spawns: AtomicU64::new(0),
            request_bytes: 64,
        };
        echo.accept_failed(&io::Error::from_raw_os_error(libc::EMFILE));
        let (why, name) = shared.limit_hit().expect("a limit");
        assert!(
            why.starts_with("accept failed at 3 connections: EMFILE"),
            "{why}"
        );
        assert_eq!(name.as_deref(), Some(fds::RLIMIT_NOFILE));
        echo.accept_failed(&io::Error::from_raw_os_error(libc::ECONNABORTED));
        assert_eq!(shared.take_errors().len(), 1);
    }

    /// The address the server's socket is bound to, read from /proc/net/tcp by its port.
    fn w_listener_addr(w: &Arc<dyn Workload>) -> Ipv4Addr {
        let port = w.extra()[PORT_KEY] as u16;
        let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
        let local = table
            .lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().nth(1))
            .find(|a| a.ends_with(&format!(":{port:04X}")))
            .expect("the port is in the table");
        let hex = u32::from_str_radix(&local[..8], 16).expect("hex address");
        // The kernel prints the address's network-order bytes as one native-endian number.
        Ipv4Addr::from(hex.to_ne_bytes())
    }
}
