//! The one receive pipeline ([`Decoder`]), fed an arbitrary byte stream in arbitrary TCP-read
//! sizes, as the connection's driver feeds it.
//!
//! Input layout: `[config] [chunking] [limits] stream...`
//!
//! * config bit 0: role (0 Server, 1 Client); bit 1: strict checks off; bits 2-4: max payload
//!   (index into `MAX_PAYLOADS`); bit 5: flip strict at every chunk boundary (as
//!   `Connection::set_config` may do between reads); bit 6: message mode (fragments joined).
//! * chunking: low 2 bits the mode (0 all at once, 1 one byte per read, 2 fixed size
//!   `(byte >> 2) + 1`, 3 pseudo-random sizes 0..=16 seeded by the byte: 0 is an empty read).
//! * limits: bits 0-2 max message size (`MAX_MESSAGES`), bits 3-5 max fragments (`MAX_FRAGMENTS`).
//!
//! Properties checked:
//!
//! * nothing panics;
//! * the hint of bytes needed is larger than what is buffered;
//! * with a fixed policy the outcome (frames delivered, bytes left, error) does not depend on how
//!   the stream was split into reads;
//! * with every rule off and no joining, the frames are exactly those of an independent
//!   reference parser (header fields as on the wire, payload unmasked byte by byte), so the
//!   in-place unmasking of frames that arrive in pieces is right;
//! * `encode` of a delivered frame (no mask, and again with a mask) is minimal and decodes to the
//!   same frame.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use poco_websocket_core::decoder::{Decoder, Policy};
use poco_websocket_core::frame::{self, Frame};
use poco_websocket_core::protocol::fragmentation::MessageLimits;
use poco_websocket_core::{Role, Violation};

const MAX_PAYLOADS: [u64; 8] = [0, 1, 2, 125, 126, 127, 65_536, 100 * 1024 * 1024];
const MAX_MESSAGES: [u64; 8] = [0, 1, 125, 126, 300, 65_535, 65_536, u64::MAX];
const MAX_FRAGMENTS: [u64; 8] = [0, 1, 2, 3, 4, 16, 1 << 17, u64::MAX];

struct Reader {
    decoder: Decoder,
    buf: BytesMut,
    delivered: Vec<Frame>,
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (config, chunking, limits, stream) = (data[0], data[1], data[2], &data[3..]);
    let role = if config & 1 == 0 { Role::Server } else { Role::Client };
    let flip_strict = config & 0x20 != 0;
    let mut policy = Policy {
        strict: config & 2 == 0,
        max_payload: MAX_PAYLOADS[usize::from((config >> 2) & 7)],
        limits: MessageLimits {
            max_message_size: MAX_MESSAGES[usize::from(limits & 7)],
            max_fragments: MAX_FRAGMENTS[usize::from((limits >> 3) & 7)],
        },
        join: config & 0x40 != 0,
    };
    let fixed = policy;

    let mut chunked = Reader::new(role);
    let mut outcome = Ok(0);
    for chunk in chunks(stream, chunking) {
        chunked.buf.extend_from_slice(chunk);
        outcome = chunked.feed(&policy);
        if outcome.is_err() {
            break;
        }
        if flip_strict {
            policy.strict = !policy.strict;
        }
    }
    for frame in &chunked.delivered {
        check_reencode(frame);
    }
    if flip_strict {
        return;
    }
    // The same stream in one read must end the same way.
    let mut whole = Reader::new(role);
    whole.buf.extend_from_slice(stream);
    let whole_outcome = whole.feed(&fixed);
    assert_eq!(chunked.delivered, whole.delivered, "frames depend on read sizes");
    assert_eq!(outcome, whole_outcome, "outcome depends on read sizes");
    if outcome.is_ok() {
        assert_eq!(chunked.buf, whole.buf, "undecoded bytes depend on read sizes");
    }
    if !fixed.strict && !fixed.join && outcome.is_ok() {
        assert_eq!(whole.delivered, reference_frames(stream, fixed.max_payload), "frames differ from the reference parser");
    }
});

impl Reader {
    fn new(role: Role) -> Self {
        Reader { decoder: Decoder::new(role), buf: BytesMut::new(), delivered: Vec::new() }
    }

    fn feed(&mut self, policy: &Policy) -> Result<usize, Violation> {
        let needed = self.decoder.decode(&mut self.buf, policy, &mut self.delivered)?;
        assert!(needed > self.buf.len(), "needs {needed} with {} bytes buffered", self.buf.len());
        Ok(needed)
    }
}

/// Every complete frame at the front of `stream`, parsed by hand: RFC 6455 §5.2's layout and
/// §5.3's masking, nothing else (stops at the first frame over `max_payload`).
fn reference_frames(stream: &[u8], max_payload: u64) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut at = 0;
    while stream.len() >= at + 2 {
        let (flags, second) = (stream[at], stream[at + 1]);
        let (length, mut offset) = match second & 0x7f {
            126 if stream.len() >= at + 4 => (u64::from(u16::from_be_bytes([stream[at + 2], stream[at + 3]])), at + 4),
            127 if stream.len() >= at + 10 => (u64::from_be_bytes(stream[at + 2..at + 10].try_into().unwrap()), at + 10),
            126 | 127 => break,
            n => (u64::from(n), at + 2),
        };
        if length > max_payload {
            break;
        }
        let mask = if second & 0x80 != 0 {
            let Some(key) = stream.get(offset..offset + 4) else { break };
            offset += 4;
            Some([key[0], key[1], key[2], key[3]])
        } else {
            None
        };
        let Some(wire) = usize::try_from(length).ok().and_then(|n| stream.get(offset..offset + n)) else { break };
        let payload: Vec<u8> = wire.iter().enumerate().map(|(i, &b)| b ^ mask.map_or(0, |m| m[i % 4])).collect();
        frames.push(Frame { flags, payload: payload.into() });
        at = offset + wire.len();
    }
    frames
}

/// Encoding a decoded frame again (unmasked, then masked) yields a minimal header and decodes to
/// the same frame.
fn check_reencode(frame: &Frame) {
    let minimal_header = match frame.payload.len() {
        0..=125 => 2,
        126..=65_535 => 4,
        _ => 10,
    };
    let raw = Policy {
        strict: false,
        max_payload: u64::MAX,
        limits: MessageLimits { max_message_size: u64::MAX, max_fragments: u64::MAX },
        join: false,
    };
    for mask in [None, Some([0x37, 0xfa, 0x21, 0x3d])] {
        let mut out = BytesMut::new();
        frame::encode(frame.flags, &frame.payload, mask, &mut out);
        let header_len = minimal_header + if mask.is_some() { 4 } else { 0 };
        assert_eq!(out.len(), header_len + frame.payload.len(), "encode is not minimal");
        let mut again = Vec::new();
        Decoder::new(Role::Server).decode(&mut out, &raw, &mut again).expect("a re-encoded frame decodes");
        assert_eq!(again, [frame.clone()], "re-encoded frame decodes differently");
        assert!(out.is_empty(), "bytes left after decoding a re-encoded frame");
    }
}

/// Splits `stream` into reads as the chunking byte says.
fn chunks(stream: &[u8], chunking: u8) -> Vec<&[u8]> {
    let mut rest = stream;
    let mut out = Vec::new();
    let mut state = u32::from(chunking) | 0x100;
    loop {
        let size = match chunking & 3 {
            0 => rest.len(),
            1 => 1,
            2 => usize::from(chunking >> 2) + 1,
            _ => {
                // xorshift32: a reproducible pattern of sizes, empty reads included.
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state % 17) as usize
            }
        };
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        out.push(chunk);
        rest = tail;
        if rest.is_empty() {
            return out;
        }
    }
}
