//! Timer wake-ups with the timer kept apart from the scheduler. Lateness is wake-up − requested
//! deadline. Scheduling delay is wake-up − the moment the timer fired: on tokio, when its time driver
//! called the task's waker (the timer has a 1 ms tick: a deadline rounds up to the next ms of the
//! runtime's clock, and the driver parks in whole ms, so lateness is floored near 1 ms whatever the
//! scheduler does); on a thread, the deadline itself (nanosleep is an hrtimer, no tick; the kernel's
//! 50 µs default timer slack counts as delay), so there it equals lateness.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Instant;

use parking_lot::Mutex;

/// tokio's timer resolution, µs.
pub const TOKIO_TICK_US: u64 = 1_000;
/// nanosleep's: an hrtimer, no tick.
pub const HRTIMER_TICK_US: u64 = 0;
/// One async unit in this many carries a wake stamp (one more allocation, ~80 B), so the memory
/// figures of the others stay what a bare task costs; the delay is a sample of the side's units.
pub const STAMP_EVERY: u64 = 16;

/// Records when tokio's timer woke a task, then passes the wake-up on.
#[derive(Default)]
pub struct WakeStamp {
    /// (the task's own waker, when it was woken)
    state: Mutex<(Option<Waker>, Option<Instant>)>,
}

impl Wake for WakeStamp {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waker = {
            let mut s = self.state.lock();
            s.1.get_or_insert_with(Instant::now);
            s.0.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// A tokio sleep, stamped or not: the stamped kind returns when the timer fired.
pub trait TimerStamp: Send + Sync + 'static {
    /// Sleeps until `deadline`; Some(when the timer fired) if this kind knows.
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = Option<Instant>> + Send;
}

/// No stamp: a bare tokio sleep.
impl TimerStamp for () {
    async fn sleep_until(&self, deadline: Instant) -> Option<Instant> {
        tokio::time::sleep_until(deadline.into()).await;
        None
    }
}

impl TimerStamp for Arc<WakeStamp> {
    async fn sleep_until(&self, deadline: Instant) -> Option<Instant> {
        *self.state.lock() = (None, None);
        let mut sleep = pin!(tokio::time::sleep_until(deadline.into()));
        let waker = Waker::from(self.clone());
        std::future::poll_fn(|cx: &mut Context<'_>| {
            self.state.lock().0 = Some(cx.waker().clone());
            sleep.as_mut().poll(&mut Context::from_waker(&waker))
        })
        .await;
        // Ready at the first poll (the deadline had passed): the timer could fire at the deadline.
        Some(self.state.lock().1.unwrap_or(deadline))
    }
}

/// Whether unit `index` of an async side carries a stamp.
pub fn stamped(index: u64) -> bool {
    index.is_multiple_of(STAMP_EVERY)
}
