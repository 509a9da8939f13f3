//! Frame codec (RFC 6455 §5.2): header parse, mask/unmask, encode.
//!
//! tungstenite's `FrameHeader::parse` rejects reserved opcodes, but Poco's frame API hands every
//! frame to the caller with its first byte verbatim (§4.4 of the Poco spec), so the header is
//! parsed here. Nothing is validated beyond what framing itself needs: protocol rules belong to
//! the layer above.

use std::mem::MaybeUninit;

use bytes::{BufMut, Bytes, BytesMut};

pub const FLAG_FIN: u8 = 0x80;
/// RSV1: "Per-Message Compressed" on the first frame of a message under permessage-deflate
/// (RFC 7692 §6).
pub const FLAG_RSV1: u8 = 0x40;
pub const OPCODE_MASK: u8 = 0x0f;
pub const OP_CONTINUATION: u8 = 0x00;
pub const OP_TEXT: u8 = 0x01;
pub const OP_BINARY: u8 = 0x02;
pub const OP_CLOSE: u8 = 0x08;
pub const OP_PING: u8 = 0x09;
pub const OP_PONG: u8 = 0x0a;
/// Second header byte: the payload is masked (§5.3).
const MASK_BIT: u8 = 0x80;
/// §5.2: the longest header is 2 + 8 (64-bit length) + 4 (mask) bytes.
pub const MAX_HEADER_LEN: usize = 14;

/// One frame as Poco's `receiveFrame` reports it: the raw first header byte and the payload
/// (unmasked; usually a slice of the buffer it was read into).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub flags: u8,
    pub payload: Bytes,
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// First byte verbatim: FIN, RSV1-3, opcode.
    pub flags: u8,
    pub mask: Option<[u8; 4]>,
    pub payload_len: u64,
    /// Bytes the header itself occupies on the wire.
    pub len: usize,
}

/// Parses a header from the front of `buf`; `None` while it is incomplete.
/// Non-minimal length encodings are accepted on receive, as Poco, ws and tungstenite do.
pub fn parse_header(buf: &[u8]) -> Option<Header> {
    let (&first, rest) = buf.split_first()?;
    let (&second, rest) = rest.split_first()?;
    let (payload_len, rest) = match second & 0x7f {
        126 => {
            let bytes = rest.get(..2)?;
            (u16::from_be_bytes([bytes[0], bytes[1]]) as u64, &rest[2..])
        }
        127 => {
            let bytes: [u8; 8] = rest.get(..8)?.try_into().ok()?;
            (u64::from_be_bytes(bytes), &rest[8..])
        }
        n => (n as u64, rest),
    };
    let mask = if second & MASK_BIT != 0 {
        Some(rest.get(..4)?.try_into().ok()?)
    } else {
        None
    };
    let len = buf.len() - rest.len() + if mask.is_some() { 4 } else { 0 };
    Some(Header { flags: first, mask, payload_len, len })
}

/// Bytes that would complete the header at the front of `buf` (when [`parse_header`] says `None`).
pub fn header_needed(buf: &[u8]) -> usize {
    if buf.len() < 2 {
        2
    } else {
        header_len_hint(buf[1])
    }
}

fn header_len_hint(second: u8) -> usize {
    let extended = match second & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + extended + if second & MASK_BIT != 0 { 4 } else { 0 }
}

/// XORs `data` with the 4-byte `mask` (§5.3); masking and unmasking are the same operation.
pub fn apply_mask(data: &mut [u8], mask: [u8; 4]) {
    let word = mask_word(mask);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let value = u64::from_ne_bytes(chunk.try_into().expect("8 bytes")) ^ word;
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= mask[i % 4];
    }
}

/// `src` masked with `mask` into the first `src.len()` bytes of `dst`: copy and mask in one
/// pass, eight bytes at a time, without zeroing `dst` first.
fn mask_into(dst: &mut [MaybeUninit<u8>], src: &[u8], mask: [u8; 4]) {
    assert!(dst.len() >= src.len(), "mask_into: destination too short");
    let word = mask_word(mask);
    let out = dst.as_mut_ptr().cast::<u8>();
    let words = src.len() / 8;
    for i in 0..words {
        // SAFETY: i * 8 + 8 <= src.len() <= dst.len(); unaligned reads and writes are allowed.
        unsafe {
            let value = std::ptr::read_unaligned(src.as_ptr().add(i * 8).cast::<u64>()) ^ word;
            std::ptr::write_unaligned(out.add(i * 8).cast::<u64>(), value);
        }
    }
    for (i, byte) in src.iter().enumerate().skip(words * 8) {
        dst[i] = MaybeUninit::new(byte ^ mask[i % 4]);
    }
}

/// The mask repeated over 8 bytes, in memory order.
fn mask_word(mask: [u8; 4]) -> u64 {
    u64::from_ne_bytes([mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3]])
}

/// [`apply_mask`] for bytes that start `offset` bytes into a masked payload.
pub fn apply_mask_from(data: &mut [u8], mask: [u8; 4], offset: usize) {
    let rotated = [mask[offset % 4], mask[(offset + 1) % 4], mask[(offset + 2) % 4], mask[(offset + 3) % 4]];
    apply_mask(data, rotated);
}

/// A fresh mask from a CSPRNG for every client frame (§5.3, §10.3).
pub fn new_mask() -> [u8; 4] {
    rand::random()
}

/// Appends one frame to `out`: `flags` is the first header byte verbatim (Poco's sendFrame), the
/// length is minimally encoded (§5.2), and the payload is masked when `mask` is given.
pub fn encode(flags: u8, payload: &[u8], mask: Option<[u8; 4]>, out: &mut BytesMut) {
    out.reserve(MAX_HEADER_LEN + payload.len());
    let (header, len) = header(flags, payload.len(), mask);
    out.put_slice(&header[..len]);
    match mask {
        Some(mask) => {
            // Reserved above: the payload is masked straight into the spare capacity.
            mask_into(out.spare_capacity_mut(), payload, mask);
            // SAFETY: mask_into initialised the next payload.len() bytes.
            unsafe { out.set_len(out.len() + payload.len()) };
        }
        None => out.put_slice(payload),
    }
}

/// The header of a frame with `len` payload bytes (minimal length encoding, §5.2), and how many
/// of the 14 bytes it takes.
pub fn header(flags: u8, len: usize, mask: Option<[u8; 4]>) -> ([u8; MAX_HEADER_LEN], usize) {
    let mut out = [0u8; MAX_HEADER_LEN];
    let mask_bit = if mask.is_some() { MASK_BIT } else { 0 };
    out[0] = flags;
    let mut at = match len {
        n if n < 126 => {
            out[1] = mask_bit | n as u8;
            2
        }
        n if n <= u16::MAX as usize => {
            out[1] = mask_bit | 126;
            out[2..4].copy_from_slice(&(n as u16).to_be_bytes());
            4
        }
        n => {
            out[1] = mask_bit | 127;
            out[2..10].copy_from_slice(&(n as u64).to_be_bytes());
            10
        }
    };
    if let Some(mask) = mask {
        out[at..at + 4].copy_from_slice(&mask);
        at += 4;
    }
    (out, at)
}

/// The payload of a CLOSE frame (§5.5.1): the status code in network byte order, then the reason.
pub fn close_payload(status_code: u16, reason: &str) -> Vec<u8> {
    let mut payload = Vec::with_capacity(2 + reason.len());
    payload.extend_from_slice(&status_code.to_be_bytes());
    payload.extend_from_slice(reason.as_bytes());
    payload
}
