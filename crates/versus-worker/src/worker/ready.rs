//! The worker's own threads (reporter, spawner, runtime workers) check in here once they have
//! allocated, so the baseline is read after their malloc arenas exist rather than racing them.

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

#[derive(Default)]
pub struct Ready {
    arrived: Mutex<usize>,
    cv: Condvar,
}

impl Ready {
    /// Called on the arriving thread: allocates once (a thread's first malloc attaches it to a glibc
    /// arena, reserving one if need be), then counts the thread in.
    pub fn arrive(&self) {
        drop(std::hint::black_box(Box::new([0u8; 64])));
        *self.arrived.lock() += 1;
        self.cv.notify_all();
    }

    /// Waits until `n` threads have arrived, or `limit` has passed (a slow start only makes the
    /// baseline less exact; it never stops the worker).
    pub fn wait_for(&self, n: usize, limit: Duration) {
        let until = Instant::now() + limit;
        let mut arrived = self.arrived.lock();
        while *arrived < n {
            if self.cv.wait_until(&mut arrived, until).timed_out() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn waits_for_every_thread_and_no_longer_than_the_limit() {
        let ready = Arc::new(Ready::default());
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let r = ready.clone();
                std::thread::spawn(move || r.arrive())
            })
            .collect();
        ready.wait_for(3, Duration::from_secs(60));
        assert_eq!(*ready.arrived.lock(), 3);
        for h in handles {
            let _ = h.join();
        }
        let started = Instant::now();
        ready.wait_for(4, Duration::from_millis(20));
        assert!(started.elapsed() >= Duration::from_millis(20));
    }
}
