//! The message API's keepalive (uWebSockets.js's `idleTimeout`, ws's heartbeat): a PING when the
//! peer has been quiet for the ping interval, and the connection dropped when nothing at all
//! (PONGs included) came for the idle timeout, so half-open peers do not linger (§5.5.2).

use std::time::{Duration, Instant};

pub(super) struct Keepalive {
    heard: Instant,
    pinged: Instant,
}

/// What a keepalive deadline asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Due {
    Nothing,
    Ping,
    /// The peer has been silent for the idle timeout.
    Drop,
}

impl Keepalive {
    pub(super) fn new(now: Instant) -> Self {
        Keepalive { heard: now, pinged: now }
    }

    /// Something arrived from the peer.
    pub(super) fn heard(&mut self, now: Instant) {
        self.heard = now;
    }

    pub(super) fn deadline(&self, ping: Option<Duration>, idle: Option<Duration>) -> Option<Instant> {
        let ping_at = ping.map(|ping| self.heard.max(self.pinged) + ping);
        let drop_at = idle.map(|idle| self.heard + idle);
        ping_at.into_iter().chain(drop_at).min()
    }

    pub(super) fn due(&mut self, now: Instant, ping: Option<Duration>, idle: Option<Duration>) -> Due {
        if idle.is_some_and(|idle| now >= self.heard + idle) {
            return Due::Drop;
        }
        if ping.is_some_and(|ping| now >= self.heard.max(self.pinged) + ping) {
            self.pinged = now;
            return Due::Ping;
        }
        Due::Nothing
    }
}
