//! RFC 6455 rules, one module per rule group; each rule is a pure function quoting the section it
//! enforces. A broken rule is a [`Violation`]: the connection is failed with its close code
//! (§7.1.7). The received-frame rules are applied by [`crate::decoder::Decoder`]; the opening
//! handshake's by [`crate::handshake`].
//!
//! Strict checks can be turned off per connection, for users who implement extensions with the
//! RSV bits or otherwise need Poco's raw frame semantics.

pub mod close;
pub mod compression;
pub mod control;
pub mod fragmentation;
pub mod framing;
pub mod opening;
pub mod utf8;

use std::fmt;

/// Which end of the connection we are; the values are Poco's `WebSocket::Mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server = 0,
    Client = 1,
}

/// A broken rule of RFC 6455 on a received frame, one variant per rule. The close code of the
/// CLOSE that fails the connection is [`Violation::close_code`]; the Poco error code and message
/// the caller sees come from [`crate::error::Error::Protocol`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// §5.2: RSV1-3 set without a negotiated extension.
    ReservedBits,
    /// §5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved.
    ReservedOpcode(u8),
    /// §5.1: a server must close the connection on an unmasked frame.
    UnmaskedFrame,
    /// §5.1: a client must close the connection on a masked frame.
    MaskedFrame,
    /// §5.5: control frames must not be fragmented.
    FragmentedControl,
    /// §5.5: control frames carry at most 125 bytes.
    ControlTooLong(u64),
    /// §5.4: a continuation frame with no message to continue.
    ContinuationWithoutMessage,
    /// §5.4: a new data frame while a fragmented message is open.
    DataInsideMessage,
    /// §5.5.1: a close payload of one byte (a code needs two).
    CloseOneByte,
    /// §7.4: a close code an endpoint may not send.
    InvalidCloseCode(u16),
    /// §5.5.1: a close reason that is not UTF-8.
    InvalidCloseReason,
    /// §8.1: a text message that is not UTF-8.
    InvalidText,
    /// §10.4, Poco's "Payload too big": a declared frame length over the limit, refused before
    /// any of the payload is read.
    PayloadTooBig { length: u64, limit: u64 },
    /// §10.4: a message (all its fragments) over the size limit.
    MessageTooBig { size: u64, limit: u64 },
    /// §10.4: a message of more fragments than allowed.
    TooManyFragments { limit: u64 },
    /// RFC 7692 §6.1: RSV1 ("Per-Message Compressed") on a control frame.
    CompressedControl,
    /// RFC 7692 §6.1: RSV1 on a continuation frame (only a message's first frame carries it).
    CompressedContinuation,
    /// RFC 7692 §7.2.2: a compressed message that is not a valid DEFLATE stream (1007, as ws).
    InvalidCompressedData(String),
    /// RFC 7692 §7.2.2: a compressed message that inflates past the message size limit,
    /// stopped while inflating (the decompression bomb of the hostile-input matrix).
    InflatedTooBig { limit: u64 },
}

impl Violation {
    /// The status code of the CLOSE that fails the connection (§7.4.1).
    pub fn close_code(&self) -> u16 {
        match self {
            Violation::InvalidText | Violation::InvalidCloseReason | Violation::InvalidCompressedData(_) => 1007,
            Violation::PayloadTooBig { .. }
            | Violation::MessageTooBig { .. }
            | Violation::TooManyFragments { .. }
            | Violation::InflatedTooBig { .. } => 1009,
            _ => 1002,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::ReservedBits => write!(f, "Reserved bits set without a negotiated extension (RFC 6455 §5.2)"),
            Violation::ReservedOpcode(opcode) => write!(f, "Reserved opcode {opcode} (RFC 6455 §5.2)"),
            Violation::UnmaskedFrame => write!(f, "Unmasked frame from a client (RFC 6455 §5.1)"),
            Violation::MaskedFrame => write!(f, "Masked frame from a server (RFC 6455 §5.1)"),
            Violation::FragmentedControl => write!(f, "Fragmented control frame (RFC 6455 §5.5)"),
            Violation::ControlTooLong(length) => {
                write!(f, "Control frame payload of {length} bytes exceeds 125 (RFC 6455 §5.5)")
            }
            Violation::ContinuationWithoutMessage => {
                write!(f, "Continuation frame without a message to continue (RFC 6455 §5.4)")
            }
            Violation::DataInsideMessage => write!(f, "New data frame inside a fragmented message (RFC 6455 §5.4)"),
            Violation::CloseOneByte => write!(f, "Close frame with a 1-byte payload (RFC 6455 §5.5.1)"),
            Violation::InvalidCloseCode(code) => write!(f, "Invalid close code {code} (RFC 6455 §7.4)"),
            Violation::InvalidCloseReason => write!(f, "Invalid UTF-8 in a close reason (RFC 6455 §5.5.1)"),
            Violation::InvalidText => write!(f, "Invalid UTF-8 in a text message (RFC 6455 §8.1)"),
            Violation::PayloadTooBig { .. } => write!(f, "Payload too big"),
            Violation::MessageTooBig { size, limit } => {
                write!(f, "Message of {size} bytes exceeds the limit of {limit} bytes")
            }
            Violation::TooManyFragments { limit } => write!(f, "Message of more than {limit} fragments"),
            Violation::CompressedControl => write!(f, "RSV1 set on a control frame (RFC 7692 §6.1)"),
            Violation::CompressedContinuation => write!(f, "RSV1 set on a continuation frame (RFC 7692 §6.1)"),
            Violation::InvalidCompressedData(reason) => write!(f, "Invalid compressed data: {reason} (RFC 7692 §7.2.2)"),
            Violation::InflatedTooBig { limit } => {
                write!(f, "Decompressed message exceeds the limit of {limit} bytes")
            }
        }
    }
}

impl std::error::Error for Violation {}
