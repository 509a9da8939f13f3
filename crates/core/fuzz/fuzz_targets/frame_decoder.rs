//! The receive path of a connection, fed an arbitrary byte stream in arbitrary TCP-read sizes.
//!
//! Input layout: `[config] [chunking] [limits] stream...`
//!
//! * config bit 0: role (0 Server, 1 Client); bit 1: strict checks off; bits 2-4: max payload
//!   (index into `MAX_PAYLOADS`); bit 5: flip strict at every chunk boundary (as
//!   `Connection::set_config` may do between reads).
//! * chunking: low 2 bits the mode (0 all at once, 1 one byte per read, 2 fixed size
//!   `(byte >> 2) + 1`, 3 pseudo-random sizes 0..=16 seeded by the byte: 0 is an empty read).
//! * limits: bits 0-2 max message size (`MAX_MESSAGES`), bits 3-5 max fragments (`MAX_FRAGMENTS`).
//!
//! `decode_available` below is the loop of `connection.rs` (private there; as of commit 44cdc40
//! plus the working tree of 2026-11-24: `check_payload_len` before `on_header`), minus the
//! `Shared` bookkeeping. Properties checked:
//!
//! * nothing panics;
//! * `decode` consumes nothing on `NeedMore` and on error, and the `NeedMore` hint is larger than
//!   the buffer (and, once the header is in, is exactly header + payload length);
//! * `check_payload_len` refuses exactly the lengths over the limit, and `decode` agrees;
//! * a decoded frame is the header's flags and exactly `payload_len` bytes, unmasked byte by byte;
//! * `encode` of a decoded frame (no mask, and again with a mask) decodes to the same frame,
//!   with a minimal-length header;
//! * with a fixed policy the outcome (frames delivered, error) does not depend on how the stream
//!   was split into reads: the same bytes fed at once give the same result.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use poco_websocket_core::error::{Error, ErrorCode};
use poco_websocket_core::frame::{self, Decoded, Frame, Header};
use poco_websocket_core::protocol::fragmentation::MessageLimits;
use poco_websocket_core::protocol::{Inspector, Policy};
use poco_websocket_core::Role;

const MAX_PAYLOADS: [u64; 8] = [0, 1, 2, 125, 126, 127, 65_536, 100 * 1024 * 1024];
const MAX_MESSAGES: [u64; 8] = [0, 1, 125, 126, 300, 65_535, 65_536, u64::MAX];
const MAX_FRAGMENTS: [u64; 8] = [0, 1, 2, 3, 4, 16, 1 << 17, u64::MAX];

struct Reader {
    inspector: Inspector,
    buf: BytesMut,
    delivered: Vec<Frame>,
    max_payload: u64,
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (config, chunking, limits, stream) = (data[0], data[1], data[2], &data[3..]);
    let role = if config & 1 == 0 { Role::Server } else { Role::Client };
    let max_payload = MAX_PAYLOADS[usize::from((config >> 2) & 7)];
    let flip_strict = config & 0x20 != 0;
    let mut policy = Policy {
        strict: config & 2 == 0,
        limits: MessageLimits {
            max_message_size: MAX_MESSAGES[usize::from(limits & 7)],
            max_fragments: MAX_FRAGMENTS[usize::from((limits >> 3) & 7)],
        },
    };

    let mut chunked = Reader::new(role, max_payload);
    let mut outcome = Ok(0);
    for chunk in chunks(stream, chunking) {
        chunked.buf.extend_from_slice(chunk);
        outcome = chunked.decode_available(&policy);
        if outcome.is_err() {
            break;
        }
        if flip_strict {
            policy.strict = !policy.strict;
        }
    }

    if !flip_strict {
        // The same stream in one read must end the same way.
        let mut whole = Reader::new(role, max_payload);
        whole.buf.extend_from_slice(stream);
        let whole_outcome = whole.decode_available(&policy);
        assert_eq!(chunked.delivered, whole.delivered, "frames depend on read sizes");
        match (&outcome, &whole_outcome) {
            (Ok(needed), Ok(whole_needed)) => {
                assert_eq!(needed, whole_needed, "NeedMore hint depends on read sizes");
                assert_eq!(chunked.buf, whole.buf, "undecoded bytes depend on read sizes");
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "error depends on read sizes"),
            (a, b) => panic!("outcome depends on read sizes: chunked {a:?}, whole {b:?}"),
        }
    }
});

impl Reader {
    fn new(role: Role, max_payload: u64) -> Self {
        Reader { inspector: Inspector::new(role), buf: BytesMut::new(), delivered: Vec::new(), max_payload }
    }

    /// `connection::decode_available`: takes every complete frame off `buf`, checking each;
    /// returns how many bytes would complete the next frame.
    fn decode_available(&mut self, policy: &Policy) -> Result<usize, Error> {
        loop {
            let header = frame::parse_header(&self.buf);
            if let Some(header) = &header {
                check_header(header, &self.buf);
                if let Err(error) = frame::check_payload_len(header, self.max_payload) {
                    assert!(header.payload_len > self.max_payload, "check_payload_len refused a length within the limit");
                    assert!(
                        matches!(&error, Error::WebSocket { code: ErrorCode::PayloadTooBig, .. }),
                        "unexpected error {error:?}"
                    );
                    // decode, which the loop no longer reaches for this frame, must refuse it
                    // too, without consuming anything.
                    let before = self.buf.clone();
                    let decoded = frame::decode(&mut self.buf, self.max_payload);
                    assert_eq!(decoded.as_ref().err(), Some(&error), "decode accepts what check_payload_len refuses");
                    assert_eq!(self.buf, before, "decode consumed bytes on error");
                    return Err(error);
                }
                self.inspector.on_header(header, policy)?;
            }
            // What decode may take: the whole frame if it is all here, else at most a header.
            // (Copying only this keeps the byte-at-a-time mode linear.)
            let front = header
                .and_then(|h| usize::try_from(h.payload_len).ok().and_then(|n| n.checked_add(h.len)))
                .unwrap_or(frame::MAX_HEADER_LEN);
            let before_len = self.buf.len();
            let before = self.buf[..front.min(before_len)].to_vec();
            let unchanged = |buf: &BytesMut| buf.len() == before_len && buf[..before.len()] == before[..];
            match frame::decode(&mut self.buf, self.max_payload) {
                Ok(Decoded::Frame(frame)) => {
                    let header = header.expect("a frame was decoded without a complete header");
                    check_frame(&header, &before, before_len, &frame, self.buf.len());
                    check_reencode(&frame);
                    if self.inspector.on_frame(&frame, policy)? {
                        self.delivered.push(frame);
                    }
                }
                Ok(Decoded::NeedMore(needed)) => {
                    assert!(unchanged(&self.buf), "decode consumed bytes on NeedMore");
                    assert!(needed > self.buf.len(), "NeedMore({needed}) with {} bytes buffered", self.buf.len());
                    if let Some(header) = header {
                        assert_eq!(needed as u64, header.len as u64 + header.payload_len, "NeedMore hint");
                        self.inspector.on_partial_payload(&header, &self.buf[header.len..])?;
                    }
                    return Ok(needed);
                }
                Err(error) => panic!("decode failed on a length check_payload_len allowed: {error:?}"),
            }
        }
    }
}

/// The header `parse_header` found describes the front of `buf`.
fn check_header(header: &Header, buf: &[u8]) {
    assert!(header.len <= buf.len() && header.len <= frame::MAX_HEADER_LEN);
    assert_eq!(header.flags, buf[0]);
    assert_eq!(header.mask.is_some(), buf[1] & 0x80 != 0);
    let extended = match buf[1] & 0x7f {
        126 => 2,
        127 => 8,
        n => {
            assert_eq!(header.payload_len, u64::from(n));
            0
        }
    };
    assert_eq!(header.len, 2 + extended + if header.mask.is_some() { 4 } else { 0 });
}

/// `frame` came off a buffer of `before_len` bytes that started with `before`, leaving `after_len`.
fn check_frame(header: &Header, before: &[u8], before_len: usize, frame: &Frame, after_len: usize) {
    assert_eq!(frame.flags, header.flags);
    assert_eq!(frame.payload.len() as u64, header.payload_len, "payload length differs from the header's");
    let total = header.len + frame.payload.len();
    assert_eq!(before_len - after_len, total, "decode consumed the wrong number of bytes");
    assert_eq!(before.len(), total);
    let wire = &before[header.len..total];
    for (i, (&byte, &plain)) in wire.iter().zip(&frame.payload).enumerate() {
        let key = header.mask.map_or(0, |mask| mask[i % 4]);
        assert_eq!(byte ^ key, plain, "payload byte {i} unmasked wrongly");
    }
}

/// Encoding a decoded frame again (unmasked, then masked) and decoding it yields the same frame.
fn check_reencode(frame: &Frame) {
    let minimal_header = match frame.payload.len() {
        0..=125 => 2,
        126..=65_535 => 4,
        _ => 10,
    };
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    for mask in [None, Some(mask)] {
        let mut out = BytesMut::new();
        frame::encode(frame.flags, &frame.payload, mask, &mut out);
        let header_len = minimal_header + if mask.is_some() { 4 } else { 0 };
        assert_eq!(out.len(), header_len + frame.payload.len(), "encode is not minimal");
        let header = frame::parse_header(&out).expect("encoded header does not parse");
        assert_eq!((header.len, header.mask), (header_len, mask));
        match frame::decode(&mut out, u64::MAX) {
            Ok(Decoded::Frame(again)) => assert_eq!(&again, frame, "re-encoded frame decodes differently"),
            other => panic!("re-encoded frame does not decode: {other:?}"),
        }
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
