//! RFC 6455 §5.5.1 and §7.4: the CLOSE frame's payload, received and sent.

use std::fmt;

use super::utf8::Utf8Stream;
use super::Violation;

/// §5.5: a control payload is at most 125 bytes, two of which are the status code.
pub const MAX_REASON_BYTES: usize = 123;

/// §7.1.5: the status reported when a CLOSE carried no code (never sent on the wire).
pub const NO_STATUS_RECEIVED: u16 = 1005;

/// §7.4.1/§7.4.2: codes an endpoint may put on the wire: 1000-1003, 1007-1014 (1012-1014 are
/// IANA-registered since), and 3000-4999. 1004-1006 and 1015 are reserved; below 1000 is unused.
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer
/// … representing a status code", followed by a UTF-8 reason; §7.4 says which codes may be sent.
pub fn check_close_payload(payload: &[u8]) -> Result<(), Violation> {
    match payload.len() {
        0 => Ok(()),
        1 => Err(Violation::CloseOneByte),
        _ => {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            if !is_valid_close_code(code) {
                return Err(Violation::InvalidCloseCode(code));
            }
            let mut reason = Utf8Stream::default();
            reason.feed(&payload[2..]).and_then(|()| reason.finish()).map_err(|_| Violation::InvalidCloseReason)
        }
    }
}

/// The status code (1005 when there is none, §7.1.5) and the reason bytes of a received CLOSE.
pub fn parse_close_payload(payload: &[u8]) -> (u16, &[u8]) {
    match payload {
        [high, low, reason @ ..] => (u16::from_be_bytes([*high, *low]), reason),
        _ => (NO_STATUS_RECEIVED, &[]),
    }
}

/// Why a CLOSE the application asked for cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseArgument {
    /// §7.4: not a code an endpoint may send.
    InvalidCode(u32),
    /// §5.5: the reason would make the payload longer than 125 bytes.
    ReasonTooLong(usize),
    /// §5.5.1: the reason follows the code, so there is none without one.
    ReasonWithoutCode,
}

impl fmt::Display for CloseArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseArgument::InvalidCode(code) => write!(f, "First argument must be a valid error code number, not {code}"),
            CloseArgument::ReasonTooLong(length) => {
                write!(f, "The close reason must be at most {MAX_REASON_BYTES} bytes, not {length}")
            }
            CloseArgument::ReasonWithoutCode => write!(f, "A close reason needs a status code"),
        }
    }
}

/// The payload of a CLOSE the application sends through the message API: a valid code (§7.4)
/// and at most 123 bytes of reason, or nothing at all. (Poco's frame API sends whatever it is
/// given: [`crate::frame::close_payload`].)
pub fn close_payload_checked(code: Option<u32>, reason: &[u8]) -> Result<Vec<u8>, CloseArgument> {
    let Some(code) = code else {
        return if reason.is_empty() { Ok(Vec::new()) } else { Err(CloseArgument::ReasonWithoutCode) };
    };
    let valid = u16::try_from(code).ok().filter(|&code| is_valid_close_code(code));
    let Some(code) = valid else { return Err(CloseArgument::InvalidCode(code)) };
    if reason.len() > MAX_REASON_BYTES {
        return Err(CloseArgument::ReasonTooLong(reason.len()));
    }
    let mut payload = Vec::with_capacity(2 + reason.len());
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(reason);
    Ok(payload)
}
