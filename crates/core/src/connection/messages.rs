//! Message mode: what the reader does on top of the checked frames when the caller wants whole
//! messages (ws-style) instead of Poco's frames. Data fragments are joined into one message
//! (§5.4), a PING is answered with a PONG (§5.5.2), and a CLOSE is answered with a CLOSE that
//! echoes its status code (§5.5.1). Control frames are still delivered, so the caller can emit
//! `ping`, `pong` and `close` events.

use super::*;
use crate::frame::{OP_BINARY, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT};

/// The data message being joined.
#[derive(Debug, Default)]
pub(super) struct Reassembly {
    /// The first fragment's first byte with FIN set, once a fragmented message is open.
    flags: Option<u8>,
    payload: Vec<u8>,
}

impl Reassembly {
    /// Returns what to deliver for `frame`, if anything.
    pub(super) fn on_frame(&mut self, shared: &Arc<Shared>, frame: Frame) -> Option<Frame> {
        let opcode = frame.flags & OPCODE_MASK;
        let fin = frame.flags & FLAG_FIN != 0;
        match opcode {
            OP_TEXT | OP_BINARY if fin && self.flags.is_none() => Some(frame),
            OP_TEXT | OP_BINARY if self.flags.is_none() => {
                self.flags = Some(frame.flags | FLAG_FIN);
                self.payload = frame.payload;
                None
            }
            OP_CONTINUATION if self.flags.is_some() => {
                self.payload.extend_from_slice(&frame.payload);
                if !fin {
                    return None;
                }
                let flags = self.flags.take().expect("open message");
                Some(Frame { flags, payload: std::mem::take(&mut self.payload) })
            }
            OP_PING => {
                shared.reply(FLAG_FIN | OP_PONG, &frame.payload);
                Some(frame)
            }
            OP_CLOSE => {
                shared.reply_close(&frame.payload);
                Some(frame)
            }
            OP_PONG => Some(frame),
            // Only with strict checks off: fragments out of order or reserved opcodes; the
            // caller gets them as they came (a message API has nothing better to do with them).
            _ => Some(frame),
        }
    }
}

impl Shared {
    /// Queues a control frame the runtime answers on its own, unless a CLOSE is already queued
    /// (§5.5.1: nothing after our CLOSE), checked under the write-buffer lock.
    pub(super) fn reply(&self, flags: u8, payload: &[u8]) {
        let mut outbound = lock(&self.outbound);
        if outbound.error.is_none() && !outbound.closing && !outbound.send_shut && !outbound.close_queued {
            self.queue_frame(&mut outbound, flags, payload);
        }
    }

    /// §5.5.1: "the endpoint MUST send a Close frame in response", typically echoing the code.
    fn reply_close(self: &Arc<Self>, received: &[u8]) {
        let echo = received.get(..2).unwrap_or(&[]);
        self.reply(FLAG_FIN | OP_CLOSE, echo);
        self.on_close_sent();
    }
}
