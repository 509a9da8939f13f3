//! RFC 6455 §5.1 and §5.2: the bits of a frame header that need no message context.

use super::{Role, Violation};
use crate::frame::Header;

const RSV_BITS: u8 = 0x70;
/// The largest payload a frame in memory can have (allocations stop at `isize::MAX`).
const MAX_ADDRESSABLE: u64 = isize::MAX as u64 - crate::frame::MAX_HEADER_LEN as u64;

/// §5.2: "RSV1, RSV2, RSV3: 1 bit each. MUST be 0 unless an extension is negotiated that defines
/// meanings for non-zero values. If a nonzero value is received and none of the negotiated
/// extensions defines the meaning of such a nonzero value, the receiving endpoint MUST _Fail the
/// WebSocket Connection_."
pub fn check_reserved_bits(header: &Header) -> Result<(), Violation> {
    if header.flags & RSV_BITS != 0 {
        return Err(Violation::ReservedBits);
    }
    Ok(())
}

/// §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
/// Connection_." Opcodes 0x3-0x7 and 0xB-0xF are reserved.
pub fn check_opcode(opcode: u8) -> Result<(), Violation> {
    match opcode {
        0x0..=0x2 | 0x8..=0xa => Ok(()),
        reserved => Err(Violation::ReservedOpcode(reserved)),
    }
}

/// §5.1: "a client MUST mask all frames that it sends to the server … The server MUST close the
/// connection upon receiving a frame that is not masked." And: "A server MUST NOT mask any frames
/// that it sends to the client. A client MUST close a connection if it detects a masked frame."
pub fn check_masking(role: Role, header: &Header) -> Result<(), Violation> {
    match (role, header.mask.is_some()) {
        (Role::Server, false) => Err(Violation::UnmaskedFrame),
        (Role::Client, true) => Err(Violation::MaskedFrame),
        _ => Ok(()),
    }
}

/// §5.2 "Payload length" and §10.4: a declared length over `limit` is refused before any of the
/// payload is read or any memory is reserved for it (Poco's "Payload too big"). A length no
/// buffer could hold is too big whatever the limit.
pub fn check_payload_length(header: &Header, limit: u64) -> Result<(), Violation> {
    let limit = limit.min(MAX_ADDRESSABLE);
    if header.payload_len > limit {
        return Err(Violation::PayloadTooBig { length: header.payload_len, limit });
    }
    Ok(())
}
