//! How a driver waits for its next deadline: a tokio timer on the runtime threads, the reactor's
//! timer heap on the JS thread ([`crate::reactor`]).

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Instant;

use tokio::time::Sleep;

pub(crate) trait Timer {
    /// `true` once `at` has passed; otherwise has the driver polled again at `at` (and forgets
    /// any earlier deadline). `None`: no deadline.
    fn poll_at(&mut self, at: Option<Instant>, cx: &mut Context<'_>) -> bool;

    /// The time now, for deadlines and keepalive (the reactor reads the clock once per round of
    /// polls, not once per connection).
    fn now(&self) -> Instant {
        Instant::now()
    }
}

#[derive(Default)]
pub(crate) struct TokioTimer(Option<(Instant, Pin<Box<Sleep>>)>);

impl Timer for TokioTimer {
    fn poll_at(&mut self, at: Option<Instant>, cx: &mut Context<'_>) -> bool {
        let Some(at) = at else {
            self.0 = None;
            return false;
        };
        match &mut self.0 {
            Some((armed, sleep)) if *armed == at => sleep.as_mut().poll(cx).is_ready(),
            timer => {
                let mut sleep = Box::pin(tokio::time::sleep_until(at.into()));
                let ready = sleep.as_mut().poll(cx).is_ready();
                *timer = Some((at, sleep));
                ready
            }
        }
    }
}
