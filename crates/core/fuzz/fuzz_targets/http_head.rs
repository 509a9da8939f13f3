//! HTTP heads of the opening handshake: `http::read_request_head` / `read_response_head` over
//! arbitrary bytes, then the handshake rules on whatever parsed.
//!
//! Input layout: `[control] head bytes...`. Control bits 0-2: max head bytes (`MAX_BYTES`),
//! bits 3-4: max header fields (`MAX_HEADERS`), bits 5-7: bytes per read (`READ_SIZES`), so
//! the read loop sees heads split across reads. Control 0xff = 16 KiB, 100 fields, 1024 per read
//! (close to the defaults).
//!
//! Both parsers run on every input. Properties:
//! * nothing panics;
//! * a parsed head encodes (`encode()`) to bytes that parse to an equal head, when its fields
//!   hold no CR/LF and the status has three digits;
//! * requests: `accept` fails exactly as `validate_request` does; when it succeeds, the 101 it
//!   built survives encode/parse and passes the client's `verify_response` with that key;
//!   after `prepare_request` any request validates with the prepared key;
//! * responses: `verify_response` passes only a 101; a 401's `WWW-Authenticate` fields go through
//!   `auth::authorization`.
#![no_main]

use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use poco_websocket_core::auth::{self, Credentials};
use poco_websocket_core::handshake;
use poco_websocket_core::http::{self, HeadLimits, Headers, RequestHead, ResponseHead, Version};
use tokio::io::{AsyncRead, ReadBuf};

const MAX_BYTES: [usize; 8] = [1, 16, 64, 128, 256, 512, 1024, 16 * 1024];
const MAX_HEADERS: [usize; 4] = [0, 1, 8, 100];
const READ_SIZES: [usize; 8] = [1, 2, 3, 7, 16, 64, 256, 1024];
/// RFC 6455 §1.3's sample key; its accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().expect("tokio runtime"))
}

/// Hands out its bytes at most `step` at a time, like a socket delivering a head in pieces.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl AsyncRead for Trickle<'_> {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let n = self.step.min(self.data.len()).min(buf.remaining());
        let (now, later) = self.data.split_at(n);
        buf.put_slice(now);
        self.data = later;
        Poll::Ready(Ok(()))
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let limits = HeadLimits {
        max_bytes: MAX_BYTES[usize::from(control & 7)],
        max_headers: MAX_HEADERS[usize::from((control >> 3) & 3)],
    };
    let step = READ_SIZES[usize::from(control >> 5)];
    let rt = runtime();

    let mut buf = BytesMut::new();
    let request = rt.block_on(http::read_request_head(&mut Trickle { data: input, step }, &mut buf, limits));
    if let Ok(request) = request {
        check_request(rt, &request);
    }

    let mut buf = BytesMut::new();
    let response = rt.block_on(http::read_response_head(&mut Trickle { data: input, step }, &mut buf, limits));
    if let Ok(response) = response {
        check_response(rt, &response);
    }
});

fn check_request(rt: &tokio::runtime::Runtime, request: &RequestHead) {
    if plain(&request.headers) && !has_crlf(&request.method) && !has_crlf(&request.uri) {
        let bytes = request.encode();
        let again = rt.block_on(http::read_request_head(&mut &bytes[..], &mut BytesMut::new(), big_limits(&bytes)));
        assert_eq!(again.as_ref(), Ok(request), "request head changed through encode: {:?}", String::from_utf8_lossy(&bytes));
    }

    for strict in [true, false] {
        let checked = if strict { handshake::check_request(request) } else { handshake::check_request_lenient(request) };
        let mut response = ResponseHead::new(Version::HTTP_1_1, 200);
        let accepted = handshake::accept(request, &mut response, strict);
        match (&checked, &accepted) {
            (Ok(upgrade), Ok(accepted)) => {
                assert_eq!(upgrade, accepted);
                assert_eq!(response.status, 101);
                assert_eq!(response.version, request.version);
                let bytes = response.encode();
                let parsed = rt.block_on(http::read_response_head(&mut &bytes[..], &mut BytesMut::new(), big_limits(&bytes)));
                let parsed = parsed.expect("the 101 accept built does not parse");
                assert_eq!(parsed, response);
                // The client that offered the request's subprotocols accepts the server's own 101.
                handshake::verify_response(request, &parsed, &upgrade.key, strict).expect("the client rejects the server's own 101");
            }
            (Err(violation), Err(error)) => assert_eq!(&handshake::to_error(violation), error, "accept and check_request disagree"),
            (a, b) => panic!("accept and check_request disagree: {a:?} vs {b:?}"),
        }
        if strict && checked.is_ok() {
            assert!(handshake::check_request_lenient(request).is_ok(), "the strict checks accept what Poco's refuse");
        }
    }

    // The client side: whatever the user's request held, the prepared one is a valid upgrade.
    let mut prepared = request.clone();
    handshake::prepare_request(&mut prepared, KEY, "::1", 8080);
    assert_eq!(handshake::check_request_lenient(&prepared).map(|upgrade| upgrade.key).as_deref(), Ok(KEY));
    assert!(prepared.headers.has("Host"));
}

fn check_response(rt: &tokio::runtime::Runtime, response: &ResponseHead) {
    // httparse accepts any three digits ("099"); `encode` writes the number ("99"), which no
    // longer parses. Such heads are left out of the round trip (not a valid status anyway).
    if plain(&response.headers) && !has_crlf(&response.reason) && response.status >= 100 {
        let bytes = response.encode();
        let again = rt.block_on(http::read_response_head(&mut &bytes[..], &mut BytesMut::new(), big_limits(&bytes)));
        assert_eq!(again.as_ref(), Ok(response), "response head changed through encode: {:?}", String::from_utf8_lossy(&bytes));
    }

    let offering = RequestHead { method: "GET".into(), uri: "/".into(), version: Version::HTTP_1_1, headers: Default::default() };
    for strict in [true, false] {
        let verdict = handshake::verify_response(&offering, response, KEY, strict);
        if verdict.is_ok() {
            assert_eq!(response.status, 101);
            // What the strict check accepts, Poco's accepts too.
            assert!(!strict || handshake::verify_response(&offering, response, KEY, false).is_ok());
        }
        // A key the server did not answer never verifies.
        if response.headers.get("Sec-WebSocket-Accept") != Some(handshake::compute_accept("x").as_str()) {
            assert!(handshake::verify_response(&offering, response, "x", strict).is_err());
        }
    }

    if response.status == 401 {
        let credentials = Credentials { username: "user".into(), password: "pa\"ss:word".into() };
        let _ = auth::authorization(&credentials, response, "GET", "/chat?x=\"1\"");
        for (name, value) in &response.headers.0 {
            if name.eq_ignore_ascii_case("WWW-Authenticate") {
                let _ = auth::parse_params(value);
            }
        }
    }
}

/// Limits that let an encoded head through whole.
fn big_limits(bytes: &[u8]) -> HeadLimits {
    HeadLimits { max_bytes: bytes.len() + 1, max_headers: 1024 }
}

fn has_crlf(text: &str) -> bool {
    text.contains(['\r', '\n'])
}

fn plain(headers: &Headers) -> bool {
    headers.0.iter().all(|(name, value)| !has_crlf(name) && !has_crlf(value))
}
