//! RFC 6455 §5.4: a message is one data frame with FIN, or a data frame without FIN followed by
//! continuation frames, the last with FIN; control frames may come in between. Also the limits
//! on what one message may pin: its size and its number of fragments (§10.4).

use super::Violation;
use crate::frame::{Header, FLAG_FIN, OPCODE_MASK, OP_CONTINUATION, OP_TEXT};

/// Limits on one message.
#[derive(Debug, Clone, Copy)]
pub struct MessageLimits {
    pub max_message_size: u64,
    pub max_fragments: u64,
}

/// The data message being received, if one is open: the one fragmentation tracker.
#[derive(Debug, Default, Clone)]
pub struct Fragmentation {
    open: Option<OpenMessage>,
}

#[derive(Debug, Clone, Copy)]
struct OpenMessage {
    text: bool,
    fragments: u64,
    bytes: u64,
}

impl Fragmentation {
    /// Accounts for a data frame's header (opcode 0, 1 or 2); returns whether its payload is text.
    pub fn on_data_header(&mut self, header: &Header, limits: MessageLimits) -> Result<bool, Violation> {
        let opcode = header.flags & OPCODE_MASK;
        let message = match (opcode, self.open) {
            // §5.4: "continuation frames … MUST be preceded by" a first fragment.
            (OP_CONTINUATION, None) => return Err(Violation::ContinuationWithoutMessage),
            (OP_CONTINUATION, Some(open)) => open,
            // §5.4: the fragments of one message are not interleaved with another's.
            (_, Some(_)) => return Err(Violation::DataInsideMessage),
            (opcode, None) => OpenMessage { text: opcode == OP_TEXT, fragments: 0, bytes: 0 },
        };
        let message = OpenMessage {
            fragments: message.fragments + 1,
            bytes: message.bytes.saturating_add(header.payload_len),
            ..message
        };
        if message.bytes > limits.max_message_size {
            return Err(Violation::MessageTooBig { size: message.bytes, limit: limits.max_message_size });
        }
        if message.fragments > limits.max_fragments {
            return Err(Violation::TooManyFragments { limit: limits.max_fragments });
        }
        self.open = (header.flags & FLAG_FIN == 0).then_some(message);
        Ok(message.text)
    }
}
