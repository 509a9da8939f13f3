//! RFC 7692 §6 (permessage-deflate): the rules on the RSV bits once an extension may set one.
//! Without a negotiated extension [`super::framing::check_reserved_bits`] applies instead.

use super::Violation;
use crate::frame::{Header, FLAG_RSV1, OPCODE_MASK, OP_CLOSE, OP_CONTINUATION};

const RSV2_RSV3: u8 = 0x30;

/// The RSV bits of a received frame with permessage-deflate negotiated; `Ok(true)` when the
/// frame starts a compressed message.
///
/// §6: permessage-deflate "uses the RSV1 bit"; RSV2 and RSV3 stay reserved (RFC 6455 §5.2).
/// §6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and
/// non-first fragments of a data message. An endpoint receiving such a frame MUST _Fail the
/// WebSocket Connection_."
pub fn check_compressed_bit(header: &Header) -> Result<bool, Violation> {
    if header.flags & RSV2_RSV3 != 0 {
        return Err(Violation::ReservedBits);
    }
    if header.flags & FLAG_RSV1 == 0 {
        return Ok(false);
    }
    match header.flags & OPCODE_MASK {
        opcode if opcode >= OP_CLOSE => Err(Violation::CompressedControl),
        OP_CONTINUATION => Err(Violation::CompressedContinuation),
        _ => Ok(true),
    }
}
