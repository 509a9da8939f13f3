//! What one publish looks like on Redis. The channel is the prefix followed by the topic name;
//! the message is this layout, defined here only:
//!
//! | offset | bytes | field |
//! | --- | --- | --- |
//! | 0 | 1 | [`VERSION`] (1) |
//! | 1 | 8 | the origin node's id ([`NodeId`]), random per server |
//! | 9 | 1 | flags: [`FLAG_BINARY`] (bit 0), else text; [`FLAG_COMPRESS`] (bit 1); others 0 |
//! | 10 | rest | the WebSocket message's payload |
//!
//! With [`FLAG_COMPRESS`] the publisher asked for compression: each node compresses for its
//! subscribers that negotiated permessage-deflate.
//!
//! A message of another version, with unknown flags, shorter than the header, or text that is
//! not UTF-8 is malformed: the receiving node ignores (and counts) it.

use crate::defaults;
use crate::topics::check_topic;

pub const VERSION: u8 = 1;
pub const FLAG_BINARY: u8 = 1;
pub const FLAG_COMPRESS: u8 = 2;
pub const HEADER_LEN: usize = 10;

/// A server's id on Redis: a node skips the messages it published itself (it delivered them
/// locally already).
pub type NodeId = [u8; 8];

/// One message read back from Redis.
#[derive(Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub origin: NodeId,
    pub binary: bool,
    pub compress: bool,
    pub payload: &'a [u8],
}

pub fn encode(origin: &NodeId, binary: bool, compress: bool, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.push(VERSION);
    bytes.extend_from_slice(origin);
    bytes.push(if binary { FLAG_BINARY } else { 0 } | if compress { FLAG_COMPRESS } else { 0 });
    bytes.extend_from_slice(payload);
    bytes
}

/// `None` for a malformed message.
pub fn decode(bytes: &[u8]) -> Option<Message<'_>> {
    if bytes.len() < HEADER_LEN || bytes[0] != VERSION || bytes[9] & !(FLAG_BINARY | FLAG_COMPRESS) != 0 {
        return None;
    }
    let payload = &bytes[HEADER_LEN..];
    let binary = bytes[9] & FLAG_BINARY != 0;
    if payload.len() > defaults::MAX_REDIS_PAYLOAD || (!binary && simdutf8::basic::from_utf8(payload).is_err()) {
        return None;
    }
    let compress = bytes[9] & FLAG_COMPRESS != 0;
    Some(Message { origin: bytes[1..9].try_into().ok()?, binary, compress, payload })
}

/// The channel of `topic`.
pub fn channel(prefix: &str, topic: &str) -> String {
    format!("{prefix}{topic}")
}

/// The topic a channel carries; `None` when it is not a valid topic under `prefix`.
pub fn topic_of<'a>(prefix: &str, channel: &'a str) -> Option<&'a str> {
    channel.strip_prefix(prefix).filter(|topic| check_topic(topic).is_ok())
}

/// The PSUBSCRIBE pattern matching every channel under `prefix`: the prefix's glob characters
/// escaped, then `*`.
pub fn pattern(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 2);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('*');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let node = [1, 2, 3, 4, 5, 6, 7, 8];
        let bytes = encode(&node, true, false, b"\xff\x00");
        assert_eq!(bytes.len(), HEADER_LEN + 2);
        assert_eq!(decode(&bytes), Some(Message { origin: node, binary: true, compress: false, payload: b"\xff\x00" }));
        let text = encode(&node, false, true, b"hi");
        assert_eq!(decode(&text).map(|m| (m.binary, m.compress)), Some((false, true)));
    }

    #[test]
    fn malformed() {
        let node = [0; 8];
        assert_eq!(decode(b"garbage"), None);
        assert_eq!(decode(b""), None);
        let mut bytes = encode(&node, false, false, b"x");
        bytes[0] = 2;
        assert_eq!(decode(&bytes), None, "another version");
        let mut bytes = encode(&node, false, false, b"x");
        bytes[9] = 0x80;
        assert_eq!(decode(&bytes), None, "unknown flag");
        assert_eq!(decode(&encode(&node, false, false, b"\xff")), None, "text that is not UTF-8");
    }

    #[test]
    fn channels() {
        assert_eq!(pattern("a*b?[c]\\:"), "a\\*b\\?\\[c\\]\\\\:*");
        assert_eq!(topic_of("p:", &channel("p:", "room")), Some("room"));
        assert_eq!(topic_of("p:", "p:"), None);
        assert_eq!(topic_of("p:", "q:room"), None);
    }
}
