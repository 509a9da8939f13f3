//! Opening handshake: RFC 6455 §4 with Poco's rules, order and messages (Poco spec §3).

mod common;

use common::{headers, request};
use poco_websocket_core::handshake::{
    accept, check_request, check_request_lenient, compute_accept, create_key, host_field, prepare_request, rejection,
    to_error, verify_response, Upgrade,
};
use poco_websocket_core::http::{RequestHead, ResponseHead, Version};
use poco_websocket_core::protocol::opening::OpeningViolation;
use poco_websocket_core::{Error, ErrorCode};

const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

const UPGRADE_FIELDS: [(&str, &str); 5] = [
    ("Host", "server.example.com"),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", RFC_KEY),
    ("Sec-WebSocket-Version", "13"),
];

/// The valid upgrade request with `name` replaced by `value`, or removed when `value` is `None`.
fn upgrade_with(name: &str, value: Option<&str>) -> RequestHead {
    let mut fields: Vec<(&str, &str)> = UPGRADE_FIELDS.iter().copied().filter(|(n, _)| *n != name).collect();
    if let Some(value) = value {
        fields.push((name, value));
    }
    request("GET", "/chat", Version::HTTP_1_1, &fields)
}

fn upgrade_request() -> RequestHead {
    request("GET", "/chat", Version::HTTP_1_1, &UPGRADE_FIELDS)
}

/// Poco's lenient `WebSocket::accept` (strict checks off): the key, or Poco's error.
fn validate_request(request: &RequestHead) -> Result<String, Error> {
    check_request_lenient(request).map(|upgrade| upgrade.key).map_err(|violation| to_error(&violation))
}

/// The client's check of a response to a request that offered `protocols` (strict).
fn verify_offering(protocols: &[&str], response: &ResponseHead, key: &str) -> Result<(), Error> {
    let mut head = request("GET", "/", Version::HTTP_1_1, &[]);
    if !protocols.is_empty() {
        head.headers.set("Sec-WebSocket-Protocol", protocols.join(", "));
    }
    verify_response(&head, response, key, true)
}

fn verify(response: &ResponseHead, key: &str) -> Result<(), Error> {
    verify_offering(&[], response, key)
}

fn assert_ws_error(result: Result<impl std::fmt::Debug, Error>, code: ErrorCode, message: &str) {
    match result {
        Err(Error::WebSocket { code: c, message: m }) => {
            assert_eq!((c, m.as_str()), (code, message));
        }
        other => panic!("expected WebSocketException {code:?} {message:?}, got {other:?}"),
    }
}

fn base64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some((c - b'A') as u32),
        b'a'..=b'z' => Some((c - b'a') as u32 + 26),
        b'0'..=b'9' => Some((c - b'0') as u32 + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Standard padded base64; `None` on any character outside the alphabet.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let body = text.trim_end_matches('=');
    if !text.len().is_multiple_of(4) || text.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in body.bytes() {
        acc = (acc << 6) | base64_value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn response_101(fields: &[(&str, &str)]) -> ResponseHead {
    ResponseHead {
        version: Version::HTTP_1_1,
        status: 101,
        reason: "Switching Protocols".into(),
        headers: headers(fields),
    }
}

fn good_response_fields() -> [(&'static str, &'static str); 3] {
    [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", RFC_ACCEPT)]
}

/// RFC 6455 §1.3 / Poco §3.5: the RFC's key/accept vector.
#[test]
fn compute_accept_rfc_vector() {
    assert_eq!(compute_accept(RFC_KEY), RFC_ACCEPT);
}

/// RFC 6455 §4.1 / Poco §3.5: a key is 16 random bytes in base64 (24 characters ending "=="), fresh per call.
#[test]
fn create_key_shape() {
    let key = create_key();
    assert_eq!(key.len(), 24, "{key}");
    assert!(key.ends_with("=="), "{key}");
    assert_eq!(base64_decode(&key).map(|b| b.len()), Some(16), "{key}");
    assert_eq!(base64_decode(RFC_KEY).as_deref(), Some(&b"the sample nonce"[..]));
    assert_ne!(create_key(), create_key());
}

/// Poco §3.1: a well-formed request is accepted and the trimmed key returned.
#[test]
fn valid_request_returns_key() {
    assert_eq!(validate_request(&upgrade_request()).unwrap(), RFC_KEY);
    let padded = upgrade_with("Sec-WebSocket-Key", Some("  dGhlIHNhbXBsZSBub25jZQ==\t"));
    assert_eq!(validate_request(&padded).unwrap(), RFC_KEY);
}

/// Poco §3.1: the key is not checked for base64 or length; method and HTTP version are not checked.
#[test]
fn key_method_and_version_unchecked() {
    assert_eq!(validate_request(&upgrade_with("Sec-WebSocket-Key", Some("abc"))).unwrap(), "abc");
    let mut post = upgrade_request();
    post.method = "POST".into();
    post.version = Version::HTTP_1_0;
    assert!(validate_request(&post).is_ok());
}

/// Poco §3.1: without a Connection "upgrade" token there is no handshake (code 1).
#[test]
fn missing_connection_upgrade_is_no_handshake() {
    for value in [None, Some("keep-alive"), Some("Upgraded"), Some("")] {
        assert_ws_error(
            validate_request(&upgrade_with("Connection", value)),
            ErrorCode::NoHandshake,
            "No WebSocket handshake",
        );
    }
}

/// Poco §3.1: Connection is a trimmed, case-insensitive token list; field names are case-insensitive.
#[test]
fn connection_token_list_accepted() {
    for value in ["keep-alive, Upgrade", "upgrade", "UPGRADE", "keep-alive,upgrade ,foo"] {
        assert!(validate_request(&upgrade_with("Connection", Some(value))).is_ok(), "{value}");
    }
    let fields: Vec<(&str, &str)> =
        UPGRADE_FIELDS.iter().map(|&(n, v)| (if n == "Connection" { "connection" } else { n }, v)).collect();
    assert!(validate_request(&request("GET", "/", Version::HTTP_1_1, &fields)).is_ok());
}

/// Poco §3.1: Upgrade is compared whole and case-insensitively: "WebSocket" passes, "websocket, foo" fails.
#[test]
fn upgrade_compared_whole() {
    assert!(validate_request(&upgrade_with("Upgrade", Some("WebSocket"))).is_ok());
    for value in [None, Some("websocket, foo"), Some("h2c"), Some("")] {
        assert_ws_error(
            validate_request(&upgrade_with("Upgrade", value)),
            ErrorCode::NoHandshake,
            "No WebSocket handshake",
        );
    }
}

/// Poco §3.1 step 1: a missing or empty version is code 2.
#[test]
fn missing_version() {
    for value in [None, Some("")] {
        assert_ws_error(
            validate_request(&upgrade_with("Sec-WebSocket-Version", value)),
            ErrorCode::HandshakeNoVersion,
            "Missing Sec-WebSocket-Version in handshake request",
        );
    }
}

/// Poco §3.1 step 2: any version other than "13" is code 3 and named in the message.
#[test]
fn unsupported_version() {
    assert_ws_error(
        validate_request(&upgrade_with("Sec-WebSocket-Version", Some("8"))),
        ErrorCode::HandshakeUnsupportedVersion,
        "Unsupported WebSocket version requested: 8",
    );
    assert_ws_error(
        validate_request(&upgrade_with("Sec-WebSocket-Version", Some("13, 8"))),
        ErrorCode::HandshakeUnsupportedVersion,
        "Unsupported WebSocket version requested: 13, 8",
    );
}

/// Poco §3.1 step 3: a missing or blank key is code 4.
#[test]
fn missing_key() {
    for value in [None, Some(""), Some("   ")] {
        assert_ws_error(
            validate_request(&upgrade_with("Sec-WebSocket-Key", value)),
            ErrorCode::HandshakeNoKey,
            "Missing Sec-WebSocket-Key in handshake request",
        );
    }
}

/// Poco §3.1: the checks run in order handshake, version, supported version, key.
#[test]
fn checks_run_in_poco_order() {
    let everything_missing = request("GET", "/", Version::HTTP_1_1, &[]);
    assert_ws_error(validate_request(&everything_missing), ErrorCode::NoHandshake, "No WebSocket handshake");
    let only_upgrade = request("GET", "/", Version::HTTP_1_1, &[("Connection", "Upgrade"), ("Upgrade", "websocket")]);
    assert_ws_error(
        validate_request(&only_upgrade),
        ErrorCode::HandshakeNoVersion,
        "Missing Sec-WebSocket-Version in handshake request",
    );
    let old_version_no_key = request(
        "GET",
        "/",
        Version::HTTP_1_1,
        &[("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "8")],
    );
    assert_ws_error(
        validate_request(&old_version_no_key),
        ErrorCode::HandshakeUnsupportedVersion,
        "Unsupported WebSocket version requested: 8",
    );
}

/// Poco §3.1 / RFC 6455 §4.2.2: accept fills the 101 and keeps the handler's own fields.
#[test]
fn accept_fills_101() {
    let mut response = ResponseHead::new(Version::HTTP_1_1, 200);
    response.headers = headers(&[("X-Handler", "1"), ("Connection", "Keep-Alive")]);
    accept(&upgrade_request(), &mut response, true).unwrap();
    assert_eq!(response.status, 101);
    assert_eq!(response.reason, "Switching Protocols");
    assert_eq!(response.version, Version::HTTP_1_1);
    assert_eq!(
        response.headers,
        headers(&[
            ("X-Handler", "1"),
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Accept", RFC_ACCEPT),
        ])
    );
}

/// Poco §3.1, strict checks off: the response copies the request's HTTP version (HTTP/1.0 is
/// answered with HTTP/1.0 101).
#[test]
fn accept_copies_request_version() {
    let mut old = upgrade_request();
    old.version = Version::HTTP_1_0;
    let mut response = ResponseHead::new(Version::HTTP_1_1, 200);
    accept(&old, &mut response, false).unwrap();
    assert_eq!(response.version, Version::HTTP_1_0);
    assert!(response.encode().starts_with(b"HTTP/1.0 101 Switching Protocols\r\n"));
}

/// Poco §3.1: a rejected request leaves the response as the handler built it.
#[test]
fn accept_failure_leaves_response_alone() {
    let mut response = ResponseHead::new(Version::HTTP_1_1, 200);
    response.headers = headers(&[("X-Handler", "1")]);
    let before = response.clone();
    assert_ws_error(
        accept(&upgrade_with("Sec-WebSocket-Key", None), &mut response, true),
        ErrorCode::HandshakeNoKey,
        "Missing Sec-WebSocket-Key in handshake request",
    );
    assert_eq!(response, before);
}

/// Poco §3.2: user fields keep their order; Connection, Upgrade, version, key and Host follow.
#[test]
fn prepare_request_order() {
    let mut head = request("GET", "/chat", Version::HTTP_1_0, &[("Origin", "http://example.com")]);
    prepare_request(&mut head, "lSrRAA6c4Q/sFPg6CuzDJw==", "127.0.0.1", 44487);
    let expected = "GET /chat HTTP/1.0\r\n\
                    Origin: http://example.com\r\n\
                    Connection: Upgrade\r\n\
                    Upgrade: websocket\r\n\
                    Sec-WebSocket-Version: 13\r\n\
                    Sec-WebSocket-Key: lSrRAA6c4Q/sFPg6CuzDJw==\r\n\
                    Host: 127.0.0.1:44487\r\n\
                    \r\n";
    assert_eq!(String::from_utf8(head.encode()).unwrap(), expected);
}

/// Poco §3.2 (`request.set`): fields the user already set are overwritten in place; a user Host is kept.
#[test]
fn prepare_request_overwrites_in_place() {
    let mut head = request(
        "GET",
        "/",
        Version::HTTP_1_1,
        &[("connection", "keep-alive"), ("Host", "example.com"), ("Sec-WebSocket-Key", "old"), ("X", "y")],
    );
    prepare_request(&mut head, "new-key", "127.0.0.1", 8080);
    assert_eq!(
        head.headers,
        headers(&[
            ("connection", "Upgrade"),
            ("Host", "example.com"),
            ("Sec-WebSocket-Key", "new-key"),
            ("X", "y"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
        ])
    );
}

/// Poco `HTTPRequest::setHost`: IPv6 literals in brackets, port 80 left out.
#[test]
fn host_field_forms() {
    assert_eq!(host_field("example.com", 80), "example.com");
    assert_eq!(host_field("example.com", 8080), "example.com:8080");
    assert_eq!(host_field("::1", 80), "[::1]");
    assert_eq!(host_field("::1", 9001), "[::1]:9001");
    assert_eq!(host_field("127.0.0.1", 8443), "127.0.0.1:8443");

    let mut head = request("GET", "/", Version::HTTP_1_1, &[]);
    prepare_request(&mut head, RFC_KEY, "::1", 9001);
    assert_eq!(head.headers.get("Host"), Some("[::1]:9001"));
}

/// Poco §3.3: a 101 with the right fields completes the handshake; values compare case-insensitively.
#[test]
fn verify_response_ok() {
    assert!(verify(&response_101(&good_response_fields()), RFC_KEY).is_ok());
    let lower =
        response_101(&[("upgrade", "WebSocket"), ("connection", "upgrade"), ("sec-websocket-accept", RFC_ACCEPT)]);
    assert!(verify(&lower, RFC_KEY).is_ok());
}

/// README "Differences from Poco": the client matches the Connection token, so "Upgrade, keep-alive" passes.
#[test]
fn verify_response_connection_token() {
    let fields =
        [("Upgrade", "websocket"), ("Connection", "Upgrade, keep-alive"), ("Sec-WebSocket-Accept", RFC_ACCEPT)];
    assert!(verify(&response_101(&fields), RFC_KEY).is_ok());
    let fields = [("Upgrade", "websocket"), ("Connection", "keep-alive"), ("Sec-WebSocket-Accept", RFC_ACCEPT)];
    assert_ws_error(
        verify(&response_101(&fields), RFC_KEY),
        ErrorCode::NoHandshake,
        "No Connection: Upgrade header in handshake response",
    );
}

/// Poco §3.3 step 3: a wrong or missing accept is code 5; the comparison is case-sensitive.
#[test]
fn verify_response_bad_accept() {
    let message = "Invalid or missing Sec-WebSocket-Accept header in handshake response";
    let other_key = response_101(&good_response_fields());
    assert_ws_error(verify(&other_key, "x3JJHMbDL1EzLkh9GBhXDw=="), ErrorCode::HandshakeAccept, message);
    let missing = response_101(&[("Upgrade", "websocket"), ("Connection", "Upgrade")]);
    assert_ws_error(verify(&missing, RFC_KEY), ErrorCode::HandshakeAccept, message);
    let wrong_case = response_101(&[
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", &RFC_ACCEPT.to_lowercase()),
    ]);
    assert_ws_error(verify(&wrong_case, RFC_KEY), ErrorCode::HandshakeAccept, message);
}

/// Poco §3.2 step 4: the status dispatch (401, 200, anything else with its reason).
#[test]
fn verify_response_status_dispatch() {
    let with_status = |status: u16, reason: &str| ResponseHead {
        version: Version::HTTP_1_1,
        status,
        reason: reason.into(),
        headers: headers(&good_response_fields()),
    };
    assert_ws_error(
        verify(&with_status(401, "Unauthorized"), RFC_KEY),
        ErrorCode::Unauthorized,
        "Not authorized",
    );
    assert_ws_error(
        verify(&with_status(200, "OK"), RFC_KEY),
        ErrorCode::NoHandshake,
        "The server does not understand the WebSocket protocol",
    );
    assert_ws_error(
        verify(&with_status(404, "Not Found"), RFC_KEY),
        ErrorCode::NoHandshake,
        "Cannot upgrade to WebSocket connection: Not Found",
    );
    assert_ws_error(
        verify(&with_status(400, "Bad Request"), RFC_KEY),
        ErrorCode::NoHandshake,
        "Cannot upgrade to WebSocket connection: Bad Request",
    );
    assert_eq!(verify(&with_status(401, ""), RFC_KEY).unwrap_err().code(), 6);
}

/// Poco §3.3 steps 1-2: missing Connection or Upgrade, checked in that order before the accept.
#[test]
fn verify_response_missing_fields() {
    let no_connection = "No Connection: Upgrade header in handshake response";
    let no_upgrade = "No Upgrade: websocket header in handshake response";
    let response = response_101(&[("Upgrade", "websocket"), ("Sec-WebSocket-Accept", RFC_ACCEPT)]);
    assert_ws_error(verify(&response, RFC_KEY), ErrorCode::NoHandshake, no_connection);
    let response = response_101(&[("Connection", "Upgrade"), ("Sec-WebSocket-Accept", RFC_ACCEPT)]);
    assert_ws_error(verify(&response, RFC_KEY), ErrorCode::NoHandshake, no_upgrade);
    let response = response_101(&[("Connection", "Upgrade"), ("Upgrade", "websocket, foo")]);
    assert_ws_error(verify(&response, RFC_KEY), ErrorCode::NoHandshake, no_upgrade);
    assert_ws_error(verify(&response_101(&[]), RFC_KEY), ErrorCode::NoHandshake, no_connection);
}

/// RFC 6455 §4.2.1 (matrix H1, H2, H5, H8), strict checks on (the default): every rule, with
/// Poco's closest code for `WebSocket.accept` and ws's HTTP answer for `WebSocketServer`.
#[test]
fn strict_request_rules() {
    let with = |change: &dyn Fn(&mut RequestHead)| {
        let mut head = upgrade_request();
        change(&mut head);
        head
    };
    let long_protocol = format!("b{}x", " ".repeat(15_000));
    let cases: Vec<(&str, RequestHead, OpeningViolation, u16, ErrorCode)> = vec![
        ("POST", with(&|h| h.method = "POST".into()), OpeningViolation::Method("POST".into()), 405, ErrorCode::NoHandshake),
        ("DELETE", with(&|h| h.method = "DELETE".into()), OpeningViolation::Method("DELETE".into()), 405, ErrorCode::NoHandshake),
        ("HTTP/1.0", with(&|h| h.version = Version::HTTP_1_0), OpeningViolation::HttpVersion, 400, ErrorCode::NoHandshake),
        ("no Host", upgrade_with("Host", None), OpeningViolation::MissingHost, 400, ErrorCode::NoHandshake),
        ("no Upgrade", upgrade_with("Upgrade", None), OpeningViolation::Upgrade, 400, ErrorCode::NoHandshake),
        ("key not base64", upgrade_with("Sec-WebSocket-Key", Some("not base64 at all!!!!!==")), OpeningViolation::InvalidKey, 400, ErrorCode::HandshakeNoKey),
        ("key of 15 bytes", upgrade_with("Sec-WebSocket-Key", Some("dGhlIHNhbXBsZSBub25j")), OpeningViolation::InvalidKey, 400, ErrorCode::HandshakeNoKey),
        ("key of 17 bytes", upgrade_with("Sec-WebSocket-Key", Some("dGhlIHNhbXBsZSBub25jZSE=")), OpeningViolation::InvalidKey, 400, ErrorCode::HandshakeNoKey),
        ("duplicated key", with(&|h| h.headers.0.push(("Sec-WebSocket-Key".into(), RFC_KEY.into()))), OpeningViolation::DuplicateKey, 400, ErrorCode::HandshakeNoKey),
        ("version 8", upgrade_with("Sec-WebSocket-Version", Some("8")), OpeningViolation::UnsupportedVersion("8".into()), 400, ErrorCode::HandshakeUnsupportedVersion),
        ("15,002-character protocol", with(&|h| h.headers.set("Sec-WebSocket-Protocol", long_protocol.clone())), OpeningViolation::InvalidProtocols, 400, ErrorCode::NoHandshake),
        ("protocol list with an empty element", with(&|h| h.headers.set("Sec-WebSocket-Protocol", "chat,,superchat")), OpeningViolation::InvalidProtocols, 400, ErrorCode::NoHandshake),
        ("a protocol offered twice", with(&|h| h.headers.set("Sec-WebSocket-Protocol", "chat, chat")), OpeningViolation::InvalidProtocols, 400, ErrorCode::NoHandshake),
    ];
    for (name, head, violation, status, code) in cases {
        assert_eq!(check_request(&head), Err(violation.clone()), "{name}");
        assert_eq!((rejection(&violation).status, rejection(&violation).code), (status, code), "{name}");
        let mut response = ResponseHead::new(Version::HTTP_1_1, 200);
        assert_eq!(accept(&head, &mut response, true).unwrap_err().code(), code as i32, "{name}");
        assert_eq!(response.status, 200, "{name}: nothing sent");
    }
    assert_eq!(rejection(&OpeningViolation::UnsupportedVersion("8".into())).supported_version, Some("13"));
}

/// RFC 6455 §4.2.1: what passes the strict checks, with the offered subprotocols in order.
#[test]
fn strict_request_accepts_the_rfc_forms() {
    let mut head = upgrade_request();
    head.headers.set("Upgrade", "WebSocket");
    head.headers.set("Connection", "keep-alive, Upgrade");
    head.headers.0.push(("Sec-WebSocket-Protocol".into(), "chat, superchat".into()));
    head.headers.0.push(("Sec-WebSocket-Protocol".into(), "v2.json".into()));
    assert_eq!(
        check_request(&head),
        Ok(Upgrade { key: RFC_KEY.into(), protocols: vec!["chat".into(), "superchat".into(), "v2.json".into()] })
    );
}

/// RFC 6455 §4.1 client checks 5 and 6 (matrix C4, H12): an extension or subprotocol the client
/// did not offer, or an empty subprotocol, fails the handshake; with strict checks off (Poco)
/// they are not looked at.
#[test]
fn client_refuses_what_it_did_not_offer() {
    let fields = |extra: &[(&'static str, &'static str)]| {
        let mut all = good_response_fields().to_vec();
        all.extend_from_slice(extra);
        response_101(&all)
    };
    let refused = [
        (vec![], fields(&[("Sec-WebSocket-Extensions", "permessage-deflate")]), OpeningViolation::UnofferedExtension("permessage-deflate".into())),
        (vec!["chat"], fields(&[("Sec-WebSocket-Protocol", "")]), OpeningViolation::UnofferedProtocol("".into())),
        (vec!["chat"], fields(&[("Sec-WebSocket-Protocol", "superchat")]), OpeningViolation::UnofferedProtocol("superchat".into())),
        (vec![], fields(&[("Sec-WebSocket-Protocol", "chat")]), OpeningViolation::UnofferedProtocol("chat".into())),
    ];
    for (offered, response, violation) in refused {
        assert_eq!(verify_offering(&offered, &response, RFC_KEY), Err(to_error(&violation)), "{violation}");
        assert_eq!(to_error(&violation).code(), ErrorCode::HandshakeAccept as i32);
        let head = request("GET", "/", Version::HTTP_1_1, &[]);
        assert!(verify_response(&head, &response, RFC_KEY, false).is_ok(), "lenient: {violation}");
    }
    assert!(verify_offering(&["chat", "superchat"], &fields(&[("Sec-WebSocket-Protocol", "superchat")]), RFC_KEY).is_ok());
}
