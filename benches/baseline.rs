//! Baselines without versus around them: the same switch and spawn as the `switch` and `spawn` kinds,
//! as small standalone programs. versus's `switch_ns` and `spawn_ns` should stay within 2× of these,
//! or the instrumentation is what the audience would be watching.
//!
//! `cargo bench --bench baseline`; one-way switch ns = time per iteration / (2 × ROUND_TRIPS),
//! ns per spawn+join = time per iteration / BATCH (divan's item throughput says the same per second).

use std::hint::black_box;

use divan::Bencher;
use divan::counter::ItemsCount;

fn main() {
    divan::main();
}

/// Round trips per iteration: enough that a block_on per iteration costs nothing in comparison.
const ROUND_TRIPS: u64 = 1_000;
/// Children per spawn+join round, as the `spawn` kind's default batch.
const BATCH: u64 = 100;

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// As versus's default async side: multi-thread, one worker per core (2 on the reference machine).
fn multi_thread() -> tokio::runtime::Runtime {
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A task bounces a number off a partner task over two tokio mpsc channels, as the `switch` kind does.
async fn tokio_ping_pong(round_trips: u64) -> u64 {
    let (to_partner, mut partner_rx) = tokio::sync::mpsc::channel::<u64>(1);
    let (to_unit, mut unit_rx) = tokio::sync::mpsc::channel::<u64>(1);
    tokio::spawn(async move {
        while let Some(n) = partner_rx.recv().await {
            if to_unit.send(n + 1).await.is_err() {
                return;
            }
        }
    });
    let mut n = 0;
    for _ in 0..round_trips {
        to_partner.send(n).await.expect("partner alive");
        n = unit_rx.recv().await.expect("partner alive");
    }
    n
}

mod switch {
    use super::*;

    #[divan::bench(max_time = 3)]
    fn tokio_mpsc_current_thread(b: Bencher) {
        let rt = current_thread();
        b.counter(ItemsCount::new(2 * ROUND_TRIPS))
            .bench_local(|| rt.block_on(rt.spawn(tokio_ping_pong(ROUND_TRIPS))));
    }

    #[divan::bench(max_time = 3)]
    fn tokio_mpsc_multi_thread(b: Bencher) {
        let rt = multi_thread();
        b.counter(ItemsCount::new(2 * ROUND_TRIPS))
            .bench_local(|| rt.block_on(rt.spawn(tokio_ping_pong(ROUND_TRIPS))));
    }

    /// Two threads bounce a number over two std mpsc channels, as the `switch` kind does.
    #[divan::bench(max_time = 3)]
    fn std_mpsc_threads(b: Bencher) {
        let (to_partner, partner_rx) = std::sync::mpsc::channel::<u64>();
        let (to_unit, unit_rx) = std::sync::mpsc::channel::<u64>();
        let partner = std::thread::spawn(move || {
            while let Ok(n) = partner_rx.recv() {
                if to_unit.send(n + 1).is_err() {
                    return;
                }
            }
        });
        b.counter(ItemsCount::new(2 * ROUND_TRIPS)).bench_local(|| {
            let mut n = 0;
            for _ in 0..ROUND_TRIPS {
                to_partner.send(n).expect("partner alive");
                n = unit_rx.recv().expect("partner alive");
            }
            n
        });
        drop(to_partner);
        partner.join().expect("partner ends");
    }
}

mod spawn {
    use super::*;

    async fn tokio_spawn_join(batch: u64) -> u64 {
        let children: Vec<_> = (0..batch)
            .map(|i| tokio::spawn(async move { black_box(i).wrapping_mul(31) }))
            .collect();
        let mut sum = 0u64;
        for c in children {
            sum = sum.wrapping_add(c.await.expect("child ends"));
        }
        sum
    }

    #[divan::bench(max_time = 3)]
    fn tokio_current_thread(b: Bencher) {
        let rt = current_thread();
        b.counter(ItemsCount::new(BATCH))
            .bench_local(|| rt.block_on(rt.spawn(tokio_spawn_join(BATCH))));
    }

    #[divan::bench(max_time = 3)]
    fn tokio_multi_thread(b: Bencher) {
        let rt = multi_thread();
        b.counter(ItemsCount::new(BATCH))
            .bench_local(|| rt.block_on(rt.spawn(tokio_spawn_join(BATCH))));
    }

    #[divan::bench(max_time = 3)]
    fn std_threads(b: Bencher) {
        b.counter(ItemsCount::new(BATCH)).bench_local(|| {
            let children: Vec<_> = (0..BATCH)
                .map(|i| std::thread::spawn(move || black_box(i).wrapping_mul(31)))
                .collect();
            children
                .into_iter()
                .map(|c| c.join().expect("child ends"))
                .fold(0u64, u64::wrapping_add)
        });
    }
}
