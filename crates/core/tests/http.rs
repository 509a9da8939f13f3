//! HTTP/1.x heads for the handshake: parsing with limits, header-field rules, serialization.

mod common;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use common::{headers, request};
use poco_websocket_core::http::{
    read_body, read_request_head, read_response_head, HeadError, HeadLimits, RequestHead, ResponseHead, Version,
};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

const UPGRADE: &[u8] = b"GET /chat?x=1 HTTP/1.1\r\n\
    Host: server.example.com\r\n\
    Upgrade: websocket\r\n\
    Connection:   keep-alive, Upgrade  \r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\
    \r\n";

const SWITCHING: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
    \r\n";

const FRAME: &[u8] = b"\x81\x05Hello";

/// Hands out its bytes at most `chunk` at a time.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    chunk: usize,
}

impl Trickle {
    fn new(data: &[u8], chunk: usize) -> Self {
        Trickle { data: data.to_vec(), pos: 0, chunk }
    }

    fn rest(&self) -> &[u8] {
        &self.data[self.pos..]
    }
}

impl AsyncRead for Trickle {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let n = self.chunk.min(buf.remaining()).min(self.data.len() - self.pos);
        let start = self.pos;
        buf.put_slice(&self.data[start..start + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

fn limits(max_bytes: usize, max_headers: usize) -> HeadLimits {
    HeadLimits { max_bytes, max_headers }
}

async fn parse_request(bytes: &[u8], limits: HeadLimits) -> (Result<RequestHead, HeadError>, BytesMut) {
    let mut reader = bytes;
    let mut buf = BytesMut::new();
    let result = read_request_head(&mut reader, &mut buf, limits).await;
    (result, buf)
}

async fn parse_response(bytes: &[u8], limits: HeadLimits) -> (Result<ResponseHead, HeadError>, BytesMut) {
    let mut reader = bytes;
    let mut buf = BytesMut::new();
    let result = read_response_head(&mut reader, &mut buf, limits).await;
    (result, buf)
}

/// A head of exactly `len` bytes: a request line and one padding field.
fn request_of_len(len: usize) -> Vec<u8> {
    let fixed = b"GET / HTTP/1.1\r\nX: \r\n\r\n".len();
    let mut head = b"GET / HTTP/1.1\r\nX: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', len - fixed));
    head.extend_from_slice(b"\r\n\r\n");
    head
}

fn request_with_fields(count: usize) -> Vec<u8> {
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..count {
        head.extend_from_slice(format!("X-{i}: {i}\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// RFC 9112 §2-5: request line and fields parsed, values trimmed, frame bytes after the head kept.
#[tokio::test]
async fn request_head_leaves_following_bytes() {
    let (head, buf) = parse_request(&[UPGRADE, FRAME].concat(), HeadLimits::default()).await;
    let head = head.unwrap();
    assert_eq!(head.method, "GET");
    assert_eq!(head.uri, "/chat?x=1");
    assert_eq!(head.version, Version::HTTP_1_1);
    assert_eq!(
        head.headers,
        headers(&[
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "keep-alive, Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ])
    );
    assert_eq!(&buf[..], FRAME);
}

/// Poco §4.1 (GH #1212): bytes after a 101 stay in the buffer for the connection.
#[tokio::test]
async fn response_head_leaves_following_bytes() {
    let (head, buf) = parse_response(&[SWITCHING, FRAME].concat(), HeadLimits::default()).await;
    let head = head.unwrap();
    assert_eq!((head.version, head.status, head.reason.as_str()), (Version::HTTP_1_1, 101, "Switching Protocols"));
    assert_eq!(head.headers.get("sec-websocket-accept"), Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    assert_eq!(head.headers.0.len(), 3);
    assert_eq!(&buf[..], FRAME);

    let (head, buf) = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\n", HeadLimits::default()).await;
    let head = head.unwrap();
    assert_eq!((head.version, head.status, head.reason.as_str()), (Version::HTTP_1_0, 404, "Not Found"));
    assert!(buf.is_empty());
}

/// A head that arrives in many small reads parses once complete; unread bytes stay with the reader.
#[tokio::test]
async fn head_split_across_reads() {
    for chunk in [1, 2, 3, 7] {
        let wire = [UPGRADE, FRAME].concat();
        let mut reader = Trickle::new(&wire, chunk);
        let mut buf = BytesMut::new();
        let head = read_request_head(&mut reader, &mut buf, HeadLimits::default()).await.unwrap();
        assert_eq!(head.headers.get("Sec-WebSocket-Version"), Some("13"), "chunk {chunk}");
        assert_eq!([&buf[..], reader.rest()].concat(), FRAME, "chunk {chunk}");

        let wire = [SWITCHING, FRAME].concat();
        let mut reader = Trickle::new(&wire, chunk);
        let mut buf = BytesMut::new();
        let head = read_response_head(&mut reader, &mut buf, HeadLimits::default()).await.unwrap();
        assert_eq!(head.status, 101, "chunk {chunk}");
        assert_eq!([&buf[..], reader.rest()].concat(), FRAME, "chunk {chunk}");
    }
}

/// A head split across writes on a duplex pipe parses once its end arrives.
#[tokio::test]
async fn head_over_duplex() {
    let (mut client, mut server) = tokio::io::duplex(64);
    let writer = tokio::spawn(async move {
        for piece in [UPGRADE, FRAME].concat().chunks(5) {
            client.write_all(piece).await.unwrap();
            tokio::task::yield_now().await;
        }
        client
    });
    let mut buf = BytesMut::new();
    let head =
        tokio::time::timeout(Duration::from_secs(10), read_request_head(&mut server, &mut buf, HeadLimits::default()))
            .await
            .expect("timed out")
            .unwrap();
    assert_eq!(head.uri, "/chat?x=1");
    drop(writer.await.unwrap());
    let body = read_body(&mut server, &mut buf, FRAME.len()).await.unwrap();
    assert_eq!(body, FRAME);
}

/// The byte limit is inclusive: a head of exactly max_bytes parses, one byte less of limit is TooLarge.
#[tokio::test]
async fn head_byte_limit() {
    let head = request_of_len(200);
    assert_eq!(head.len(), 200);
    assert!(parse_request(&head, limits(200, 10)).await.0.is_ok());
    assert_eq!(parse_request(&head, limits(199, 10)).await.0, Err(HeadError::TooLarge));
    assert_eq!(parse_request(&request_of_len(4000), limits(1024, 10)).await.0, Err(HeadError::TooLarge));

    let response = [b"HTTP/1.1 101 Switching Protocols\r\nX: ".as_slice(), &[b'a'; 2000], b"\r\n\r\n"].concat();
    assert_eq!(parse_response(&response, limits(1024, 10)).await.0, Err(HeadError::TooLarge));
}

/// A peer that never ends its head is cut off at the limit instead of being buffered forever.
#[tokio::test]
async fn endless_head_is_too_large() {
    let mut endless = tokio::io::repeat(b'a');
    let mut buf = BytesMut::new();
    let result =
        tokio::time::timeout(Duration::from_secs(10), read_request_head(&mut endless, &mut buf, limits(4096, 10)))
            .await
            .expect("read_request_head kept reading past the limit");
    assert_eq!(result, Err(HeadError::TooLarge));
    assert!(buf.len() < 4096 + 64 * 1024, "buffered {} bytes", buf.len());
}

/// More fields than max_headers is TooLarge; exactly max_headers parses.
#[tokio::test]
async fn header_count_limit() {
    assert_eq!(parse_request(&request_with_fields(5), limits(4096, 5)).await.0.unwrap().headers.0.len(), 5);
    assert_eq!(parse_request(&request_with_fields(6), limits(4096, 5)).await.0, Err(HeadError::TooLarge));
    let response = [b"HTTP/1.1 200 OK\r\n".as_slice(), &request_with_fields(6)[16..]].concat();
    assert_eq!(parse_response(&response, limits(4096, 5)).await.0, Err(HeadError::TooLarge));
}

/// Input that is not HTTP/1.x is Malformed.
#[tokio::test]
async fn garbage_is_malformed() {
    for garbage in
        [&b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..], b"GET / HTTP/2.0\r\n\r\n", b"GET /\x01 HTTP/1.1\r\n\r\n"]
    {
        let (result, _) = parse_request(garbage, HeadLimits::default()).await;
        assert!(matches!(result, Err(HeadError::Malformed(_))), "{garbage:?}: {result:?}");
    }
    for garbage in [&b"SSH-2.0-OpenSSH_9.6\r\n\r\n"[..], b"HTTP/1.1 abc OK\r\n\r\n"] {
        let (result, _) = parse_response(garbage, HeadLimits::default()).await;
        assert!(matches!(result, Err(HeadError::Malformed(_))), "{garbage:?}: {result:?}");
    }
}

/// EOF before the first byte is Closed; EOF inside the head is Truncated.
#[tokio::test]
async fn eof_before_and_inside_head() {
    assert_eq!(parse_request(b"", HeadLimits::default()).await.0, Err(HeadError::Closed));
    assert_eq!(parse_response(b"", HeadLimits::default()).await.0, Err(HeadError::Closed));
    assert_eq!(
        parse_request(b"GET / HTTP/1.1\r\nHost: x\r\n", HeadLimits::default()).await.0,
        Err(HeadError::Truncated)
    );
    assert_eq!(parse_request(b"G", HeadLimits::default()).await.0, Err(HeadError::Truncated));
    assert_eq!(
        parse_response(&SWITCHING[..SWITCHING.len() - 1], HeadLimits::default()).await.0,
        Err(HeadError::Truncated)
    );
}

/// `read_body` takes buffered bytes first and fails on EOF before the length is reached.
#[tokio::test]
async fn body_reads() {
    let mut buf = BytesMut::from(&b"hel"[..]);
    let mut reader: &[u8] = b"lo, world";
    assert_eq!(read_body(&mut reader, &mut buf, 5).await.unwrap(), b"hello");
    assert_eq!([&buf[..], reader].concat(), b", world");

    let mut buf = BytesMut::from(&b"ab"[..]);
    let mut reader: &[u8] = b"c";
    assert_eq!(read_body(&mut reader, &mut buf, 5).await, Err(HeadError::Truncated));
}

/// Poco `NameValueCollection::set`: replaces the first field of that name in place and drops the others.
#[test]
fn set_replaces_in_place() {
    let mut fields = headers(&[("A", "1"), ("x-dup", "1"), ("B", "2"), ("X-Dup", "2"), ("X-DUP", "3")]);
    fields.set("X-Dup", "new");
    assert_eq!(fields, headers(&[("A", "1"), ("x-dup", "new"), ("B", "2")]));
    fields.set("C", "3");
    assert_eq!(fields, headers(&[("A", "1"), ("x-dup", "new"), ("B", "2"), ("C", "3")]));
    fields.set("a", "0");
    assert_eq!(fields, headers(&[("A", "0"), ("x-dup", "new"), ("B", "2"), ("C", "3")]));
}

/// Field names compare case-insensitively; `get` returns the first.
#[test]
fn get_is_case_insensitive() {
    let fields = headers(&[("Content-Type", "a"), ("content-type", "b")]);
    assert_eq!(fields.get("CONTENT-TYPE"), Some("a"));
    assert!(fields.has("content-TYPE"));
    assert!(!fields.has("Content"));
}

/// Poco `hasToken` / RFC 6455 §4.2.1: comma-separated, trimmed, case-insensitive tokens; no substring match.
#[test]
fn has_token_rules() {
    let fields = headers(&[("Connection", " keep-alive ,  UpGrade ")]);
    assert!(fields.has_token("connection", "upgrade"));
    assert!(fields.has_token("Connection", "Keep-Alive"));
    assert!(!fields.has_token("Connection", "grade"));
    assert!(!fields.has_token("Connection", "keep-alive, upgrade"));
    assert!(!fields.has_token("Upgrade", "upgrade"));
    assert!(!headers(&[("Connection", "Upgraded")]).has_token("Connection", "upgrade"));
}

/// HTTP version, Connection fields, expected keep-alive.
type KeepAliveCase = (Version, &'static [(&'static str, &'static str)], bool);

/// RFC 9112 §9.3 / Poco `getKeepAlive`, where the two agree: 1.1 persists unless "close"; 1.0 needs "keep-alive".
#[test]
fn keep_alive_defaults() {
    let cases: [KeepAliveCase; 7] = [
        (Version::HTTP_1_1, &[], true),
        (Version::HTTP_1_1, &[("Connection", "close")], false),
        (Version::HTTP_1_1, &[("Connection", "Close")], false),
        (Version::HTTP_1_1, &[("Connection", "keep-alive")], true),
        (Version::HTTP_1_0, &[], false),
        (Version::HTTP_1_0, &[("Connection", "Keep-Alive")], true),
        (Version::HTTP_1_0, &[("connection", "upgrade, keep-alive")], true),
    ];
    for (version, fields, expected) in cases {
        assert_eq!(request("GET", "/", version, fields).keep_alive(), expected, "{version:?} {fields:?}");
    }
}

/// Serialization: status line with the standard reason, fields in order, blank line.
#[test]
fn response_encode() {
    let mut head = ResponseHead::new(Version::HTTP_1_1, 101);
    head.headers = headers(&[("Connection", "Upgrade"), ("Upgrade", "websocket")]);
    assert_eq!(
        String::from_utf8(head.encode()).unwrap(),
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    );
    assert_eq!(ResponseHead::new(Version::HTTP_1_0, 404).encode(), b"HTTP/1.0 404 Not Found\r\n\r\n");
    assert_eq!(ResponseHead::new(Version::HTTP_1_1, 400).encode(), b"HTTP/1.1 400 Bad Request\r\n\r\n");
    assert_eq!(ResponseHead::new(Version::HTTP_1_1, 299).reason, "???");
}

/// Serialization round trip: an encoded request parses back to the same head.
#[tokio::test]
async fn request_encode_round_trip() {
    let head = request("POST", "/x", Version::HTTP_1_0, &[("Host", "h"), ("X-A", "1, 2")]);
    let wire = head.encode();
    assert_eq!(wire, b"POST /x HTTP/1.0\r\nHost: h\r\nX-A: 1, 2\r\n\r\n");
    assert_eq!(parse_request(&wire, HeadLimits::default()).await.0.unwrap(), head);
}

/// `Version::parse` knows exactly HTTP/1.0 and HTTP/1.1.
#[test]
fn version_parse() {
    assert_eq!(Version::parse("HTTP/1.0"), Some(Version::HTTP_1_0));
    assert_eq!(Version::parse("HTTP/1.1"), Some(Version::HTTP_1_1));
    assert_eq!(Version::parse("HTTP/2"), None);
    assert_eq!(Version::HTTP_1_0.as_str(), "HTTP/1.0");
}

/// RFC 9112 §4: a status below 100 (which httparse accepts as "099") re-encodes as three digits.
#[test]
fn status_code_encodes_as_three_digits() {
    let head = ResponseHead::new(Version::HTTP_1_1, 99);
    assert!(String::from_utf8(head.encode()).unwrap().starts_with("HTTP/1.1 099 "));
}
