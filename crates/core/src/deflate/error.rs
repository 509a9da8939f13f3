//! The errors of permessage-deflate: one enum for the handshake, one for the data path. The
//! connection engine maps them to its own outcome (HTTP 400 or a failed client handshake; close
//! codes 1009 and 1007).

use std::fmt;

/// Why a `Sec-WebSocket-Extensions` negotiation failed (RFC 7692 §5, §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiationError {
    /// The field value breaks the RFC 6455 §9.1 grammar. `field` counts the header fields from 0;
    /// `index` is a byte offset into that field, or its length for an unexpected end.
    Syntax { field: usize, index: usize, end_of_input: bool },
    /// A permessage-deflate parameter that is unknown, repeated, or has an invalid value
    /// (RFC 7692 §5, §7.1).
    InvalidParameter(String),
    /// Server side: no offer fits the server's options (RFC 7692 §5, the last condition).
    NoAcceptableOffer,
    /// Client side: the response names an extension the client did not offer (RFC 6455 §9.1).
    NotOffered(String),
    /// Client side: a well-formed response the client cannot use (RFC 7692 §5: "The client does
    /// not support the configuration that the response represents").
    Unsupported(String),
    /// The options themselves are out of range or contradict each other.
    InvalidOptions(String),
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NegotiationError::Syntax { field, index, end_of_input: false } => {
                write!(f, "Invalid Sec-WebSocket-Extensions header: unexpected character at index {index} of field {field}")
            }
            NegotiationError::Syntax { field, .. } => {
                write!(f, "Invalid Sec-WebSocket-Extensions header: unexpected end of field {field}")
            }
            NegotiationError::InvalidParameter(message) => write!(f, "Invalid permessage-deflate parameter: {message}"),
            NegotiationError::NoAcceptableOffer => f.write_str("None of the permessage-deflate offers can be accepted"),
            NegotiationError::NotOffered(name) => {
                write!(f, "The server accepted the extension \"{name}\", which was not offered")
            }
            NegotiationError::Unsupported(message) => write!(f, "Unsupported permessage-deflate response: {message}"),
            NegotiationError::InvalidOptions(message) => write!(f, "Invalid permessage-deflate options: {message}"),
        }
    }
}

impl std::error::Error for NegotiationError {}

/// Why a message could not be compressed or decompressed (RFC 7692 §7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeflateError {
    /// Inflating produced more than the message size limit allows (close code 1009; the
    /// decompression bomb of the hostile-input matrix D1).
    TooBig { limit: usize },
    /// The payload is not a valid DEFLATE stream (close code 1007, as ws).
    Corrupt(String),
    /// zlib-rs refused a call it should accept: a bug, not the peer's fault (close code 1011).
    Internal(String),
}

impl fmt::Display for DeflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeflateError::TooBig { limit } => write!(f, "Decompressed message exceeds the limit of {limit} bytes"),
            DeflateError::Corrupt(reason) => write!(f, "Invalid compressed data: {reason}"),
            DeflateError::Internal(reason) => write!(f, "Compression failed: {reason}"),
        }
    }
}

impl std::error::Error for DeflateError {}
