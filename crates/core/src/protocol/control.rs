//! RFC 6455 §5.5 (control frames) and §5.5.1/§7.4 (the CLOSE payload).

use super::utf8::Utf8Stream;
use super::Violation;
use crate::frame::{Header, FLAG_FIN};

/// §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be
/// fragmented."
pub fn check_control_header(header: &Header) -> Result<(), Violation> {
    if header.flags & FLAG_FIN == 0 {
        return Err(Violation::protocol("Fragmented control frame (RFC 6455 §5.5)"));
    }
    if header.payload_len > 125 {
        return Err(Violation::protocol(format!(
            "Control frame payload of {} bytes exceeds 125 (RFC 6455 §5.5)",
            header.payload_len
        )));
    }
    Ok(())
}

/// §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer
/// … representing a status code", followed by a UTF-8 reason; §7.4 says which codes may be sent.
pub fn check_close_payload(payload: &[u8]) -> Result<(), Violation> {
    match payload.len() {
        0 => Ok(()),
        1 => Err(Violation::protocol("Close frame with a 1-byte payload (RFC 6455 §5.5.1)")),
        _ => {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            if !is_valid_close_code(code) {
                return Err(Violation::protocol(format!("Invalid close code {code} (RFC 6455 §7.4)")));
            }
            let mut reason = Utf8Stream::default();
            reason
                .feed(&payload[2..])
                .and_then(|()| reason.finish())
                .map_err(|_| Violation::invalid_payload("Invalid UTF-8 in a close reason (RFC 6455 §5.5.1)"))
        }
    }
}

/// §7.4.1/§7.4.2: codes an endpoint may put on the wire: 1000-1003, 1007-1014 (1012-1014 are
/// IANA-registered since), and 3000-4999. 1004-1006 and 1015 are reserved; below 1000 is unused.
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}
