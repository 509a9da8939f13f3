//! What the caller sets on a connection and the runtime reads: strictness, limits, timeouts,
//! keepalive, pause. Plain atomics: a change applies from the next frame the runtime reads.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use super::ConnectionConfig;
use crate::decoder::Policy;
use crate::defaults;
use crate::deflate::DeflateOptions;
use crate::protocol::fragmentation::MessageLimits;

pub(super) struct Settings {
    strict: AtomicBool,
    max_payload: AtomicU64,
    max_message_size: AtomicU64,
    max_fragments: AtomicU64,
    close_timeout_ms: AtomicU64,
    messages: AtomicBool,
    ping_interval_ms: AtomicU64,
    idle_timeout_ms: AtomicU64,
    /// The caller's `pause()`: the runtime stops reading the socket.
    paused: AtomicBool,
    /// Poco's blocking flag: only the binding's calls read it (they wait or return -1).
    blocking: AtomicBool,
    receive_timeout_ms: AtomicU64,
    send_timeout_ms: AtomicU64,
    /// The write buffer's high-water mark.
    write_limit: AtomicUsize,
    max_backpressure: AtomicUsize,
    auto_pong: AtomicBool,
    /// Fixed at the handshake: what permessage-deflate was offered or accepted with.
    deflate: Option<DeflateOptions>,
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis().min(u64::MAX as u128) as u64
}

fn setting(ms: &AtomicU64) -> Option<Duration> {
    match ms.load(Relaxed) {
        0 => None,
        ms => Some(Duration::from_millis(ms)),
    }
}

impl Settings {
    pub(super) fn new(config: ConnectionConfig) -> Self {
        let settings = Settings {
            strict: AtomicBool::new(false),
            max_payload: AtomicU64::new(0),
            max_message_size: AtomicU64::new(0),
            max_fragments: AtomicU64::new(0),
            close_timeout_ms: AtomicU64::new(0),
            messages: AtomicBool::new(false),
            ping_interval_ms: AtomicU64::new(0),
            idle_timeout_ms: AtomicU64::new(0),
            paused: AtomicBool::new(false),
            blocking: AtomicBool::new(true),
            receive_timeout_ms: AtomicU64::new(millis(defaults::RECEIVE_TIMEOUT)),
            send_timeout_ms: AtomicU64::new(millis(defaults::SEND_TIMEOUT)),
            write_limit: AtomicUsize::new(defaults::OUTBOUND_HIGH_WATER),
            max_backpressure: AtomicUsize::new(0),
            auto_pong: AtomicBool::new(true),
            deflate: config.deflate,
        };
        settings.set_config(config);
        settings
    }

    pub(super) fn config(&self) -> ConnectionConfig {
        ConnectionConfig {
            strict: self.strict(),
            max_payload_size: self.max_payload.load(Relaxed),
            max_message_size: self.max_message_size.load(Relaxed),
            max_fragments: self.max_fragments.load(Relaxed),
            close_timeout: self.close_timeout(),
            messages: self.messages(),
            ping_interval: Duration::from_millis(self.ping_interval_ms.load(Relaxed)),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms.load(Relaxed)),
            max_backpressure: self.max_backpressure(),
            auto_pong: self.auto_pong(),
            deflate: self.deflate,
        }
    }

    /// Everything but `deflate`, which the handshake has already used.
    pub(super) fn set_config(&self, config: ConnectionConfig) {
        self.strict.store(config.strict, Relaxed);
        self.max_payload.store(config.max_payload_size, Relaxed);
        self.max_message_size.store(config.max_message_size, Relaxed);
        self.max_fragments.store(config.max_fragments, Relaxed);
        self.close_timeout_ms.store(millis(config.close_timeout), Relaxed);
        self.messages.store(config.messages, Relaxed);
        self.ping_interval_ms.store(millis(config.ping_interval), Relaxed);
        self.idle_timeout_ms.store(millis(config.idle_timeout), Relaxed);
        self.max_backpressure.store(config.max_backpressure, Relaxed);
        self.auto_pong.store(config.auto_pong, Relaxed);
    }

    pub(super) fn auto_pong(&self) -> bool {
        self.auto_pong.load(Relaxed)
    }

    pub(super) fn max_backpressure(&self) -> usize {
        self.max_backpressure.load(Relaxed)
    }

    pub(super) fn strict(&self) -> bool {
        self.strict.load(Relaxed)
    }

    pub(super) fn messages(&self) -> bool {
        self.messages.load(Relaxed)
    }

    pub(super) fn policy(&self) -> Policy {
        Policy {
            strict: self.strict(),
            max_payload: self.max_payload.load(Relaxed),
            limits: MessageLimits {
                max_message_size: self.max_message_size.load(Relaxed),
                max_fragments: self.max_fragments.load(Relaxed),
            },
            join: self.messages(),
        }
    }

    pub(super) fn close_timeout(&self) -> Duration {
        Duration::from_millis(self.close_timeout_ms.load(Relaxed))
    }

    /// The keepalive ping interval and idle timeout, each `None` when off.
    pub(super) fn keepalive(&self) -> (Option<Duration>, Option<Duration>) {
        (setting(&self.ping_interval_ms), setting(&self.idle_timeout_ms))
    }

    pub(super) fn paused(&self) -> bool {
        self.paused.load(Relaxed)
    }

    pub(super) fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Relaxed);
    }

    pub(super) fn blocking(&self) -> bool {
        self.blocking.load(Relaxed)
    }

    pub(super) fn set_blocking(&self, blocking: bool) {
        self.blocking.store(blocking, Relaxed);
    }

    pub(super) fn receive_timeout_ms(&self) -> u64 {
        self.receive_timeout_ms.load(Relaxed)
    }

    pub(super) fn set_receive_timeout_ms(&self, ms: u64) {
        self.receive_timeout_ms.store(ms, Relaxed);
    }

    pub(super) fn send_timeout_ms(&self) -> u64 {
        self.send_timeout_ms.load(Relaxed)
    }

    pub(super) fn set_send_timeout_ms(&self, ms: u64) {
        self.send_timeout_ms.store(ms, Relaxed);
    }

    pub(super) fn write_limit(&self) -> usize {
        self.write_limit.load(Relaxed)
    }

    pub(super) fn set_write_limit(&self, bytes: usize) {
        self.write_limit.store(bytes, Relaxed);
    }
}
