//! Just enough RFC 6455 framing for a load generator and an echo server: masked client frames built
//! once, a streaming counter of unmasked server frames, and a streaming unmask-and-echo transform.

use std::io;

pub const OP_CONT: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;
pub const FIN: u8 = 0x80;
/// RFC 7692 section 6: RSV1 marks a compressed message (permessage-deflate).
pub const RSV1: u8 = 0x40;
const MASK_KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn put_header(out: &mut Vec<u8>, first: u8, len: usize, masked: bool) {
    let m = if masked { 0x80 } else { 0 };
    out.push(first);
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xffff {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
}

/// One complete masked client frame (FIN, `opcode`) carrying `payload`.
pub fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    client_frame_with(FIN | opcode, payload)
}

/// A masked client frame whose first header byte (FIN, RSV bits, opcode) is `first`.
pub fn client_frame_with(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    put_header(&mut out, first, payload.len(), true);
    out.extend_from_slice(&MASK_KEY);
    let start = out.len();
    out.extend_from_slice(payload);
    xor_mask(&mut out[start..], MASK_KEY, 0);
    out
}

/// A masked binary frame with a `size`-byte payload.
pub fn binary_frame(size: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    client_frame(OP_BINARY, &payload)
}

/// XORs `data` with `key`, starting `offset` bytes into the key stream.
pub fn xor_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let mut k = [0u8; 8];
    for (i, b) in k.iter_mut().enumerate() {
        *b = key[(offset + i) & 3];
    }
    let wide = u64::from_ne_bytes(k);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let v = u64::from_ne_bytes(chunk.try_into().unwrap()) ^ wide;
        chunk.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= k[i];
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Header bytes needed once the first two are known, or `None` with fewer than two.
fn header_len(hdr: &[u8]) -> Option<usize> {
    if hdr.len() < 2 {
        return None;
    }
    let mask = if hdr[1] & 0x80 != 0 { 4 } else { 0 };
    Some(
        2 + mask
            + match hdr[1] & 0x7f {
                126 => 2,
                127 => 8,
                _ => 0,
            },
    )
}

fn payload_len(hdr: &[u8]) -> u64 {
    match hdr[1] & 0x7f {
        126 => u64::from(u16::from_be_bytes([hdr[2], hdr[3]])),
        127 => u64::from_be_bytes(hdr[2..10].try_into().unwrap()),
        n => u64::from(n),
    }
}

/// Accumulates a frame header that may arrive split over reads; returns the bytes used.
#[derive(Default)]
struct HeaderBuf {
    bytes: [u8; 14],
    len: usize,
}

impl HeaderBuf {
    /// Takes bytes from `data` until the header is complete; `Some(header)` when it is.
    fn take<'a>(&'a mut self, data: &[u8], used: &mut usize) -> Option<&'a [u8]> {
        loop {
            let need = header_len(&self.bytes[..self.len]).unwrap_or(2);
            if self.len >= need {
                return Some(&self.bytes[..need]);
            }
            if *used >= data.len() {
                return None;
            }
            let n = (need - self.len).min(data.len() - *used);
            self.bytes[self.len..self.len + n].copy_from_slice(&data[*used..*used + n]);
            self.len += n;
            *used += n;
        }
    }
}

/// Counts complete echoed messages in the unmasked frames a server sends, without buffering
/// payloads. Every data frame must be a final binary or text frame of `expect` bytes (of any
/// length for compressed echoes, whose size depends on the server's compressor); PING and PONG
/// frames are skipped, a CLOSE is an error (the server gave up on us).
pub struct EchoCounter {
    expect: Option<u64>,
    hdr: HeaderBuf,
    skip: u64,
    data_frame: bool,
    /// Data frames with RSV1 set (compressed by the server).
    pub compressed: u64,
}

impl EchoCounter {
    pub fn new(expect: usize) -> Self {
        EchoCounter { expect: Some(expect as u64), hdr: HeaderBuf::default(), skip: 0, data_frame: false, compressed: 0 }
    }

    /// A counter for permessage-deflate echoes: any length, RSV1 allowed.
    pub fn any_length() -> Self {
        EchoCounter { expect: None, ..EchoCounter::new(0) }
    }

    /// Feeds received bytes; returns how many messages they completed.
    pub fn feed(&mut self, data: &[u8]) -> io::Result<u64> {
        let mut done = 0;
        let mut used = 0;
        loop {
            if self.skip > 0 {
                let n = self.skip.min((data.len() - used) as u64);
                self.skip -= n;
                used += n as usize;
                if self.skip > 0 {
                    return Ok(done);
                }
                if self.data_frame {
                    done += 1;
                }
                continue;
            }
            let Some(hdr) = self.hdr.take(data, &mut used) else { return Ok(done) };
            let (first, len) = (hdr[0], payload_len(hdr));
            if hdr[1] & 0x80 != 0 {
                return Err(invalid("server frame is masked".into()));
            }
            self.hdr.len = 0;
            let opcode = first & 0x0f;
            self.data_frame = matches!(opcode, OP_TEXT | OP_BINARY | OP_CONT);
            let rsv1_allowed = self.expect.is_none();
            match opcode {
                OP_PING | OP_PONG => {}
                OP_CLOSE => return Err(invalid("server sent CLOSE".into())),
                OP_TEXT | OP_BINARY
                    if first & FIN != 0
                        && self.expect.is_none_or(|e| e == len)
                        && (first & RSV1 == 0 || rsv1_allowed) =>
                {
                    if first & RSV1 != 0 {
                        self.compressed += 1;
                    }
                }
                _ => {
                    let expected = self.expect.map_or("any length".to_string(), |e| e.to_string());
                    return Err(invalid(format!(
                        "unexpected frame: flags 0x{first:02x}, {len} bytes (expected a final data frame of {expected})"
                    )));
                }
            }
            self.skip = len;
            if len == 0 && self.data_frame {
                done += 1;
            }
        }
    }
}

/// What the echo transform saw: keep going, or the peer's CLOSE was echoed (stop after flushing).
#[derive(PartialEq, Eq, Debug)]
pub enum Echo {
    More,
    Closed,
}

/// The `serve` mode's per-connection transform: masked client frames in, the same frames
/// unmasked out (PING answered as PONG, CLOSE echoed, then the connection ends). Payloads stream
/// through: the header goes out first, then payload bytes as they arrive.
#[derive(Default)]
pub struct EchoTransform {
    hdr: HeaderBuf,
    remaining: u64,
    key: [u8; 4],
    offset: usize,
    closing: bool,
}

impl EchoTransform {
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<u8>) -> io::Result<Echo> {
        let mut used = 0;
        loop {
            if self.remaining > 0 {
                let n = self.remaining.min((data.len() - used) as u64) as usize;
                let start = out.len();
                out.extend_from_slice(&data[used..used + n]);
                xor_mask(&mut out[start..], self.key, self.offset);
                self.offset = (self.offset + n) & 3;
                self.remaining -= n as u64;
                used += n;
                if self.remaining > 0 {
                    return Ok(Echo::More);
                }
                if self.closing {
                    return Ok(Echo::Closed);
                }
                continue;
            }
            let Some(hdr) = self.hdr.take(data, &mut used) else { return Ok(Echo::More) };
            if hdr[1] & 0x80 == 0 {
                return Err(invalid("client frame is not masked".into()));
            }
            let n = hdr.len();
            let (mut first, len) = (hdr[0], payload_len(hdr));
            self.key = hdr[n - 4..n].try_into().unwrap();
            self.hdr.len = 0;
            match first & 0x0f {
                OP_PING => first = (first & 0xf0) | OP_PONG,
                OP_CLOSE => self.closing = true,
                _ => {}
            }
            put_header(out, first, len as usize, false);
            self.remaining = len;
            self.offset = 0;
            if len == 0 && self.closing {
                return Ok(Echo::Closed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_frame(len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        put_header(&mut out, FIN | OP_BINARY, len, false);
        out.extend(std::iter::repeat(7u8).take(len));
        out
    }

    #[test]
    fn counter_handles_any_split() {
        for size in [0usize, 5, 125, 126, 1000, 70_000] {
            let mut stream = Vec::new();
            for _ in 0..3 {
                stream.extend(server_frame(size));
            }
            for step in [1usize, 2, 3, 7, 4096] {
                let mut c = EchoCounter::new(size);
                let total: u64 = stream.chunks(step).map(|ch| c.feed(ch).unwrap()).sum();
                assert_eq!(total, 3, "size {size} step {step}");
            }
        }
    }

    #[test]
    fn counter_rejects_wrong_size_and_close() {
        assert!(EchoCounter::new(10).feed(&server_frame(11)).is_err());
        assert!(EchoCounter::new(10).feed(&[0x88, 0]).is_err());
    }

    #[test]
    fn counter_takes_compressed_echoes_of_any_length() {
        let mut stream = server_frame(11);
        stream[0] |= RSV1;
        stream.extend(server_frame(1024));
        let mut c = EchoCounter::any_length();
        assert_eq!(c.feed(&stream).unwrap(), 2);
        assert_eq!(c.compressed, 1);
        // Without permessage-deflate, RSV1 is a protocol error (RFC 6455 section 5.2).
        let mut plain = server_frame(10);
        plain[0] |= RSV1;
        assert!(EchoCounter::new(10).feed(&plain).is_err());
    }

    #[test]
    fn transform_round_trip() {
        for size in [0usize, 3, 125, 126, 65_536, 70_001] {
            let payload: Vec<u8> = (0..size).map(|i| (i * 7) as u8).collect();
            let mut input = client_frame(OP_BINARY, &payload);
            input.extend(client_frame(OP_PING, b"hi"));
            for step in [1usize, 5, 8192, usize::MAX] {
                let mut t = EchoTransform::default();
                let mut out = Vec::new();
                for ch in input.chunks(step.min(input.len())) {
                    assert_eq!(t.feed(ch, &mut out).unwrap(), Echo::More);
                }
                let mut expect = Vec::new();
                put_header(&mut expect, FIN | OP_BINARY, size, false);
                expect.extend(&payload);
                expect.extend([FIN | OP_PONG, 2, b'h', b'i']);
                assert!(out == expect, "size {size} step {step}");
            }
        }
        let mut t = EchoTransform::default();
        let mut out = Vec::new();
        assert_eq!(t.feed(&client_frame(OP_CLOSE, &[3, 232]), &mut out).unwrap(), Echo::Closed);
        assert_eq!(out, [FIN | OP_CLOSE, 2, 3, 232]);
    }
}
