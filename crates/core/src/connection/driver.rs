//! The runtime side of a connection on tokio: one future per connection that reads, decodes and
//! queues what arrives, sends the runtime's own answers, writes what was queued, keeps the
//! keepalive and close deadlines, and closes TCP the way RFC 6455 §7.1.1 asks (flush, FIN, then
//! read until the peer's EOF, so that the OS does not answer unread input with a RST that would
//! destroy our last frames).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::compression;
use super::inbound::End;
use super::outbound::Piece;
use super::keepalive::{Due, Keepalive};
use super::timer::Timer;
use super::{lock, Lifecycle, Shared};
use crate::decoder::Decoder;
use crate::defaults;
use crate::deflate::Compressor;
use crate::error::{Error, ErrorCode};
use crate::frame::{Frame, FLAG_FIN, OPCODE_MASK, OP_CLOSE, OP_PING};
use crate::protocol::Violation;

/// Rounds of work in one poll before the driver yields to the other tasks of its thread.
const ROUNDS_PER_POLL: usize = 32;
/// Most buffers handed to one vectored write.
const MAX_WRITE_SLICES: usize = 16;
/// Spare room under which the thread's read buffer is swapped for another.
const SLAB_LOW: usize = 16 * 1024;

thread_local! {
    /// Where reads land while a connection has no partial frame: frames decoded from it are
    /// slices of it, so an idle connection holds no read buffer and a payload is not copied.
    static SLAB: RefCell<Slabs> = RefCell::new(Slabs::default());
}

/// The thread's read buffer and the used ones whose frames may still be queued. A used one is
/// taken again once every frame cut from it is released: its pages are mapped already, where a
/// fresh buffer faults on each one (and glibc hands the pages of a freed one back to the kernel).
#[derive(Default)]
struct Slabs {
    current: Option<BytesMut>,
    used: VecDeque<BytesMut>,
}

impl Slabs {
    /// The buffer to read into, with at least [`SLAB_LOW`] spare.
    fn current(&mut self) -> &mut BytesMut {
        let low = self.current.as_ref().is_none_or(|slab| slab.capacity() - slab.len() < SLAB_LOW);
        if low {
            self.used.extend(self.current.take());
            let free = self.used.iter_mut().position(|slab| slab.is_empty() && slab.try_reclaim(defaults::READ_SCRATCH));
            let slab = match free.and_then(|at| self.used.remove(at)) {
                Some(slab) => slab,
                None => BytesMut::with_capacity(defaults::READ_SCRATCH),
            };
            // The oldest beyond the bound are let go (freed with their last frame).
            while self.used.len() > defaults::READ_SLABS_KEPT {
                self.used.pop_front();
            }
            return self.current.insert(slab);
        }
        self.current.get_or_insert_with(|| BytesMut::with_capacity(defaults::READ_SCRATCH))
    }
}

pub(crate) struct Driver<S, T> {
    shared: Arc<Shared>,
    stream: S,
    decoder: Decoder,
    /// permessage-deflate: compresses the messages staged for it as they are written.
    compressor: Option<Compressor>,
    /// A partial frame (or the bytes that came with the handshake).
    buf: BytesMut,
    /// Bytes `buf` must hold to complete the next frame.
    needed: usize,
    keepalive: Keepalive,
    /// Reading was held back (paused, or the inbound queue full): the keepalive restarts after.
    held: bool,
    /// No more input to decode: EOF, a read error or a violation ended it.
    input_ended: bool,
    phase: Phase,
    /// What is being written, in order; the front one may be partly written already.
    chunks: VecDeque<Bytes>,
    flush_pending: bool,
    /// A write failed: nothing more can go out.
    output_broken: bool,
    fin_sent: bool,
    /// A violation waits for the caller to take the frames before it, at most until then.
    fail_deferred_at: Option<Instant>,
    /// Finishing: give up flushing to a peer that does not read after this.
    flush_deadline: Option<Instant>,
    timer: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    /// FIN is sent: read and drop until the peer's EOF, at most until then.
    Lingering(Instant),
    Done,
}

impl<S: AsyncRead + AsyncWrite + Unpin, T: Timer> Driver<S, T> {
    pub(crate) fn new(shared: Arc<Shared>, stream: S, buffered: BytesMut, timer: T) -> Self {
        let role = shared.role;
        let deflate = shared.deflate;
        let mut driver = Driver {
            shared,
            stream,
            decoder: Decoder::with_inflater(role, deflate.map(|negotiated| negotiated.decompressor())),
            compressor: deflate.map(|negotiated| negotiated.compressor()),
            buf: BytesMut::new(),
            needed: 0,
            keepalive: Keepalive::new(Instant::now()),
            held: false,
            input_ended: false,
            phase: Phase::Running,
            chunks: VecDeque::new(),
            flush_pending: false,
            output_broken: false,
            fin_sent: false,
            fail_deferred_at: None,
            flush_deadline: None,
            timer,
        };
        if !buffered.is_empty() {
            let mut buffered = buffered;
            driver.on_input(&mut buffered);
            driver.buf = buffered;
        }
        driver
    }

    pub(crate) fn stream(&self) -> &S {
        &self.stream
    }

    pub(crate) fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Writes what is queued; returns whether anything moved.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        while !self.output_broken {
            if self.chunks.is_empty() {
                if self.flush_pending {
                    match Pin::new(&mut self.stream).poll_flush(cx) {
                        Poll::Ready(Ok(())) => self.flush_pending = false,
                        Poll::Ready(Err(error)) => {
                            self.on_write_error(error);
                            return true;
                        }
                        Poll::Pending => return progress,
                    }
                }
                match self.take_output() {
                    Ok(true) => {}
                    Ok(false) => return progress,
                    Err(error) => {
                        self.on_write_error(error);
                        return true;
                    }
                }
            }
            let written = match self.chunks.len() {
                // The common case (no shared or compressed pieces): a plain write.
                1 => Pin::new(&mut self.stream).poll_write(cx, &self.chunks[0]),
                _ => {
                    let mut slices = [IoSlice::new(&[]); MAX_WRITE_SLICES];
                    let count = self.chunks.iter().zip(slices.iter_mut()).map(|(chunk, slice)| *slice = IoSlice::new(chunk)).count();
                    Pin::new(&mut self.stream).poll_write_vectored(cx, &slices[..count])
                }
            };
            match written {
                Poll::Ready(Ok(0)) => self.on_write_error(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => {
                    self.consume(n);
                    if self.chunks.is_empty() {
                        self.flush_pending = true;
                        lock(&self.shared.outbound).written();
                        self.shared.wake_writers_if_writable();
                    }
                }
                Poll::Ready(Err(error)) => self.on_write_error(error),
                Poll::Pending => return progress,
            }
            progress = true;
        }
        progress
    }

    /// Takes what is queued into `chunks`, compressing the staged messages; false when nothing is.
    fn take_output(&mut self) -> io::Result<bool> {
        let shared = &self.shared;
        let (pieces, tail) = lock(&shared.outbound).take(shared.role, shared.settings.write_limit());
        for piece in pieces {
            let chunk = match piece {
                Piece::Encoded(frames) => frames.freeze(),
                Piece::Shared(frame) => frame,
                Piece::Compress(message) => {
                    let compressor = self.compressor.as_mut().expect("messages are staged only with deflate negotiated");
                    let negotiated = shared.deflate.as_ref().expect("messages are staged only with deflate negotiated");
                    compression::frame_staged(message, compressor, negotiated).map_err(|error| io::Error::other(error.to_string()))?
                }
            };
            self.chunks.push_back(chunk);
        }
        if !tail.is_empty() {
            self.chunks.push_back(tail.freeze());
        }
        Ok(!self.chunks.is_empty())
    }

    /// `n` bytes from the front of `chunks` went out.
    fn consume(&mut self, mut n: usize) {
        while n > 0 {
            let front = self.chunks.front_mut().expect("no more was written than was given");
            if n < front.len() {
                front.advance(n);
                return;
            }
            n -= front.len();
            self.chunks.pop_front();
        }
    }

    fn on_write_error(&mut self, error: io::Error) {
        self.output_broken = true;
        self.chunks.clear();
        let mut outbound = lock(&self.shared.outbound);
        outbound.written();
        outbound.stop(error.into());
        drop(outbound);
        self.shared.wake_writers();
    }

    /// Sends FIN once everything is flushed, when asked to (`shutdownSend`, or finishing), and
    /// starts lingering once finishing.
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> bool {
        let (finishing, wants_fin, pending) = {
            let outbound = lock(&self.shared.outbound);
            (outbound.finishing, outbound.wants_fin(), outbound.has_pending())
        };
        let mut progress = false;
        if finishing && self.flush_deadline.is_none() {
            self.flush_deadline = Some(Instant::now() + defaults::CLOSE_FLUSH_TIMEOUT);
            progress = true;
        }
        let flushed = self.output_broken || (!pending && self.chunks.is_empty() && !self.flush_pending);
        if wants_fin && flushed && !self.fin_sent {
            if !self.output_broken {
                match Pin::new(&mut self.stream).poll_shutdown(cx) {
                    Poll::Pending => return progress,
                    Poll::Ready(_) => {}
                }
            }
            self.fin_sent = true;
            progress = true;
        }
        if finishing && self.fin_sent && self.phase == Phase::Running {
            self.phase = if self.input_eof() {
                Phase::Done
            } else {
                Phase::Lingering(Instant::now() + self.shared.settings.close_timeout())
            };
            // For the caller the connection is over now; the lingering read is the transport's.
            if !self.input_ended {
                self.end_input(End::Eof);
            }
            progress = true;
        }
        progress
    }

    fn input_eof(&self) -> bool {
        self.input_ended && lock(&self.shared.inbound).has_ended() && self.buf.is_empty()
    }

    /// Reads what the socket has; returns whether anything moved.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        if let Phase::Lingering(_) = self.phase {
            return self.poll_discard(cx);
        }
        if self.input_ended {
            return false;
        }
        let held = self.shared.settings.paused() || lock(&self.shared.inbound).is_full();
        if held {
            self.held = true;
            return false;
        }
        if std::mem::take(&mut self.held) {
            self.keepalive = Keepalive::new(Instant::now());
        }
        let read = if self.buf.is_empty() { self.poll_read_slab(cx) } else { self.poll_read_buf(cx) };
        match read {
            Poll::Pending => false,
            Poll::Ready(Ok(0)) => {
                self.on_eof();
                true
            }
            Poll::Ready(Ok(_)) => {
                self.keepalive.heard(self.timer.now());
                true
            }
            Poll::Ready(Err(error)) => {
                self.end_input(End::Failed(error.into()));
                true
            }
        }
    }

    /// A read into the thread's buffer; what remains of a partial frame is kept in `buf`.
    fn poll_read_slab(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        SLAB.with_borrow_mut(|slabs| {
            let slab = slabs.current();
            let n = match poll_read_spare(&mut self.stream, cx, slab) {
                Poll::Ready(Ok(n)) => n,
                other => return other,
            };
            if n > 0 {
                self.on_input(slab);
                // The partial frame left (and, on a violation, what is not decoded) is copied out,
                // so that the thread's buffer can serve the next connection; the buffer is made
                // the frame's size at once (up to a step), so it is not moved again as it fills.
                if !slab.is_empty() {
                    self.buf.reserve(self.needed.clamp(slab.len(), slab.len() + defaults::READ_BUFFER_STEP));
                }
                self.buf.extend_from_slice(slab);
                slab.clear();
            }
            Poll::Ready(Ok(n))
        })
    }

    /// A read that completes the partial frame in `buf`, which grows by at most one step at a
    /// time, so a declared length never drives an allocation on its own.
    fn poll_read_buf(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let missing = self.needed.saturating_sub(self.buf.len()).clamp(1, defaults::READ_BUFFER_STEP);
        self.buf.reserve(missing.max(defaults::READ_SCRATCH.min(defaults::READ_BUFFER_STEP) / 4));
        let n = std::task::ready!(poll_read_spare(&mut self.stream, cx, &mut self.buf))?;
        if n > 0 {
            let mut buf = std::mem::take(&mut self.buf);
            self.on_input(&mut buf);
            self.buf = buf;
        }
        Poll::Ready(Ok(n))
    }

    /// Lingering: what the peer still sends is dropped until its EOF.
    fn poll_discard(&mut self, cx: &mut Context<'_>) -> bool {
        let mut sink = [0u8; 4096];
        let mut read = ReadBuf::new(&mut sink);
        match Pin::new(&mut self.stream).poll_read(cx, &mut read) {
            Poll::Pending => false,
            Poll::Ready(Ok(())) if !read.filled().is_empty() => true,
            Poll::Ready(_) => {
                self.phase = Phase::Done;
                true
            }
        }
    }

    /// Decodes what arrived and hands it on: the caller's frames, the runtime's answers.
    fn on_input(&mut self, input: &mut BytesMut) {
        let policy = self.shared.settings.policy();
        let mut frames = Vec::new();
        let result = self.decoder.decode(input, &policy, &mut frames);
        self.deliver(frames, policy.join);
        match result {
            Ok(needed) => self.needed = needed,
            Err(violation) if policy.strict => {
                self.fail_deferred_at = Some(Instant::now() + self.shared.settings.close_timeout());
                self.end_input(End::Violation(violation));
            }
            Err(violation) => self.end_input(End::Failed(violation.into())),
        }
        self.shared.undecoded.store(input.len() + self.buf.len(), Ordering::Relaxed);
    }

    /// Queues `frames` for the caller, after what the runtime does on its own: a PONG for each
    /// PING (message mode, §5.5.2), and the close handshake's bookkeeping for a CLOSE.
    fn deliver(&mut self, frames: Vec<Frame>, messages: bool) {
        if frames.is_empty() {
            return;
        }
        let shared = &self.shared;
        let control = frames.iter().filter(|frame| frame.flags & OPCODE_MASK >= OP_CLOSE);
        let mut control = control.peekable();
        if control.peek().is_some() {
            let limit = shared.settings.write_limit();
            let mut outbound = lock(&shared.outbound);
            let mut pinged = false;
            for frame in control {
                match frame.flags & OPCODE_MASK {
                    OP_PING if messages && shared.settings.auto_pong() => {
                        outbound.answer_ping(shared.role, frame.payload.clone(), limit);
                        pinged = true;
                    }
                    OP_CLOSE => {
                        let next = outbound.lifecycle.on_close_received();
                        shared.apply(next, &mut outbound);
                    }
                    _ => {}
                }
            }
            let over = if pinged { shared.over_backpressure(&outbound) } else { None };
            drop(outbound);
            if let Some(error) = over {
                shared.drop_peer(error);
                self.input_ended = true;
                return;
            }
        }
        lock(&shared.inbound).push(frames, messages);
        shared.wake_readers();
    }

    fn on_eof(&mut self) {
        if !self.buf.is_empty() {
            // Poco spins forever on EOF inside a header (spec §4.6.1); report it instead.
            let error = Error::websocket(ErrorCode::IncompleteFrame, "Incomplete frame received");
            self.end_input(End::Failed(error));
            return;
        }
        self.end_input(End::Eof);
        // §7.1.1: after the close handshake the server's FIN is the client's cue to close.
        let mut outbound = lock(&self.shared.outbound);
        if outbound.lifecycle == Lifecycle::CloseHandshakeDone {
            outbound.finishing = true;
        }
    }

    fn end_input(&mut self, end: End) {
        self.input_ended = true;
        lock(&self.shared.inbound).end(end);
        self.shared.wake_readers();
    }

    /// Keepalive, the close timeout and the deferred failure; arms the timer for the next one.
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> bool {
        let shared = self.shared.clone();
        let now = self.timer.now();
        let mut progress = false;
        let (ping, idle) = shared.settings.keepalive();
        let listening = self.phase == Phase::Running && !self.input_ended && !self.held;
        if listening && self.keepalive.deadline(ping, idle).is_some_and(|at| now >= at) {
            match self.keepalive.due(now, ping, idle) {
                Due::Ping => {
                    let mut outbound = lock(&shared.outbound);
                    if outbound.lifecycle == Lifecycle::Open && !outbound.finishing {
                        outbound.push(shared.role, FLAG_FIN | OP_PING, &[]);
                    }
                }
                Due::Drop => {
                    self.end_input(End::Failed(Error::Timeout));
                    lock(&shared.outbound).finishing = true;
                }
                Due::Nothing => {}
            }
            progress = true;
        }
        {
            let mut outbound = lock(&shared.outbound);
            if outbound.finish_by.is_some_and(|at| now >= at) {
                outbound.finish_by = None;
                outbound.finishing = true;
                progress = true;
            }
        }
        if self.fail_deferred_at.is_some_and(|at| now >= at) {
            self.fail_deferred_at = None;
            let violation = lock(&shared.inbound).deferred_violation();
            if let Some(violation) = violation {
                shared.fail(violation);
            }
            progress = true;
        }
        let lingering_over = matches!(self.phase, Phase::Lingering(until) if now >= until);
        if lingering_over || self.flush_deadline.is_some_and(|at| now >= at && self.phase == Phase::Running) {
            self.phase = Phase::Done;
            return true;
        }
        if progress {
            return true;
        }
        let next = [
            listening.then(|| self.keepalive.deadline(ping, idle)).flatten(),
            lock(&shared.outbound).finish_by,
            self.fail_deferred_at,
            if self.phase == Phase::Running { self.flush_deadline } else { None },
            match self.phase {
                Phase::Lingering(until) => Some(until),
                _ => None,
            },
        ]
        .into_iter()
        .flatten()
        .min();
        self.timer.poll_at(next, cx)
    }

    /// The transport is done: the socket goes, waiting callers learn that input ended.
    fn release(&mut self) {
        let shared = &self.shared;
        lock(&shared.socket).take();
        lock(&shared.inbound).end(End::Eof);
        lock(&shared.outbound).stop(Error::broken_pipe());
        shared.undecoded.store(0, Ordering::Relaxed);
        shared.wake_readers();
        shared.wake_writers();
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, T: Timer + Unpin> Future for Driver<S, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // Registered before any state is read: a kick after this point polls again.
        this.shared.signals.driver.register(cx.waker());
        for _ in 0..ROUNDS_PER_POLL {
            let mut progress = this.poll_write(cx);
            progress |= this.poll_finish(cx);
            if this.phase != Phase::Done {
                progress |= this.poll_read(cx);
            }
            if this.phase != Phase::Done {
                progress |= this.poll_timers(cx);
            }
            if this.phase == Phase::Done {
                this.release();
                return Poll::Ready(());
            }
            if !progress {
                return Poll::Pending;
            }
        }
        // Other connections on this thread get their turn.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// One read into the spare capacity of `buf` (no zero-fill), at most the scratch size at once.
fn poll_read_spare<S: AsyncRead + Unpin>(stream: &mut S, cx: &mut Context<'_>, buf: &mut BytesMut) -> Poll<io::Result<usize>> {
    let spare = buf.spare_capacity_mut();
    let limit = spare.len().min(defaults::READ_BUFFER_STEP);
    let mut read = ReadBuf::uninit(&mut spare[..limit]);
    std::task::ready!(Pin::new(stream).poll_read(cx, &mut read))?;
    let n = read.filled().len();
    // SAFETY: `poll_read` initialised the first `n` bytes of the spare capacity.
    unsafe { buf.set_len(buf.len() + n) };
    Poll::Ready(Ok(n))
}

impl From<Violation> for End {
    fn from(violation: Violation) -> Self {
        End::Violation(violation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read of `n` bytes into the thread's buffer, cut out whole as one frame.
    fn read_frame(slabs: &mut Slabs, n: usize) -> Bytes {
        let slab = slabs.current();
        slab.extend_from_slice(&vec![7; n]);
        slab.split().freeze()
    }

    #[test]
    fn a_used_read_buffer_serves_again_once_its_frames_are_released() {
        let mut slabs = Slabs::default();
        let first = slabs.current().as_ptr();
        // Reads that fill each buffer exactly.
        let reads = defaults::READ_SCRATCH / SLAB_LOW;
        let held: Vec<Bytes> = (0..reads).map(|_| read_frame(&mut slabs, SLAB_LOW)).collect();
        // Its frames are still queued: the next reads land in another buffer.
        let second: Vec<Bytes> = (0..reads).map(|_| read_frame(&mut slabs, SLAB_LOW)).collect();
        assert!(second.iter().all(|frame| !std::ptr::eq(frame.as_ptr(), first)));
        drop(held);
        assert_eq!(slabs.current().as_ptr(), first);
        assert!(second.iter().all(|frame| frame.iter().all(|&byte| byte == 7)));
    }

    #[test]
    fn used_read_buffers_kept_are_bounded() {
        let mut slabs = Slabs::default();
        let held: Vec<Bytes> = (0..(defaults::READ_SLABS_KEPT + 8) * 2).map(|_| read_frame(&mut slabs, defaults::READ_SCRATCH / 2)).collect();
        assert!(slabs.used.len() <= defaults::READ_SLABS_KEPT);
        drop(held);
    }
}
