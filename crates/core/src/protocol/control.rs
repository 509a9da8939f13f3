//! RFC 6455 §5.5: control frames.

use super::Violation;
use crate::frame::{Header, FLAG_FIN};

/// §5.5: the largest payload of a control frame.
pub const MAX_CONTROL_PAYLOAD: u64 = 125;

/// §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be
/// fragmented."
pub fn check_control_header(header: &Header) -> Result<(), Violation> {
    if header.flags & FLAG_FIN == 0 {
        return Err(Violation::FragmentedControl);
    }
    if header.payload_len > MAX_CONTROL_PAYLOAD {
        return Err(Violation::ControlTooLong(header.payload_len));
    }
    Ok(())
}
