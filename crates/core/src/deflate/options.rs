//! What a user configures, in the shape of ws's `perMessageDeflate` options (README of ws,
//! `lib/permessage-deflate.js`) plus uWS's shared compressor. ws's `undefined`, `false`, `true`
//! and numbers map to [`Option<bool>`] and [`WindowBits`]; each field says what each value does
//! on either side.

use super::error::NegotiationError;
use crate::defaults;

/// RFC 7692 §7.1.2.1/§7.1.2.2: window bits are 8 to 15.
pub const MIN_WINDOW_BITS: u8 = 8;
pub const MAX_WINDOW_BITS: u8 = 15;

/// ws's `serverMaxWindowBits` / `clientMaxWindowBits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WindowBits {
    /// ws's `undefined` (and `true`): no preference of our own.
    #[default]
    Unset,
    /// ws's number, 8 to 15: a limit we request (client) or impose (server).
    Max(u8),
    /// ws's `false`: the parameter is refused.
    Refused,
}

/// Per-socket permessage-deflate settings; [`Default`] is ws's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateOptions {
    /// Client: `Some(true)` offers it (the server must not keep its context). Server:
    /// `Some(true)` always resets its compressor and says so; `Some(false)` declines offers that
    /// ask for it; `None` honours the offer.
    pub server_no_context_takeover: Option<bool>,
    /// Client: `Some(true)` offers it (and the client resets its compressor per message);
    /// `Some(false)` refuses a response that imposes it. Server: `Some(true)` always imposes it;
    /// otherwise the offer's is echoed.
    pub client_no_context_takeover: Option<bool>,
    /// Client: `Max(n)` offers `server_max_window_bits=n`. Server: `Max(n)` answers with `n` and
    /// declines offers that allow less; `Refused` declines offers that carry it; `Unset` echoes.
    pub server_max_window_bits: WindowBits,
    /// Client: `Unset` offers it without a value (ws's default offer), `Max(n)` offers `=n`,
    /// `Refused` leaves it out. Server: `Max(n)` declines offers without it and answers with
    /// `n` (at most the offered value); `Refused` and `Unset` answer without it, except that
    /// `Unset` echoes an offered value.
    pub client_max_window_bits: WindowBits,
    /// Messages smaller than this are sent uncompressed while our own side resets its context
    /// per message (ws: "below which messages should not be compressed if context takeover is
    /// disabled"); with context takeover every message is compressed.
    pub threshold: usize,
    /// zlib compression level 0-9 (ws: zlib's default, 6).
    pub level: u8,
    /// zlib memLevel 1-9 (ws and zlib: 8): the size of the compressor's literal buffer.
    pub mem_level: u8,
    /// Server only, uWS's `SHARED_COMPRESSOR`: one compressor per runtime thread serves every
    /// socket and is reset after each message, so negotiation always answers
    /// `server_no_context_takeover`.
    pub shared_compressor: bool,
}

impl Default for DeflateOptions {
    fn default() -> Self {
        DeflateOptions {
            server_no_context_takeover: None,
            client_no_context_takeover: None,
            server_max_window_bits: WindowBits::Unset,
            client_max_window_bits: WindowBits::Unset,
            threshold: defaults::DEFLATE_THRESHOLD,
            level: defaults::DEFLATE_LEVEL,
            mem_level: defaults::DEFLATE_MEM_LEVEL,
            shared_compressor: false,
        }
    }
}

impl DeflateOptions {
    /// Rejects values zlib or RFC 7692 do not allow, and a shared compressor that is told to keep
    /// its context.
    pub fn validate(&self) -> Result<(), NegotiationError> {
        for (name, bits) in [
            ("server_max_window_bits", self.server_max_window_bits),
            ("client_max_window_bits", self.client_max_window_bits),
        ] {
            if let WindowBits::Max(n) = bits {
                if !(MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&n) {
                    return Err(NegotiationError::InvalidOptions(format!("{name} must be 8 to 15, not {n}")));
                }
            }
        }
        if self.level > 9 {
            return Err(NegotiationError::InvalidOptions(format!("level must be 0 to 9, not {}", self.level)));
        }
        if !(1..=9).contains(&self.mem_level) {
            return Err(NegotiationError::InvalidOptions(format!("mem_level must be 1 to 9, not {}", self.mem_level)));
        }
        if self.shared_compressor && self.server_no_context_takeover == Some(false) {
            return Err(NegotiationError::InvalidOptions(
                "a shared compressor resets after every message: server_no_context_takeover cannot be false".into(),
            ));
        }
        Ok(())
    }

    /// Whether the server resets its compressor after every message whatever the client offers.
    pub(crate) fn server_always_resets(&self) -> bool {
        self.shared_compressor || self.server_no_context_takeover == Some(true)
    }
}
