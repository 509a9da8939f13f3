//! RFC 6455 rules applied to every received frame while strict checks are on (the default).
//! One module per rule group; each rule quotes the section it enforces. A broken rule is a
//! [`Violation`]: the connection is failed with its close code (§7.1.7).
//!
//! Strict checks can be turned off per connection, for users who implement extensions with the
//! RSV bits or otherwise need Poco's raw frame semantics.

pub mod control;
pub mod fragmentation;
pub mod framing;
pub mod utf8;

use crate::connection::Role;
use crate::error::{Error, ErrorCode};
use crate::frame::{self, Frame, Header, FLAG_FIN, OPCODE_MASK, OP_CLOSE};

use self::fragmentation::{Assembly, MessageLimits};
use self::utf8::Utf8Stream;

/// A broken protocol rule: the error the caller sees, and the close code sent to the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub code: ErrorCode,
    pub message: String,
}

impl Violation {
    /// Close code 1002.
    pub fn protocol(message: impl Into<String>) -> Self {
        Violation { code: ErrorCode::ProtocolViolation, message: message.into() }
    }

    /// Close code 1007.
    pub fn invalid_payload(message: impl Into<String>) -> Self {
        Violation { code: ErrorCode::InvalidPayload, message: message.into() }
    }

    /// Close code 1009.
    pub fn too_big(message: impl Into<String>) -> Self {
        Violation { code: ErrorCode::MessageTooBig, message: message.into() }
    }

    /// The status code of the CLOSE frame that fails the connection.
    pub fn close_code(&self) -> u16 {
        self.code.close_code().unwrap_or(1002)
    }
}

impl From<Violation> for Error {
    fn from(violation: Violation) -> Self {
        Error::WebSocket { code: violation.code, message: violation.message }
    }
}

/// What the inspector enforces, read from the connection's settings for each frame.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub strict: bool,
    pub limits: MessageLimits,
}

/// The receive-side protocol state of one connection.
#[derive(Debug)]
pub struct Inspector {
    role: Role,
    assembly: Assembly,
    text: Utf8Stream,
    /// The frame at the front of the read buffer, once its header has been checked.
    current: Option<Current>,
    close_received: bool,
}

#[derive(Debug, Clone, Copy)]
struct Current {
    /// Its payload is (part of) a text message and is validated as UTF-8.
    text: bool,
    /// Payload bytes already fed to the validator while the frame was arriving.
    validated: usize,
    /// Dropped, not delivered: it came after the peer's CLOSE (§5.5.1).
    dropped: bool,
}

impl Inspector {
    pub fn new(role: Role) -> Self {
        Inspector { role, assembly: Assembly::default(), text: Utf8Stream::default(), current: None, close_received: false }
    }

    /// Whether the peer's CLOSE has arrived.
    pub fn close_received(&self) -> bool {
        self.close_received
    }

    /// Checks the header of the frame at the front of the buffer, before its payload is read.
    /// Calling it again for the same frame does nothing.
    pub fn on_header(&mut self, header: &Header, policy: &Policy) -> Result<(), Violation> {
        if self.current.is_some() {
            return Ok(());
        }
        let mut current = Current { text: false, validated: 0, dropped: false };
        if policy.strict {
            if self.close_received {
                // §5.5.1: after a CLOSE, "the endpoint … MUST NOT send any more data frames": what
                // a peer sends anyway is ignored.
                current.dropped = true;
            } else {
                framing::check_reserved_bits(header)?;
                let opcode = header.flags & OPCODE_MASK;
                framing::check_opcode(opcode)?;
                framing::check_masking(self.role, header)?;
                if opcode >= OP_CLOSE {
                    control::check_control_header(header)?;
                } else {
                    current.text = self.assembly.on_data_header(header, policy.limits)?;
                }
            }
        }
        self.current = Some(current);
        Ok(())
    }

    /// Validates text payload bytes of the incomplete frame at the front as they arrive, so an
    /// invalid byte fails the connection before the rest of the frame comes (fail fast).
    /// `payload` is everything of the frame's payload received so far, masked as on the wire.
    pub fn on_partial_payload(&mut self, header: &Header, payload: &[u8]) -> Result<(), Violation> {
        let Some(current) = self.current.as_mut().filter(|c| c.text && payload.len() > c.validated) else {
            return Ok(());
        };
        let mut chunk = payload[current.validated..].to_vec();
        if let Some(mask) = header.mask {
            frame::apply_mask_from(&mut chunk, mask, current.validated);
        }
        current.validated = payload.len();
        self.text.feed(&chunk).map_err(|_| invalid_text())
    }

    /// Checks a complete frame; returns whether to deliver it.
    pub fn on_frame(&mut self, frame: &Frame, policy: &Policy) -> Result<bool, Violation> {
        let current = self.current.take().unwrap_or(Current { text: false, validated: 0, dropped: !policy.strict });
        if !policy.strict {
            return Ok(true);
        }
        if current.dropped {
            return Ok(false);
        }
        if current.text {
            self.text.feed(&frame.payload[current.validated.min(frame.payload.len())..]).map_err(|_| invalid_text())?;
            if frame.flags & FLAG_FIN != 0 {
                self.text.finish().map_err(|_| invalid_text())?;
            }
        }
        if frame.flags & OPCODE_MASK == OP_CLOSE {
            control::check_close_payload(&frame.payload)?;
            self.close_received = true;
        }
        Ok(true)
    }
}

fn invalid_text() -> Violation {
    Violation::invalid_payload("Invalid UTF-8 in a text message (RFC 6455 §8.1)")
}
