//! One client connection of the load generator: connect, then send a request, wait for its whole
//! echo, check it byte for byte and note the latency, at a fixed rate or back to back. At a fixed rate
//! the latency is timed from the scheduled send (less the timer's 1 ms tick), not from the actual one.
//! A connection that fails reports why and ends; it is not reopened until the next target.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::{Instant, timeout};

use super::stats::{OpenGuard, SideStats};
use crate::limits::fds;

/// A connect that takes longer has met a full accept queue that is not being drained.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// An echo that takes longer counts as lost: the connection reports it and ends.
const ECHO_TIMEOUT: Duration = Duration::from_secs(10);
/// tokio's timer fires up to this long after a deadline (its 1 ms tick): a send that late is on time.
const TIMER_TICK: Duration = Duration::from_millis(1);

/// What every connection of one side shares.
pub struct Shared {
    pub stats: Arc<SideStats>,
    /// Connects in flight at once, so ten thousand do not hit the server's accept queue together.
    pub connecting: Arc<Semaphore>,
    /// None: back to back (busy).
    pub period: Option<Duration>,
    pub request_bytes: usize,
}

/// Fills a request with bytes that depend on the connection and the sequence number, so an echo
/// from another connection or of an older request does not pass the check.
pub fn fill_request(buf: &mut [u8], conn: u64, seq: u64) {
    let seed = conn.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seq;
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (seed >> ((i % 8) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
    }
    let head = seq.to_le_bytes();
    let n = head.len().min(buf.len());
    buf[..n].copy_from_slice(&head[..n]);
}

/// Runs one connection to 127.0.0.1:`port` until it fails or the task is aborted.
pub async fn run(conn: u64, port: u16, shared: Arc<Shared>) {
    let stats = &shared.stats;
    let stream = {
        let Ok(_permit) = shared.connecting.acquire().await else {
            return;
        };
        if stats.stop_opening.load(Ordering::SeqCst) {
            return;
        }
        match timeout(
            CONNECT_TIMEOUT,
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)),
        )
        .await
        {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return stats.connect_failed(&e),
            Err(_) => return stats.error(format!("connect timed out after {CONNECT_TIMEOUT:?}")),
        }
    };
    let _open = OpenGuard::new(stats);
    let _ = stream.set_nodelay(true);
    if let Err(why) = exchange(conn, stream, &shared).await {
        stats.error(why);
    }
}

/// The request loop; returns why it stopped.
async fn exchange(conn: u64, mut stream: TcpStream, shared: &Shared) -> Result<(), String> {
    let mut request = vec![0u8; shared.request_bytes];
    let mut echo = vec![0u8; shared.request_bytes];
    // Idle connections start spread over one period so they do not all send at once.
    let mut next = shared.period.map(|p| {
        let phase = (conn.wrapping_mul(7919) % 1000) as u32;
        Instant::now() + p * phase / 1000
    });
    for seq in 0u64.. {
        // How late this send is against its schedule, beyond the timer's own tick.
        let mut behind = Duration::ZERO;
        if let (Some(at), Some(period)) = (next.as_mut(), shared.period) {
            tokio::time::sleep_until(*at).await;
            behind = at.elapsed().saturating_sub(TIMER_TICK);
            // The schedule is kept: a connection that fell behind (a slow echo) sends at once until it
            // catches up, and each of those requests counts the wait (no coordinated omission).
            *at += period;
        }
        fill_request(&mut request, conn, seq);
        let sent = Instant::now();
        let round_trip = async {
            stream.write_all(&request).await?;
            stream.read_exact(&mut echo).await
        };
        match timeout(ECHO_TIMEOUT, round_trip).await {
            Err(_) => return Err(format!("no echo within {ECHO_TIMEOUT:?}")),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err("the server closed the connection".into());
            }
            Ok(Err(e)) => return Err(format!("request failed: {}", fds::describe(&e))),
            Ok(Ok(_)) => {}
        }
        // Timed from the scheduled send: a server that stalls a connection is charged for the
        // requests that could not go out meanwhile, not only for the one it stalled.
        let latency = sent.elapsed() + behind;
        if echo != request {
            return Err("an echo differed from its request".into());
        }
        shared.stats.record(conn, latency);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_differ_by_connection_and_sequence() {
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        fill_request(&mut a, 1, 7);
        fill_request(&mut b, 2, 7);
        assert_ne!(a, b);
        fill_request(&mut b, 1, 8);
        assert_ne!(a, b);
        fill_request(&mut b, 1, 7);
        assert_eq!(a, b);
        let mut short = [0u8; 3];
        fill_request(&mut short, 1, 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_stalled_echo_is_charged_to_the_requests_that_waited_behind_it() {
        use crate::protocol::Side;
        use tokio::net::TcpListener;
        // An echo server that holds its 5th echo for 300 ms and answers every other one at once.
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let mut buf = [0u8; 16];
            for n in 1.. {
                if s.read_exact(&mut buf).await.is_err() {
                    return;
                }
                if n == 5 {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                if s.write_all(&buf).await.is_err() {
                    return;
                }
            }
        });
        let stats = Arc::new(SideStats::new(Side::Async));
        let shared = Arc::new(Shared {
            stats: Arc::clone(&stats),
            connecting: Arc::new(Semaphore::new(1)),
            period: Some(Duration::from_millis(10)),
            request_bytes: 16,
        });
        let client = tokio::spawn(run(0, port, shared));
        // Until 60 echoes came back (the stall is over by then), however slow the machine.
        while stats.requests.load(Ordering::Relaxed) < 60 {
            assert!(!client.is_finished(), "the connection ended");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        client.abort();
        let mut h = hdrhistogram::Histogram::<u64>::new(3).expect("histogram");
        stats.drain_latency(&mut h);
        // ~30 sends were due during the stall; timed from their schedule, each counts its wait
        // (300, 290, ... ms). Timed from the actual send, only the stalled one would be slow.
        let slow = h.count_between(100_000, u64::MAX);
        assert!(slow >= 10, "{slow} requests over 100 ms of {}", h.len());
    }
}
