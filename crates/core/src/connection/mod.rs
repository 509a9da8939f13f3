//! The per-connection engine.
//!
//! A connection is shared between the caller (the binding, on the JS thread) and its runtime
//! side, the [`driver`] (one future per connection on tokio). The state is split by who owns it:
//! - [`settings`]: what the caller sets and the driver reads (atomics);
//! - [`inbound`]: what the driver received and the caller has not taken yet;
//! - [`outbound`]: what the caller (and the driver's own replies) queued for the driver to write,
//!   and the [`lifecycle`], changed under the same lock;
//! - the driver's own state (decoder, read buffer, keepalive, timers) lives in the driver alone.
//!
//! The caller never waits on the runtime for data that is already here: [`Connection::receive`]
//! pops a queued frame, [`Connection::send`] appends to the write buffer, both synchronously.
//! Only when the queue is empty (or the write buffer is over its high-water mark) does the caller
//! arm a wake-up; the runtime then calls [`Wake`] once for the whole batch that arrives.

use std::io::IoSlice;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use atomic_waker::AtomicWaker;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::defaults;
use crate::deflate::{DeflateOptions, Params};
use crate::error::{Error, ErrorCode};
use crate::frame::{Frame, FLAG_FIN, FLAG_RSV1, OPCODE_MASK, OP_CLOSE};
use crate::protocol::{Role, Violation};
use crate::socket::SocketHandle;
use crate::transport::SharedTcp;
#[cfg(unix)]
use crate::reactor::{Adoption, ReactorHandle, TcpSource};

pub use self::compression::{Negotiated, SharedCompression};
use self::driver::Driver;
use self::timer::TokioTimer;
use self::inbound::{End, Front, Inbound};
use self::lifecycle::Next;
pub use self::lifecycle::Lifecycle;
use self::outbound::Outbound;
use self::settings::Settings;

mod compression;
pub(crate) mod driver;
mod inbound;
mod keepalive;
mod lifecycle;
mod outbound;
mod settings;
pub(crate) mod timer;

/// Called from a runtime thread when an armed caller may proceed. It must not block.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// The caller's handle. Dropping it closes the connection, as the last Poco `WebSocket`
/// reference going away closes the socket.
pub struct Connection {
    shared: Arc<Shared>,
}

/// Settings a connection starts with; each can be changed later through [`Connection`].
#[derive(Debug, Clone, Copy)]
pub struct ConnectionConfig {
    /// Enforce RFC 6455 on received frames (module [`crate::protocol`]) and the close handshake.
    pub strict: bool,
    pub max_payload_size: u64,
    pub max_message_size: u64,
    pub max_fragments: u64,
    /// How long a CLOSE we sent may go unanswered (and, for a client, how long the server may
    /// keep TCP open after the close handshake) before TCP is closed.
    pub close_timeout: Duration,
    /// Message mode: fragments joined into messages, PINGs answered with PONGs and a CLOSE
    /// answered with a CLOSE by the runtime. Off: Poco's raw frames.
    pub messages: bool,
    /// Keepalive: a PING after this long without traffic from the peer (zero: none).
    pub ping_interval: Duration,
    /// Keepalive: drop the connection after this long without anything from the peer (zero: never).
    pub idle_timeout: Duration,
    /// Drop a peer that owes this many bytes of reading: what is buffered for it plus the PONGs
    /// it was not sent because it did not read (zero: never).
    pub max_backpressure: usize,
    /// Message mode: the runtime answers each PING with a PONG (ws's `autoPong`).
    pub auto_pong: bool,
    /// Message mode: permessage-deflate (RFC 7692) offered by a client or accepted by a server
    /// with these options (`None`: not at all). Used by the handshake; fixed after it.
    pub deflate: Option<DeflateOptions>,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            strict: true,
            max_payload_size: defaults::MAX_PAYLOAD_SIZE,
            max_message_size: defaults::MAX_MESSAGE_SIZE,
            max_fragments: defaults::MAX_FRAGMENTS,
            close_timeout: defaults::CLOSE_TIMEOUT,
            messages: false,
            ping_interval: Duration::ZERO,
            idle_timeout: Duration::ZERO,
            max_backpressure: 0,
            auto_pong: true,
            deflate: None,
        }
    }
}

/// One publish as every subscriber's [`Connection::send_published`] sees it.
#[derive(Clone, Copy)]
pub struct Publication<'a> {
    /// The frame header, encoded once.
    pub header: &'a [u8],
    pub payload: &'a [u8],
    /// Header and payload in one shared buffer, for frames worth sharing.
    pub whole: Option<&'a Bytes>,
    /// Compression asked for: the message, shared by every subscriber.
    pub compress: Option<&'a Arc<SharedCompression>>,
}

/// What one [`Connection::receive_batch`] took.
#[derive(Debug, Default)]
pub struct Batch {
    pub frames: Vec<Frame>,
    /// Payload bytes of `frames`.
    pub bytes: usize,
    /// Reading ended with the peer's orderly EOF and nothing more is queued.
    pub ended: bool,
    /// Something waits for the end of the caller's turn ([`Connection::end_turn`]): the answer to
    /// the peer's CLOSE, or a violation right behind the frames taken.
    pub end_turn: bool,
}

/// What one [`Connection::receive_frame`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Frame(Frame),
    /// The peer's orderly EOF: nothing more will come.
    Eof,
    /// Nothing queued yet.
    Nothing,
}

/// Readiness bits of [`Connection::readiness`], Poco's `Socket::SelectMode` values.
pub const SELECT_READ: u32 = 1;
pub const SELECT_WRITE: u32 = 2;
pub const SELECT_ERROR: u32 = 4;

/// The handle that hands a connection its socket once the handshake is done.
pub struct Starter {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    role: Role,
    settings: Settings,
    inbound: Mutex<Inbound>,
    outbound: Mutex<Outbound>,
    signals: Signals,
    /// The OS socket, for options and addresses; dropped when the transport is done.
    socket: Mutex<Option<Arc<SocketHandle>>>,
    /// The socket is attached (or the start failed): the handshake's answer is on the wire.
    started: AtomicBool,
    /// Plain TCP: large frames may be written to the socket straight from the caller.
    direct: AtomicBool,
    /// Bytes read from the socket but not yet decoded into frames (for `available()`).
    undecoded: AtomicUsize,
    /// permessage-deflate, when the handshake negotiated it.
    deflate: Option<Negotiated>,
    /// Where a plain TCP connection runs once started: the JS thread's reactor, or (`None`) the
    /// runtime threads.
    #[cfg(unix)]
    home: Option<ReactorHandle>,
}

/// Where a connection runs once its handshake is done.
#[derive(Clone, Default)]
pub struct Placement {
    /// Plain TCP connections are driven by this reactor (on its thread) instead of the runtime.
    #[cfg(unix)]
    pub reactor: Option<ReactorHandle>,
}

/// Wake-ups both ways: the runtime wakes an armed caller through `wake`; the caller wakes the
/// driver through `driver` (new output, a setting changed, input drained, close).
struct Signals {
    wake: Wake,
    read_armed: AtomicBool,
    write_armed: AtomicBool,
    driver: AtomicWaker,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep serving.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Connection {
    /// A connection with no socket yet; [`Starter::start`] attaches one. Frames sent before
    /// that wait in the write buffer.
    pub fn new(role: Role, wake: Wake) -> (Connection, Starter) {
        Connection::with_config(role, ConnectionConfig::default(), wake)
    }

    pub fn with_config(role: Role, config: ConnectionConfig, wake: Wake) -> (Connection, Starter) {
        Connection::placed(role, config, wake, Placement::default())
    }

    /// [`with_config`](Self::with_config) with where the connection runs once started.
    pub fn placed(role: Role, config: ConnectionConfig, wake: Wake, placement: Placement) -> (Connection, Starter) {
        Connection::negotiated(role, config, wake, placement, None)
    }

    /// [`placed`](Self::placed) for a handshake that negotiated permessage-deflate with
    /// `params` (and `config.deflate`'s options).
    pub fn negotiated(
        role: Role,
        config: ConnectionConfig,
        wake: Wake,
        placement: Placement,
        deflate: Option<Params>,
    ) -> (Connection, Starter) {
        #[cfg(not(unix))]
        let _ = placement;
        let deflate = deflate.zip(config.deflate).map(|(params, options)| Negotiated::new(role, params, options));
        let shared = Arc::new(Shared {
            role,
            settings: Settings::new(config),
            inbound: Mutex::default(),
            outbound: Mutex::new(Outbound::new()),
            signals: Signals {
                wake,
                read_armed: AtomicBool::new(false),
                write_armed: AtomicBool::new(false),
                driver: AtomicWaker::new(),
            },
            socket: Mutex::default(),
            started: AtomicBool::new(false),
            direct: AtomicBool::new(false),
            undecoded: AtomicUsize::new(0),
            deflate,
            #[cfg(unix)]
            home: placement.reactor,
        });
        (Connection { shared: shared.clone() }, Starter { shared })
    }

    pub fn role(&self) -> Role {
        self.shared.role
    }

    pub fn config(&self) -> ConnectionConfig {
        self.shared.settings.config()
    }

    /// The extensions in use, as the `Sec-WebSocket-Extensions` value of the handshake's
    /// response (empty: none).
    pub fn extensions(&self) -> String {
        self.shared.deflate.map(|negotiated| negotiated.extensions()).unwrap_or_default()
    }

    /// The names of the extensions in use, comma-separated (ws's `extensions`; empty: none).
    pub fn extension_names(&self) -> &'static str {
        if self.shared.deflate.is_some() {
            crate::deflate::EXTENSION_NAME
        } else {
            ""
        }
    }

    /// Applies to frames parsed from now on.
    pub fn set_config(&self, config: ConnectionConfig) {
        self.shared.settings.set_config(config);
        // The driver may be waiting with the old keepalive deadline.
        self.shared.kick();
    }

    /// Stops (`true`) or resumes reading the socket. While paused, frames already queued stay
    /// queued and the peer is held back by TCP flow control.
    pub fn set_paused(&self, paused: bool) {
        self.shared.settings.set_paused(paused);
        self.shared.kick();
    }

    pub fn is_paused(&self) -> bool {
        self.shared.settings.paused()
    }

    /// Bytes accepted by sends and not yet written to the socket (frame headers included).
    pub fn buffered_amount(&self) -> usize {
        lock(&self.shared.outbound).buffered()
    }

    /// Where the connection is in its life.
    pub fn lifecycle(&self) -> Lifecycle {
        lock(&self.shared.outbound).lifecycle
    }

    pub fn is_closed(&self) -> bool {
        self.lifecycle() == Lifecycle::Closed
    }

    /// Takes the next frame, or `None` when nothing is queued yet (arm a wake-up and retry).
    ///
    /// With `capacity`, a frame whose payload is larger fails with WS_ERR_PAYLOAD_TOO_BIG and
    /// stays queued, so a retry with a larger buffer receives it (Poco, spec §4.4 step 3).
    /// After the peer's orderly EOF every call returns the empty frame with flags 0, as Poco's
    /// `n == 0 && flags == 0`; after a read error every call fails with that error.
    pub fn receive(&self, capacity: Option<usize>) -> Result<Option<Frame>, Error> {
        Ok(match self.receive_frame(capacity)? {
            Received::Frame(frame) => Some(frame),
            Received::Eof => Some(Frame { flags: 0, payload: Bytes::new() }),
            Received::Nothing => None,
        })
    }

    /// [`receive`](Self::receive) telling the end of input apart from an empty frame.
    pub fn receive_frame(&self, capacity: Option<usize>) -> Result<Received, Error> {
        self.check_open()?;
        let mut inbound = lock(&self.shared.inbound);
        if let Some(length) = inbound.front_len() {
            if let Some(capacity) = capacity {
                check_capacity(length, capacity)?;
            }
            return Ok(self.shared.pop(&mut inbound).map_or(Received::Nothing, Received::Frame));
        }
        match self.shared.reach_front(inbound)? {
            true => Ok(Received::Eof),
            false => Ok(Received::Nothing),
        }
    }

    /// Takes up to `max_frames` queued frames (and at most about `max_bytes` of payload, but at
    /// least one frame) in one call. A violation right behind the frames taken waits for
    /// [`end_turn`](Self::end_turn) or the next call, so the caller can answer them first.
    pub fn receive_batch(&self, max_frames: usize, max_bytes: usize) -> Result<Batch, Error> {
        self.check_open()?;
        let mut inbound = lock(&self.shared.inbound);
        let mut batch = Batch::default();
        while batch.frames.len() < max_frames && (batch.frames.is_empty() || batch.bytes < max_bytes) {
            let Some(frame) = self.shared.pop(&mut inbound) else { break };
            batch.bytes += frame.payload.len();
            batch.end_turn |= frame.flags & OPCODE_MASK == OP_CLOSE;
            batch.frames.push(frame);
        }
        if !inbound.is_empty() {
            return Ok(batch);
        }
        if !batch.frames.is_empty() && inbound.violation_reached().is_some() {
            batch.end_turn = true;
            return Ok(batch);
        }
        if batch.frames.is_empty() {
            batch.ended = self.shared.reach_front(inbound)?;
        } else {
            batch.ended = inbound.front() == Front::Eof;
        }
        Ok(batch)
    }

    /// The caller's turn with the frames it took is over (its replies are queued): answer the
    /// peer's CLOSE now (message mode), and fail the connection for a violation that was right
    /// behind those frames.
    pub fn end_turn(&self) {
        let shared = &self.shared;
        let mut inbound = lock(&shared.inbound);
        let violation = inbound.violation_reached();
        let reply = inbound.take_close_reply();
        drop(inbound);
        if let Some(violation) = violation {
            shared.fail(violation);
            return;
        }
        if let Some(payload) = reply {
            let mut outbound = lock(&shared.outbound);
            if outbound.lifecycle.may_send_close() && outbound.error().is_none() {
                let (next, _) = outbound.push(shared.role, FLAG_FIN | OP_CLOSE, &payload);
                shared.apply(next, &mut outbound);
            }
            drop(outbound);
            shared.kick();
        }
    }

    /// Returns `true` once the connection runs on its socket (a server's 101 has been written);
    /// otherwise arms a wake-up for that moment and returns `false`.
    pub fn arm_started(&self) -> bool {
        let shared = &self.shared;
        if shared.started.load(Ordering::SeqCst) {
            return true;
        }
        shared.signals.read_armed.store(true, Ordering::SeqCst);
        if shared.started.load(Ordering::SeqCst) {
            shared.signals.read_armed.store(false, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// Asks for a wake-up when a frame (or the end of input) arrives. Returns `true` instead,
    /// without arming, when one is already there.
    pub fn arm_read(&self) -> bool {
        let shared = &self.shared;
        shared.signals.read_armed.store(true, Ordering::SeqCst);
        if shared.readable() {
            shared.signals.read_armed.store(false, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// Asks for a wake-up when a frame (or the end of input) arrives, and reports one now if it
    /// is already there: the caller then hears of it from a later batch, never synchronously, so
    /// a receive loop always returns to the event loop in between.
    pub fn arm_read_deferred(&self) {
        if self.arm_read() {
            (self.shared.signals.wake)();
        }
    }

    /// Appends one frame to the write buffer: `flags` is the first header byte verbatim;
    /// client frames get a fresh mask (§5.3). Returns the bytes now waiting to be written.
    pub fn send(&self, flags: u8, payload: &[u8]) -> Result<usize, Error> {
        self.check_open()?;
        let shared = &self.shared;
        let mut outbound = lock(&shared.outbound);
        outbound.check_sendable()?;
        let (next, kick) = shared.push(&mut outbound, flags, payload);
        shared.apply(next, &mut outbound);
        let buffered = outbound.buffered();
        drop(outbound);
        if kick {
            shared.kick();
        }
        Ok(buffered)
    }

    /// Why sending stopped, if it did.
    pub fn check_sendable(&self) -> Result<(), Error> {
        self.check_open()?;
        lock(&self.shared.outbound).check_sendable()
    }

    /// The message API's sends (ws semantics), several at once: one lock, one reservation. A data
    /// frame after a `fin: false` one goes out as a CONTINUATION (§5.4), and no data frame follows
    /// our CLOSE (§5.5.1). RSV1 in `flags` asks for the message to be compressed when
    /// permessage-deflate was negotiated (it is dropped otherwise). Stops at the first frame that
    /// cannot be sent; returns how many were sent and the bytes then buffered.
    pub fn send_messages(&self, frames: &[(u8, &[u8])]) -> (usize, Result<usize, Error>) {
        if let Err(error) = self.check_open() {
            return (0, Err(error));
        }
        let shared = &self.shared;
        let mut outbound = lock(&shared.outbound);
        let mut kick = false;
        let mut sent = 0;
        let mut result = Ok(());
        for &(flags, payload) in frames {
            let checked = outbound.check_sendable().and_then(|()| outbound.message_flags(flags));
            let flags = match checked {
                Ok(flags) => flags,
                Err(error) => {
                    result = Err(error);
                    break;
                }
            };
            let flags = match &shared.deflate {
                Some(negotiated) => negotiated.compress_flags(flags, payload.len()),
                None => flags & !FLAG_RSV1,
            };
            if flags & FLAG_RSV1 != 0 {
                kick |= outbound.stage(flags, Bytes::copy_from_slice(payload), None);
            } else {
                let (next, was_empty) = shared.push(&mut outbound, flags, payload);
                shared.apply(next, &mut outbound);
                kick |= was_empty;
            }
            sent += 1;
        }
        let buffered = outbound.buffered();
        let over = shared.over_backpressure(&outbound);
        drop(outbound);
        if let Some(error) = over {
            shared.drop_peer(error);
        } else if kick {
            shared.kick();
        }
        (sent, result.map(|()| buffered))
    }

    /// A server's frame encoded once for every subscriber of a topic ([`crate::topics`]). A
    /// subscriber owing more than `backlog` bytes (its `max_backpressure` when set, then it is
    /// dropped as for a send) does not get it: false, counted by the caller.
    pub fn send_encoded(&self, header: &[u8], payload: &[u8], backlog: usize) -> bool {
        self.send_published(&Publication { header, payload, whole: None, compress: None }, backlog)
    }

    /// [`send_encoded`](Self::send_encoded) for a publish: its whole frame, when shared, is
    /// queued without a copy; when it asks for compression and this socket negotiated
    /// permessage-deflate, the writer compresses it (once for every subscriber that resets its
    /// context per message, with this socket's own compressor otherwise).
    pub fn send_published(&self, publication: &Publication<'_>, backlog: usize) -> bool {
        let Publication { header, payload, whole, compress } = *publication;
        if self.shared.role != Role::Server {
            return false;
        }
        // One lock per subscriber (a publish touches thousands): a closed socket is refused by
        // `takes_publish` under it.
        let shared = &self.shared;
        let mut outbound = lock(&shared.outbound);
        let configured = shared.settings.max_backpressure();
        let limit = if configured > 0 { configured } else { backlog };
        let owed = outbound.backpressure() + header.len() + payload.len();
        if owed > limit {
            drop(outbound);
            // With max_backpressure the peer is taken to be not reading, as for a send; without
            // it only this publish is skipped.
            if configured > 0 {
                shared.drop_peer(Error::Backpressure { owed, limit });
            }
            return false;
        }
        let compressed = match (compress, &shared.deflate) {
            (Some(message), Some(negotiated)) if negotiated.compress_flags(header[0] | FLAG_RSV1, payload.len()) & FLAG_RSV1 != 0 => {
                let once = negotiated.resets_per_message().then(|| message.clone());
                Some((header[0] | FLAG_RSV1, message.payload().clone(), once))
            }
            _ => None,
        };
        let queued = outbound.takes_publish().then(|| match (compressed, whole) {
            (Some((flags, payload, once)), _) => outbound.stage(flags, payload, once),
            (None, Some(frame)) => outbound.push_shared(frame.clone()),
            (None, None) => outbound.push_encoded(header, payload),
        });
        drop(outbound);
        if queued == Some(true) {
            shared.kick();
        }
        queued.is_some()
    }

    /// Frames of a server encoded once for many sockets (a batch of publishes, in order, all
    /// or none): written straight to the socket when nothing waits before them on plain TCP,
    /// so that most subscribers cost one write and no wake-up; what the socket does not take
    /// is queued. The backlog rule is [`send_published`](Self::send_published)'s.
    pub fn send_frames_shared(&self, frames: &[Bytes], backlog: usize) -> bool {
        let shared = &self.shared;
        if shared.role != Role::Server {
            return false;
        }
        let bytes: usize = frames.iter().map(Bytes::len).sum();
        let mut outbound = lock(&shared.outbound);
        let configured = shared.settings.max_backpressure();
        let limit = if configured > 0 { configured } else { backlog };
        let owed = outbound.backpressure() + bytes;
        if owed > limit {
            drop(outbound);
            if configured > 0 {
                shared.drop_peer(Error::Backpressure { owed, limit });
            }
            return false;
        }
        if !outbound.takes_publish() {
            return false;
        }
        let mut written = 0;
        if outbound.writes_directly() && shared.direct.load(Ordering::Relaxed) {
            if let Some(socket) = lock(&shared.socket).as_ref() {
                let mut slices = [IoSlice::new(&[]); 16];
                let count = frames.iter().zip(slices.iter_mut()).map(|(frame, slice)| *slice = IoSlice::new(frame)).count();
                written = socket.write_now(&slices[..count]);
            }
        }
        let mut kick = false;
        for frame in frames {
            if written >= frame.len() {
                written -= frame.len();
                continue;
            }
            kick |= outbound.push_frames(frame.slice(written..));
            written = 0;
        }
        drop(outbound);
        if kick {
            shared.kick();
        }
        true
    }

    /// Poco 1.14's non-blocking `sendFrame`: `Some(length)` once the frame is buffered under the
    /// write limit, `None` (Poco's -1) while it is not; the caller must then repeat the call with
    /// the same length (the new buffer and flags are ignored, as in Poco) until it gets the length.
    pub fn send_nonblocking(&self, flags: u8, payload: &[u8]) -> Result<Option<usize>, Error> {
        self.check_open()?;
        let shared = &self.shared;
        let limit = shared.settings.write_limit();
        let mut outbound = lock(&shared.outbound);
        if let Some(pending) = outbound.pending_len {
            if pending != payload.len() {
                return Err(Error::InvalidArgument("Pending send buffer length mismatch".into()));
            }
            if let Some(error) = outbound.error() {
                return Err(error.clone());
            }
            if outbound.over(limit) {
                return Ok(None);
            }
            outbound.pending_len = None;
            return Ok(Some(pending));
        }
        outbound.check_sendable()?;
        let (next, kick) = outbound.push(shared.role, flags, payload);
        shared.apply(next, &mut outbound);
        let over_limit = outbound.over(limit);
        if over_limit {
            outbound.pending_len = Some(payload.len());
        }
        drop(outbound);
        if kick {
            shared.kick();
        }
        Ok((!over_limit).then_some(payload.len()))
    }

    /// Returns `true` when a sender may go on (the write buffer is under its high-water mark, or
    /// failed, or closed); otherwise arms a wake-up for when it drains and returns `false`.
    pub fn arm_write(&self) -> bool {
        let shared = &self.shared;
        if shared.writable() {
            return true;
        }
        shared.signals.write_armed.store(true, Ordering::SeqCst);
        if shared.writable() {
            shared.signals.write_armed.store(false, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// The OS socket, for options and addresses.
    pub fn socket(&self) -> Result<Arc<SocketHandle>, Error> {
        self.check_open()?;
        lock(&self.shared.socket).clone().ok_or(Error::InvalidSocket)
    }

    /// Which of SELECT_READ, SELECT_WRITE and SELECT_ERROR hold now. Read readiness counts frames
    /// already queued in the core (unlike Poco's `poll`, which sees only the OS socket).
    pub fn readiness(&self) -> u32 {
        let shared = &self.shared;
        let outbound = lock(&shared.outbound);
        if outbound.lifecycle == Lifecycle::Closed {
            return SELECT_ERROR;
        }
        let mut ready = 0;
        if outbound.error().is_some() {
            ready |= SELECT_ERROR;
        } else if !outbound.over(shared.settings.write_limit()) {
            ready |= SELECT_WRITE;
        }
        drop(outbound);
        let inbound = lock(&shared.inbound);
        if inbound.readable() {
            ready |= SELECT_READ;
        }
        if matches!(inbound.front(), Front::Failed(_)) && inbound.is_empty() {
            ready |= SELECT_ERROR;
        }
        ready
    }

    /// Bytes received and not yet taken by a receive: queued payloads plus bytes not yet decoded.
    pub fn available(&self) -> usize {
        let queued = lock(&self.shared.inbound).payload_bytes();
        queued + self.shared.undecoded.load(Ordering::Relaxed)
    }

    pub fn blocking(&self) -> bool {
        self.shared.settings.blocking()
    }

    pub fn set_blocking(&self, blocking: bool) {
        self.shared.settings.set_blocking(blocking);
    }

    /// Receive timeout in milliseconds (0: none). Enforced by the caller's wait, not the OS.
    pub fn receive_timeout_ms(&self) -> u64 {
        self.shared.settings.receive_timeout_ms()
    }

    pub fn set_receive_timeout_ms(&self, ms: u64) {
        self.shared.settings.set_receive_timeout_ms(ms);
    }

    /// Send timeout in milliseconds (0: none): how long a send may wait for the write buffer.
    pub fn send_timeout_ms(&self) -> u64 {
        self.shared.settings.send_timeout_ms()
    }

    pub fn set_send_timeout_ms(&self, ms: u64) {
        self.shared.settings.set_send_timeout_ms(ms);
    }

    /// The write buffer's high-water mark: sends wait (or return -1 in non-blocking mode) above it.
    pub fn write_limit(&self) -> usize {
        self.shared.settings.write_limit()
    }

    pub fn set_write_limit(&self, bytes: usize) {
        self.shared.settings.set_write_limit(bytes);
        // Room for an owed PONG, and maybe for a waiting sender.
        self.shared.kick();
        self.shared.wake_writers_if_writable();
    }

    /// Poco's `shutdownSend()`: frames already accepted are flushed, then TCP sends FIN.
    pub fn shutdown_send(&self) -> Result<(), Error> {
        self.check_open()?;
        lock(&self.shared.outbound).shut_send();
        self.shared.kick();
        Ok(())
    }

    /// Poco's `shutdownReceive()`: TCP half-close of the receiving side.
    pub fn shutdown_receive(&self) -> Result<(), Error> {
        self.socket()?.shutdown_receive()
    }

    /// Closes the socket without a CLOSE frame (Poco's `close()`). Frames already accepted are
    /// still flushed, for at most [`defaults::CLOSE_FLUSH_TIMEOUT`]; later calls fail with
    /// InvalidSocketException.
    pub fn close(&self) {
        let shared = &self.shared;
        let mut outbound = lock(&shared.outbound);
        if outbound.lifecycle == Lifecycle::Closed {
            return;
        }
        outbound.lifecycle = Lifecycle::Closed;
        outbound.finishing = true;
        drop(outbound);
        lock(&shared.inbound).clear();
        shared.kick();
        shared.wake_readers();
        shared.wake_writers();
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.is_closed() {
            Err(Error::InvalidSocket)
        } else {
            Ok(())
        }
    }
}

/// Poco spec §4.4 step 3: a frame larger than the caller's buffer fails with
/// WS_ERR_PAYLOAD_TOO_BIG and stays queued, so a retry with a larger buffer receives it.
pub fn check_capacity(length: usize, capacity: usize) -> Result<(), Error> {
    if length > capacity {
        return Err(Error::websocket(ErrorCode::PayloadTooBig, format!("Insufficient buffer for payload size {length}")));
    }
    Ok(())
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.close();
    }
}

impl Starter {
    /// Attaches the socket and starts the driver. `buffered` holds bytes that arrived with the
    /// handshake (frames right behind the 101 are not lost, Poco #1212). Must be called on a
    /// tokio runtime.
    pub fn start<S>(self, stream: S, buffered: BytesMut)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        self.launch(stream, buffered, None);
    }

    /// [`start`](Self::start) for a stream over a TCP socket it hides (TLS): the socket-option
    /// calls go to `socket`.
    pub fn start_with_socket<S>(self, stream: S, buffered: BytesMut, socket: SocketHandle)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        self.launch(stream, buffered, Some(socket));
    }

    /// [`start`](Self::start) for TCP: the driver and the socket-option calls share one
    /// descriptor.
    pub fn start_tcp(self, stream: TcpStream, buffered: BytesMut) {
        // Compression is the runtime's work, never the JS thread's: deflate stays off the reactor.
        #[cfg(unix)]
        if let Some(reactor) = self.shared.home.clone().filter(|_| self.shared.deflate.is_none()) {
            match stream.into_std() {
                Ok(std) => {
                    let stream = Arc::new(mio::net::TcpStream::from_std(std));
                    *lock(&self.shared.socket) = Some(Arc::new(SocketHandle::new(TcpSource(stream.clone()))));
                    self.shared.direct.store(true, Ordering::SeqCst);
                    let shared = self.shared;
                    reactor.adopt(Adoption { shared: shared.clone(), stream, buffered });
                    shared.started.store(true, Ordering::SeqCst);
                    shared.wake_readers();
                }
                Err(error) => self.fail(error.into()),
            }
            return;
        }
        let tcp = SharedTcp::new(stream);
        let socket = SocketHandle::new(tcp.clone());
        self.shared.direct.store(true, Ordering::SeqCst);
        self.launch(tcp, buffered, Some(socket));
    }

    fn launch<S>(self, stream: S, buffered: BytesMut, socket: Option<SocketHandle>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let shared = self.shared;
        *lock(&shared.socket) = socket.map(Arc::new);
        // Closed before the socket came: the driver still delivers what was sent meanwhile.
        tokio::spawn(Driver::new(shared.clone(), stream, buffered, TokioTimer::default()));
        shared.started.store(true, Ordering::SeqCst);
        shared.wake_readers();
    }

    /// The connection could not start: every receive and send reports `error`.
    pub fn fail(self, error: Error) {
        self.shared.fail_transport(error);
    }
}

impl Shared {
    /// Queues one frame; a large one of a server on plain TCP goes straight to the socket when
    /// nothing waits before it.
    fn push(&self, outbound: &mut Outbound, flags: u8, payload: &[u8]) -> (Next, bool) {
        if self.role == Role::Server && payload.len() >= defaults::LARGE_PAYLOAD && self.direct.load(Ordering::Relaxed) {
            if let Some(socket) = lock(&self.socket).clone() {
                return outbound.push_direct(flags, payload, &socket);
            }
        }
        outbound.push(self.role, flags, payload)
    }

    /// The transport could not start or be taken over: every receive and send reports `error`.
    pub(crate) fn fail_transport(&self, error: Error) {
        self.started.store(true, Ordering::SeqCst);
        lock(&self.outbound).stop(error.clone());
        lock(&self.inbound).end(End::Failed(error));
        self.wake_readers();
        self.wake_writers();
    }

    /// Wakes the driver: there is output, a setting changed, input drained, or the caller closed.
    fn kick(&self) {
        self.signals.driver.wake();
    }

    fn pop(&self, inbound: &mut Inbound) -> Option<Frame> {
        let (frame, drained) = inbound.pop();
        if drained {
            self.kick();
        }
        frame
    }

    /// With nothing queued: `true` after the peer's orderly EOF, `false` while reading goes on,
    /// the error that ended reading otherwise (failing the connection for a deferred violation).
    fn reach_front(&self, inbound: MutexGuard<'_, Inbound>) -> Result<bool, Error> {
        match inbound.front() {
            Front::Waiting => Ok(false),
            Front::Eof => Ok(true),
            Front::Failed(error) => Err(error),
            Front::Violation(violation) => {
                drop(inbound);
                self.fail(violation.clone());
                Err(Error::Protocol(violation))
            }
        }
    }

    /// What a lifecycle change asks of the transport, with strict checks on (§7.1.1): once both
    /// CLOSE frames have passed, the server closes TCP at once and a client gives the server the
    /// close timeout to do it; a CLOSE we sent must be answered within the close timeout.
    fn apply(&self, next: Next, outbound: &mut Outbound) {
        if !self.settings.strict() {
            return;
        }
        match (next, self.role) {
            (Next::Stay, _) => {}
            (Next::HandshakeDone, Role::Server) => outbound.finishing = true,
            (Next::AwaitPeerClose | Next::HandshakeDone, _) => {
                // The clock only for a CLOSE (not for every frame sent).
                let deadline = Instant::now() + self.settings.close_timeout();
                outbound.finish_by = Some(outbound.finish_by.map_or(deadline, |at| at.min(deadline)));
            }
        }
    }

    /// The error that drops a peer owing more than `max_backpressure` bytes of reading.
    fn over_backpressure(&self, outbound: &Outbound) -> Option<Error> {
        let limit = self.settings.max_backpressure();
        let owed = outbound.backpressure();
        (limit > 0 && owed > limit).then(|| Error::Backpressure { owed, limit })
    }

    /// Drops a peer that does not read: what it was owed is discarded (it would not read it),
    /// TCP is closed, and every later call reports `error`.
    fn drop_peer(&self, error: Error) {
        let mut outbound = lock(&self.outbound);
        if outbound.lifecycle == Lifecycle::Closed {
            return;
        }
        outbound.discard();
        outbound.lifecycle = Lifecycle::Failed;
        outbound.stop(error.clone());
        outbound.finishing = true;
        drop(outbound);
        let mut inbound = lock(&self.inbound);
        inbound.clear();
        inbound.end(End::Failed(error));
        drop(inbound);
        self.kick();
        self.wake_readers();
        self.wake_writers();
    }

    /// §7.1.7 _Fail the WebSocket Connection_: with strict checks on, send a CLOSE with the
    /// violation's close code, then close TCP; every later call reports the violation.
    fn fail(&self, violation: Violation) {
        let error = Error::Protocol(violation.clone());
        let mut outbound = lock(&self.outbound);
        if outbound.lifecycle == Lifecycle::Closed {
            return;
        }
        if self.settings.strict() {
            if outbound.lifecycle.may_send_close() && outbound.error().is_none() {
                let code = violation.close_code().to_be_bytes();
                outbound.push(self.role, FLAG_FIN | OP_CLOSE, &code);
            }
            outbound.lifecycle = Lifecycle::Failed;
            outbound.stop(error.clone());
            outbound.finishing = true;
        }
        drop(outbound);
        let mut inbound = lock(&self.inbound);
        inbound.clear();
        inbound.end(End::Failed(error));
        drop(inbound);
        self.kick();
        self.wake_readers();
        self.wake_writers();
    }

    fn readable(&self) -> bool {
        lock(&self.inbound).readable() || lock(&self.outbound).lifecycle == Lifecycle::Closed
    }

    fn writable(&self) -> bool {
        let outbound = lock(&self.outbound);
        outbound.lifecycle == Lifecycle::Closed || outbound.writable(self.settings.write_limit())
    }

    fn wake_readers(&self) {
        if self.signals.read_armed.swap(false, Ordering::SeqCst) {
            (self.signals.wake)();
        }
    }

    fn wake_writers(&self) {
        if self.signals.write_armed.swap(false, Ordering::SeqCst) {
            (self.signals.wake)();
        }
    }

    fn wake_writers_if_writable(&self) {
        if self.signals.write_armed.load(Ordering::SeqCst) && self.writable() {
            self.wake_writers();
        }
    }
}
