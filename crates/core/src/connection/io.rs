//! The runtime side of a connection: the reader task (decode, check, queue, keepalive), the
//! writer task (flush the write buffer) and the lingering close.

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use tokio::io::ReadBuf;

use super::messages::Reassembly;
use super::*;

thread_local! {
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; defaults::READ_SCRATCH].into_boxed_slice());
}

pub(super) async fn read_loop<R: AsyncRead + Unpin>(shared: Arc<Shared>, mut reader: R, mut buf: BytesMut) {
    let mut inspector = Inspector::new(shared.role);
    let mut messages = Reassembly::default();
    let mut keepalive = Keepalive::new();
    let mut batch = Vec::new();
    let end = loop {
        let decoded = decode_available(&shared, &mut inspector, &mut messages, &mut buf, &mut batch);
        shared.undecoded.store(buf.len(), Ordering::Relaxed);
        let needed = match decoded {
            Ok(needed) => needed,
            Err(error) => break Err(error),
        };
        if !batch.is_empty() {
            shared.deliver(std::mem::take(&mut batch), None);
        }
        // Backpressure, and the caller's pause(): stop reading until it drains or resumes.
        if shared.reading_paused() {
            while shared.reading_paused() {
                shared.reader_resume.notified().await;
            }
            keepalive = Keepalive::new();
        }
        if buf.is_empty() {
            // Idle: give the buffer back; the next bytes land in the thread's scratch buffer.
            buf = BytesMut::new();
        }
        let deadline = keepalive.deadline(&shared);
        let read = poll_fn(|cx| poll_read_into(Pin::new(&mut reader), cx, &mut buf, needed));
        let outcome = tokio::select! {
            biased;
            outcome = read => Some(outcome),
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now).into()), if deadline.is_some() => None,
            // Settings changed (keepalive, pause): recompute.
            _ = shared.reader_resume.notified() => continue,
        };
        match outcome {
            None => match keepalive.on_deadline(&shared) {
                Ok(()) => continue,
                Err(error) => {
                    shared.finish_transport();
                    break Err(error);
                }
            },
            Some(Ok(0)) if buf.is_empty() => {
                // §7.1.1: after the close handshake the peer's FIN is the cue to close ours.
                if shared.close_sent.load(Ordering::SeqCst) && shared.close_received.load(Ordering::SeqCst) {
                    shared.finish_transport();
                }
                break Ok(());
            }
            // Poco spins forever on EOF inside a header (spec §4.6.1); report it instead.
            Some(Ok(0)) => break Err(Error::websocket(ErrorCode::IncompleteFrame, "Incomplete frame received")),
            Some(Ok(_)) => keepalive.heard(),
            Some(Err(error)) => break Err(error.into()),
        }
    };
    match end {
        Err(error) if shared.fails_connection(&error) => shared.end_with_violation(batch, error),
        end => {
            shared.deliver(batch, Some(end));
        }
    }
}

/// Reads what the socket has into `buf`; `needed` is what would complete the next frame. Small
/// reads land in the thread's scratch buffer first, so `buf` is only as large as a partial
/// frame; a large frame in progress is read straight into `buf`, grown by at most one step.
fn poll_read_into<R: AsyncRead + Unpin>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    needed: usize,
) -> Poll<std::io::Result<usize>> {
    let missing = needed.saturating_sub(buf.len());
    if missing > defaults::READ_SCRATCH / 2 {
        buf.reserve(missing.min(defaults::READ_BUFFER_STEP));
        let mut read = ReadBuf::uninit(buf.spare_capacity_mut());
        ready!(reader.poll_read(cx, &mut read))?;
        let n = read.filled().len();
        // SAFETY: `poll_read` initialised the first `n` bytes of the spare capacity.
        unsafe { buf.set_len(buf.len() + n) };
        return Poll::Ready(Ok(n));
    }
    SCRATCH.with_borrow_mut(|scratch| {
        let mut read = ReadBuf::new(scratch);
        ready!(reader.poll_read(cx, &mut read))?;
        buf.extend_from_slice(read.filled());
        Poll::Ready(Ok(read.filled().len()))
    })
}

/// The message API's keepalive (uWebSockets.js's `idleTimeout`, ws's heartbeat): a PING when
/// the peer has been quiet for the ping interval, and the connection dropped when nothing at
/// all (PONGs included) came for the idle timeout, so half-open peers do not linger.
struct Keepalive {
    heard: Instant,
    pinged: Instant,
}

impl Keepalive {
    fn new() -> Self {
        let now = Instant::now();
        Keepalive { heard: now, pinged: now }
    }

    fn heard(&mut self) {
        self.heard = Instant::now();
    }

    fn deadline(&self, shared: &Shared) -> Option<Instant> {
        let (ping, idle) = shared.keepalive();
        let ping_at = ping.map(|ping| self.heard.max(self.pinged) + ping);
        let drop_at = idle.map(|idle| self.heard + idle);
        ping_at.into_iter().chain(drop_at).min()
    }

    fn on_deadline(&mut self, shared: &Shared) -> Result<(), Error> {
        let (ping, idle) = shared.keepalive();
        let now = Instant::now();
        if idle.is_some_and(|idle| now >= self.heard + idle) {
            return Err(Error::Timeout);
        }
        if ping.is_some_and(|ping| now >= self.heard.max(self.pinged) + ping) {
            shared.reply(FLAG_FIN | frame::OP_PING, &[]);
            self.pinged = now;
        }
        Ok(())
    }
}

/// Takes every complete frame off `buf` into `batch`, checking each against the protocol
/// rules (and joining messages in message mode); returns how many bytes would complete the
/// next frame.
fn decode_available(
    shared: &Arc<Shared>,
    inspector: &mut Inspector,
    messages: &mut Reassembly,
    buf: &mut BytesMut,
    batch: &mut Vec<Frame>,
) -> Result<usize, Error> {
    loop {
        let policy = shared.policy();
        let Some(header) = frame::parse_header(buf) else {
            return Ok(frame::header_needed(buf));
        };
        frame::check_payload_len(&header, shared.max_payload.load(Ordering::Relaxed))?;
        inspector.on_header(&header, &policy)?;
        match frame::take(buf, &header)? {
            Decoded::Frame(frame) => {
                let deliver = inspector.on_frame(&frame, &policy)?;
                if inspector.close_received() {
                    shared.on_close_received();
                }
                if !deliver {
                    continue;
                }
                if !shared.messages.load(Ordering::Relaxed) {
                    batch.push(frame);
                } else if let Some(message) = messages.on_frame(shared, frame) {
                    batch.push(message);
                }
            }
            Decoded::NeedMore(needed) => {
                inspector.on_partial_payload(&header, &buf[header.len..])?;
                return Ok(needed);
            }
        }
    }
}

/// A lingering close: read and drop what the peer still sends until it closes.
pub(super) async fn discard_until_eof(mut tcp: SharedTcp) {
    let mut sink = [0u8; 4096];
    while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
}

pub(super) async fn write_loop<W: AsyncWrite + Unpin>(shared: Arc<Shared>, mut writer: W) {
    loop {
        let (chunk, finishing) = {
            let mut outbound = lock(&shared.outbound);
            // Taken, not swapped: an idle connection keeps no write buffer.
            let chunk = std::mem::take(&mut outbound.buf);
            outbound.in_flight = chunk.len();
            (chunk, outbound.closing || outbound.send_shut)
        };
        if chunk.is_empty() {
            if finishing {
                let _ = writer.shutdown().await;
                if lock(&shared.outbound).closing {
                    shared.release_transport();
                }
                return;
            }
            shared.writer_kick.notified().await;
            continue;
        }
        let result = match writer.write_all(&chunk).await {
            Ok(()) => writer.flush().await,
            Err(error) => Err(error),
        };
        drop(chunk);
        let mut outbound = lock(&shared.outbound);
        outbound.in_flight = 0;
        if let Err(error) = result {
            outbound.error = Some(error.into());
            drop(outbound);
            shared.wake_writers();
            return;
        }
        drop(outbound);
        shared.wake_writers_if_writable();
    }
}
