//! Frame codec: RFC 6455 §5 and Poco spec §4.2 / §4.4 (raw flags, no validation).

use std::collections::HashSet;

use bytes::{Bytes, BytesMut};
use poco_websocket_core::decoder::{Decoder, Policy};
use poco_websocket_core::defaults::MAX_PAYLOAD_SIZE;
use poco_websocket_core::frame::{self, Frame};
use poco_websocket_core::protocol::fragmentation::MessageLimits;
use poco_websocket_core::{Error, Role, Violation};

/// The masking key RFC 6455 §5.7 uses in its examples.
const RFC_MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

const BOUNDARY_LENGTHS: [usize; 8] = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20];

fn encoded(flags: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = BytesMut::new();
    frame::encode(flags, payload, mask, &mut out);
    out.to_vec()
}

/// What one decode step found at the front of the buffer.
#[derive(Debug, PartialEq, Eq)]
enum Decoded {
    Frame(Frame),
    /// This many bytes in total would complete what is known of the front frame.
    NeedMore(usize),
}

/// The codec alone: the decoder with every protocol rule off (Poco's raw frames).
fn raw(max_payload: u64) -> Policy {
    let limits = MessageLimits { max_message_size: u64::MAX, max_fragments: u64::MAX };
    Policy { strict: false, max_payload, limits, join: false }
}

/// Decodes what `buf` holds: its one frame, or how many bytes would complete it.
fn decode_with(decoder: &mut Decoder, buf: &mut BytesMut, max_payload: u64) -> Result<Decoded, Violation> {
    let mut frames = Vec::new();
    let needed = decoder.decode(buf, &raw(max_payload), &mut frames)?;
    assert!(frames.len() <= 1, "one frame at a time");
    Ok(frames.pop().map_or(Decoded::NeedMore(needed), Decoded::Frame))
}

fn decode(buf: &mut BytesMut, max_payload: u64) -> Result<Decoded, Violation> {
    decode_with(&mut Decoder::new(Role::Server), buf, max_payload)
}

fn decode_all(bytes: &[u8]) -> Vec<Frame> {
    let mut buf = BytesMut::from(bytes);
    let mut frames = Vec::new();
    let needed = Decoder::new(Role::Server).decode(&mut buf, &raw(MAX_PAYLOAD_SIZE), &mut frames).expect("decodes");
    assert!(buf.is_empty(), "incomplete frame, need {needed} of {} bytes", buf.len());
    frames
}

fn decode_one(bytes: &[u8]) -> Frame {
    let mut frames = decode_all(bytes);
    assert_eq!(frames.len(), 1, "expected exactly one frame");
    frames.remove(0)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn frame(flags: u8, payload: &[u8]) -> Frame {
    Frame { flags, payload: Bytes::copy_from_slice(payload) }
}

fn with_payload(header: &[u8], payload: &[u8]) -> Vec<u8> {
    [header, payload].concat()
}

/// Poco's WS_ERR_PAYLOAD_TOO_BIG (code 10, "Payload too big"), close code 1009.
fn assert_payload_too_big(result: Result<Decoded, Violation>) {
    match result {
        Err(violation @ Violation::PayloadTooBig { .. }) => {
            assert_eq!(violation.close_code(), 1009);
            let error = Error::from(violation);
            assert_eq!((error.code(), error.message().as_str()), (10, "Payload too big"));
        }
        other => panic!("expected PayloadTooBig, got {other:?}"),
    }
}

/// RFC 6455 §5.7: a single-frame unmasked text message.
#[test]
fn rfc_unmasked_text() {
    let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(decode_one(&wire), frame(0x81, b"Hello"));
    assert_eq!(encoded(0x81, b"Hello", None), wire);
}

/// RFC 6455 §5.7: a single-frame masked text message.
#[test]
fn rfc_masked_text() {
    let wire = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    assert_eq!(decode_one(&wire), frame(0x81, b"Hello"));
    assert_eq!(encoded(0x81, b"Hello", Some(RFC_MASK)), wire);
}

/// RFC 6455 §5.7: a fragmented unmasked text message comes out as two frames (Poco §4.4: no reassembly).
#[test]
fn rfc_fragmented_text() {
    let first = [0x01, 0x03, 0x48, 0x65, 0x6c];
    let second = [0x80, 0x02, 0x6c, 0x6f];
    assert_eq!(decode_all(&[&first[..], &second[..]].concat()), vec![frame(0x01, b"Hel"), frame(0x80, b"lo")]);
    assert_eq!(encoded(0x01, b"Hel", None), first);
    assert_eq!(encoded(0x80, b"lo", None), second);
}

/// RFC 6455 §5.7: an unmasked ping.
#[test]
fn rfc_unmasked_ping() {
    let wire = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(decode_one(&wire), frame(0x89, b"Hello"));
    assert_eq!(encoded(0x89, b"Hello", None), wire);
}

/// RFC 6455 §5.7: a masked pong.
#[test]
fn rfc_masked_pong() {
    let wire = [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    assert_eq!(decode_one(&wire), frame(0x8a, b"Hello"));
    assert_eq!(encoded(0x8a, b"Hello", Some(RFC_MASK)), wire);
}

/// RFC 6455 §5.7: 256 bytes of binary data use the 16-bit length.
#[test]
fn rfc_binary_256() {
    let payload = pattern(256);
    let wire = with_payload(&[0x82, 0x7e, 0x01, 0x00], &payload);
    assert_eq!(decode_one(&wire), frame(0x82, &payload));
    assert_eq!(encoded(0x82, &payload, None), wire);
}

/// RFC 6455 §5.7: 64 KiB of binary data use the 64-bit length.
#[test]
fn rfc_binary_64k() {
    let payload = pattern(65536);
    let wire = with_payload(&[0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00], &payload);
    assert_eq!(decode_one(&wire), frame(0x82, &payload));
    assert_eq!(encoded(0x82, &payload, None), wire);
}

/// RFC 6455 §5.2 and Poco §4.2: minimal length encoding at every boundary, masked and unmasked.
#[test]
fn round_trip_at_length_boundaries() {
    for len in BOUNDARY_LENGTHS {
        for mask in [None, Some(RFC_MASK)] {
            let payload = pattern(len);
            let wire = encoded(0x82, &payload, mask);
            let (length_code, extended) = match len {
                0..=125 => (len as u8, 0),
                126..=65535 => (126, 2),
                _ => (127, 8),
            };
            let mask_bit = if mask.is_some() { 0x80 } else { 0 };
            let header_len = 2 + extended + if mask.is_some() { 4 } else { 0 };
            assert_eq!(wire[0], 0x82, "len {len}");
            assert_eq!(wire[1], mask_bit | length_code, "len {len}");
            assert_eq!(wire.len(), header_len + len, "len {len}");
            match extended {
                2 => assert_eq!(wire[2..4], (len as u16).to_be_bytes(), "len {len}"),
                8 => assert_eq!(wire[2..10], (len as u64).to_be_bytes(), "len {len}"),
                _ => {}
            }
            if let Some(mask) = mask {
                assert_eq!(wire[header_len - 4..header_len], mask, "len {len}");
            }
            assert_eq!(decode_one(&wire), frame(0x82, &payload), "len {len} mask {mask:?}");
        }
    }
}

/// Poco §4.2: the length headers observed from a Poco client (mask bit set).
#[test]
fn poco_observed_length_headers() {
    let header = |len: usize| encoded(0x81, &vec![0; len], Some(RFC_MASK));
    assert_eq!(header(125)[..2], [0x81, 0xfd]);
    assert_eq!(header(126)[..4], [0x81, 0xfe, 0x00, 0x7e]);
    assert_eq!(header(65535)[..4], [0x81, 0xfe, 0xff, 0xff]);
    assert_eq!(header(65536)[..10], [0x81, 0xff, 0, 0, 0, 0, 0, 0x01, 0, 0]);
}

/// `encode` appends to what the buffer already holds.
#[test]
fn encode_appends() {
    let mut out = BytesMut::from(&b"xy"[..]);
    frame::encode(0x81, b"Hello", None, &mut out);
    assert_eq!(&out[..], b"xy\x81\x05Hello");
}

/// RFC 6455 §5.2: a frame fed one byte at a time is NeedMore until it is complete, then exactly that frame.
#[test]
fn decode_byte_at_a_time() {
    let payload = pattern(300);
    for (mask, header_len) in [(None, 4), (Some(RFC_MASK), 8)] {
        let mut wire = encoded(0x82, &payload, mask);
        let total = wire.len();
        assert_eq!(total, header_len + payload.len());
        let follower = encoded(0x89, b"next", None);
        wire.extend_from_slice(&follower);

        let mut buf = BytesMut::new();
        let mut decoder = Decoder::new(Role::Client);
        let mut decoded = None;
        for (i, &byte) in wire[..total].iter().enumerate() {
            assert_eq!(
                decode_with(&mut decoder, &mut buf, MAX_PAYLOAD_SIZE).unwrap(),
                Decoded::NeedMore(needed(i, header_len, total))
            );
            assert_eq!(buf.len(), i, "NeedMore must not consume");
            buf.extend_from_slice(&[byte]);
            match decode_with(&mut decoder, &mut buf, MAX_PAYLOAD_SIZE).unwrap() {
                Decoded::Frame(frame) => {
                    assert_eq!(i + 1, total, "frame completed early");
                    decoded = Some(frame);
                }
                Decoded::NeedMore(n) => {
                    assert!(n > buf.len() && n <= total, "NeedMore({n}) with {} buffered", buf.len())
                }
            }
        }
        assert_eq!(decoded, Some(frame(0x82, &payload)));
        assert!(buf.is_empty());

        buf.extend_from_slice(&follower);
        assert_eq!(decode_with(&mut decoder, &mut buf, MAX_PAYLOAD_SIZE).unwrap(), Decoded::Frame(frame(0x89, b"next")));
    }
}

/// What `decode` reports after `have` bytes of a 16-bit-length frame: the header, then the whole frame.
fn needed(have: usize, header_len: usize, total: usize) -> usize {
    match have {
        0 | 1 => 2,
        _ if have < header_len => header_len,
        _ => total,
    }
}

/// Poco §4.4: non-minimal 16- and 64-bit length encodings are accepted.
#[test]
fn non_minimal_lengths_accepted() {
    let sixteen = with_payload(&[0x81, 0x7e, 0x00, 0x05], b"Hello");
    let sixty_four = with_payload(&[0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x05], b"Hello");
    let masked = [&[0x81, 0xfe, 0x00, 0x05][..], &RFC_MASK, &[0x7f, 0x9f, 0x4d, 0x51, 0x58]].concat();
    let empty = [0x89, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(decode_one(&sixteen), frame(0x81, b"Hello"));
    assert_eq!(decode_one(&sixty_four), frame(0x81, b"Hello"));
    assert_eq!(decode_one(&masked), frame(0x81, b"Hello"));
    assert_eq!(decode_one(&empty), frame(0x89, b""));
}

/// Poco §4.2 / §4.4: the first header byte (FIN, RSV1-3, opcode) is written and reported verbatim.
#[test]
fn reserved_bits_and_opcodes_pass_through() {
    for flags in [0x00, 0x09, 0x0b, 0x83, 0x8f, 0xc1, 0xf7, 0x71, 0xff] {
        let wire = encoded(flags, b"ab", None);
        assert_eq!(wire, [flags, 0x02, b'a', b'b']);
        assert_eq!(decode_one(&wire), frame(flags, b"ab"));
        assert_eq!(decode_one(&encoded(flags, b"ab", Some(RFC_MASK))), frame(flags, b"ab"));
    }
}

/// Poco §4.4: a declared length above the limit fails with "Payload too big" and reserves nothing.
#[test]
fn huge_declared_length_is_payload_too_big() {
    let header = [0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    let mut buf = BytesMut::from(&header[..]);
    let capacity = buf.capacity();
    assert_payload_too_big(decode(&mut buf, MAX_PAYLOAD_SIZE));
    assert_eq!(&buf[..], header);
    assert_eq!(buf.capacity(), capacity);

    let mut buf = BytesMut::from(&[0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4][..]);
    assert_payload_too_big(decode(&mut buf, u64::MAX - 1));
    assert_eq!(buf.len(), 14);
}

/// Poco §4.4: the limit is inclusive and the error carries code 10.
#[test]
fn max_payload_boundary() {
    let wire = encoded(0x81, b"Hello", None);
    let mut buf = BytesMut::from(&wire[..]);
    let error = Error::from(decode(&mut buf, 4).unwrap_err());
    assert_eq!(error.code(), 10);
    assert_eq!(&buf[..], wire);
    assert_payload_too_big(decode(&mut buf, 4));
    assert_eq!(decode(&mut buf, 5).unwrap(), Decoded::Frame(frame(0x81, b"Hello")));

    let header = |length: u64| {
        let mut bytes = vec![0x82, 0x7f];
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes
    };
    assert_payload_too_big(decode(&mut BytesMut::from(&header(MAX_PAYLOAD_SIZE + 1)[..]), MAX_PAYLOAD_SIZE));
    let mut buf = BytesMut::from(&header(MAX_PAYLOAD_SIZE)[..]);
    let capacity = buf.capacity();
    assert_eq!(decode(&mut buf, MAX_PAYLOAD_SIZE).unwrap(), Decoded::NeedMore(10 + MAX_PAYLOAD_SIZE as usize));
    assert_eq!(buf.capacity(), capacity, "a declared length alone must not reserve memory");
}

/// RFC 6455 §5.3: masking XORs byte i with mask[i % 4], so applying it twice is the identity.
#[test]
fn apply_mask_is_an_involution() {
    for len in 0..=9 {
        let original = pattern(len);
        let mut data = original.clone();
        frame::apply_mask(&mut data, RFC_MASK);
        let expected: Vec<u8> = original.iter().enumerate().map(|(i, b)| b ^ RFC_MASK[i % 4]).collect();
        assert_eq!(data, expected, "len {len}");
        frame::apply_mask(&mut data, RFC_MASK);
        assert_eq!(data, original, "len {len}");
    }
}

/// RFC 6455 §5.3 / §10.3: every frame gets a fresh, unpredictable mask.
#[test]
fn new_mask_differs_across_calls() {
    let masks: HashSet<[u8; 4]> = (0..16).map(|_| frame::new_mask()).collect();
    assert_eq!(masks.len(), 16);
}

/// RFC 6455 §5.5.1 / Poco §4.3: status code in network byte order, then the reason.
#[test]
fn close_payload_layout() {
    assert_eq!(frame::close_payload(1001, "bye"), [0x03, 0xe9, 0x62, 0x79, 0x65]);
    assert_eq!(frame::close_payload(1000, ""), [0x03, 0xe8]);
}

/// A declared length that cannot be addressed fails as too big even with no limit set, instead of
/// overflowing the frame-size arithmetic.
#[test]
fn unaddressable_length_is_too_big_even_without_a_limit() {
    let mut buf = BytesMut::from(&[0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..]);
    assert_payload_too_big(decode(&mut buf, u64::MAX));
    assert_eq!(buf.len(), 10, "nothing consumed");
}

/// §5.3: byte i of the payload is XORed with mask[i % 4], for every length (the word-wide fast
/// path and the byte tail), on the way out and back in.
#[test]
fn masking_matches_the_rfc_formula_for_every_length() {
    for len in 0..70 {
        let payload = pattern(len);
        let wire = encoded(0x82, &payload, Some(RFC_MASK));
        let header = wire.len() - len;
        let expected: Vec<u8> = payload.iter().enumerate().map(|(i, b)| b ^ RFC_MASK[i % 4]).collect();
        assert_eq!(&wire[header..], &expected[..], "length {len}");
        assert_eq!(decode_one(&wire), frame(0x82, &payload), "length {len}");
    }
}
