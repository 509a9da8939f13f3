//! Real peers over loopback TCP: our server and client against tokio-tungstenite and raw sockets.
//! Every test runs under `bounded`, so a missed wake-up fails instead of hanging.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use common::{bounded, eof_frame, frame, next_request, request, waker};
use futures_util::{SinkExt, StreamExt};
use poco_websocket_core::client::{self, ClientOptions, Handshake};
use poco_websocket_core::frame::{self, Frame};
use poco_websocket_core::handshake::compute_accept;
use poco_websocket_core::http::{read_body, read_request_head, read_response_head, HeadLimits, ResponseHead, Version};
use poco_websocket_core::server::{Server, ServerOptions};
use poco_websocket_core::{Connection, ConnectionConfig, Error, ErrorCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tokio_tungstenite::tungstenite::handshake::server::{Callback, ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// Waits, through `arm_read` and the wake-up, until a frame or the end of input is queued.
/// Yields at least once, so a connection that claims to be readable but returns nothing cannot
/// spin past `bounded`'s deadline.
async fn wait_readable(connection: &Connection, notify: &Notify) {
    while !connection.arm_read() {
        notify.notified().await;
    }
    tokio::task::yield_now().await;
}

async fn next_frame(connection: &Connection, notify: &Notify) -> Result<Frame, Error> {
    loop {
        if let Some(frame) = connection.receive(None)? {
            return Ok(frame);
        }
        wait_readable(connection, notify).await;
    }
}

fn assert_ws_error<T: std::fmt::Debug>(result: Result<T, Error>, code: ErrorCode, message: &str) {
    match result {
        Err(Error::WebSocket { code: c, message: m }) => assert_eq!((c, m.as_str()), (code, message)),
        other => panic!("expected WebSocketException {code:?} {message:?}, got {other:?}"),
    }
}

async fn start_server() -> (Server, Arc<Notify>) {
    let (wake, notify) = waker();
    let server = Server::bind("127.0.0.1", 0, ServerOptions::default(), wake).await.expect("bind");
    (server, notify)
}

/// Reads one response head and its Content-Length body from a raw socket.
async fn read_response(stream: &mut TcpStream, buf: &mut BytesMut) -> (ResponseHead, Vec<u8>) {
    let head = read_response_head(stream, buf, HeadLimits::default()).await.expect("response head");
    let length = head.headers.get("Content-Length").map_or(0, |v| v.parse().expect("Content-Length"));
    let body = read_body(stream, buf, length).await.expect("response body");
    (head, body)
}

fn upgrade_request_bytes(fields: &[(&str, &str)]) -> Vec<u8> {
    request("GET", "/chat", Version::HTTP_1_1, fields).encode()
}

const RAW_UPGRADE_FIELDS: [(&str, &str); 5] = [
    ("Host", "localhost"),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", RFC_KEY),
    ("Sec-WebSocket-Version", "13"),
];

/// A raw server for one client: reads the upgrade request, answers a valid 101 followed by `tail`
/// (in the same write, or in a second one), then closes the socket or keeps it open.
async fn fake_server(tail: Vec<u8>, same_write: bool, close: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = BytesMut::new();
        let request = read_request_head(&mut stream, &mut buf, HeadLimits::default()).await.unwrap();
        let key = request.headers.get("Sec-WebSocket-Key").expect("client sent a key");
        let head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            compute_accept(key)
        );
        if same_write {
            stream.write_all(&[head.as_bytes(), &tail].concat()).await.unwrap();
        } else {
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            stream.write_all(&tail).await.unwrap();
        }
        if close {
            stream.shutdown().await.unwrap();
        } else {
            std::future::pending::<()>().await;
        }
    });
    port
}

async fn connect_client(port: u16) -> (Connection, Arc<Notify>) {
    let (wake, notify) = waker();
    let head = request("GET", "/chat", Version::HTTP_1_1, &[]);
    let Handshake { response, result } = client::connect("127.0.0.1", port, head, ClientOptions::default(), None, wake).await;
    assert_eq!(response.expect("a response").status, 101);
    (result.expect("handshake"), notify)
}

/// Poco spec §3.1, §4.4: our server with a tokio-tungstenite client: echo, raw flags, no auto-pong, CLOSE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_with_tungstenite_client() {
    bounded(async {
        let (server, server_notify) = start_server().await;
        let url = format!("ws://{}/chat?room=1", server.local_addr());
        let client = tokio::spawn(tokio_tungstenite::connect_async(url));

        let mut incoming = next_request(&server, &server_notify).await;
        assert_eq!((incoming.head.method.as_str(), incoming.head.uri.as_str()), ("GET", "/chat?room=1"));
        let mut response = ResponseHead::new(Version::HTTP_1_1, 200);
        response.headers.set("X-Handler", "yes");
        let (wake, notify) = waker();
        let connection = incoming.upgrade(response, wake).expect("upgrade");
        assert!(incoming.is_answered());

        let (mut ws, response) = client.await.unwrap().expect("tungstenite handshake");
        assert_eq!(response.status().as_u16(), 101);
        assert_eq!(response.headers()["X-Handler"], "yes");
        assert!(response.headers().contains_key("Date"), "the server adds Date");

        ws.send(Message::text("hello")).await.unwrap();
        ws.send(Message::binary(vec![0, 1, 2, 255])).await.unwrap();
        let text = next_frame(&connection, &notify).await.unwrap();
        let binary = next_frame(&connection, &notify).await.unwrap();
        assert_eq!(text, frame(0x81, b"hello"));
        assert_eq!(binary, frame(0x82, &[0, 1, 2, 255]));
        connection.send(text.flags, &text.payload).unwrap();
        connection.send(binary.flags, &binary.payload).unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(vec![0, 1, 2, 255]));

        ws.send(Message::Ping(Bytes::from_static(b"hi"))).await.unwrap();
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0x89, b"hi"));

        assert_eq!(common::send_close(&connection, 1000, "").unwrap(), 2);
        match ws.next().await.unwrap().unwrap() {
            Message::Close(Some(close)) => assert_eq!(close.code, CloseCode::Normal),
            other => panic!("expected the CLOSE (and no PONG before it), got {other:?}"),
        }
        ws.flush().await.unwrap();
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0x88, &[0x03, 0xe8]));

        drop(ws);
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), eof_frame());
    })
    .await;
}

/// A tungstenite handshake callback that hands the request's fields, in order, to the test.
struct RecordFields(oneshot::Sender<Vec<(String, String)>>);

impl Callback for RecordFields {
    fn on_request(self, request: &Request, response: Response) -> Result<Response, ErrorResponse> {
        let fields =
            request.headers().iter().map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().to_string())).collect();
        let _ = self.0.send(fields);
        Ok(response)
    }
}

/// Poco spec §3.2-3.3, RFC 6455 §5.3: our client against a tokio-tungstenite server, frames masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_with_tungstenite_server() {
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (fields_tx, fields_rx) = oneshot::channel();
        let peer = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut ws =
                tokio_tungstenite::accept_hdr_async(stream, RecordFields(fields_tx)).await.expect("server handshake");
            while let Some(message) = ws.next().await {
                match message.expect("tungstenite accepts our frames") {
                    message @ (Message::Text(_) | Message::Binary(_)) => ws.send(message).await.unwrap(),
                    Message::Close(close) => return close,
                    _ => {}
                }
            }
            None
        });

        let (wake, notify) = waker();
        let head = request("GET", "/chat", Version::HTTP_1_1, &[("Origin", "http://example.com")]);
        let Handshake { response, result } =
            client::connect("127.0.0.1", port, head, ClientOptions::default(), None, wake).await;
        let response = response.expect("a response");
        assert_eq!((response.status, response.reason.as_str()), (101, "Switching Protocols"));
        let connection = result.expect("handshake");

        let fields = fields_rx.await.unwrap();
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["origin", "connection", "upgrade", "sec-websocket-version", "sec-websocket-key", "host"]);
        assert_eq!(fields[5].1, format!("127.0.0.1:{port}"));

        let large = (0..70_000u32).map(|i| i as u8).collect::<Vec<_>>();
        connection.send(0x81, b"hello").unwrap();
        connection.send(0x82, &[0, 1, 2, 255]).unwrap();
        connection.send(0x82, &large).unwrap();
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0x81, b"hello"));
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0x82, &[0, 1, 2, 255]));
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0x82, &large));

        assert_eq!(common::send_close(&connection, 1001, "bye").unwrap(), 5);
        let close = peer.await.unwrap().expect("a close frame with a status");
        assert_eq!((close.code, close.reason.as_str()), (CloseCode::Away, "bye"));
    })
    .await;
}

/// Poco spec §4.1, §4.4: frames sent right behind the upgrade request reach the server, which
/// (with strict checks off, as in Poco) accepts unmasked client frames and RSV bits, never masks
/// its own, and reports the peer's EOF as flags 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_with_raw_client() {
    bounded(async {
        let (server, server_notify) = start_server().await;
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        let mut masked = BytesMut::new();
        frame::encode(0x81, b"Hello", Some([0x37, 0xfa, 0x21, 0x3d]), &mut masked);
        let unmasked = [0xc3, 0x02, b'o', b'k'];
        stream
            .write_all(&[&upgrade_request_bytes(&RAW_UPGRADE_FIELDS), &masked[..], &unmasked].concat())
            .await
            .unwrap();

        let mut incoming = next_request(&server, &server_notify).await;
        let (wake, notify) = waker();
        let poco = ConnectionConfig { strict: false, ..ConnectionConfig::default() };
        let connection = incoming.upgrade_with(ResponseHead::new(Version::HTTP_1_1, 200), poco, wake).expect("upgrade");

        let mut buf = BytesMut::new();
        let response = read_response_head(&mut stream, &mut buf, HeadLimits::default()).await.unwrap();
        assert_eq!(response.status, 101);
        assert_eq!(response.headers.get("Sec-WebSocket-Accept"), Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        assert!(!response.headers.has("Content-Length"));

        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0x81, b"Hello"));
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0xc3, b"ok"));

        connection.send(0x81, b"hi").unwrap();
        connection.send(0x09, b"").unwrap();
        let mut wire = buf.to_vec();
        while wire.len() < 6 {
            let mut chunk = [0; 64];
            let n = stream.read(&mut chunk).await.unwrap();
            assert_ne!(n, 0, "server closed early");
            wire.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(wire, [0x81, 0x02, b'h', b'i', 0x09, 0x00]);

        stream.shutdown().await.unwrap();
        for _ in 0..3 {
            assert_eq!(next_frame(&connection, &notify).await.unwrap(), eof_frame());
        }
    })
    .await;
}

/// Poco spec §3.1: a plain request is answered with `respond` (Date and Connection added); an
/// answered request cannot be answered again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_plain_request() {
    bounded(async {
        let (server, server_notify) = start_server().await;
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream.write_all(b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();

        let mut incoming = next_request(&server, &server_notify).await;
        assert_eq!(incoming.head.uri, "/plain");
        let (wake, _) = waker();
        assert_ws_error(
            incoming.upgrade(ResponseHead::new(Version::HTTP_1_1, 200), wake).map(drop),
            ErrorCode::NoHandshake,
            "No WebSocket handshake",
        );
        assert!(!incoming.is_answered());
        let mut head = ResponseHead::new(Version::HTTP_1_1, 200);
        head.headers.set("Content-Length", "5");
        incoming.respond(head.clone(), b"hello".to_vec()).unwrap();
        assert!(incoming.is_answered());
        assert_eq!(
            incoming.respond(head, Vec::new()),
            Err(Error::InvalidAccess("The response has already been sent".into()))
        );

        let mut buf = BytesMut::new();
        let (response, body) = read_response(&mut stream, &mut buf).await;
        assert_eq!((response.version, response.status, response.reason.as_str()), (Version::HTTP_1_1, 200, "OK"));
        assert_eq!(response.headers.0[0].0, "Date");
        assert_eq!(response.headers.get("Connection"), Some("Keep-Alive"));
        assert_eq!(body, b"hello");
    })
    .await;
}

/// Poco spec §3.1: a failed upgrade (no key, code 4) sends nothing; the handler then answers 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_upgrade_without_key_then_400() {
    bounded(async {
        let (server, server_notify) = start_server().await;
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        let fields: Vec<_> = RAW_UPGRADE_FIELDS.iter().copied().filter(|(n, _)| *n != "Sec-WebSocket-Key").collect();
        stream.write_all(&upgrade_request_bytes(&fields)).await.unwrap();

        let mut incoming = next_request(&server, &server_notify).await;
        let (wake, _) = waker();
        assert_ws_error(
            incoming.upgrade(ResponseHead::new(Version::HTTP_1_1, 200), wake).map(drop),
            ErrorCode::HandshakeNoKey,
            "Missing Sec-WebSocket-Key in handshake request",
        );
        let mut head = ResponseHead::new(Version::HTTP_1_1, 400);
        head.headers.set("Content-Length", "0");
        incoming.respond(head, Vec::new()).unwrap();

        let mut buf = BytesMut::new();
        let (response, body) = read_response(&mut stream, &mut buf).await;
        assert_eq!((response.status, response.reason.as_str()), (400, "Bad Request"));
        assert!(body.is_empty());
        assert!(buf.is_empty(), "nothing after the 400");
    })
    .await;
}

/// Poco spec §4.4 step 4 / §4.6.1: EOF inside a frame (header or payload) is "Incomplete frame
/// received" (code 11), reported on every later receive; complete frames before it are delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_eof_inside_frame() {
    bounded(async {
        let cases: [(&[u8], Vec<Frame>); 4] = [
            (b"\x81\x05He", vec![]),
            (b"\x81", vec![]),
            (b"\x82\x7e\x01", vec![]),
            (b"\x81\x02ok\x82\x85\x01\x02\x03", vec![frame(0x81, b"ok")]),
        ];
        for (tail, expected) in cases {
            let port = fake_server(tail.to_vec(), false, true).await;
            let (connection, notify) = connect_client(port).await;
            let mut frames = Vec::new();
            let error = loop {
                match next_frame(&connection, &notify).await {
                    Ok(frame) if frame == eof_frame() => panic!("orderly EOF reported inside a frame, tail {tail:?}"),
                    Ok(frame) => frames.push(frame),
                    Err(error) => break error,
                }
            };
            assert_eq!(frames, expected, "tail {tail:?}");
            assert_ws_error(Err::<(), _>(error), ErrorCode::IncompleteFrame, "Incomplete frame received");
            assert_ws_error(connection.receive(None), ErrorCode::IncompleteFrame, "Incomplete frame received");
            assert_eq!(connection.receive(Some(1 << 20)).unwrap_err().code(), 11);
        }
    })
    .await;
}

/// Poco spec §4.1 (GH #1212): a frame in the same write as the 101 is received, not lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_frame_with_101_not_lost() {
    bounded(async {
        let port = fake_server(b"\x81\x05early".to_vec(), true, false).await;
        let (connection, notify) = connect_client(port).await;
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0x81, b"early"));
        assert_eq!(connection.receive(None).unwrap(), None);
    })
    .await;
}

/// Poco spec §4.4 step 3: a too-small capacity fails with code 10 and leaves the frame queued,
/// so a retry with enough room receives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_with_small_capacity() {
    bounded(async {
        let port = fake_server(b"\x82\x0a0123456789\x89\x00\x81\x01x".to_vec(), true, false).await;
        let (connection, notify) = connect_client(port).await;
        let insufficient = "Insufficient buffer for payload size 10";

        wait_readable(&connection, &notify).await;
        assert_ws_error(connection.receive(Some(9)), ErrorCode::PayloadTooBig, insufficient);
        assert_ws_error(connection.receive(Some(0)), ErrorCode::PayloadTooBig, insufficient);
        assert_eq!(connection.receive(Some(10)).unwrap(), Some(frame(0x82, b"0123456789")));

        wait_readable(&connection, &notify).await;
        assert_eq!(connection.receive(Some(0)).unwrap(), Some(frame(0x89, b"")));
        wait_readable(&connection, &notify).await;
        assert_ws_error(
            connection.receive(Some(0)),
            ErrorCode::PayloadTooBig,
            "Insufficient buffer for payload size 1",
        );
        assert_eq!(connection.receive(Some(1)).unwrap(), Some(frame(0x81, b"x")));
    })
    .await;
}

/// Poco spec §4.4: after the peer's orderly EOF every receive returns n == 0 with flags 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_orderly_eof() {
    bounded(async {
        let port = fake_server(b"\x81\x03bye".to_vec(), true, true).await;
        let (connection, notify) = connect_client(port).await;
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0x81, b"bye"));
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), eof_frame());
        for capacity in [None, Some(0), None] {
            assert_eq!(connection.receive(capacity).unwrap(), Some(eof_frame()));
        }
        assert!(connection.arm_read());
    })
    .await;
}
