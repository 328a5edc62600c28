//! Baselines without versus around them: the same switch and spawn as the `switch` and `spawn` kinds,
//! as small standalone programs. versus's `switch_wall_ns` and `spawn_wall_ns` should stay within 2× of these,
//! or the instrumentation is what the audience would be watching.
//!
//! `cargo bench --bench baseline`. Every bench counts items: one-way switches, or spawn+joins.
//! ns per item = 1e9 / divan's item throughput (or time per iteration / items per iteration).
//!
//! tokio iterations are long (100,000 round trips, 10,000 spawns) on purpose: on a multi-thread
//! runtime a pair or a batch gets split over both workers by work stealing after a while, and a
//! short iteration that starts afresh on one worker would never show that cost, while versus,
//! which runs for seconds, does.

use std::hint::black_box;

use divan::Bencher;
use divan::counter::ItemsCount;

fn main() {
    divan::main();
}

/// Round trips per tokio iteration (one iteration is tens of ms).
const TOKIO_ROUND_TRIPS: u64 = 100_000;
/// Round trips per thread iteration; the pair of threads lives across iterations.
const THREAD_ROUND_TRIPS: u64 = 1_000;
/// Children per spawn+join round, as the `spawn` kind's default batch.
const BATCH: u64 = 100;
/// Rounds per tokio iteration.
const TOKIO_ROUNDS: u64 = 100;

/// Pins the calling thread where versus's default placement (`placement=same-cpu`) puts a side's
/// pairs: the async side on the first CPU it may use, the threads side on the second (the first on
/// a 1-CPU affinity), both units of a pair on that one CPU.
fn same_cpu(side: usize) -> usize {
    let allowed = versus::sys::allowed_cpus();
    let cpu = allowed
        .get(side % allowed.len().max(1))
        .copied()
        .unwrap_or(0);
    versus::sys::pin_current_thread(&[cpu]).expect("pin to an allowed cpu");
    cpu
}

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

/// A task spawns `batch` trivial children and joins them, `rounds` times, as the `spawn` kind does.
async fn tokio_spawn_join(rounds: u64, batch: u64) -> u64 {
    let mut sum = 0u64;
    let mut children = Vec::with_capacity(batch as usize);
    for _ in 0..rounds {
        for i in 0..batch {
            children.push(tokio::spawn(async move { black_box(i).wrapping_mul(31) }));
        }
        for c in children.drain(..) {
            sum = sum.wrapping_add(c.await.expect("child ends"));
        }
    }
    sum
}

mod switch {
    use super::*;

    /// On one CPU, as versus's async side with `placement=same-cpu` (the runtime's one thread pinned).
    #[divan::bench(sample_count = 20, max_time = 5)]
    fn tokio_mpsc_current_thread(b: Bencher) {
        same_cpu(0);
        let rt = current_thread();
        b.counter(ItemsCount::new(2 * TOKIO_ROUND_TRIPS))
            .bench_local(|| rt.block_on(rt.spawn(tokio_ping_pong(TOKIO_ROUND_TRIPS))));
    }

    #[divan::bench(sample_count = 20, max_time = 5)]
    fn tokio_mpsc_multi_thread(b: Bencher) {
        let rt = multi_thread();
        b.counter(ItemsCount::new(2 * TOKIO_ROUND_TRIPS))
            .bench_local(|| rt.block_on(rt.spawn(tokio_ping_pong(TOKIO_ROUND_TRIPS))));
    }

    /// Two threads bounce a number over two std mpsc channels, as the `switch` kind does, both on
    /// one CPU as versus's threads side with `placement=same-cpu` (lmbench `lat_ctx`'s way).
    #[divan::bench(max_time = 3)]
    fn std_mpsc_threads(b: Bencher) {
        let cpu = same_cpu(1);
        let (to_partner, partner_rx) = std::sync::mpsc::channel::<u64>();
        let (to_unit, unit_rx) = std::sync::mpsc::channel::<u64>();
        let partner = std::thread::spawn(move || {
            versus::sys::pin_current_thread(&[cpu]).expect("pin to an allowed cpu");
            while let Ok(n) = partner_rx.recv() {
                if to_unit.send(n + 1).is_err() {
                    return;
                }
            }
        });
        b.counter(ItemsCount::new(2 * THREAD_ROUND_TRIPS))
            .bench_local(|| {
                let mut n = 0;
                for _ in 0..THREAD_ROUND_TRIPS {
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

    #[divan::bench(sample_count = 20, max_time = 5)]
    fn tokio_current_thread(b: Bencher) {
        let rt = current_thread();
        b.counter(ItemsCount::new(TOKIO_ROUNDS * BATCH))
            .bench_local(|| rt.block_on(rt.spawn(tokio_spawn_join(TOKIO_ROUNDS, BATCH))));
    }

    #[divan::bench(sample_count = 20, max_time = 5)]
    fn tokio_multi_thread(b: Bencher) {
        let rt = multi_thread();
        b.counter(ItemsCount::new(TOKIO_ROUNDS * BATCH))
            .bench_local(|| rt.block_on(rt.spawn(tokio_spawn_join(TOKIO_ROUNDS, BATCH))));
    }

    /// One round per iteration: `BATCH` std threads that do next to nothing, spawned then joined.
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
