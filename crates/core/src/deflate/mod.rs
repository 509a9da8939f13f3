//! permessage-deflate (RFC 7692): negotiation in the opening handshake and per-message
//! compression, without sockets. The connection engine wires it in:
//!
//! - Handshake: the server calls [`negotiation::accept`] with the request's
//!   `Sec-WebSocket-Extensions` values ([`extensions::fields`]) and answers
//!   [`Params::response_header`], or HTTP 400 on an error (ws); the client sends
//!   [`negotiation::offer`] and checks the 101 with [`negotiation::verify_response`].
//! - Sending (§6, §7.2.1): a data message whose first frame has RSV1 ([`crate::frame::FLAG_RSV1`])
//!   carries [`Compressor::compress_into`]'s output; continuation and control frames never have
//!   RSV1. [`Compressor::should_compress`] applies ws's threshold.
//! - Receiving (§6.1, §7.2.2): RSV1 is allowed only on the first frame of a data message; its
//!   fragments go through [`Decompressor::decompress_fragment`] with the message size limit;
//!   [`DeflateError::TooBig`] fails with 1009, [`DeflateError::Corrupt`] with 1007.

pub mod compressor;
pub mod decompressor;
pub mod error;
pub mod extensions;
pub mod negotiation;
pub mod options;

mod buffer;

pub use compressor::{Compressor, CompressorSettings};
pub use decompressor::Decompressor;
pub use error::{DeflateError, NegotiationError};
pub use negotiation::{Direction, Params};
pub use options::{DeflateOptions, WindowBits};

/// RFC 7692 §6: the extension's registered name.
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// §7.2.1/§7.2.2: the empty stored block a Z_SYNC_FLUSH ends with, taken off by the sender and
/// put back by the receiver.
pub const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

