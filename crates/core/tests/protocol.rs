//! The receive-side RFC 6455 rules without sockets, through the one [`Decoder`] the connection's
//! reader uses: encoded bytes are fed whole or in pieces, as TCP reads would bring them.
//! Hostile-input matrix §5.3-§5.7.

use bytes::BytesMut;
use poco_websocket_core::decoder::{Decoder, Policy};
use poco_websocket_core::defaults::{MAX_FRAGMENTS, MAX_MESSAGE_SIZE, MAX_PAYLOAD_SIZE};
use poco_websocket_core::frame;
use poco_websocket_core::protocol::close;
use poco_websocket_core::protocol::fragmentation::MessageLimits;
use poco_websocket_core::protocol::utf8::{InvalidUtf8, Utf8Stream};
use poco_websocket_core::{Error, Role, Violation};

/// The masking key RFC 6455 §5.7 uses in its examples.
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Matrix U1: invalid sequences from Markus Kuhn's UTF-8 stress test, each with the index of
/// the first byte at which no valid continuation exists any more.
const KUHN_INVALID: [(&str, &[u8], usize); 9] = [
    ("overlong '/' (C0 AF)", &[0xc0, 0xaf], 0),
    ("UTF-16 surrogate U+D800 (ED A0 80)", &[0xed, 0xa0, 0x80], 1),
    ("above U+10FFFF (F4 90 80 80)", &[0xf4, 0x90, 0x80, 0x80], 1),
    ("5-byte form (F8 88 80 80 80)", &[0xf8, 0x88, 0x80, 0x80, 0x80], 0),
    ("6-byte form (FC 84 80 80 80 80)", &[0xfc, 0x84, 0x80, 0x80, 0x80, 0x80], 0),
    ("FE", &[0xfe], 0),
    ("FF", &[0xff], 0),
    ("lone continuation 80", &[0x80], 0),
    ("lone continuation BF", &[0xbf], 0),
];

/// 1, 2, 3 and 4-byte code points: "a", "é", "€", "𝄞", "z".
const MULTI_BYTE: &str = "a\u{e9}\u{20ac}\u{1d11e}z";

fn strict_with(max_message_size: u64, max_fragments: u64) -> Policy {
    Policy { strict: true, max_payload: MAX_PAYLOAD_SIZE, limits: MessageLimits { max_message_size, max_fragments }, join: false }
}

fn strict() -> Policy {
    strict_with(MAX_MESSAGE_SIZE, MAX_FRAGMENTS)
}

fn lax() -> Policy {
    Policy { strict: false, ..strict() }
}

fn wire(flags: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = BytesMut::new();
    frame::encode(flags, payload, mask, &mut out);
    out.to_vec()
}

/// One receiving endpoint: the decoder of a server (peer frames masked, as a client must send
/// them) or of a client (peer frames unmasked).
struct Endpoint {
    decoder: Decoder,
    role: Role,
    policy: Policy,
}

impl Endpoint {
    fn server() -> Self {
        Endpoint::new(Role::Server, strict())
    }

    fn client() -> Self {
        Endpoint::new(Role::Client, strict())
    }

    fn new(role: Role, policy: Policy) -> Self {
        Endpoint { decoder: Decoder::new(role), role, policy }
    }

    /// The mask a well-behaved peer puts on its frames.
    fn peer_mask(&self) -> Option<[u8; 4]> {
        (self.role == Role::Server).then_some(MASK)
    }

    /// A frame as a well-behaved peer of this endpoint would put it on the wire.
    fn frame(&mut self, flags: u8, payload: &[u8]) -> Result<bool, Violation> {
        let mask = self.peer_mask();
        self.wire_frame(&wire(flags, payload, mask))
    }

    /// Feeds one complete frame in one read; `Ok(true)` when it is delivered, `Ok(false)` when
    /// it is dropped.
    fn wire_frame(&mut self, bytes: &[u8]) -> Result<bool, Violation> {
        let mut buf = BytesMut::from(bytes);
        let delivered = self.feed(&mut buf)?;
        assert!(buf.is_empty(), "the whole frame is taken");
        Ok(delivered)
    }

    /// Feeds a frame's wire bytes in reads of `step` bytes: every incomplete prefix is seen (fail
    /// fast), then the complete frame.
    fn chunked_frame(&mut self, flags: u8, payload: &[u8], step: usize) -> Result<bool, Violation> {
        let bytes = wire(flags, payload, self.peer_mask());
        let mut buf = BytesMut::new();
        let mut delivered = false;
        for piece in bytes.chunks(step) {
            buf.extend_from_slice(piece);
            delivered |= self.feed(&mut buf)?;
        }
        assert!(buf.is_empty(), "the whole frame is taken");
        Ok(delivered)
    }

    /// One decode of what `buf` holds; whether a frame came out.
    fn feed(&mut self, buf: &mut BytesMut) -> Result<bool, Violation> {
        let mut frames = Vec::new();
        self.decoder.decode(buf, &self.policy, &mut frames)?;
        Ok(!frames.is_empty())
    }

    /// Feeds the first `end` bytes of `bytes` (a prefix of one frame).
    fn prefix(&mut self, bytes: &[u8], end: usize) -> Result<bool, Violation> {
        self.feed(&mut BytesMut::from(&bytes[..end]))
    }

    fn close_received(&self) -> bool {
        self.decoder.close_received()
    }
}

#[track_caller]
fn assert_violation<T: std::fmt::Debug>(result: Result<T, Violation>, expected: Violation) {
    match result {
        Err(violation) => assert_eq!(violation, expected),
        Ok(value) => panic!("expected {expected:?}, got Ok({value:?})"),
    }
}

#[track_caller]
fn assert_bad_text<T: std::fmt::Debug>(result: Result<T, Violation>) {
    assert_violation(result, Violation::InvalidText);
}

fn close_frame(code: u16, reason: &[u8]) -> Vec<u8> {
    [&code.to_be_bytes()[..], reason].concat()
}

/// Every violation: its close code (§7.4.1), Poco's WebSocketException code and its message.
#[test]
fn violation_codes_and_errors() {
    let cases = [
        (Violation::ReservedBits, 1002, 12, "Reserved bits set without a negotiated extension (RFC 6455 §5.2)"),
        (Violation::ReservedOpcode(3), 1002, 12, "Reserved opcode 3 (RFC 6455 §5.2)"),
        (Violation::UnmaskedFrame, 1002, 12, "Unmasked frame from a client (RFC 6455 §5.1)"),
        (Violation::MaskedFrame, 1002, 12, "Masked frame from a server (RFC 6455 §5.1)"),
        (Violation::FragmentedControl, 1002, 12, "Fragmented control frame (RFC 6455 §5.5)"),
        (Violation::ControlTooLong(126), 1002, 12, "Control frame payload of 126 bytes exceeds 125 (RFC 6455 §5.5)"),
        (Violation::ContinuationWithoutMessage, 1002, 12, "Continuation frame without a message to continue (RFC 6455 §5.4)"),
        (Violation::DataInsideMessage, 1002, 12, "New data frame inside a fragmented message (RFC 6455 §5.4)"),
        (Violation::CloseOneByte, 1002, 12, "Close frame with a 1-byte payload (RFC 6455 §5.5.1)"),
        (Violation::InvalidCloseCode(1005), 1002, 12, "Invalid close code 1005 (RFC 6455 §7.4)"),
        (Violation::InvalidCloseReason, 1007, 13, "Invalid UTF-8 in a close reason (RFC 6455 §5.5.1)"),
        (Violation::InvalidText, 1007, 13, "Invalid UTF-8 in a text message (RFC 6455 §8.1)"),
        (Violation::PayloadTooBig { length: 11, limit: 10 }, 1009, 10, "Payload too big"),
        (Violation::MessageTooBig { size: 11, limit: 10 }, 1009, 14, "Message of 11 bytes exceeds the limit of 10 bytes"),
        (Violation::TooManyFragments { limit: 2 }, 1009, 14, "Message of more than 2 fragments"),
    ];
    for (violation, close_code, poco_code, message) in cases {
        assert_eq!(violation.close_code(), close_code, "{message}");
        let error = Error::from(violation);
        assert_eq!((error.kind(), error.code(), error.message().as_str()), ("WebSocketException", poco_code, message));
        assert_eq!(error.close_code(), Some(close_code));
    }
}

/// Well-formed frames of every kind pass, on both sides.
#[test]
fn valid_frames_pass() {
    for mut endpoint in [Endpoint::server(), Endpoint::client()] {
        assert_eq!(endpoint.frame(0x81, b"Hello"), Ok(true));
        assert_eq!(endpoint.frame(0x82, &[0, 0xff, 0xc0]), Ok(true));
        assert_eq!(endpoint.frame(0x81, b""), Ok(true));
        assert_eq!(endpoint.frame(0x82, b""), Ok(true));
        assert_eq!(endpoint.frame(0x89, b"ping"), Ok(true));
        assert_eq!(endpoint.frame(0x8a, b""), Ok(true));
        assert_eq!(endpoint.frame(0x01, b"Hel"), Ok(true));
        assert_eq!(endpoint.frame(0x80, b"lo"), Ok(true));
        assert_eq!(endpoint.frame(0x02, b"ab"), Ok(true));
        assert_eq!(endpoint.frame(0x00, b""), Ok(true));
        assert_eq!(endpoint.frame(0x80, b"cd"), Ok(true));
        assert!(!endpoint.close_received());
        assert_eq!(endpoint.frame(0x88, &close_frame(1000, b"bye")), Ok(true));
        assert!(endpoint.close_received());
    }
}

/// Matrix F1, §5.2: each RSV bit, on data, continuation and control frames.
#[test]
fn reserved_bits_each() {
    for rsv in [0x40, 0x20, 0x10] {
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_violation(endpoint.frame(0x81 | rsv, b"x"), Violation::ReservedBits);
        }
        assert_violation(Endpoint::server().frame(0x82 | rsv, b""), Violation::ReservedBits);
        assert_violation(Endpoint::server().frame(0x89 | rsv, b""), Violation::ReservedBits);
        assert_violation(Endpoint::server().frame(0x88 | rsv, &close_frame(1000, b"")), Violation::ReservedBits);
        let mut endpoint = Endpoint::server();
        assert_eq!(endpoint.frame(0x01, b"a"), Ok(true));
        assert_violation(endpoint.frame(0x80 | rsv, b"b"), Violation::ReservedBits);
    }
    assert_violation(Endpoint::server().frame(0xf1, b"x"), Violation::ReservedBits);
}

/// Matrix F2, §5.2: every reserved opcode, with and without FIN.
#[test]
fn reserved_opcodes() {
    for opcode in (3..=7).chain(11..=15) {
        for fin in [0x80, 0x00] {
            for mut endpoint in [Endpoint::server(), Endpoint::client()] {
                assert_violation(endpoint.frame(fin | opcode, b"x"), Violation::ReservedOpcode(opcode));
            }
        }
        // Inside an open message too.
        let mut endpoint = Endpoint::server();
        assert_eq!(endpoint.frame(0x01, b"a"), Ok(true));
        assert_violation(endpoint.frame(0x80 | opcode, b""), Violation::ReservedOpcode(opcode));
    }
}

/// Matrix F3/F4, §5.1: a server requires masked frames, a client refuses them.
#[test]
fn masking_by_role() {
    let mut server = Endpoint::server();
    assert_violation(server.wire_frame(&wire(0x81, b"Hello", None)), Violation::UnmaskedFrame);
    assert_violation(Endpoint::server().wire_frame(&wire(0x89, b"", None)), Violation::UnmaskedFrame);
    assert_violation(Endpoint::server().wire_frame(&wire(0x88, &close_frame(1000, b""), None)), Violation::UnmaskedFrame);
    // The mask key value does not matter: an all-zero key is still a masked frame.
    assert_eq!(Endpoint::server().wire_frame(&wire(0x81, b"Hello", Some([0; 4]))), Ok(true));

    let mut client = Endpoint::client();
    assert_violation(client.wire_frame(&wire(0x81, b"Hello", Some(MASK))), Violation::MaskedFrame);
    assert_violation(Endpoint::client().wire_frame(&wire(0x8a, b"", Some([0; 4]))), Violation::MaskedFrame);
    assert_eq!(Endpoint::client().wire_frame(&wire(0x81, b"Hello", None)), Ok(true));

    // A masked frame in the middle of a client's message fails there.
    let mut client = Endpoint::client();
    assert_eq!(client.frame(0x01, b"a"), Ok(true));
    assert_violation(client.wire_frame(&wire(0x80, b"b", Some(MASK))), Violation::MaskedFrame);
}

/// Matrix K2, §5.5: control frames must not be fragmented.
#[test]
fn control_frame_without_fin() {
    for opcode in [0x08, 0x09, 0x0a] {
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            let payload = if opcode == 0x08 { close_frame(1000, b"") } else { b"x".to_vec() };
            assert_violation(endpoint.frame(opcode, &payload), Violation::FragmentedControl);
        }
    }
}

/// Matrix K1/X3, §5.5: 125 payload bytes are the most a control frame may carry.
#[test]
fn control_payload_125_and_126() {
    let too_long = Violation::ControlTooLong(126);
    for opcode in [0x89, 0x8a] {
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_eq!(endpoint.frame(opcode, &[b'p'; 125]), Ok(true));
            assert_violation(endpoint.frame(opcode, &[b'p'; 126]), too_long.clone());
        }
    }
    // CLOSE: status + 123-byte reason is the longest; 124 bytes of reason fail on the header.
    let mut endpoint = Endpoint::server();
    assert_eq!(endpoint.frame(0x88, &close_frame(1000, &[b'r'; 123])), Ok(true));
    assert_violation(Endpoint::server().frame(0x88, &close_frame(1000, &[b'r'; 124])), too_long);
    assert_violation(Endpoint::client().frame(0x89, &vec![0; 70_000]), Violation::ControlTooLong(70_000));
}

/// The header check comes before any of the payload is needed.
#[test]
fn control_payload_checked_on_header() {
    let bytes = wire(0x89, &[0; 200], Some(MASK));
    assert_violation(Endpoint::server().prefix(&bytes, 8), Violation::ControlTooLong(200));
}

/// Matrix G1, §5.4: a continuation frame with no message open, with FIN 0 and 1, at the start
/// and after a completed message.
#[test]
fn continuation_without_message() {
    for flags in [0x00, 0x80] {
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_violation(endpoint.frame(flags, b"x"), Violation::ContinuationWithoutMessage);
        }
        let mut endpoint = Endpoint::server();
        assert_eq!(endpoint.frame(0x81, b"done"), Ok(true));
        assert_violation(endpoint.frame(flags, b""), Violation::ContinuationWithoutMessage);

        let mut endpoint = Endpoint::client();
        assert_eq!(endpoint.frame(0x02, b"a"), Ok(true));
        assert_eq!(endpoint.frame(0x80, b"b"), Ok(true));
        assert_violation(endpoint.frame(flags, b"c"), Violation::ContinuationWithoutMessage);
    }
}

/// Matrix G2, §5.4: a new text or binary frame while a message is open.
#[test]
fn new_data_frame_inside_message() {
    for open in [0x01, 0x02] {
        for new in [0x81, 0x82, 0x01, 0x02] {
            let mut endpoint = Endpoint::server();
            assert_eq!(endpoint.frame(open, b"a"), Ok(true));
            assert_violation(endpoint.frame(new, b"b"), Violation::DataInsideMessage);
        }
        // Also after a continuation kept the message open.
        let mut endpoint = Endpoint::client();
        assert_eq!(endpoint.frame(open, b"a"), Ok(true));
        assert_eq!(endpoint.frame(0x00, b"b"), Ok(true));
        assert_violation(endpoint.frame(0x81, b"c"), Violation::DataInsideMessage);
    }
}

/// Matrix K3, §5.4: control frames may be injected between fragments; the message completes and
/// the next one starts fresh.
#[test]
fn ping_inside_fragmented_message() {
    for mut endpoint in [Endpoint::server(), Endpoint::client()] {
        assert_eq!(endpoint.frame(0x01, b"Hel"), Ok(true));
        assert_eq!(endpoint.frame(0x89, b"ping"), Ok(true));
        assert_eq!(endpoint.frame(0x00, b"l"), Ok(true));
        assert_eq!(endpoint.frame(0x8a, b"pong"), Ok(true));
        assert_eq!(endpoint.frame(0x89, &[0xff, 0xfe]), Ok(true), "control payloads are not UTF-8 checked");
        assert_eq!(endpoint.frame(0x80, b"o"), Ok(true));
        assert_eq!(endpoint.frame(0x81, b"next"), Ok(true));
    }
    // A code point split around the PING is still one code point.
    let mut endpoint = Endpoint::server();
    assert_eq!(endpoint.frame(0x01, &[0xe2, 0x82]), Ok(true));
    assert_eq!(endpoint.frame(0x89, b""), Ok(true));
    assert_eq!(endpoint.frame(0x80, &[0xac]), Ok(true));
    // A CLOSE in the middle of a message is accepted too (matrix X5).
    let mut endpoint = Endpoint::server();
    assert_eq!(endpoint.frame(0x01, b"half"), Ok(true));
    assert_eq!(endpoint.frame(0x88, &close_frame(1000, b"")), Ok(true));
    assert!(endpoint.close_received());
}

/// Matrix X1, §5.5.1: a 1-byte close payload.
#[test]
fn close_payload_of_one_byte() {
    for mut endpoint in [Endpoint::server(), Endpoint::client()] {
        assert_violation(endpoint.frame(0x88, &[0x03]), Violation::CloseOneByte);
        assert!(!endpoint.close_received());
    }
    assert_eq!(close::check_close_payload(&[]), Ok(()));
    assert_eq!(Endpoint::server().frame(0x88, b""), Ok(true));
}

/// Matrix X2, §7.4: close codes that must never be on the wire, and the ones that may.
#[test]
fn close_codes() {
    for code in [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
        assert!(!close::is_valid_close_code(code), "{code}");
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_violation(endpoint.frame(0x88, &close_frame(code, b"")), Violation::InvalidCloseCode(code));
            assert!(!endpoint.close_received());
        }
        assert_violation(Endpoint::server().frame(0x88, &close_frame(code, b"reason")), Violation::InvalidCloseCode(code));
    }
    for code in (1000..=1003).chain(1007..=1014).chain([3000, 3999, 4000, 4999]) {
        assert!(close::is_valid_close_code(code), "{code}");
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_eq!(endpoint.frame(0x88, &close_frame(code, b"ok")), Ok(true), "{code}");
            assert!(endpoint.close_received());
        }
    }
}

/// Matrix X3, U5: the reason may be up to 123 bytes of UTF-8; invalid UTF-8 fails with 1007.
#[test]
fn close_reason() {
    let reason = "\u{20ac}".repeat(41); // 123 bytes
    assert_eq!(reason.len(), 123);
    assert_eq!(Endpoint::server().frame(0x88, &close_frame(1000, reason.as_bytes())), Ok(true));
    assert_eq!(Endpoint::client().frame(0x88, &close_frame(1001, MULTI_BYTE.as_bytes())), Ok(true));

    let bad: [&[u8]; 5] = [&[0xff], b"ok\xc0\xaf", &[0xed, 0xa0, 0x80], &[0xe2, 0x82], &[0x80]];
    for reason in bad {
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_violation(endpoint.frame(0x88, &close_frame(1000, reason)), Violation::InvalidCloseReason);
            assert!(!endpoint.close_received());
        }
        assert_violation(close::check_close_payload(&close_frame(1000, reason)), Violation::InvalidCloseReason);
    }
}

/// Matrix U1, §8.1: Kuhn's invalid sequences in a text message fail with 1007, whole or fed one
/// byte at a time (failing at the first impossible byte, before the frame ends).
#[test]
fn kuhn_invalid_sequences() {
    for (name, bad, fails_at) in KUHN_INVALID {
        let payload = [&b"a"[..], bad, b"b"].concat();
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_bad_text(endpoint.frame(0x81, &payload));
        }
        // As a fragment of a longer message, and after the message's first fragment.
        let mut endpoint = Endpoint::server();
        assert_bad_text(endpoint.frame(0x01, &payload));
        let mut endpoint = Endpoint::server();
        assert_eq!(endpoint.frame(0x01, b"ok"), Ok(true));
        assert_bad_text(endpoint.frame(0x80, &payload));

        // Fail fast: payload bytes 0..=1+fails_at are enough to fail.
        let bytes = wire(0x81, &payload, Some(MASK));
        let header_len = frame::parse_header(&bytes).unwrap().len;
        let first_bad = 1 + fails_at;
        for end in 0..=first_bad {
            let result = Endpoint::server().prefix(&bytes, header_len + end + 1);
            if end < first_bad {
                assert_eq!(result, Ok(false), "{name}: byte {end}");
            } else {
                assert_bad_text(result);
            }
        }

        let mut stream = Utf8Stream::default();
        for (i, byte) in payload.iter().enumerate() {
            let result = stream.feed(&[*byte]);
            if i < first_bad {
                assert_eq!(result, Ok(()), "{name}: byte {i}");
            } else {
                assert_eq!(result, Err(InvalidUtf8), "{name}: byte {i}");
                break;
            }
        }
        assert_eq!(Utf8Stream::default().feed(bad), Err(InvalidUtf8), "{name}");
    }
}

/// Matrix U2: a valid multi-byte text split at every byte offset across two fragments.
#[test]
fn utf8_split_across_two_fragments() {
    let text = MULTI_BYTE.as_bytes();
    for at in 0..=text.len() {
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_eq!(endpoint.frame(0x01, &text[..at]), Ok(true), "split at {at}");
            assert_eq!(endpoint.frame(0x80, &text[at..]), Ok(true), "split at {at}");
            assert_eq!(endpoint.frame(0x81, b"after"), Ok(true), "split at {at}");
        }
    }
}

/// Matrix U2 and F9: every split into three fragments, each arriving in pieces of every size
/// (the partial-payload path with masking offsets not a multiple of 4).
#[test]
fn utf8_split_across_three_fragments_and_reads() {
    let text = MULTI_BYTE.as_bytes();
    for i in 0..=text.len() {
        for j in i..=text.len() {
            for step in 1..=5 {
                for mut endpoint in [Endpoint::server(), Endpoint::client()] {
                    let context = format!("splits {i}/{j}, step {step}");
                    assert_eq!(endpoint.chunked_frame(0x01, &text[..i], step), Ok(true), "{context}");
                    assert_eq!(endpoint.chunked_frame(0x00, &text[i..j], step), Ok(true), "{context}");
                    assert_eq!(endpoint.chunked_frame(0x80, &text[j..], step), Ok(true), "{context}");
                }
            }
        }
    }
}

/// Matrix U4: a code point left open at the end of the final fragment fails there, not before.
#[test]
fn truncated_code_point_at_end() {
    let mut endpoint = Endpoint::server();
    assert_eq!(endpoint.frame(0x01, b"a"), Ok(true));
    assert_bad_text(endpoint.frame(0x80, &[0xe2, 0x82]));

    let mut endpoint = Endpoint::client();
    assert_eq!(endpoint.frame(0x01, &[0xf0]), Ok(true));
    assert_eq!(endpoint.frame(0x00, &[0x9f, 0x98]), Ok(true));
    assert_bad_text(endpoint.frame(0x80, b""));

    for truncated in [&[0xc3][..], &[0xe2, 0x82], &[0xf0, 0x9f, 0x98]] {
        assert_bad_text(Endpoint::server().frame(0x81, &[&b"ok"[..], truncated].concat()));
        // Through the partial path: the incomplete prefix is fine until the frame is complete.
        assert_bad_text(Endpoint::server().chunked_frame(0x81, &[&b"ok"[..], truncated].concat(), 1));
    }
}

/// Matrix U3: a bad byte in fragment 2 of 3 fails at fragment 2, before fragment 3 is seen.
#[test]
fn invalid_byte_in_second_of_three_fragments() {
    for mut endpoint in [Endpoint::server(), Endpoint::client()] {
        assert_eq!(endpoint.frame(0x01, b"abc"), Ok(true));
        assert_bad_text(endpoint.frame(0x00, b"d\xffe"));
    }
    // A sequence started in fragment 1 that fragment 2 cannot continue.
    let mut endpoint = Endpoint::server();
    assert_eq!(endpoint.frame(0x01, &[b'a', 0xe2]), Ok(true));
    assert_bad_text(endpoint.frame(0x00, b"(b"));
    // Fragment 2 arriving in pieces fails at its first piece holding the bad byte.
    let mut endpoint = Endpoint::server();
    assert_eq!(endpoint.frame(0x01, b"abc"), Ok(true));
    let bytes = wire(0x00, b"de\xc0fgh", Some(MASK));
    let mut buf = BytesMut::from(&bytes[..6 + 2]);
    assert_eq!(endpoint.feed(&mut buf), Ok(false));
    buf.extend_from_slice(&bytes[8..10]);
    assert_bad_text(endpoint.feed(&mut buf));
}

/// Fail fast inside one frame: the first half of a masked text payload with an invalid byte
/// fails before the rest of the frame arrives; the same prefix fed again changes nothing.
#[test]
fn fail_fast_inside_one_frame() {
    let mut payload = vec![b'a'; 1000];
    payload[301] = 0xff;
    let bytes = wire(0x81, &payload, Some(MASK));
    let header_len = frame::parse_header(&bytes).unwrap().len;
    let mut endpoint = Endpoint::server();
    let mut buf = BytesMut::from(&bytes[..header_len + 150]);
    assert_eq!(endpoint.feed(&mut buf), Ok(false));
    assert_eq!(endpoint.feed(&mut buf), Ok(false), "nothing new, nothing checked twice");
    buf.extend_from_slice(&bytes[header_len + 150..header_len + 500]);
    assert_bad_text(endpoint.feed(&mut buf));

    // Unmasked toward a client, and with the bad byte as the last byte read.
    let bytes = wire(0x81, &payload, None);
    let header_len = frame::parse_header(&bytes).unwrap().len;
    let mut endpoint = Endpoint::client();
    let mut buf = BytesMut::from(&bytes[..header_len + 301]);
    assert_eq!(endpoint.feed(&mut buf), Ok(false));
    buf.extend_from_slice(&bytes[header_len + 301..header_len + 302]);
    assert_bad_text(endpoint.feed(&mut buf));

    // A valid first half passes, and the complete frame is checked for the rest.
    let mut payload = vec![b'a'; 1000];
    payload[800] = 0xff;
    let bytes = wire(0x81, &payload, Some(MASK));
    let mut endpoint = Endpoint::server();
    let mut buf = BytesMut::from(&bytes[..500]);
    assert_eq!(endpoint.feed(&mut buf), Ok(false));
    buf.extend_from_slice(&bytes[500..]);
    assert_bad_text(endpoint.feed(&mut buf));
}

/// Matrix F11: binary payloads are never UTF-8 checked, whole, fragmented or in pieces; a text
/// message after them is checked from a clean state.
#[test]
fn binary_with_invalid_utf8_accepted() {
    let junk = [0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2];
    for mut endpoint in [Endpoint::server(), Endpoint::client()] {
        assert_eq!(endpoint.frame(0x82, &junk), Ok(true));
        assert_eq!(endpoint.frame(0x02, &junk[..3]), Ok(true));
        assert_eq!(endpoint.frame(0x00, &junk[3..]), Ok(true));
        assert_eq!(endpoint.frame(0x80, &[0xe2]), Ok(true));
        assert_eq!(endpoint.chunked_frame(0x82, &junk, 1), Ok(true));
        assert_eq!(endpoint.frame(0x81, MULTI_BYTE.as_bytes()), Ok(true));
        assert_bad_text(endpoint.frame(0x81, &junk));
    }
}

/// Matrix G3: the message size limit counts every fragment (not control frames), checked on the
/// header; exactly the limit is fine.
#[test]
fn message_size_limit() {
    let policy = strict_with(10, MAX_FRAGMENTS);
    let mut endpoint = Endpoint::new(Role::Server, policy);
    assert_eq!(endpoint.frame(0x82, &[0; 10]), Ok(true));
    assert_eq!(endpoint.frame(0x01, b"hello"), Ok(true));
    assert_eq!(endpoint.frame(0x89, &[0; 100]), Ok(true));
    assert_eq!(endpoint.frame(0x80, b"world"), Ok(true));
    assert_eq!(endpoint.frame(0x81, b""), Ok(true));
    assert_violation(endpoint.frame(0x81, &[b'x'; 11]), Violation::MessageTooBig { size: 11, limit: 10 });

    let mut endpoint = Endpoint::new(Role::Client, policy);
    assert_eq!(endpoint.frame(0x02, &[0; 4]), Ok(true));
    assert_eq!(endpoint.frame(0x00, &[0; 4]), Ok(true));
    assert_violation(endpoint.frame(0x80, &[0; 3]), Violation::MessageTooBig { size: 11, limit: 10 });

    // Before any payload byte: a header declaring too much fails at once.
    let bytes = wire(0x82, &[0; 1000], Some(MASK));
    let mut endpoint = Endpoint::new(Role::Server, policy);
    assert_violation(endpoint.prefix(&bytes, 8), Violation::MessageTooBig { size: 1000, limit: 10 });
}

/// Matrix G3: the fragment limit; exactly the limit is fine, and each message counts anew.
#[test]
fn fragment_limit() {
    let policy = strict_with(MAX_MESSAGE_SIZE, 3);
    let mut endpoint = Endpoint::new(Role::Server, policy);
    for _ in 0..2 {
        assert_eq!(endpoint.frame(0x01, b"a"), Ok(true));
        assert_eq!(endpoint.frame(0x00, b""), Ok(true));
        assert_eq!(endpoint.frame(0x89, b""), Ok(true));
        assert_eq!(endpoint.frame(0x80, b"c"), Ok(true));
    }
    assert_eq!(endpoint.frame(0x02, b""), Ok(true));
    assert_eq!(endpoint.frame(0x00, b""), Ok(true));
    assert_eq!(endpoint.frame(0x00, b""), Ok(true));
    assert_violation(endpoint.frame(0x80, b""), Violation::TooManyFragments { limit: 3 });

    let mut endpoint = Endpoint::new(Role::Client, strict_with(MAX_MESSAGE_SIZE, 1));
    assert_eq!(endpoint.frame(0x81, b"one frame"), Ok(true));
    assert_eq!(endpoint.frame(0x01, b"first"), Ok(true));
    assert_violation(endpoint.frame(0x80, b""), Violation::TooManyFragments { limit: 1 });
}

/// A header fed again with no more of its frame is not checked or counted twice.
#[test]
fn header_is_checked_once() {
    let bytes = wire(0x81, b"123456", Some(MASK));
    let mut endpoint = Endpoint::new(Role::Server, strict_with(10, 1));
    let mut buf = BytesMut::from(&bytes[..6]);
    for _ in 0..3 {
        assert_eq!(endpoint.feed(&mut buf), Ok(false));
    }
    buf.extend_from_slice(&bytes[6..]);
    assert_eq!(endpoint.feed(&mut buf), Ok(true));
}

/// Matrix X4, §5.5.1: after the peer's CLOSE every frame is dropped unchecked, a second CLOSE too.
#[test]
fn frames_after_close_dropped() {
    for mut endpoint in [Endpoint::server(), Endpoint::client()] {
        assert_eq!(endpoint.frame(0x88, &close_frame(1000, b"")), Ok(true));
        assert!(endpoint.close_received());
        assert_eq!(endpoint.frame(0x81, b"late"), Ok(false));
        assert_eq!(endpoint.frame(0x82, b"late"), Ok(false));
        assert_eq!(endpoint.frame(0x89, b"ping"), Ok(false));
        assert_eq!(endpoint.frame(0x8a, b"pong"), Ok(false));
        assert_eq!(endpoint.frame(0x88, &close_frame(1000, b"")), Ok(false));
        assert_eq!(endpoint.frame(0x88, b""), Ok(false));
        // Not checked either: nothing of it is delivered.
        assert_eq!(endpoint.frame(0x88, &close_frame(1005, b"")), Ok(false));
        assert_eq!(endpoint.frame(0xc1, b"x"), Ok(false));
        assert_eq!(endpoint.frame(0x83, b"x"), Ok(false));
        assert_eq!(endpoint.frame(0x00, b"x"), Ok(false));
        assert_eq!(endpoint.frame(0x81, &[0xff]), Ok(false));
        assert_eq!(endpoint.chunked_frame(0x81, &[0xff; 10], 3), Ok(false));
        assert!(endpoint.close_received());
    }
    // An empty CLOSE counts as the peer's CLOSE as well.
    let mut endpoint = Endpoint::server();
    assert_eq!(endpoint.frame(0x88, b""), Ok(true));
    assert_eq!(endpoint.frame(0x81, b"late"), Ok(false));
}

/// With strict checks off nothing is checked (Poco's raw frame semantics): every frame is
/// delivered, also after a CLOSE.
#[test]
fn not_strict_checks_nothing() {
    let policy = Policy { limits: MessageLimits { max_message_size: 4, max_fragments: 1 }, ..lax() };
    for role in [Role::Server, Role::Client] {
        let mut endpoint = Endpoint::new(role, policy);
        let wrong_mask = if role == Role::Server { None } else { Some(MASK) };
        let frames: [(u8, &[u8]); 14] = [
            (0xc1, b"rsv1"),
            (0xa2, b"rsv2"),
            (0x91, b"rsv3"),
            (0x83, b"opcode 3"),
            (0x8f, b"opcode 15"),
            (0x81, &[0xff, 0xc0, 0xaf]),
            (0x80, b"no message"),
            (0x01, b"open"),
            (0x81, b"interleaved"),
            (0x09, b"fragmented ping"),
            (0x89, &[b'p'; 126]),
            (0x88, &[0x03]),
            (0x88, &[0x03, 0xed, 0xff]),
            (0x81, b"after close"),
        ];
        for (flags, payload) in frames {
            assert_eq!(endpoint.wire_frame(&wire(flags, payload, wrong_mask)), Ok(true), "{flags:#x}");
            assert_eq!(endpoint.chunked_frame(flags, payload, 1), Ok(true), "{flags:#x}");
        }
        assert!(!endpoint.close_received());
    }
}

/// Utf8Stream: valid input in every chunking (two and three pieces, byte by byte) is accepted.
#[test]
fn utf8_stream_chunked_valid_input() {
    let text = "\u{0}\u{7f}\u{80}\u{7ff}\u{800}\u{fffd}\u{ffff}\u{10000}\u{10ffff}".as_bytes();
    for i in 0..=text.len() {
        let mut stream = Utf8Stream::default();
        assert_eq!(stream.feed(&text[..i]), Ok(()), "split at {i}");
        assert_eq!(stream.feed(&text[i..]), Ok(()), "split at {i}");
        assert_eq!(stream.finish(), Ok(()), "split at {i}");
        for j in i..=text.len() {
            let mut stream = Utf8Stream::default();
            for piece in [&text[..i], &text[i..j], &text[j..]] {
                assert_eq!(stream.feed(piece), Ok(()), "splits {i}/{j}");
            }
            assert_eq!(stream.finish(), Ok(()), "splits {i}/{j}");
        }
    }
    let mut stream = Utf8Stream::default();
    for byte in text {
        assert_eq!(stream.feed(&[*byte]), Ok(()));
        assert_eq!(stream.feed(&[]), Ok(()));
    }
    assert_eq!(stream.finish(), Ok(()));
    // Boundary code points: the smallest 3- and 4-byte forms and the largest valid.
    for valid in [&[0xe0, 0xa0, 0x80][..], &[0xed, 0x9f, 0xbf], &[0xee, 0x80, 0x80], &[0xf0, 0x90, 0x80, 0x80], &[0xf4, 0x8f, 0xbf, 0xbf]] {
        for at in 0..=valid.len() {
            let mut stream = Utf8Stream::default();
            assert_eq!(stream.feed(&valid[..at]), Ok(()), "{valid:x?} at {at}");
            assert_eq!(stream.feed(&valid[at..]), Ok(()), "{valid:x?} at {at}");
            assert_eq!(stream.finish(), Ok(()), "{valid:x?} at {at}");
        }
    }
}

/// Utf8Stream: a sequence left open fails `finish`, which resets the stream; a carried sequence
/// that the next chunk cannot continue fails at once.
#[test]
fn utf8_stream_open_sequence_and_carry() {
    for open in [&[0xc3][..], &[0xe2], &[0xe2, 0x82], &[0xf0], &[0xf0, 0x9f], &[0xf0, 0x9f, 0x98]] {
        let mut stream = Utf8Stream::default();
        assert_eq!(stream.feed(b"ok"), Ok(()));
        assert_eq!(stream.feed(open), Ok(()), "{open:x?}");
        assert_eq!(stream.finish(), Err(InvalidUtf8), "{open:x?}");
        // finish() leaves a clean stream behind.
        assert_eq!(stream.feed(b"fresh"), Ok(()));
        assert_eq!(stream.finish(), Ok(()));
    }
    let cases: [(&[u8], &[u8]); 6] = [
        (&[0xe2], b"("),
        (&[0xe2, 0x82], b"a"),
        (&[0xe0], &[0x80]),       // overlong 3-byte form
        (&[0xed], &[0xa0]),       // surrogate
        (&[0xf4], &[0x90]),       // above U+10FFFF
        (&[0xf0, 0x9f], &[0xc0]), // a lead byte where a continuation belongs
    ];
    for (first, second) in cases {
        let mut stream = Utf8Stream::default();
        assert_eq!(stream.feed(first), Ok(()), "{first:x?}");
        assert_eq!(stream.feed(second), Err(InvalidUtf8), "{first:x?} {second:x?}");
    }
    // A carried sequence completed, with more text (valid or not) in the same chunk.
    let mut stream = Utf8Stream::default();
    assert_eq!(stream.feed(&[0xe2]), Ok(()));
    assert_eq!(stream.feed(&[0x82, 0xac, b'x', 0xc3]), Ok(()));
    assert_eq!(stream.feed(&[0xa9, 0xff]), Err(InvalidUtf8));
}
