//! The per-connection engine on tokio.
//!
//! A reader task decodes frames into an inbound queue; a writer task flushes an outbound buffer.
//! The caller (the JS binding) never waits on the runtime for data that is already here:
//! [`Connection::receive`] pops a queued frame synchronously, [`Connection::send`] appends to
//! the write buffer synchronously. Only when the queue is empty (or the write buffer is over its
//! high-water mark) does the caller arm a wake-up; the runtime then calls [`Wake`] once for the
//! whole batch that arrives, not once per frame.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::defaults;
use crate::error::{Error, ErrorCode};
use crate::frame::{self, Decoded, Frame, FLAG_FIN, OPCODE_MASK, OP_CLOSE};
use crate::protocol::fragmentation::MessageLimits;
use crate::protocol::{Inspector, Policy};
use crate::socket::SocketHandle;
use crate::transport::SharedTcp;

use self::io::{discard_until_eof, read_loop, write_loop};

mod io;
mod messages;
mod shared;

/// Called from a runtime thread when an armed caller may proceed. It must not block.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Which end of the connection we are; the values are Poco's `WebSocket::Mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server = 0,
    Client = 1,
}

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
    /// Message mode (module `messages`): fragments joined into messages, PINGs answered with
    /// PONGs and a CLOSE answered with a CLOSE by the runtime. Off: Poco's raw frames.
    pub messages: bool,
    /// Keepalive: a PING after this long without traffic from the peer (zero: none).
    pub ping_interval: Duration,
    /// Keepalive: drop the connection after this long without anything from the peer (zero: never).
    pub idle_timeout: Duration,
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
        }
    }
}

/// What one [`Connection::receive_batch`] took.
#[derive(Debug, Default)]
pub struct Batch {
    pub frames: Vec<Frame>,
    /// Payload bytes of `frames`.
    pub bytes: usize,
    /// Reading ended with the peer's orderly EOF and nothing more is queued.
    pub ended: bool,
}

/// Readiness bits of [`Connection::readiness`], Poco's `Socket::SelectMode` values.
pub const SELECT_READ: u32 = 1;
pub const SELECT_WRITE: u32 = 2;
pub const SELECT_ERROR: u32 = 4;

/// The handle that hands a connection its socket once the handshake is done.
pub struct Starter {
    shared: Arc<Shared>,
}

struct Shared {
    role: Role,
    wake: Wake,
    max_payload: AtomicU64,
    strict: AtomicBool,
    max_message_size: AtomicU64,
    max_fragments: AtomicU64,
    close_timeout_ms: AtomicU64,
    messages: AtomicBool,
    ping_interval_ms: AtomicU64,
    idle_timeout_ms: AtomicU64,
    /// The caller's `pause()`: the reader stops reading the socket.
    paused: AtomicBool,
    /// The close handshake (§7.1.2): our CLOSE was queued; the peer's CLOSE arrived.
    close_sent: AtomicBool,
    close_received: AtomicBool,
    closed: AtomicBool,
    /// The socket is attached (or the start failed): the handshake's answer is on the wire.
    started: AtomicBool,
    /// Poco's blocking flag: only the binding's calls read it (they wait or return -1).
    blocking: AtomicBool,
    receive_timeout_ms: AtomicU64,
    send_timeout_ms: AtomicU64,
    /// The write buffer's high-water mark.
    write_limit: AtomicUsize,
    /// Bytes read from the socket but not yet decoded into frames (for `available()`).
    undecoded: AtomicUsize,
    socket: Mutex<Option<Arc<SocketHandle>>>,
    inbound: Mutex<Inbound>,
    outbound: Mutex<Outbound>,
    read_armed: AtomicBool,
    write_armed: AtomicBool,
    /// Signalled when the caller has drained the inbound queue below its high-water mark,
    /// resumed reading, or changed a setting the reader waits on.
    reader_resume: Notify,
    /// Signalled when the outbound buffer goes from empty to non-empty, or on close.
    writer_kick: Notify,
    tasks: Mutex<Tasks>,
}

#[derive(Default)]
struct Inbound {
    frames: VecDeque<Frame>,
    /// Bytes pinned by queued frames, headers counted so that empty frames cost something too.
    bytes: usize,
    /// How reading ended: `Ok` for an orderly EOF, else the error every later receive reports.
    end: Option<Result<(), Error>>,
    /// A protocol violation that fails the connection once the caller has taken the valid
    /// frames before it (so it can still answer them, as Autobahn 3.2, 4.1.3, 5.15 expect).
    deferred_failure: Option<Error>,
}

#[derive(Default)]
struct Outbound {
    buf: BytesMut,
    /// Bytes the writer has taken but not yet finished writing.
    in_flight: usize,
    error: Option<Error>,
    closing: bool,
    /// `shutdownSend()`: flush, then send FIN; no frames after that.
    send_shut: bool,
    /// Non-blocking mode: the payload length of a frame reported as not yet sent (-1).
    pending_len: Option<usize>,
    /// A CLOSE is in the write buffer or written. Set under this lock, before the writer can
    /// flush it, so the runtime's own answer to the peer's CLOSE (which may arrive before
    /// `close_sent` is set by the thread that queued ours) cannot follow it (§5.5.1).
    close_queued: bool,
}

#[derive(Default)]
struct Tasks {
    reader: Option<AbortHandle>,
    writer: Option<AbortHandle>,
    runtime: Option<Handle>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep serving.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn queue_cost(frame: &Frame) -> usize {
    frame.payload.len() + frame::MAX_HEADER_LEN
}

impl Connection {
    /// A connection with no socket yet; [`Starter::start`] attaches one. Frames sent before
    /// that wait in the write buffer.
    pub fn new(role: Role, wake: Wake) -> (Connection, Starter) {
        Connection::with_config(role, ConnectionConfig::default(), wake)
    }

    pub fn with_config(role: Role, config: ConnectionConfig, wake: Wake) -> (Connection, Starter) {
        let shared = Arc::new(Shared {
            role,
            wake,
            max_payload: AtomicU64::new(config.max_payload_size),
            strict: AtomicBool::new(config.strict),
            max_message_size: AtomicU64::new(config.max_message_size),
            max_fragments: AtomicU64::new(config.max_fragments),
            close_timeout_ms: AtomicU64::new(config.close_timeout.as_millis() as u64),
            messages: AtomicBool::new(config.messages),
            ping_interval_ms: AtomicU64::new(config.ping_interval.as_millis() as u64),
            idle_timeout_ms: AtomicU64::new(config.idle_timeout.as_millis() as u64),
            paused: AtomicBool::new(false),
            close_sent: AtomicBool::new(false),
            close_received: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            started: AtomicBool::new(false),
            blocking: AtomicBool::new(true),
            receive_timeout_ms: AtomicU64::new(defaults::RECEIVE_TIMEOUT.as_millis() as u64),
            send_timeout_ms: AtomicU64::new(defaults::SEND_TIMEOUT.as_millis() as u64),
            write_limit: AtomicUsize::new(defaults::OUTBOUND_HIGH_WATER),
            undecoded: AtomicUsize::new(0),
            socket: Mutex::default(),
            inbound: Mutex::default(),
            outbound: Mutex::default(),
            read_armed: AtomicBool::new(false),
            write_armed: AtomicBool::new(false),
            reader_resume: Notify::new(),
            writer_kick: Notify::new(),
            tasks: Mutex::default(),
        });
        (Connection { shared: shared.clone() }, Starter { shared })
    }

    pub fn role(&self) -> Role {
        self.shared.role
    }

    pub fn config(&self) -> ConnectionConfig {
        let shared = &self.shared;
        ConnectionConfig {
            strict: shared.strict.load(Ordering::Relaxed),
            max_payload_size: shared.max_payload.load(Ordering::Relaxed),
            max_message_size: shared.max_message_size.load(Ordering::Relaxed),
            max_fragments: shared.max_fragments.load(Ordering::Relaxed),
            close_timeout: Duration::from_millis(shared.close_timeout_ms.load(Ordering::Relaxed)),
            messages: shared.messages.load(Ordering::Relaxed),
            ping_interval: Duration::from_millis(shared.ping_interval_ms.load(Ordering::Relaxed)),
            idle_timeout: Duration::from_millis(shared.idle_timeout_ms.load(Ordering::Relaxed)),
        }
    }

    /// Applies to frames parsed from now on.
    pub fn set_config(&self, config: ConnectionConfig) {
        let shared = &self.shared;
        shared.strict.store(config.strict, Ordering::Relaxed);
        shared.max_payload.store(config.max_payload_size, Ordering::Relaxed);
        shared.max_message_size.store(config.max_message_size, Ordering::Relaxed);
        shared.max_fragments.store(config.max_fragments, Ordering::Relaxed);
        shared.close_timeout_ms.store(config.close_timeout.as_millis() as u64, Ordering::Relaxed);
        shared.messages.store(config.messages, Ordering::Relaxed);
        shared.ping_interval_ms.store(config.ping_interval.as_millis() as u64, Ordering::Relaxed);
        shared.idle_timeout_ms.store(config.idle_timeout.as_millis() as u64, Ordering::Relaxed);
        // The reader may be waiting with the old keepalive deadline.
        shared.reader_resume.notify_one();
    }

    /// Stops (`true`) or resumes reading the socket. While paused, frames already queued stay
    /// queued and the peer is held back by TCP flow control.
    pub fn set_paused(&self, paused: bool) {
        self.shared.paused.store(paused, Ordering::SeqCst);
        // Either way the reader re-checks: a pause takes effect before its next read.
        self.shared.reader_resume.notify_one();
    }

    pub fn is_paused(&self) -> bool {
        self.shared.paused.load(Ordering::SeqCst)
    }

    /// Bytes accepted by sends and not yet written to the socket (frame headers included).
    pub fn buffered_amount(&self) -> usize {
        let outbound = lock(&self.shared.outbound);
        outbound.buf.len() + outbound.in_flight
    }

    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }

    /// Takes the next frame, or `None` when nothing is queued yet (arm a wake-up and retry).
    ///
    /// With `capacity`, a frame whose payload is larger fails with WS_ERR_PAYLOAD_TOO_BIG and
    /// stays queued, so a retry with a larger buffer receives it (Poco, spec §4.4 step 3).
    /// After the peer's orderly EOF every call returns the empty frame with flags 0, as Poco's
    /// `n == 0 && flags == 0`; after a read error every call fails with that error.
    pub fn receive(&self, capacity: Option<usize>) -> Result<Option<Frame>, Error> {
        self.check_open()?;
        let mut inbound = lock(&self.shared.inbound);
        if let Some(front) = inbound.frames.front() {
            if let Some(capacity) = capacity {
                if front.payload.len() > capacity {
                    return Err(Error::websocket(
                        ErrorCode::PayloadTooBig,
                        format!("Insufficient buffer for payload size {}", front.payload.len()),
                    ));
                }
            }
            return Ok(self.pop(&mut inbound));
        }
        Ok(self.queue_end(inbound)?.then(|| Frame { flags: 0, payload: Vec::new() }))
    }

    /// Takes up to `max_frames` queued frames (and at most about `max_bytes` of payload, but at
    /// least one frame) in one call. `ended` is set once the queue is empty after the peer's
    /// orderly EOF; an error that ended reading is returned once no frame precedes it.
    pub fn receive_batch(&self, max_frames: usize, max_bytes: usize) -> Result<Batch, Error> {
        self.check_open()?;
        let mut inbound = lock(&self.shared.inbound);
        let mut batch = Batch { frames: Vec::new(), bytes: 0, ended: false };
        while batch.frames.len() < max_frames && (batch.frames.is_empty() || batch.bytes < max_bytes) {
            let Some(frame) = self.pop(&mut inbound) else { break };
            batch.bytes += frame.payload.len();
            batch.frames.push(frame);
        }
        if inbound.frames.is_empty() {
            let failed = matches!(inbound.end, Some(Err(_))) || inbound.deferred_failure.is_some();
            // With frames taken, an error waits for the next call, so the frames are not lost.
            if batch.frames.is_empty() || !failed {
                batch.ended = self.queue_end(inbound)?;
            }
        }
        Ok(batch)
    }

    fn pop(&self, inbound: &mut Inbound) -> Option<Frame> {
        let frame = inbound.frames.pop_front()?;
        let was_full = inbound.bytes >= defaults::INBOUND_HIGH_WATER;
        inbound.bytes -= queue_cost(&frame);
        if was_full && inbound.bytes < defaults::INBOUND_HIGH_WATER {
            self.shared.reader_resume.notify_one();
        }
        Some(frame)
    }

    /// With nothing queued: `true` after the peer's orderly EOF, `false` while reading goes on,
    /// the error that ended reading otherwise (failing the connection for a deferred violation).
    fn queue_end(&self, mut inbound: MutexGuard<'_, Inbound>) -> Result<bool, Error> {
        if let Some(error) = inbound.deferred_failure.take() {
            inbound.end = Some(Err(error.clone()));
            drop(inbound);
            self.shared.fail(&error);
            return Err(error);
        }
        match &inbound.end {
            None => Ok(false),
            Some(Ok(())) => Ok(true),
            Some(Err(error)) => Err(error.clone()),
        }
    }

    /// Returns `true` once the connection runs on its socket (a server's 101 has been written);
    /// otherwise arms a wake-up for that moment and returns `false`.
    pub fn arm_started(&self) -> bool {
        let shared = &self.shared;
        if shared.started.load(Ordering::SeqCst) {
            return true;
        }
        shared.read_armed.store(true, Ordering::SeqCst);
        if shared.started.load(Ordering::SeqCst) {
            shared.read_armed.store(false, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// Asks for a wake-up when a frame (or the end of input) arrives. Returns `true` instead,
    /// without arming, when one is already there.
    pub fn arm_read(&self) -> bool {
        let shared = &self.shared;
        shared.read_armed.store(true, Ordering::SeqCst);
        if shared.readable() {
            shared.read_armed.store(false, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// Appends one frame to the write buffer: `flags` is the first header byte verbatim;
    /// client frames get a fresh mask (§5.3). Returns the bytes now waiting to be written.
    pub fn send(&self, flags: u8, payload: &[u8]) -> Result<usize, Error> {
        self.check_open()?;
        let mut outbound = lock(&self.shared.outbound);
        self.append(&mut outbound, flags, payload)?;
        let buffered = outbound.buf.len() + outbound.in_flight;
        drop(outbound);
        self.after_send(flags);
        Ok(buffered)
    }

    /// [`send`](Self::send) for several frames at once: one lock, one reservation. Stops at the
    /// first frame that cannot be sent; returns how many were sent and the bytes then buffered.
    pub fn send_many<'a>(&self, frames: &[(u8, &'a [u8])]) -> (usize, Result<usize, Error>) {
        if let Err(error) = self.check_open() {
            return (0, Err(error));
        }
        let mut outbound = lock(&self.shared.outbound);
        let total: usize = frames.iter().map(|(_, payload)| payload.len() + frame::MAX_HEADER_LEN).sum();
        outbound.buf.reserve(total);
        let mut sent = 0;
        let mut result = Ok(());
        for &(flags, payload) in frames {
            result = self.append(&mut outbound, flags, payload);
            if result.is_err() {
                break;
            }
            sent += 1;
        }
        let buffered = outbound.buf.len() + outbound.in_flight;
        drop(outbound);
        for &(flags, _) in &frames[..sent] {
            self.after_send(flags);
        }
        (sent, result.map(|()| buffered))
    }

    /// Poco 1.14's non-blocking `sendFrame`: `Some(length)` once the frame is buffered under the
    /// write limit, `None` (Poco's -1) while it is not; the caller must then repeat the call with
    /// the same length (the new buffer and flags are ignored, as in Poco) until it gets the length.
    pub fn send_nonblocking(&self, flags: u8, payload: &[u8]) -> Result<Option<usize>, Error> {
        self.check_open()?;
        let shared = &self.shared;
        let mut outbound = lock(&shared.outbound);
        if let Some(pending) = outbound.pending_len {
            if pending != payload.len() {
                return Err(Error::InvalidArgument("Pending send buffer length mismatch".into()));
            }
            if let Some(error) = &outbound.error {
                return Err(error.clone());
            }
            if !shared.over_limit(&outbound) {
                outbound.pending_len = None;
                return Ok(Some(pending));
            }
            return Ok(None);
        }
        self.append(&mut outbound, flags, payload)?;
        let over_limit = shared.over_limit(&outbound);
        if over_limit {
            outbound.pending_len = Some(payload.len());
        }
        drop(outbound);
        self.after_send(flags);
        Ok((!over_limit).then_some(payload.len()))
    }

    fn append(&self, outbound: &mut Outbound, flags: u8, payload: &[u8]) -> Result<(), Error> {
        if let Some(error) = &outbound.error {
            return Err(error.clone());
        }
        if outbound.send_shut {
            return Err(Error::Io { message: "Broken pipe".into(), errno: 32 });
        }
        self.shared.queue_frame(outbound, flags, payload);
        Ok(())
    }

    /// After a frame was queued (and the outbound lock released).
    fn after_send(&self, flags: u8) {
        if flags & OPCODE_MASK == OP_CLOSE {
            self.shared.on_close_sent();
        }
    }

    /// Sends a CLOSE frame with `status_code` and `reason` (§5.5.1); returns its payload length.
    pub fn send_close(&self, status_code: u16, reason: &str) -> Result<usize, Error> {
        let payload = frame::close_payload(status_code, reason);
        self.send(frame::FLAG_FIN | frame::OP_CLOSE, &payload)?;
        Ok(payload.len())
    }

    /// Returns `true` when a sender may go on (the write buffer is under its high-water mark, or
    /// failed, or closed); otherwise arms a wake-up for when it drains and returns `false`.
    pub fn arm_write(&self) -> bool {
        let shared = &self.shared;
        if shared.writable() {
            return true;
        }
        shared.write_armed.store(true, Ordering::SeqCst);
        if shared.writable() {
            shared.write_armed.store(false, Ordering::SeqCst);
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
        if shared.closed.load(Ordering::SeqCst) {
            return SELECT_ERROR;
        }
        let mut ready = 0;
        {
            let inbound = lock(&shared.inbound);
            if !inbound.frames.is_empty() || inbound.end.is_some() {
                ready |= SELECT_READ;
            }
            if matches!(inbound.end, Some(Err(_))) {
                ready |= SELECT_ERROR;
            }
        }
        let outbound = lock(&shared.outbound);
        if outbound.error.is_some() {
            ready |= SELECT_ERROR;
        } else if !shared.over_limit(&outbound) {
            ready |= SELECT_WRITE;
        }
        ready
    }

    /// Bytes received and not yet taken by a receive: queued payloads plus bytes not yet decoded.
    pub fn available(&self) -> usize {
        let inbound = lock(&self.shared.inbound);
        let queued: usize = inbound.frames.iter().map(|f| f.payload.len()).sum();
        queued + self.shared.undecoded.load(Ordering::Relaxed)
    }

    pub fn blocking(&self) -> bool {
        self.shared.blocking.load(Ordering::Relaxed)
    }

    pub fn set_blocking(&self, blocking: bool) {
        self.shared.blocking.store(blocking, Ordering::Relaxed);
    }

    /// Receive timeout in milliseconds (0: none). Enforced by the caller's wait, not the OS.
    pub fn receive_timeout_ms(&self) -> u64 {
        self.shared.receive_timeout_ms.load(Ordering::Relaxed)
    }

    pub fn set_receive_timeout_ms(&self, ms: u64) {
        self.shared.receive_timeout_ms.store(ms, Ordering::Relaxed);
    }

    /// Send timeout in milliseconds (0: none): how long a send may wait for the write buffer.
    pub fn send_timeout_ms(&self) -> u64 {
        self.shared.send_timeout_ms.load(Ordering::Relaxed)
    }

    pub fn set_send_timeout_ms(&self, ms: u64) {
        self.shared.send_timeout_ms.store(ms, Ordering::Relaxed);
    }

    /// The write buffer's high-water mark: sends wait (or return -1 in non-blocking mode) above it.
    pub fn write_limit(&self) -> usize {
        self.shared.write_limit.load(Ordering::Relaxed)
    }

    pub fn set_write_limit(&self, bytes: usize) {
        self.shared.write_limit.store(bytes, Ordering::Relaxed);
        self.shared.wake_writers_if_writable();
    }

    /// Poco's `shutdownSend()`: frames already accepted are flushed, then TCP sends FIN.
    pub fn shutdown_send(&self) -> Result<(), Error> {
        self.check_open()?;
        lock(&self.shared.outbound).send_shut = true;
        self.shared.writer_kick.notify_one();
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
        if shared.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        *lock(&shared.inbound) = Inbound::default();
        lock(&shared.outbound).closing = true;
        shared.writer_kick.notify_one();
        let tasks = std::mem::take(&mut *lock(&shared.tasks));
        if let Some(reader) = tasks.reader {
            reader.abort();
        }
        // The writer flushes, sends FIN and hands the socket to a lingering close
        // (`release_transport`); if it cannot finish in time, it is stopped and the socket dropped.
        match (tasks.writer, tasks.runtime) {
            (Some(writer), Some(runtime)) => {
                let shared = self.shared.clone();
                runtime.spawn(async move {
                    tokio::time::sleep(defaults::CLOSE_FLUSH_TIMEOUT).await;
                    writer.abort();
                    lock(&shared.socket).take();
                });
            }
            _ => drop(lock(&shared.socket).take()),
        }
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

impl Drop for Connection {
    fn drop(&mut self) {
        self.close();
    }
}

impl Starter {
    /// Attaches the socket and starts the reader and writer. `buffered` holds bytes that
    /// arrived with the handshake (frames right behind the 101 are not lost, Poco #1212).
    /// Must be called on a tokio runtime.
    pub fn start<S>(self, stream: S, buffered: BytesMut)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (reader, writer) = tokio::io::split(stream);
        self.launch(reader, writer, buffered, None);
    }

    /// [`start`](Self::start) for a stream over a TCP socket it hides (TLS): the socket-option
    /// calls and the lingering close go to `socket`.
    pub fn start_with_socket<S>(self, stream: S, buffered: BytesMut, socket: SocketHandle)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (reader, writer) = tokio::io::split(stream);
        self.launch(reader, writer, buffered, Some(socket));
    }

    /// [`start`](Self::start) for TCP: the reader, the writer and the socket-option calls share
    /// one descriptor.
    pub fn start_tcp(self, stream: TcpStream, buffered: BytesMut) {
        let tcp = SharedTcp::new(stream);
        let socket = SocketHandle::new(tcp.clone());
        self.launch(tcp.clone(), tcp, buffered, Some(socket));
    }

    fn launch<R, W>(self, reader: R, writer: W, buffered: BytesMut, socket: Option<SocketHandle>)
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let shared = self.shared;
        // Checked under the tasks lock, so a concurrent close() either is seen here or finds
        // the tasks (and the socket) to release.
        let mut tasks = lock(&shared.tasks);
        if shared.closed.load(Ordering::SeqCst) {
            // Closed before the socket came: still deliver what was sent meanwhile.
            drop(reader);
            tokio::spawn(tokio::time::timeout(defaults::CLOSE_FLUSH_TIMEOUT, write_loop(shared.clone(), writer)));
        } else {
            *lock(&shared.socket) = socket.map(Arc::new);
            tasks.reader = Some(tokio::spawn(read_loop(shared.clone(), reader, buffered)).abort_handle());
            tasks.writer = Some(tokio::spawn(write_loop(shared.clone(), writer)).abort_handle());
            tasks.runtime = Some(Handle::current());
        }
        drop(tasks);
        shared.started.store(true, Ordering::SeqCst);
        shared.wake_readers();
    }

    /// The connection could not start: every receive and send reports `error`.
    pub fn fail(self, error: Error) {
        self.shared.started.store(true, Ordering::SeqCst);
        lock(&self.shared.outbound).error = Some(error.clone());
        self.shared.deliver(Vec::new(), Some(Err(error)));
        self.shared.wake_writers();
    }
}
