//! What the runtime has received and the caller has not taken yet: checked frames (or whole
//! messages), and how input ended. Bounded: the runtime stops reading while it holds more than
//! [`defaults::INBOUND_HIGH_WATER`] bytes.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::defaults;
use crate::error::Error;
use crate::frame::{self, Frame, OPCODE_MASK, OP_CLOSE};
use crate::protocol::Violation;

#[derive(Default)]
pub(super) struct Inbound {
    frames: VecDeque<Frame>,
    /// Bytes pinned by queued frames, headers counted so that empty frames cost something too.
    bytes: usize,
    end: Option<End>,
    /// Message mode: the peer's CLOSE, answered once the caller has had its turn with everything
    /// before it, so that its replies to those messages go out first (§5.5.1 allows data until
    /// our CLOSE is sent).
    close_reply: CloseReply,
}

/// How input ended.
#[derive(Debug, Clone)]
pub(super) enum End {
    /// The peer's orderly EOF.
    Eof,
    /// Reading failed, or the connection was failed: every later receive reports it.
    Failed(Error),
    /// A rule broken right behind the queued frames: the connection fails once the caller has
    /// taken them (and could answer them, as Autobahn 3.2, 4.1.3 and 5.15 expect).
    Violation(Violation),
}

#[derive(Debug, Default)]
enum CloseReply {
    #[default]
    None,
    /// The CLOSE is still queued; its payload is echoed.
    Waiting(Bytes),
    /// The caller took the CLOSE: answer at the end of its turn.
    Due(Bytes),
}

/// What the caller finds at the front of the queue when no frame is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Front {
    /// Input goes on: wait for more.
    Waiting,
    Eof,
    Failed(Error),
    /// The connection must be failed now.
    Violation(Violation),
}

fn cost(frame: &Frame) -> usize {
    frame.payload.len() + frame::MAX_HEADER_LEN
}

impl Inbound {
    pub(super) fn is_full(&self) -> bool {
        self.bytes >= defaults::INBOUND_HIGH_WATER
    }

    pub(super) fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Whether a waiting caller may proceed: a frame, or the end of input, is there.
    pub(super) fn readable(&self) -> bool {
        !self.frames.is_empty() || self.end.is_some()
    }

    pub(super) fn has_ended(&self) -> bool {
        self.end.is_some()
    }

    /// Payload bytes queued.
    pub(super) fn payload_bytes(&self) -> usize {
        self.frames.iter().map(|f| f.payload.len()).sum()
    }

    /// Appends frames from the reader; a message-mode CLOSE among them is to be answered.
    pub(super) fn push(&mut self, frames: impl IntoIterator<Item = Frame>, answer_close: bool) {
        for frame in frames {
            if answer_close && frame.flags & OPCODE_MASK == OP_CLOSE && matches!(self.close_reply, CloseReply::None) {
                // §5.5.1: "the endpoint … typically echos the status code it received".
                self.close_reply = CloseReply::Waiting(frame.payload.slice(..frame.payload.len().min(2)));
            }
            self.bytes += cost(&frame);
            self.frames.push_back(frame);
        }
    }

    /// Records how input ended, unless it already has.
    pub(super) fn end(&mut self, end: End) {
        if self.end.is_none() || matches!(end, End::Failed(_)) {
            self.end = Some(end);
        }
    }

    /// The caller closed the connection: nothing queued matters any more.
    pub(super) fn clear(&mut self) {
        self.frames.clear();
        self.bytes = 0;
        self.close_reply = CloseReply::None;
    }

    /// The payload length of the front frame.
    pub(super) fn front_len(&self) -> Option<usize> {
        self.frames.front().map(|frame| frame.payload.len())
    }

    /// Takes the front frame; the second value says whether the queue just dropped below its
    /// high-water mark (the reader may go on).
    pub(super) fn pop(&mut self) -> (Option<Frame>, bool) {
        let Some(frame) = self.frames.pop_front() else { return (None, false) };
        let was_full = self.is_full();
        self.bytes -= cost(&frame);
        if frame.flags & OPCODE_MASK == OP_CLOSE {
            if let CloseReply::Waiting(payload) = std::mem::take(&mut self.close_reply) {
                self.close_reply = CloseReply::Due(payload);
            }
        }
        (Some(frame), was_full && !self.is_full())
    }

    /// With no frame queued: what the caller finds.
    pub(super) fn front(&self) -> Front {
        match &self.end {
            None => Front::Waiting,
            Some(End::Eof) => Front::Eof,
            Some(End::Failed(error)) => Front::Failed(error.clone()),
            Some(End::Violation(violation)) => Front::Violation(violation.clone()),
        }
    }

    /// The deferred violation, once the caller has taken every frame before it.
    pub(super) fn violation_reached(&self) -> Option<Violation> {
        match (&self.end, self.frames.is_empty()) {
            (Some(End::Violation(violation)), true) => Some(violation.clone()),
            _ => None,
        }
    }

    /// The deferred violation, whether or not frames are still queued before it.
    pub(super) fn deferred_violation(&self) -> Option<Violation> {
        match &self.end {
            Some(End::Violation(violation)) => Some(violation.clone()),
            _ => None,
        }
    }

    /// The CLOSE answer that is due, taken.
    pub(super) fn take_close_reply(&mut self) -> Option<Bytes> {
        match std::mem::take(&mut self.close_reply) {
            CloseReply::Due(payload) => Some(payload),
            other => {
                self.close_reply = other;
                None
            }
        }
    }
}
