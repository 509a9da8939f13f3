//! RFC 6455 §5.1 and §5.2: the bits of a frame header that need no message context.

use super::Violation;
use crate::connection::Role;
use crate::frame::Header;

const RSV_BITS: u8 = 0x70;

/// §5.2: "RSV1, RSV2, RSV3: 1 bit each. MUST be 0 unless an extension is negotiated that defines
/// meanings for non-zero values. If a nonzero value is received and none of the negotiated
/// extensions defines the meaning of such a nonzero value, the receiving endpoint MUST _Fail the
/// WebSocket Connection_."
pub fn check_reserved_bits(header: &Header) -> Result<(), Violation> {
    if header.flags & RSV_BITS != 0 {
        return Err(Violation::protocol("Reserved bits set without a negotiated extension (RFC 6455 §5.2)"));
    }
    Ok(())
}

/// §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
/// Connection_." Opcodes 0x3-0x7 and 0xB-0xF are reserved.
pub fn check_opcode(opcode: u8) -> Result<(), Violation> {
    match opcode {
        0x0..=0x2 | 0x8..=0xa => Ok(()),
        reserved => Err(Violation::protocol(format!("Reserved opcode {reserved} (RFC 6455 §5.2)"))),
    }
}

/// §5.1: "a client MUST mask all frames that it sends to the server … The server MUST close the
/// connection upon receiving a frame that is not masked." And: "A server MUST NOT mask any frames
/// that it sends to the client. A client MUST close a connection if it detects a masked frame."
pub fn check_masking(role: Role, header: &Header) -> Result<(), Violation> {
    match (role, header.mask.is_some()) {
        (Role::Server, false) => Err(Violation::protocol("Unmasked frame from a client (RFC 6455 §5.1)")),
        (Role::Client, true) => Err(Violation::protocol("Masked frame from a server (RFC 6455 §5.1)")),
        _ => Ok(()),
    }
}
