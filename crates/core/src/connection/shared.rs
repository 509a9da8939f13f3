//! The state transitions of a connection that the caller's handle and the runtime tasks share:
//! queueing frames, wake-ups, failing the connection (§7.1.7) and the close handshake (§7.1).

use super::*;

impl Shared {
    pub(super) fn queue_frame(&self, outbound: &mut Outbound, flags: u8, payload: &[u8]) {
        let mask = (self.role == Role::Client).then(frame::new_mask);
        let was_empty = outbound.buf.is_empty();
        frame::encode(flags, payload, mask, &mut outbound.buf);
        if flags & frame::OPCODE_MASK == frame::OP_CLOSE {
            outbound.close_queued = true;
        }
        if was_empty {
            self.writer_kick.notify_one();
        }
    }

    pub(super) fn strict(&self) -> bool {
        self.strict.load(Ordering::Relaxed)
    }

    pub(super) fn policy(&self) -> Policy {
        Policy {
            strict: self.strict(),
            limits: MessageLimits {
                max_message_size: self.max_message_size.load(Ordering::Relaxed),
                max_fragments: self.max_fragments.load(Ordering::Relaxed),
            },
        }
    }

    pub(super) fn close_timeout(&self) -> Duration {
        Duration::from_millis(self.close_timeout_ms.load(Ordering::Relaxed))
    }

    /// §7.1.7 _Fail the WebSocket Connection_: send a CLOSE with the error's close code (when it
    /// has one and strict checks are on), then close TCP; every later call reports `error`.
    pub(super) fn fail(&self, error: &Error) {
        let close_code = match error {
            Error::WebSocket { code, .. } if self.strict() => code.close_code(),
            _ => None,
        };
        let Some(close_code) = close_code else { return };
        let mut outbound = lock(&self.outbound);
        if outbound.error.is_none() && !outbound.closing {
            self.queue_frame(&mut outbound, FLAG_FIN | OP_CLOSE, &frame::close_payload(close_code, ""));
            outbound.error = Some(error.clone());
        }
        drop(outbound);
        self.close_sent.store(true, Ordering::SeqCst);
        self.finish_transport();
    }

    /// Flush what is queued, send FIN, then close the socket (the reader ends with EOF).
    pub(super) fn finish_transport(&self) {
        lock(&self.outbound).closing = true;
        self.writer_kick.notify_one();
        self.wake_writers();
    }

    /// Called by the writer once it has flushed and sent FIN after `finish_transport`. The
    /// socket is closed only after the peer's EOF (or the close timeout): closing it with unread
    /// input would make the OS send RST, and the peer could lose our last frames, CLOSE included.
    pub(super) fn release_transport(&self) {
        if let Some(reader) = lock(&self.tasks).reader.take() {
            reader.abort();
        }
        if let Some(socket) = lock(&self.socket).take() {
            if let Ok(socket) = Arc::try_unwrap(socket) {
                tokio::spawn(tokio::time::timeout(self.close_timeout(), discard_until_eof(socket.into_tcp())));
            }
        }
        let mut inbound = lock(&self.inbound);
        if inbound.end.is_none() {
            inbound.end = Some(Ok(()));
        }
        drop(inbound);
        self.wake_readers();
    }

    /// The close handshake in strict mode (§7.1.1-§7.1.3): once both CLOSE frames have passed,
    /// the server closes TCP at once and a client gives the server `close_timeout` to do it;
    /// a CLOSE we sent that is not answered within `close_timeout` closes TCP too.
    pub(super) fn on_close_sent(self: &Arc<Self>) {
        if self.close_sent.swap(true, Ordering::SeqCst) || !self.strict() {
            return;
        }
        if self.close_received.load(Ordering::SeqCst) {
            self.on_close_handshake_done();
        } else {
            self.close_after_timeout();
        }
    }

    pub(super) fn on_close_received(self: &Arc<Self>) {
        if self.close_received.swap(true, Ordering::SeqCst) || !self.strict() {
            return;
        }
        if self.close_sent.load(Ordering::SeqCst) {
            self.on_close_handshake_done();
        }
    }

    pub(super) fn on_close_handshake_done(self: &Arc<Self>) {
        match self.role {
            Role::Server => self.finish_transport(),
            Role::Client => self.close_after_timeout(),
        }
    }

    pub(super) fn close_after_timeout(self: &Arc<Self>) {
        let Some(runtime) = lock(&self.tasks).runtime.clone() else { return };
        let shared = Arc::downgrade(self);
        let timeout = self.close_timeout();
        runtime.spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(shared) = shared.upgrade() {
                shared.finish_transport();
            }
        });
    }

    pub(super) fn readable(&self) -> bool {
        if self.closed.load(Ordering::SeqCst) {
            return true;
        }
        let inbound = lock(&self.inbound);
        !inbound.frames.is_empty() || inbound.end.is_some() || inbound.deferred_failure.is_some()
    }

    /// Whether `error` fails the connection with a CLOSE (strict mode, an error with a close code).
    pub(super) fn fails_connection(&self, error: &Error) -> bool {
        matches!(error, Error::WebSocket { code, .. } if self.strict() && code.close_code().is_some())
    }

    /// Reading ended with a violation: deliver the valid frames before it, and fail the
    /// connection now if the caller is waiting for a frame with nothing queued; otherwise it is
    /// busy with earlier frames (queued, or taken and not yet answered), so fail at its next
    /// receive, or after the close timeout if it never comes back.
    pub(super) fn end_with_violation(self: &Arc<Self>, frames: Vec<Frame>, error: Error) {
        let mut inbound = lock(&self.inbound);
        for frame in frames {
            inbound.bytes += queue_cost(&frame);
            inbound.frames.push_back(frame);
        }
        if inbound.frames.is_empty() && self.read_armed.load(Ordering::SeqCst) {
            inbound.end = Some(Err(error.clone()));
            drop(inbound);
            self.fail(&error);
        } else {
            inbound.deferred_failure = Some(error);
            drop(inbound);
            let shared = Arc::downgrade(self);
            let timeout = self.close_timeout();
            tokio::spawn(async move {
                tokio::time::sleep(timeout).await;
                if let Some(shared) = shared.upgrade() {
                    shared.fail_deferred();
                }
            });
        }
        self.wake_readers();
    }

    pub(super) fn fail_deferred(&self) {
        let mut inbound = lock(&self.inbound);
        let Some(error) = inbound.deferred_failure.take() else { return };
        inbound.frames.clear();
        inbound.bytes = 0;
        inbound.end = Some(Err(error.clone()));
        drop(inbound);
        self.fail(&error);
        self.wake_readers();
    }

    pub(super) fn writable(&self) -> bool {
        let outbound = lock(&self.outbound);
        outbound.error.is_some() || outbound.closing || !self.over_limit(&outbound)
    }

    pub(super) fn over_limit(&self, outbound: &Outbound) -> bool {
        outbound.buf.len() + outbound.in_flight > self.write_limit.load(Ordering::Relaxed)
    }

    pub(super) fn wake_readers(&self) {
        if self.read_armed.swap(false, Ordering::SeqCst) {
            (self.wake)();
        }
    }

    pub(super) fn wake_writers(&self) {
        if self.write_armed.swap(false, Ordering::SeqCst) {
            (self.wake)();
        }
    }

    /// Queues a batch of frames (and how reading ended, if it did) with one wake-up.
    /// Returns whether the queue is now over its high-water mark.
    pub(super) fn deliver(&self, frames: Vec<Frame>, end: Option<Result<(), Error>>) -> bool {
        let mut inbound = lock(&self.inbound);
        for frame in frames {
            inbound.bytes += queue_cost(&frame);
            inbound.frames.push_back(frame);
        }
        if end.is_some() {
            inbound.end = end;
        }
        let full = inbound.bytes >= defaults::INBOUND_HIGH_WATER;
        drop(inbound);
        self.wake_readers();
        full
    }

    /// The reader waits: the queue is over its high-water mark, or the caller paused reading.
    pub(super) fn reading_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst) || lock(&self.inbound).bytes >= defaults::INBOUND_HIGH_WATER
    }

    /// The keepalive ping interval and idle timeout, each `None` when off.
    pub(super) fn keepalive(&self) -> (Option<Duration>, Option<Duration>) {
        let setting = |ms: &AtomicU64| match ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        };
        (setting(&self.ping_interval_ms), setting(&self.idle_timeout_ms))
    }

    pub(super) fn wake_writers_if_writable(&self) {
        if self.write_armed.load(Ordering::SeqCst) && self.writable() {
            self.wake_writers();
        }
    }
}
