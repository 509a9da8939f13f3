//! What is to be written: encoded frames waiting for the runtime's writer, the lifecycle (changed
//! under the same lock, so a CLOSE is recorded as it is queued), and what the runtime owes the
//! peer on its own (PONGs). The runtime's own replies obey the write limit like the caller's
//! sends: over it, only the most recent PING is answered once the buffer drains (§5.5.3).

use std::time::Instant;

use std::io::IoSlice;

use bytes::{Bytes, BytesMut};

use std::sync::Arc;

use super::compression::{SharedCompression, Staged};
use super::lifecycle::{Lifecycle, Next};
use crate::error::Error;
use crate::frame::{self, FLAG_FIN, OPCODE_MASK, OP_CLOSE, OP_CONTINUATION, OP_PONG};
use crate::protocol::Role;
use crate::socket::SocketHandle;

/// A part of what is to be written, in order.
pub(super) enum Piece {
    /// Frames encoded in this socket's buffer.
    Encoded(BytesMut),
    /// permessage-deflate: a message the writer compresses just before it goes out.
    Compress(Staged),
    /// A whole frame shared with other sockets (a publish), written from its one copy.
    Shared(Bytes),
}

pub(super) struct Outbound {
    /// Encoded frames waiting for the writer (taken whole by it: an idle connection holds none).
    buf: BytesMut,
    /// What waits before `buf`, in order, when not everything is encoded here: messages the
    /// writer compresses, frames shared with other sockets (`buf` then holds what was queued
    /// after the last of them).
    pieces: Vec<Piece>,
    /// Bytes of `pieces`, headers counted.
    pieces_bytes: usize,
    /// Bytes the writer has taken and not finished writing.
    in_flight: usize,
    pub(super) lifecycle: Lifecycle,
    /// Why sending stopped: every later send reports it.
    error: Option<Error>,
    /// A PONG owed while the buffer was over the write limit: the latest PING's payload.
    pending_pong: Option<Bytes>,
    /// Bytes of the PONGs not queued because the buffer was over the write limit (what the
    /// peer would have had to read).
    owed: usize,
    /// `shutdownSend()`: flush, then FIN; no frames after that.
    send_shut: bool,
    /// Finish the transport: flush, FIN, then close TCP after the peer's EOF.
    pub(super) finishing: bool,
    /// When the transport must be finished even if the peer has not closed (the close timeout).
    pub(super) finish_by: Option<Instant>,
    /// Non-blocking mode: the payload length of a frame reported as not yet sent (Poco's -1).
    pub(super) pending_len: Option<usize>,
    /// Message API: a data message is being sent in fragments (`fin: false`).
    sending_fragments: bool,
}

impl Outbound {
    pub(super) fn new() -> Self {
        Outbound {
            buf: BytesMut::new(),
            pieces: Vec::new(),
            pieces_bytes: 0,
            in_flight: 0,
            lifecycle: Lifecycle::Open,
            error: None,
            pending_pong: None,
            owed: 0,
            send_shut: false,
            finishing: false,
            finish_by: None,
            pending_len: None,
            sending_fragments: false,
        }
    }

    /// Bytes accepted and not yet written (frame headers included).
    pub(super) fn buffered(&self) -> usize {
        self.buf.len() + self.pieces_bytes + self.in_flight
    }

    /// Nothing queued or being written: the writer must be woken for what comes.
    fn idle(&self) -> bool {
        self.buf.is_empty() && self.pieces.is_empty() && self.in_flight == 0
    }

    /// What the peer owes us reading: buffered bytes plus the PONGs held back.
    pub(super) fn backpressure(&self) -> usize {
        self.buffered() + self.owed
    }

    /// The peer is dropped: nothing queued for it goes out.
    pub(super) fn discard(&mut self) {
        self.buf = BytesMut::new();
        self.pieces = Vec::new();
        self.pieces_bytes = 0;
        self.pending_pong = None;
        self.owed = 0;
    }

    pub(super) fn over(&self, limit: usize) -> bool {
        self.buffered() > limit
    }

    pub(super) fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Whether a sender waiting for room may go on (room, or sending is over anyway).
    pub(super) fn writable(&self, limit: usize) -> bool {
        self.error.is_some() || self.finishing || !self.over(limit)
    }

    /// Sending stopped for good: every later send reports `error` (the first one stays).
    pub(super) fn stop(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    /// Whether the caller may queue a frame now.
    pub(super) fn check_sendable(&self) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.send_shut {
            return Err(Error::broken_pipe());
        }
        Ok(())
    }

    pub(super) fn shut_send(&mut self) {
        self.send_shut = true;
    }

    /// The writer is to send FIN once the buffer is flushed.
    pub(super) fn wants_fin(&self) -> bool {
        self.finishing || self.send_shut
    }

    /// Appends one frame: `flags` is the first header byte verbatim; a client masks with a fresh
    /// key (§5.3). Returns what a queued CLOSE asks of the transport. `true` in the second value
    /// when the buffer was empty (the writer must be woken).
    pub(super) fn push(&mut self, role: Role, flags: u8, payload: &[u8]) -> (Next, bool) {
        let was_empty = self.idle();
        let mask = (role == Role::Client).then(frame::new_mask);
        frame::encode(flags, payload, mask, &mut self.buf);
        let next = if flags & OPCODE_MASK == OP_CLOSE { self.lifecycle.on_close_sent() } else { Next::Stay };
        (next, was_empty)
    }

    /// Whether the caller may write to the socket itself: nothing is queued or being written
    /// before it, and sending goes on.
    pub(super) fn writes_directly(&self) -> bool {
        self.idle() && self.pending_pong.is_none() && !self.finishing && !self.send_shut && self.error.is_none()
    }

    /// [`push`](Self::push) for a large frame of a server, written straight to `socket` from the
    /// caller's memory when nothing is queued before it; only what the socket did not take is
    /// copied into the buffer (uWebSockets does the same for uncorked large sends).
    pub(super) fn push_direct(&mut self, flags: u8, payload: &[u8], socket: &SocketHandle) -> (Next, bool) {
        if !self.writes_directly() || flags & OPCODE_MASK >= OP_CLOSE {
            return self.push(Role::Server, flags, payload);
        }
        let (header, header_len) = frame::header(flags, payload.len(), None);
        let written = socket.write_now(&[IoSlice::new(&header[..header_len]), IoSlice::new(payload)]);
        if written >= header_len + payload.len() {
            return (Next::Stay, false);
        }
        if written < header_len {
            self.buf.extend_from_slice(&header[written..header_len]);
        }
        self.buf.extend_from_slice(&payload[written.saturating_sub(header_len)..]);
        (Next::Stay, true)
    }

    /// A frame encoded once for many sockets (a publish), appended whole; the caller checks
    /// [`takes_publish`](Self::takes_publish) first. `true` when the writer must be woken.
    pub(super) fn push_encoded(&mut self, header: &[u8], payload: &[u8]) -> bool {
        let was_empty = self.idle();
        self.buf.reserve(header.len() + payload.len());
        self.buf.extend_from_slice(header);
        self.buf.extend_from_slice(payload);
        was_empty
    }

    /// Frames encoded once for many sockets: shared when large enough, copied otherwise (see
    /// [`defaults::SHARED_FRAME_MIN`](crate::defaults::SHARED_FRAME_MIN)); the caller checks
    /// [`takes_publish`](Self::takes_publish) first. `true` when the writer must be woken.
    pub(super) fn push_frames(&mut self, frames: Bytes) -> bool {
        if frames.len() >= crate::defaults::SHARED_FRAME_MIN {
            self.push_shared(frames)
        } else {
            self.push_encoded(&frames, &[])
        }
    }

    /// A data message the writer compresses (RFC 7692 §7.2.1) before it goes out, in its place
    /// after what is queued now. `true` when the writer must be woken.
    pub(super) fn stage(&mut self, flags: u8, payload: Bytes, shared: Option<Arc<SharedCompression>>) -> bool {
        let was_empty = self.idle();
        self.pieces_bytes += payload.len() + frame::MAX_HEADER_LEN;
        self.push_piece(Piece::Compress(Staged { flags, payload, shared }));
        was_empty
    }

    /// A whole frame shared with other sockets, in its place after what is queued now. `true`
    /// when the writer must be woken.
    pub(super) fn push_shared(&mut self, frame: Bytes) -> bool {
        let was_empty = self.idle();
        self.pieces_bytes += frame.len();
        self.push_piece(Piece::Shared(frame));
        was_empty
    }

    fn push_piece(&mut self, piece: Piece) {
        if !self.buf.is_empty() {
            self.pieces.push(Piece::Encoded(std::mem::take(&mut self.buf)));
        }
        self.pieces.push(piece);
    }

    /// Whether a publish may be appended now: not inside a fragmented message of ours (it would
    /// be cut in two, §5.4), and data may still be sent.
    pub(super) fn takes_publish(&self) -> bool {
        !self.sending_fragments && self.lifecycle.may_send_data() && self.check_sendable().is_ok()
    }

    /// The message API's first header byte for a data frame: a fragment after the first one of a
    /// message is a CONTINUATION (§5.4), whatever opcode the caller passed. Control frames pass.
    pub(super) fn message_flags(&mut self, flags: u8) -> Result<u8, Error> {
        let opcode = flags & OPCODE_MASK;
        if opcode >= OP_CLOSE {
            return Ok(flags);
        }
        if !self.lifecycle.may_send_data() {
            return Err(Error::InvalidAccess("WebSocket is not open: a CLOSE was sent (RFC 6455 §5.5.1)".into()));
        }
        let fin = flags & FLAG_FIN != 0;
        let flags = if self.sending_fragments { (flags & !OPCODE_MASK) | OP_CONTINUATION } else { flags };
        self.sending_fragments = !fin;
        Ok(flags)
    }

    /// The runtime's PONG to a PING (§5.5.2): queued at once under the write limit; over it, kept
    /// as the one PONG owed, replacing an older one (§5.5.3), until the buffer drains.
    pub(super) fn answer_ping(&mut self, role: Role, payload: Bytes, limit: usize) -> bool {
        if !self.lifecycle.may_answer_ping() || self.error.is_some() || self.finishing || self.send_shut {
            return false;
        }
        if self.over(limit) {
            self.owed += payload.len() + 2;
            self.pending_pong = Some(payload);
            return false;
        }
        self.push(role, FLAG_FIN | OP_PONG, &payload).1
    }

    /// What the writer writes next: the pieces first, then the frames encoded after them; the
    /// owed PONG joins once there is room.
    pub(super) fn take(&mut self, role: Role, limit: usize) -> (Vec<Piece>, BytesMut) {
        if self.pending_pong.is_some() && !self.over(limit) {
            let payload = self.pending_pong.take().expect("a PONG is owed");
            self.push(role, FLAG_FIN | OP_PONG, &payload);
            self.owed = 0;
        }
        let chunk = std::mem::take(&mut self.buf);
        let pieces = std::mem::take(&mut self.pieces);
        self.in_flight = chunk.len() + std::mem::take(&mut self.pieces_bytes);
        (pieces, chunk)
    }

    /// The writer finished writing what it took.
    pub(super) fn written(&mut self) {
        self.in_flight = 0;
    }

    pub(super) fn has_pending(&self) -> bool {
        !self.buf.is_empty() || !self.pieces.is_empty() || (self.pending_pong.is_some() && !self.finishing)
    }
}
