//! RFC 6455 §5.4: a message is one data frame with FIN, or a data frame without FIN followed by
//! continuation frames, the last with FIN; control frames may come in between. Also the limits
//! on what one message may pin: its size and its number of fragments (§10.4).

use super::Violation;
use crate::frame::{Header, FLAG_FIN};

/// The data message being received, if one is open.
#[derive(Debug, Default, Clone)]
pub struct Assembly {
    open: Option<OpenMessage>,
}

#[derive(Debug, Clone, Copy)]
struct OpenMessage {
    text: bool,
    fragments: u64,
    bytes: u64,
}

/// Limits on one message.
#[derive(Debug, Clone, Copy)]
pub struct MessageLimits {
    pub max_message_size: u64,
    pub max_fragments: u64,
}

impl Assembly {
    /// Accounts for a data frame's header (opcode 0, 1 or 2); returns whether its payload is text.
    pub fn on_data_header(&mut self, header: &Header, limits: MessageLimits) -> Result<bool, Violation> {
        let opcode = header.flags & 0x0f;
        let message = match (opcode, self.open) {
            // §5.4: "continuation frames … MUST be preceded by" a first fragment.
            (0, None) => return Err(Violation::protocol("Continuation frame without a message to continue (RFC 6455 §5.4)")),
            (0, Some(open)) => open,
            // §5.4: the fragments of one message are not interleaved with another's.
            (_, Some(_)) => return Err(Violation::protocol("New data frame inside a fragmented message (RFC 6455 §5.4)")),
            (opcode, None) => OpenMessage { text: opcode == 1, fragments: 0, bytes: 0 },
        };
        let message = OpenMessage {
            fragments: message.fragments + 1,
            bytes: message.bytes.saturating_add(header.payload_len),
            ..message
        };
        if message.bytes > limits.max_message_size {
            return Err(Violation::too_big(format!(
                "Message of {} bytes exceeds the limit of {} bytes",
                message.bytes, limits.max_message_size
            )));
        }
        if message.fragments > limits.max_fragments {
            return Err(Violation::too_big(format!("Message of more than {} fragments", limits.max_fragments)));
        }
        self.open = (header.flags & FLAG_FIN == 0).then_some(message);
        Ok(message.text)
    }

    /// Whether a fragmented message is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }
}
