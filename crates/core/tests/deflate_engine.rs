//! permessage-deflate wired into the engine. RFC 7692 sections covered: §5 (the server accepts
//! the first acceptable offer and answers it; a malformed or unacceptable offer is a 400; the
//! client checks the answer), §6 and §6.1 (RSV1 only on the first frame of a data message, never
//! on control frames or continuations, RSV2/RSV3 still reserved), §7.2.1 (what we send: RSV1,
//! raw DEFLATE, trailer removed, masked by a client), §7.2.2 (what we receive: fragments
//! inflated as one message, the size limit applied while inflating, text validated once
//! inflated), and the hostile-input matrix D1 (a decompression bomb fails with 1009).

mod common;

use bytes::BytesMut;
use common::raw::{server_with_raw_client_offering, RawClient};
use common::{bounded, headers, request};
use poco_websocket_core::decoder::{Decoder, Policy};
use poco_websocket_core::deflate::negotiation::Direction;
use poco_websocket_core::deflate::{Compressor, CompressorSettings, DeflateOptions, Decompressor, Params};
use poco_websocket_core::frame::{self, Frame, FLAG_FIN, FLAG_RSV1};
use poco_websocket_core::handshake;
use poco_websocket_core::http::{ResponseHead, Version};
use poco_websocket_core::protocol::fragmentation::MessageLimits;
use poco_websocket_core::protocol::opening::OpeningViolation;
use poco_websocket_core::{ConnectionConfig, Role, Violation};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MASK: [u8; 4] = [1, 2, 3, 4];
/// §7.2.3.1: "Hello" compressed, trailer removed.
const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

fn policy(limit: u64) -> Policy {
    Policy { strict: true, max_payload: limit, limits: MessageLimits { max_message_size: limit, max_fragments: 1000 }, join: true }
}

fn inflating_server() -> Decoder {
    Decoder::with_inflater(Role::Server, Some(Decompressor::new(Direction { window_bits: 15, no_context_takeover: false })))
}

fn client_frame(flags: u8, payload: &[u8]) -> BytesMut {
    let mut out = BytesMut::new();
    frame::encode(flags, payload, Some(MASK), &mut out);
    out
}

fn decode(decoder: &mut Decoder, bytes: &[u8], limit: u64) -> Result<Vec<Frame>, Violation> {
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    decoder.decode(&mut buf, &policy(limit), &mut out).map(|_| out)
}

fn compress(payload: &[u8]) -> Vec<u8> {
    let settings = CompressorSettings::new(Direction { window_bits: 15, no_context_takeover: true }, &DeflateOptions::default());
    Compressor::new(settings).compress(payload).unwrap()
}

#[test]
fn rfc_hello_is_inflated_and_delivered_without_rsv1() {
    let frames = decode(&mut inflating_server(), &client_frame(FLAG_FIN | FLAG_RSV1 | 0x1, &HELLO), 1 << 20).unwrap();
    assert_eq!(frames, vec![Frame { flags: 0x81, payload: "Hello".into() }]);
}

/// §7.2.2: the fragments' payloads are one DEFLATE stream; only the first frame has RSV1.
#[test]
fn compressed_fragments_are_inflated_as_one_message() {
    let mut bytes = client_frame(FLAG_RSV1 | 0x1, &HELLO[..3]);
    bytes.extend_from_slice(&client_frame(FLAG_FIN, &HELLO[3..]));
    let frames = decode(&mut inflating_server(), &bytes, 1 << 20).unwrap();
    assert_eq!(frames, vec![Frame { flags: 0x81, payload: "Hello".into() }]);
}

#[test]
fn uncompressed_messages_pass_on_a_deflate_connection() {
    let frames = decode(&mut inflating_server(), &client_frame(0x82, b"raw"), 1 << 20).unwrap();
    assert_eq!(frames, vec![Frame { flags: 0x82, payload: "raw".into() }]);
}

/// §6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and
/// non-first fragments of a data message."
#[test]
fn rsv1_on_a_control_frame_or_continuation_fails_with_1002() {
    let ping = decode(&mut inflating_server(), &client_frame(FLAG_FIN | FLAG_RSV1 | 0x9, b""), 1 << 20);
    assert_eq!(ping, Err(Violation::CompressedControl));
    let mut bytes = client_frame(FLAG_RSV1 | 0x1, &HELLO[..3]);
    bytes.extend_from_slice(&client_frame(FLAG_FIN | FLAG_RSV1, &HELLO[3..]));
    let continuation = decode(&mut inflating_server(), &bytes, 1 << 20);
    assert_eq!(continuation, Err(Violation::CompressedContinuation));
    assert_eq!(Violation::CompressedControl.close_code(), 1002);
    assert_eq!(Violation::CompressedContinuation.close_code(), 1002);
}

/// RFC 6455 §5.2: RSV1 means nothing without the extension; RSV2/RSV3 mean nothing with it.
#[test]
fn reserved_bits_stay_reserved() {
    let without = decode(&mut Decoder::new(Role::Server), &client_frame(FLAG_FIN | FLAG_RSV1 | 0x1, &HELLO), 1 << 20);
    assert_eq!(without, Err(Violation::ReservedBits));
    let rsv2 = decode(&mut inflating_server(), &client_frame(FLAG_FIN | 0x20 | 0x1, b"x"), 1 << 20);
    assert_eq!(rsv2, Err(Violation::ReservedBits));
}

/// Hostile-input matrix D1: 8 MiB of zeros in a frame of a few KiB fails once the inflated
/// bytes pass the limit, with 1009.
#[test]
fn a_decompression_bomb_fails_with_1009_while_inflating() {
    let bomb = compress(&vec![0u8; 8 << 20]);
    assert!(bomb.len() < 16 * 1024, "the bomb is small on the wire ({} bytes)", bomb.len());
    let result = decode(&mut inflating_server(), &client_frame(FLAG_FIN | FLAG_RSV1 | 0x2, &bomb), 64 * 1024);
    assert_eq!(result, Err(Violation::InflatedTooBig { limit: 64 * 1024 }));
    assert_eq!(Violation::InflatedTooBig { limit: 1 }.close_code(), 1009);
}

#[test]
fn corrupt_deflate_data_fails_with_1007() {
    let result = decode(&mut inflating_server(), &client_frame(FLAG_FIN | FLAG_RSV1 | 0x2, &[0xff, 0xff, 0xff, 0xff]), 1 << 20);
    assert!(matches!(&result, Err(Violation::InvalidCompressedData(_))), "{result:?}");
    assert_eq!(result.unwrap_err().close_code(), 1007);
}

/// RFC 6455 §8.1 applies to the inflated text.
#[test]
fn compressed_text_that_is_not_utf8_fails_with_1007() {
    let result = decode(&mut inflating_server(), &client_frame(FLAG_FIN | FLAG_RSV1 | 0x1, &compress(&[0x48, 0xc3, 0x28])), 1 << 20);
    assert_eq!(result, Err(Violation::InvalidText));
}

// ---------------------------------------------------------------------------------------------
// Handshake (§5)

fn upgrade_request(offer: Option<&str>) -> poco_websocket_core::http::RequestHead {
    let mut fields = vec![
        ("Host", "localhost"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
    ];
    if let Some(offer) = offer {
        fields.push(("Sec-WebSocket-Extensions", offer));
    }
    request("GET", "/", Version::HTTP_1_1, &fields)
}

#[test]
fn the_server_answers_the_first_acceptable_offer() {
    let options = DeflateOptions { server_max_window_bits: poco_websocket_core::deflate::WindowBits::Max(10), ..DeflateOptions::default() };
    let request = upgrade_request(Some("permessage-deflate; server_max_window_bits=9, permessage-deflate; client_max_window_bits"));
    let mut response = ResponseHead::new(Version::HTTP_1_1, 101);
    let (_, params) = handshake::accept_with(&request, &mut response, true, Some(&options)).unwrap();
    assert_eq!(params, Some(Params { server_max_window_bits: Some(10), ..Params::default() }));
    assert_eq!(response.headers.get("Sec-WebSocket-Extensions"), Some("permessage-deflate; server_max_window_bits=10"));
}

#[test]
fn a_bad_offer_is_refused_with_400_only_when_deflate_is_enabled() {
    let request = upgrade_request(Some("permessage-deflate; server_max_window_bits=16"));
    let refused = handshake::check_request_with(&request, Some(&DeflateOptions::default())).unwrap_err();
    assert!(matches!(refused, OpeningViolation::Extensions(_)));
    let rejection = handshake::rejection(&refused);
    assert_eq!((rejection.status, rejection.message), (400, "Invalid or unacceptable Sec-WebSocket-Extensions header"));
    assert!(handshake::check_request_with(&request, None).is_ok(), "ws does not parse the field with deflate off");
    let mut response = ResponseHead::new(Version::HTTP_1_1, 101);
    let (_, params) = handshake::accept_with(&request, &mut response, true, None).unwrap();
    assert_eq!((params, response.headers.get("Sec-WebSocket-Extensions")), (None, None));
}

#[test]
fn the_client_checks_the_answer_to_its_offer() {
    let options = DeflateOptions::default();
    let mut request = upgrade_request(None);
    handshake::offer_deflate(&mut request, &options);
    assert_eq!(request.headers.get("Sec-WebSocket-Extensions"), Some("permessage-deflate; client_max_window_bits"));
    let answer = |value: &str| ResponseHead { headers: headers(&[("Sec-WebSocket-Extensions", value)]), ..ResponseHead::new(Version::HTTP_1_1, 101) };
    let accepted = handshake::verify_deflate(&answer("permessage-deflate; client_max_window_bits=12"), Some(&options)).unwrap();
    assert_eq!(accepted, Some(Params { client_max_window_bits: Some(12), ..Params::default() }));
    assert!(handshake::verify_deflate(&answer("permessage-deflate; foo"), Some(&options)).is_err());
    let declined = ResponseHead::new(Version::HTTP_1_1, 101);
    assert_eq!(handshake::verify_deflate(&declined, Some(&options)).unwrap(), None);
}

// ---------------------------------------------------------------------------------------------
// The engine: our server with a raw client

fn deflate_config() -> ConnectionConfig {
    ConnectionConfig { messages: true, deflate: Some(DeflateOptions::default()), ..ConnectionConfig::default() }
}

async fn read_frame(client: &mut RawClient) -> (u8, Vec<u8>) {
    loop {
        if let Some(header) = frame::parse_header(&client.buf) {
            let total = header.len + header.payload_len as usize;
            if client.buf.len() >= total {
                let frame = client.buf.split_to(total);
                return (header.flags, frame[header.len..].to_vec());
            }
        }
        let mut chunk = [0u8; 65536];
        let n = client.raw.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed");
        client.buf.extend_from_slice(&chunk[..n]);
    }
}

fn inflate(payload: &[u8]) -> Vec<u8> {
    Decompressor::new(Direction { window_bits: 15, no_context_takeover: false }).decompress([payload], 1 << 30).unwrap()
}

/// §7.2.1 on the wire: a compressed message has RSV1 and inflates back; a message sent without
/// `compress` (RSV1 not asked for) goes out as it is; a compressed message received is
/// delivered inflated; `extensions()` is the 101's value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_compresses_what_it_is_asked_to_and_inflates_what_arrives() {
    bounded(async {
        let offer = [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")];
        let (mut client, response) = server_with_raw_client_offering(deflate_config(), &offer).await;
        assert_eq!(response.headers.get("Sec-WebSocket-Extensions"), Some("permessage-deflate"));
        assert_eq!(client.connection.extensions(), "permessage-deflate");
        let text = "compressible ".repeat(200);
        let sent = client.connection.send_messages(&[(FLAG_FIN | FLAG_RSV1 | 0x1, text.as_bytes()), (FLAG_FIN | 0x2, b"plain")]);
        assert_eq!(sent.0, 2);
        let (flags, payload) = read_frame(&mut client).await;
        assert_eq!(flags, FLAG_FIN | FLAG_RSV1 | 0x1);
        assert!(payload.len() < text.len() / 10, "compressed to {} bytes", payload.len());
        assert_eq!(inflate(&payload), text.as_bytes());
        assert_eq!(read_frame(&mut client).await, (FLAG_FIN | 0x2, b"plain".to_vec()));

        client.raw.write_all(&client_frame(FLAG_FIN | FLAG_RSV1 | 0x1, &HELLO)).await.unwrap();
        let frame = common::echo::next_frame(&client.connection, &client.notify).await.unwrap();
        assert_eq!(frame, Frame { flags: 0x81, payload: "Hello".into() });
    })
    .await;
}

/// Without an offer nothing is negotiated: RSV1 asked for by a send is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_offer_sends_go_uncompressed() {
    bounded(async {
        let (mut client, response) = server_with_raw_client_offering(deflate_config(), &[]).await;
        assert_eq!(response.headers.get("Sec-WebSocket-Extensions"), None);
        assert_eq!(client.connection.extensions(), "");
        client.connection.send_messages(&[(FLAG_FIN | FLAG_RSV1 | 0x1, b"hello")]).1.unwrap();
        assert_eq!(read_frame(&mut client).await, (FLAG_FIN | 0x1, b"hello".to_vec()));
    })
    .await;
}

/// §7.1.1: without context takeover nothing carries over to the next message, so the inflater's
/// state is released at the end of each one (an idle socket holds none); with it, it is kept.
#[test]
fn without_context_takeover_the_inflater_is_released_after_each_message() {
    for (no_context_takeover, kept) in [(true, false), (false, true)] {
        let mut decompressor = Decompressor::new(Direction { window_bits: 15, no_context_takeover });
        let mut out = Vec::new();
        decompressor.decompress_fragment(&HELLO, true, 1 << 20, &mut out).unwrap();
        assert_eq!(out, b"Hello");
        let state = format!("{decompressor:?}");
        assert!(state.contains(&format!("allocated: {kept}")), "{state}");
    }
}
