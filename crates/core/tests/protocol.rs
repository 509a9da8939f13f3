//! The receive-side RFC 6455 rules (`poco_websocket_core::protocol`) without sockets: headers are
//! parsed from encoded bytes and fed to the [`Inspector`] the way the connection's reader does
//! (header, partial payloads, complete frame). Hostile-input matrix §5.3-§5.7.

use bytes::BytesMut;
use poco_websocket_core::defaults::{MAX_FRAGMENTS, MAX_MESSAGE_SIZE, MAX_PAYLOAD_SIZE};
use poco_websocket_core::frame::{self, Decoded, Frame, Header};
use poco_websocket_core::protocol::fragmentation::MessageLimits;
use poco_websocket_core::protocol::utf8::{InvalidUtf8, Utf8Stream};
use poco_websocket_core::protocol::{control, Inspector, Policy, Violation};
use poco_websocket_core::{Error, ErrorCode, Role};

/// The masking key RFC 6455 §5.7 uses in its examples.
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

const RSV_MESSAGE: &str = "Reserved bits set without a negotiated extension (RFC 6455 §5.2)";
const UNMASKED_MESSAGE: &str = "Unmasked frame from a client (RFC 6455 §5.1)";
const MASKED_MESSAGE: &str = "Masked frame from a server (RFC 6455 §5.1)";
const FRAGMENTED_CONTROL: &str = "Fragmented control frame (RFC 6455 §5.5)";
const NO_MESSAGE: &str = "Continuation frame without a message to continue (RFC 6455 §5.4)";
const INTERLEAVED: &str = "New data frame inside a fragmented message (RFC 6455 §5.4)";
const CLOSE_ONE_BYTE: &str = "Close frame with a 1-byte payload (RFC 6455 §5.5.1)";
const BAD_TEXT: &str = "Invalid UTF-8 in a text message (RFC 6455 §8.1)";
const BAD_REASON: &str = "Invalid UTF-8 in a close reason (RFC 6455 §5.5.1)";

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

fn default_limits() -> MessageLimits {
    MessageLimits { max_message_size: MAX_MESSAGE_SIZE, max_fragments: MAX_FRAGMENTS }
}

fn strict() -> Policy {
    Policy { strict: true, limits: default_limits() }
}

fn strict_with(max_message_size: u64, max_fragments: u64) -> Policy {
    Policy { strict: true, limits: MessageLimits { max_message_size, max_fragments } }
}

fn lax() -> Policy {
    Policy { strict: false, limits: default_limits() }
}

fn wire(flags: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = BytesMut::new();
    frame::encode(flags, payload, mask, &mut out);
    out.to_vec()
}

fn header_of(bytes: &[u8]) -> Header {
    frame::parse_header(bytes).expect("a complete header")
}

fn decode_one(bytes: &[u8]) -> Frame {
    let mut buf = BytesMut::from(bytes);
    match frame::decode(&mut buf, MAX_PAYLOAD_SIZE).expect("decodes") {
        Decoded::Frame(frame) => {
            assert!(buf.is_empty(), "one frame");
            frame
        }
        Decoded::NeedMore(n) => panic!("incomplete frame: {n}"),
    }
}

/// One receiving endpoint: the inspector of a server (peer frames masked, as a client must send
/// them) or of a client (peer frames unmasked).
struct Endpoint {
    inspector: Inspector,
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
        Endpoint { inspector: Inspector::new(role), role, policy }
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

    /// Feeds one complete frame as the connection's reader does: header, then the decoded frame.
    fn wire_frame(&mut self, bytes: &[u8]) -> Result<bool, Violation> {
        let header = header_of(bytes);
        self.inspector.on_header(&header, &self.policy)?;
        let frame = decode_one(bytes);
        self.inspector.on_frame(&frame, &self.policy)
    }

    /// Feeds a frame's wire bytes in chunks of `step`: the header, every incomplete prefix of the
    /// payload (fail fast), then the complete frame.
    fn chunked_frame(&mut self, flags: u8, payload: &[u8], step: usize) -> Result<bool, Violation> {
        let bytes = wire(flags, payload, self.peer_mask());
        let header = header_of(&bytes);
        self.inspector.on_header(&header, &self.policy)?;
        let mut end = header.len;
        while end < bytes.len() {
            self.inspector.on_partial_payload(&header, &bytes[header.len..end])?;
            end += step;
        }
        let frame = decode_one(&bytes);
        self.inspector.on_frame(&frame, &self.policy)
    }
}

#[track_caller]
fn assert_violation<T: std::fmt::Debug>(result: Result<T, Violation>, code: ErrorCode, message: &str) {
    let violation = match result {
        Err(violation) => violation,
        Ok(value) => panic!("expected {code:?} {message:?}, got Ok({value:?})"),
    };
    assert_eq!(violation, Violation { code, message: message.to_string() });
    let close_code = match code {
        ErrorCode::ProtocolViolation => 1002,
        ErrorCode::InvalidPayload => 1007,
        ErrorCode::MessageTooBig => 1009,
        other => panic!("not a protocol error code: {other:?}"),
    };
    assert_eq!(violation.close_code(), close_code, "{message}");
}

#[track_caller]
fn assert_protocol<T: std::fmt::Debug>(result: Result<T, Violation>, message: &str) {
    assert_violation(result, ErrorCode::ProtocolViolation, message);
}

#[track_caller]
fn assert_bad_text<T: std::fmt::Debug>(result: Result<T, Violation>) {
    assert_violation(result, ErrorCode::InvalidPayload, BAD_TEXT);
}

fn close_frame(code: u16, reason: &[u8]) -> Vec<u8> {
    [&code.to_be_bytes()[..], reason].concat()
}

/// The three close codes and the error values the connection reports.
#[test]
fn violation_codes_and_errors() {
    let cases = [
        (Violation::protocol("p"), ErrorCode::ProtocolViolation, 1002, 12),
        (Violation::invalid_payload("i"), ErrorCode::InvalidPayload, 1007, 13),
        (Violation::too_big("t"), ErrorCode::MessageTooBig, 1009, 14),
    ];
    for (violation, code, close_code, error_code) in cases {
        assert_eq!(violation.code, code);
        assert_eq!(violation.close_code(), close_code);
        let message = violation.message.clone();
        let error = Error::from(violation);
        assert_eq!(error, Error::WebSocket { code, message });
        assert_eq!(error.code(), error_code);
        assert_eq!(error.kind(), "WebSocketException");
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
        assert!(!endpoint.inspector.close_received());
        assert_eq!(endpoint.frame(0x88, &close_frame(1000, b"bye")), Ok(true));
        assert!(endpoint.inspector.close_received());
    }
}

/// Matrix F1, §5.2: each RSV bit, on data, continuation and control frames.
#[test]
fn reserved_bits_each() {
    for rsv in [0x40, 0x20, 0x10] {
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_protocol(endpoint.frame(0x81 | rsv, b"x"), RSV_MESSAGE);
        }
        assert_protocol(Endpoint::server().frame(0x82 | rsv, b""), RSV_MESSAGE);
        assert_protocol(Endpoint::server().frame(0x89 | rsv, b""), RSV_MESSAGE);
        assert_protocol(Endpoint::server().frame(0x88 | rsv, &close_frame(1000, b"")), RSV_MESSAGE);
        let mut endpoint = Endpoint::server();
        assert_eq!(endpoint.frame(0x01, b"a"), Ok(true));
        assert_protocol(endpoint.frame(0x80 | rsv, b"b"), RSV_MESSAGE);
    }
    assert_protocol(Endpoint::server().frame(0xf1, b"x"), RSV_MESSAGE);
}

/// Matrix F2, §5.2: every reserved opcode, with and without FIN.
#[test]
fn reserved_opcodes() {
    for opcode in (3..=7).chain(11..=15) {
        let message = format!("Reserved opcode {opcode} (RFC 6455 §5.2)");
        for fin in [0x80, 0x00] {
            for mut endpoint in [Endpoint::server(), Endpoint::client()] {
                assert_protocol(endpoint.frame(fin | opcode, b"x"), &message);
            }
        }
        // Inside an open message too.
        let mut endpoint = Endpoint::server();
        assert_eq!(endpoint.frame(0x01, b"a"), Ok(true));
        assert_protocol(endpoint.frame(0x80 | opcode, b""), &message);
    }
}

/// Matrix F3/F4, §5.1: a server requires masked frames, a client refuses them.
#[test]
fn masking_by_role() {
    let mut server = Endpoint::server();
    assert_protocol(server.wire_frame(&wire(0x81, b"Hello", None)), UNMASKED_MESSAGE);
    assert_protocol(Endpoint::server().wire_frame(&wire(0x89, b"", None)), UNMASKED_MESSAGE);
    assert_protocol(Endpoint::server().wire_frame(&wire(0x88, &close_frame(1000, b""), None)), UNMASKED_MESSAGE);
    // The mask key value does not matter: an all-zero key is still a masked frame.
    assert_eq!(Endpoint::server().wire_frame(&wire(0x81, b"Hello", Some([0; 4]))), Ok(true));

    let mut client = Endpoint::client();
    assert_protocol(client.wire_frame(&wire(0x81, b"Hello", Some(MASK))), MASKED_MESSAGE);
    assert_protocol(Endpoint::client().wire_frame(&wire(0x8a, b"", Some([0; 4]))), MASKED_MESSAGE);
    assert_eq!(Endpoint::client().wire_frame(&wire(0x81, b"Hello", None)), Ok(true));

    // A masked frame in the middle of a client's message fails there.
    let mut client = Endpoint::client();
    assert_eq!(client.frame(0x01, b"a"), Ok(true));
    assert_protocol(client.wire_frame(&wire(0x80, b"b", Some(MASK))), MASKED_MESSAGE);
}

/// Matrix K2, §5.5: control frames must not be fragmented.
#[test]
fn control_frame_without_fin() {
    for opcode in [0x08, 0x09, 0x0a] {
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            let payload = if opcode == 0x08 { close_frame(1000, b"") } else { b"x".to_vec() };
            assert_protocol(endpoint.frame(opcode, &payload), FRAGMENTED_CONTROL);
        }
    }
}

/// Matrix K1/X3, §5.5: 125 payload bytes are the most a control frame may carry.
#[test]
fn control_payload_125_and_126() {
    let too_long = "Control frame payload of 126 bytes exceeds 125 (RFC 6455 §5.5)";
    for opcode in [0x89, 0x8a] {
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_eq!(endpoint.frame(opcode, &[b'p'; 125]), Ok(true));
            assert_protocol(endpoint.frame(opcode, &[b'p'; 126]), too_long);
        }
    }
    // CLOSE: status + 123-byte reason is the longest; 124 bytes of reason fail on the header.
    let mut endpoint = Endpoint::server();
    assert_eq!(endpoint.frame(0x88, &close_frame(1000, &[b'r'; 123])), Ok(true));
    assert_protocol(Endpoint::server().frame(0x88, &close_frame(1000, &[b'r'; 124])), too_long);
    let long = format!("Control frame payload of {} bytes exceeds 125 (RFC 6455 §5.5)", 70_000);
    assert_protocol(Endpoint::client().frame(0x89, &vec![0; 70_000]), &long);
}

/// The header check comes before any of the payload is needed.
#[test]
fn control_payload_checked_on_header() {
    let bytes = wire(0x89, &[0; 200], Some(MASK));
    let header = header_of(&bytes[..8]);
    let mut inspector = Inspector::new(Role::Server);
    assert_protocol(
        inspector.on_header(&header, &strict()),
        "Control frame payload of 200 bytes exceeds 125 (RFC 6455 §5.5)",
    );
}

/// Matrix G1, §5.4: a continuation frame with no message open, with FIN 0 and 1, at the start
/// and after a completed message.
#[test]
fn continuation_without_message() {
    for flags in [0x00, 0x80] {
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_protocol(endpoint.frame(flags, b"x"), NO_MESSAGE);
        }
        let mut endpoint = Endpoint::server();
        assert_eq!(endpoint.frame(0x81, b"done"), Ok(true));
        assert_protocol(endpoint.frame(flags, b""), NO_MESSAGE);

        let mut endpoint = Endpoint::client();
        assert_eq!(endpoint.frame(0x02, b"a"), Ok(true));
        assert_eq!(endpoint.frame(0x80, b"b"), Ok(true));
        assert_protocol(endpoint.frame(flags, b"c"), NO_MESSAGE);
    }
}

/// Matrix G2, §5.4: a new text or binary frame while a message is open.
#[test]
fn new_data_frame_inside_message() {
    for open in [0x01, 0x02] {
        for new in [0x81, 0x82, 0x01, 0x02] {
            let mut endpoint = Endpoint::server();
            assert_eq!(endpoint.frame(open, b"a"), Ok(true));
            assert_protocol(endpoint.frame(new, b"b"), INTERLEAVED);
        }
        // Also after a continuation kept the message open.
        let mut endpoint = Endpoint::client();
        assert_eq!(endpoint.frame(open, b"a"), Ok(true));
        assert_eq!(endpoint.frame(0x00, b"b"), Ok(true));
        assert_protocol(endpoint.frame(0x81, b"c"), INTERLEAVED);
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
    assert!(endpoint.inspector.close_received());
}

/// Matrix X1, §5.5.1: a 1-byte close payload.
#[test]
fn close_payload_of_one_byte() {
    for mut endpoint in [Endpoint::server(), Endpoint::client()] {
        assert_protocol(endpoint.frame(0x88, &[0x03]), CLOSE_ONE_BYTE);
        assert!(!endpoint.inspector.close_received());
    }
    assert_eq!(control::check_close_payload(&[]), Ok(()));
    assert_eq!(Endpoint::server().frame(0x88, b""), Ok(true));
}

/// Matrix X2, §7.4: close codes that must never be on the wire, and the ones that may.
#[test]
fn close_codes() {
    for code in [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
        let message = format!("Invalid close code {code} (RFC 6455 §7.4)");
        assert!(!control::is_valid_close_code(code), "{code}");
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_protocol(endpoint.frame(0x88, &close_frame(code, b"")), &message);
            assert!(!endpoint.inspector.close_received());
        }
        assert_protocol(Endpoint::server().frame(0x88, &close_frame(code, b"reason")), &message);
    }
    for code in (1000..=1003).chain(1007..=1014).chain([3000, 3999, 4000, 4999]) {
        assert!(control::is_valid_close_code(code), "{code}");
        for mut endpoint in [Endpoint::server(), Endpoint::client()] {
            assert_eq!(endpoint.frame(0x88, &close_frame(code, b"ok")), Ok(true), "{code}");
            assert!(endpoint.inspector.close_received());
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
            assert_violation(endpoint.frame(0x88, &close_frame(1000, reason)), ErrorCode::InvalidPayload, BAD_REASON);
            assert!(!endpoint.inspector.close_received());
        }
        assert_violation(
            control::check_close_payload(&close_frame(1000, reason)),
            ErrorCode::InvalidPayload,
            BAD_REASON,
        );
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
        let header = header_of(&bytes);
        let mut inspector = Inspector::new(Role::Server);
        inspector.on_header(&header, &strict()).unwrap();
        let first_bad = 1 + fails_at;
        for end in 0..=first_bad {
            let result = inspector.on_partial_payload(&header, &bytes[header.len..header.len + end + 1]);
            if end < first_bad {
                assert_eq!(result, Ok(()), "{name}: byte {end}");
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
    let header = header_of(&bytes);
    endpoint.inspector.on_header(&header, &strict()).unwrap();
    assert_eq!(endpoint.inspector.on_partial_payload(&header, &bytes[header.len..header.len + 2]), Ok(()));
    assert_bad_text(endpoint.inspector.on_partial_payload(&header, &bytes[header.len..header.len + 4]));
}

/// Fail fast inside one frame: the first half of a masked text payload with an invalid byte
/// fails before the rest of the frame arrives.
#[test]
fn fail_fast_inside_one_frame() {
    let mut payload = vec![b'a'; 1000];
    payload[301] = 0xff;
    let bytes = wire(0x81, &payload, Some(MASK));
    let header = header_of(&bytes);
    assert_eq!(header.payload_len, 1000);
    let mut inspector = Inspector::new(Role::Server);
    inspector.on_header(&header, &strict()).unwrap();
    assert_eq!(inspector.on_partial_payload(&header, &bytes[header.len..header.len + 150]), Ok(()));
    // The same prefix again, and an empty one, change nothing.
    assert_eq!(inspector.on_partial_payload(&header, &bytes[header.len..header.len + 150]), Ok(()));
    assert_eq!(inspector.on_partial_payload(&header, &[]), Ok(()));
    assert_bad_text(inspector.on_partial_payload(&header, &bytes[header.len..header.len + 500]));

    // Unmasked toward a client, and with the bad byte as the last byte of the half.
    let bytes = wire(0x81, &payload, None);
    let header = header_of(&bytes);
    let mut inspector = Inspector::new(Role::Client);
    inspector.on_header(&header, &strict()).unwrap();
    assert_eq!(inspector.on_partial_payload(&header, &bytes[header.len..header.len + 301]), Ok(()));
    assert_bad_text(inspector.on_partial_payload(&header, &bytes[header.len..header.len + 302]));

    // A valid first half passes the partial check, and the complete frame is checked for the rest.
    let mut payload = vec![b'a'; 1000];
    payload[800] = 0xff;
    let bytes = wire(0x81, &payload, Some(MASK));
    let header = header_of(&bytes);
    let mut inspector = Inspector::new(Role::Server);
    inspector.on_header(&header, &strict()).unwrap();
    assert_eq!(inspector.on_partial_payload(&header, &bytes[header.len..header.len + 500]), Ok(()));
    assert_bad_text(inspector.on_frame(&decode_one(&bytes), &strict()));
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
    assert_violation(
        endpoint.frame(0x81, &[b'x'; 11]),
        ErrorCode::MessageTooBig,
        "Message of 11 bytes exceeds the limit of 10 bytes",
    );

    let mut endpoint = Endpoint::new(Role::Client, policy);
    assert_eq!(endpoint.frame(0x02, &[0; 4]), Ok(true));
    assert_eq!(endpoint.frame(0x00, &[0; 4]), Ok(true));
    assert_violation(
        endpoint.frame(0x80, &[0; 3]),
        ErrorCode::MessageTooBig,
        "Message of 11 bytes exceeds the limit of 10 bytes",
    );

    // Before any payload byte: a header declaring too much fails at once.
    let bytes = wire(0x82, &[0; 1000], Some(MASK));
    let mut inspector = Inspector::new(Role::Server);
    assert_violation(
        inspector.on_header(&header_of(&bytes[..8]), &policy),
        ErrorCode::MessageTooBig,
        "Message of 1000 bytes exceeds the limit of 10 bytes",
    );
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
    assert_violation(endpoint.frame(0x80, b""), ErrorCode::MessageTooBig, "Message of more than 3 fragments");

    let mut endpoint = Endpoint::new(Role::Client, strict_with(MAX_MESSAGE_SIZE, 1));
    assert_eq!(endpoint.frame(0x81, b"one frame"), Ok(true));
    assert_eq!(endpoint.frame(0x01, b"first"), Ok(true));
    assert_violation(endpoint.frame(0x80, b""), ErrorCode::MessageTooBig, "Message of more than 1 fragments");
}

/// Calling `on_header` again for the frame at the front does nothing (it is not counted twice).
#[test]
fn on_header_is_idempotent() {
    let policy = strict_with(10, 1);
    let bytes = wire(0x81, b"123456", Some(MASK));
    let header = header_of(&bytes);
    let mut inspector = Inspector::new(Role::Server);
    for _ in 0..3 {
        assert_eq!(inspector.on_header(&header, &policy), Ok(()));
    }
    assert_eq!(inspector.on_frame(&decode_one(&bytes), &policy), Ok(true));
}

/// Matrix X4, §5.5.1: after the peer's CLOSE every frame is dropped unchecked, a second CLOSE too.
#[test]
fn frames_after_close_dropped() {
    for mut endpoint in [Endpoint::server(), Endpoint::client()] {
        assert_eq!(endpoint.frame(0x88, &close_frame(1000, b"")), Ok(true));
        assert!(endpoint.inspector.close_received());
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
        assert!(endpoint.inspector.close_received());
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
    let policy = Policy { strict: false, limits: MessageLimits { max_message_size: 4, max_fragments: 1 } };
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
        assert!(!endpoint.inspector.close_received());
    }
    // A frame whose header was never inspected is delivered without checks as well.
    let mut inspector = Inspector::new(Role::Server);
    assert_eq!(inspector.on_frame(&Frame { flags: 0x83, payload: vec![0xff] }, &lax()), Ok(true));
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
