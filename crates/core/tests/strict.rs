//! Strict RFC 6455 checks end to end over loopback TCP: our server against a raw client and our
//! client against a raw server, both speaking bytes written by hand. A broken rule must produce,
//! in this order, the valid frames before it, then an error on `receive`; on the wire a CLOSE with
//! the rule's close code as the last frame, then TCP closed (RFC 6455 §7.1.7). Also the close
//! handshake (§7.1) and strict checks turned off (Poco's raw semantics).
//! Every test runs under `bounded`, so nothing can hang.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::raw::RawClient;
use common::{bounded, eof_frame, frame, request, waker};
use poco_websocket_core::client::{self, ClientOptions, Handshake};
use poco_websocket_core::decoder::{Decoder, Policy};
use poco_websocket_core::frame::{self, Frame};
use poco_websocket_core::protocol::fragmentation::MessageLimits;
use poco_websocket_core::handshake::compute_accept;
use poco_websocket_core::http::{read_request_head, HeadLimits, Version};
use poco_websocket_core::server::Server;
use poco_websocket_core::{Connection, ConnectionConfig, Error, Role, Violation};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// How long a failed connection may take to close TCP (far below the 30 s close timeout).
const PROMPT: Duration = Duration::from_secs(2);
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];


fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    frame::close_payload(code, reason)
}

fn wire(flags: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = BytesMut::new();
    frame::encode(flags, payload, mask, &mut out);
    out.to_vec()
}

/// Which of our endpoints talks to the raw peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Our server; the raw peer is a client and masks its frames.
    Server,
    /// Our client; the raw peer is a server and does not mask.
    Client,
}

const SIDES: [Side; 2] = [Side::Server, Side::Client];

/// A frame as the raw peer read it off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WireFrame {
    flags: u8,
    masked: bool,
    /// Unmasked.
    payload: Vec<u8>,
}

/// One of our connections with a raw peer on the other end of the socket.
struct Pair {
    side: Side,
    connection: Connection,
    notify: Arc<Notify>,
    raw: TcpStream,
    /// Bytes the raw peer has read and not yet parsed.
    buf: BytesMut,
    _server: Option<Server>,
}

async fn pair(side: Side, config: ConnectionConfig) -> Pair {
    match side {
        Side::Server => server_with_raw_client(config).await,
        Side::Client => client_with_raw_server(config).await,
    }
}

/// Our server (default options) upgrades a raw client's request with `config`.
async fn server_with_raw_client(config: ConnectionConfig) -> Pair {
    let RawClient { server, connection, notify, raw, buf } = common::raw::server_with_raw_client(config).await;
    Pair { side: Side::Server, connection, notify, raw, buf, _server: Some(server) }
}

/// Our client (`ClientOptions.connection = config`) connects to a raw server that answers 101.
async fn client_with_raw_server(config: ConnectionConfig) -> Pair {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (wake, notify) = waker();
    let options = ClientOptions { connection: config, ..ClientOptions::default() };
    let head = request("GET", "/chat", Version::HTTP_1_1, &[]);
    let raw_server = async {
        let (mut raw, _) = listener.accept().await.unwrap();
        raw.set_nodelay(true).unwrap();
        let mut buf = BytesMut::new();
        let request = read_request_head(&mut raw, &mut buf, HeadLimits::default()).await.unwrap();
        let key = request.headers.get("Sec-WebSocket-Key").expect("client sent a key").to_string();
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            compute_accept(&key)
        );
        raw.write_all(answer.as_bytes()).await.unwrap();
        assert!(buf.is_empty(), "the client sent nothing behind its request");
        raw
    };
    let (Handshake { response, result }, raw) =
        tokio::join!(client::connect("127.0.0.1", port, head, options, None, wake), raw_server);
    assert_eq!(response.expect("a response").status, 101);
    let connection = result.expect("handshake");
    Pair { side: Side::Client, connection, notify, raw, buf: BytesMut::new(), _server: None }
}

/// Takes every complete frame off `buf`, as raw frames (no rule checked).
fn parse_frames(buf: &mut BytesMut) -> Vec<WireFrame> {
    let limits = MessageLimits { max_message_size: u64::MAX, max_fragments: u64::MAX };
    let raw = Policy { strict: false, max_payload: u64::MAX, limits, join: false };
    let mut frames = Vec::new();
    while let Some(header) = frame::parse_header(buf) {
        let mut decoded = Vec::new();
        Decoder::new(Role::Server).decode(&mut buf.split_to(buf.len().min(header.len + header.payload_len as usize)), &raw, &mut decoded).expect("decodes");
        let Some(frame) = decoded.pop() else { break };
        frames.push(WireFrame { flags: frame.flags, masked: header.mask.is_some(), payload: frame.payload.to_vec() });
    }
    frames
}

impl Pair {
    /// The mask the raw peer must put on its frames.
    fn peer_mask(&self) -> Option<[u8; 4]> {
        (self.side == Side::Server).then_some(MASK)
    }

    /// Whether frames of our endpoint are masked on the wire.
    fn our_frames_masked(&self) -> bool {
        self.side == Side::Client
    }

    /// The raw peer's well-formed encoding of `frames` (masked toward our server).
    fn encode(&self, frames: &[(u8, &[u8])]) -> Vec<u8> {
        frames.iter().flat_map(|&(flags, payload)| wire(flags, payload, self.peer_mask())).collect()
    }

    /// The raw peer sends `frames` in one write.
    async fn send(&mut self, frames: &[(u8, &[u8])]) {
        let bytes = self.encode(frames);
        self.send_bytes(&bytes).await;
    }

    async fn send_bytes(&mut self, bytes: &[u8]) {
        self.raw.write_all(bytes).await.unwrap();
        self.raw.flush().await.unwrap();
    }

    /// Our endpoint's next frame (or the error), waiting for it through `arm_read` and the wake.
    async fn next_frame(&self) -> Result<Frame, Error> {
        loop {
            if let Some(frame) = self.connection.receive(None)? {
                return Ok(frame);
            }
            while !self.connection.arm_read() {
                self.notify.notified().await;
            }
            tokio::task::yield_now().await;
        }
    }

    /// Frames delivered until `receive` reports an error.
    async fn frames_until_error(&self) -> (Vec<Frame>, Error) {
        let mut frames = Vec::new();
        loop {
            match self.next_frame().await {
                Ok(frame) => {
                    assert_ne!(frame, eof_frame(), "orderly end reported instead of an error, after {frames:?}");
                    frames.push(frame);
                }
                Err(error) => return (frames, error),
            }
        }
    }

    /// The raw peer reads one more frame; it must come before EOF.
    async fn read_frame(&mut self) -> WireFrame {
        loop {
            let mut frames = parse_frames(&mut self.buf);
            if !frames.is_empty() {
                assert_eq!(frames.len(), 1, "one frame expected, got {frames:?}");
                return frames.remove(0);
            }
            let mut chunk = [0; 4096];
            let n = self.raw.read(&mut chunk).await.expect("read");
            assert_ne!(n, 0, "EOF before a frame");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The raw peer reads until EOF (an error such as a reset fails the test), within `within`;
    /// returns the frames read and how long it took.
    async fn read_until_eof(&mut self, within: Duration) -> (Vec<WireFrame>, Duration) {
        let start = Instant::now();
        let read = async {
            loop {
                let mut chunk = [0; 4096];
                match self.raw.read(&mut chunk).await {
                    Ok(0) => break,
                    Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                    Err(error) => panic!("expected the peer's EOF, got {error}"),
                }
            }
        };
        tokio::time::timeout(within, read).await.unwrap_or_else(|_| panic!("TCP still open after {within:?}"));
        let elapsed = start.elapsed();
        let frames = parse_frames(&mut self.buf);
        assert!(self.buf.is_empty(), "a truncated frame before EOF: {:?}", self.buf);
        (frames, elapsed)
    }

    /// The raw peer receives nothing (no frame, no EOF) for a while.
    async fn expect_silence(&mut self) {
        let mut chunk = [0; 64];
        match tokio::time::timeout(Duration::from_millis(150), self.raw.read(&mut chunk)).await {
            Err(_elapsed) => {}
            Ok(Ok(0)) => panic!("TCP closed"),
            Ok(Ok(n)) => panic!("unexpected bytes {:x?}", &chunk[..n]),
            Ok(Err(error)) => panic!("read failed: {error}"),
        }
    }

    /// A CLOSE frame of our endpoint with `code` and no reason.
    fn our_close(&self, code: u16) -> WireFrame {
        WireFrame { flags: 0x88, masked: self.our_frames_masked(), payload: close_payload(code, "") }
    }

    /// The failure of a broken rule: `delivered` then the error on `receive` (every time); on the
    /// wire exactly one frame, a CLOSE with the close code, then EOF.
    async fn expect_failure(&mut self, delivered: &[Frame], violation: Violation) {
        let context = format!("{:?} side, {violation}", self.side);
        let (frames, error) = self.frames_until_error().await;
        assert_eq!(frames, delivered, "{context}");
        let close_code = violation.close_code();
        let expected = Error::Protocol(violation);
        assert_eq!(error, expected, "{context}");
        assert_eq!(self.connection.receive(None), Err(expected.clone()), "{context}: the error stays");

        let (wire, _) = self.read_until_eof(PROMPT).await;
        assert_eq!(wire, [self.our_close(close_code)], "{context}");
        assert_eq!(self.connection.receive(Some(1 << 20)), Err(expected), "{context}: the error stays");
    }
}

/// §5.2 (matrix F1): a frame with RSV1 after a valid one: 1002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsv_bit_fails_1002() {
    bounded(async {
        for side in SIDES {
            let mut pair = pair(side, ConnectionConfig::default()).await;
            pair.send(&[(0x81, b"ok"), (0xc1, b"compressed?")]).await;
            pair.expect_failure(&[frame(0x81, b"ok")], Violation::ReservedBits).await;
        }
    })
    .await;
}

/// §5.2 (matrix F2): reserved data and control opcodes: 1002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_opcode_fails_1002() {
    bounded(async {
        for side in SIDES {
            for opcode in [0x3, 0xb] {
                let mut pair = pair(side, ConnectionConfig::default()).await;
                pair.send(&[(0x82, &[1, 2]), (0x80 | opcode, b"")]).await;
                pair.expect_failure(&[frame(0x82, &[1, 2])], Violation::ReservedOpcode(opcode)).await;
            }
        }
    })
    .await;
}

/// §5.1 (matrix F3): the server fails a connection on an unmasked client frame: 1002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmasked_client_frame_fails_1002() {
    bounded(async {
        let mut pair = pair(Side::Server, ConnectionConfig::default()).await;
        let bytes = [wire(0x81, b"masked", Some(MASK)), wire(0x81, b"plain", None)].concat();
        pair.send_bytes(&bytes).await;
        pair.expect_failure(
            &[frame(0x81, b"masked")],
            Violation::UnmaskedFrame,
        )
        .await;
    })
    .await;
}

/// §5.1 (matrix F4): the client fails a connection on a masked server frame: 1002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masked_server_frame_fails_1002() {
    bounded(async {
        let mut pair = pair(Side::Client, ConnectionConfig::default()).await;
        let bytes = [wire(0x81, b"plain", None), wire(0x81, b"masked", Some(MASK))].concat();
        pair.send_bytes(&bytes).await;
        pair.expect_failure(
            &[frame(0x81, b"plain")],
            Violation::MaskedFrame,
        )
        .await;
    })
    .await;
}

/// §5.5 (matrix K1): a PING of 125 bytes is delivered, one of 126 bytes fails: 1002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_payload_126_fails_1002() {
    bounded(async {
        for side in SIDES {
            let mut pair = pair(side, ConnectionConfig::default()).await;
            pair.send(&[(0x89, &[b'p'; 125]), (0x89, &[b'p'; 126])]).await;
            pair.expect_failure(
                &[frame(0x89, &[b'p'; 125])],
                Violation::ControlTooLong(126),
            )
            .await;
        }
    })
    .await;
}

/// §5.4 (matrix G1): a continuation frame after a complete message: 1002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuation_without_message_fails_1002() {
    bounded(async {
        for side in SIDES {
            let mut pair = pair(side, ConnectionConfig::default()).await;
            pair.send(&[(0x81, b"done"), (0x80, b"more")]).await;
            pair.expect_failure(
                &[frame(0x81, b"done")],
                Violation::ContinuationWithoutMessage,
            )
            .await;
        }
    })
    .await;
}

/// §7.4 (matrix X2): a CLOSE with status 1005, which must never be on the wire: 1002, and the
/// CLOSE is not delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_code_1005_fails_1002() {
    bounded(async {
        for side in SIDES {
            let mut pair = pair(side, ConnectionConfig::default()).await;
            pair.send(&[(0x81, b"hi"), (0x88, &close_payload(1005, ""))]).await;
            pair.expect_failure(
                &[frame(0x81, b"hi")],
                Violation::InvalidCloseCode(1005),
            )
            .await;
        }
    })
    .await;
}

/// §8.1 (matrix U2, U3): a code point split across fragments (a PING between them) is fine; a
/// sequence begun in fragment 1 that fragment 2, sent later, cannot continue fails at fragment 2:
/// 1007. Fragment 1 was delivered as it arrived.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_across_fragments_fails_1007() {
    bounded(async {
        for side in SIDES {
            let mut pair = pair(side, ConnectionConfig::default()).await;
            pair.send(&[(0x01, b"caf\xc3"), (0x89, b"ping"), (0x80, b"\xa9!")]).await;
            pair.send(&[(0x01, b"a\xe2")]).await;
            assert_eq!(pair.next_frame().await, Ok(frame(0x01, b"caf\xc3")));
            assert_eq!(pair.next_frame().await, Ok(frame(0x89, b"ping")));
            assert_eq!(pair.next_frame().await, Ok(frame(0x80, b"\xa9!")));
            assert_eq!(pair.next_frame().await, Ok(frame(0x01, b"a\xe2")));
            pair.send(&[(0x80, b"(b")]).await;
            pair.expect_failure(&[], Violation::InvalidText).await;
        }
    })
    .await;
}

/// §8.1 fail fast: the first half of a text frame holding an invalid byte fails the connection
/// although the rest of the frame never comes: 1007.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_fails_before_frame_completes() {
    bounded(async {
        for side in SIDES {
            let mut pair = pair(side, ConnectionConfig::default()).await;
            let mut payload = vec![b'a'; 1000];
            payload[300] = 0xff;
            let bytes = wire(0x81, &payload, pair.peer_mask());
            pair.send_bytes(&bytes[..bytes.len() / 2]).await;
            pair.expect_failure(&[], Violation::InvalidText).await;
        }
    })
    .await;
}

/// §10.4 (matrix G3): `max_message_size` counts every fragment; exactly the limit is delivered,
/// one byte more fails: 1009. Likewise `max_fragments`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_over_limit_fails_1009() {
    bounded(async {
        let config = ConnectionConfig { max_message_size: 10, ..ConnectionConfig::default() };
        for side in SIDES {
            let mut pair = pair(side, config).await;
            pair.send(&[(0x82, &[7; 10]), (0x01, b"hello"), (0x80, b"world!")]).await;
            pair.expect_failure(
                &[frame(0x82, &[7; 10]), frame(0x01, b"hello")],
                Violation::MessageTooBig { size: 11, limit: 10 },
            )
            .await;
        }
        let config = ConnectionConfig { max_fragments: 2, ..ConnectionConfig::default() };
        for side in SIDES {
            let mut pair = pair(side, config).await;
            pair.send(&[(0x02, b"a"), (0x80, b"b"), (0x02, b"c"), (0x00, b"d"), (0x80, b"e")]).await;
            pair.expect_failure(
                &[frame(0x02, b"a"), frame(0x80, b"b"), frame(0x02, b"c"), frame(0x00, b"d")],
                Violation::TooManyFragments { limit: 2 },
            )
            .await;
        }
    })
    .await;
}

/// Poco's payload limit: a frame declaring more than `max_payload_size` fails on its header,
/// before any payload byte arrives (PayloadTooBig, close code 1009).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_over_max_payload_fails_1009() {
    bounded(async {
        let config = ConnectionConfig { max_payload_size: 100, ..ConnectionConfig::default() };
        for side in SIDES {
            let mut pair = pair(side, config).await;
            let mut bytes = pair.encode(&[(0x82, &[1; 100])]);
            let oversized = wire(0x82, &[0; 1000], pair.peer_mask());
            let header_len = frame::parse_header(&oversized).unwrap().len;
            bytes.extend_from_slice(&oversized[..header_len]);
            pair.send_bytes(&bytes).await;
            pair.expect_failure(&[frame(0x82, &[1; 100])], Violation::PayloadTooBig { length: 1000, limit: 100 }).await;
        }
    })
    .await;
}

/// §7.1.2-§7.1.3: the raw client closes first; our server's app sees the CLOSE, nothing happens
/// on the wire until it answers, and once it has the server closes TCP at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_closes_tcp_after_close_handshake() {
    bounded(async {
        let mut pair = pair(Side::Server, ConnectionConfig::default()).await;
        pair.send(&[(0x88, &close_payload(1000, "bye"))]).await;
        assert_eq!(pair.next_frame().await, Ok(frame(0x88, &close_payload(1000, "bye"))));
        pair.expect_silence().await;

        let start = Instant::now();
        assert_eq!(common::send_close(&pair.connection, 1000, ""), Ok(2));
        let (wire, _) = pair.read_until_eof(Duration::from_secs(1)).await;
        assert_eq!(wire, [pair.our_close(1000)]);
        assert!(start.elapsed() < Duration::from_secs(1), "took {:?}", start.elapsed());
        for _ in 0..2 {
            assert_eq!(pair.next_frame().await, Ok(eof_frame()));
        }
    })
    .await;
}

/// §7.1.1: our server closes first; TCP stays open until the raw client answers, then the
/// server closes TCP at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_closes_tcp_when_its_close_is_answered() {
    bounded(async {
        let mut pair = pair(Side::Server, ConnectionConfig::default()).await;
        assert_eq!(common::send_close(&pair.connection, 1001, "going"), Ok(7));
        let close = pair.read_frame().await;
        assert_eq!(close, WireFrame { flags: 0x88, masked: false, payload: close_payload(1001, "going") });
        pair.expect_silence().await;

        let start = Instant::now();
        pair.send(&[(0x88, &close_payload(1001, ""))]).await;
        let (wire, elapsed) = pair.read_until_eof(Duration::from_secs(1)).await;
        assert_eq!(wire, []);
        assert!(elapsed < Duration::from_secs(1), "took {:?}", start.elapsed());
        assert_eq!(pair.next_frame().await, Ok(frame(0x88, &close_payload(1001, ""))));
        assert_eq!(pair.next_frame().await, Ok(eof_frame()));
    })
    .await;
}

/// §7.1.1, §7.1.7 (matrix X6): our client's CLOSE goes unanswered; after `close_timeout`
/// (200 ms) the client closes TCP, and `receive` reports the orderly end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_closes_tcp_after_unanswered_close() {
    bounded(async {
        let config = ConnectionConfig { close_timeout: Duration::from_millis(200), ..ConnectionConfig::default() };
        let mut pair = pair(Side::Client, config).await;
        let start = Instant::now();
        assert_eq!(common::send_close(&pair.connection, 1000, "done"), Ok(6));
        let close = pair.read_frame().await;
        assert_eq!(close, WireFrame { flags: 0x88, masked: true, payload: close_payload(1000, "done") });
        let (wire, _) = pair.read_until_eof(Duration::from_secs(1)).await;
        let elapsed = start.elapsed();
        assert_eq!(wire, []);
        assert!(elapsed >= Duration::from_millis(190), "closed before close_timeout: {elapsed:?}");
        assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
        for _ in 0..2 {
            assert_eq!(pair.next_frame().await, Ok(eof_frame()));
        }
    })
    .await;
}

/// §7.1.1 (matrix X7): after the close handshake the server should close TCP first; our client
/// waits `close_timeout` for it, closes itself if the server does not, and reports the orderly
/// end. A server that does close TCP ends the connection at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_waits_for_server_to_close_tcp() {
    bounded(async {
        let config = ConnectionConfig { close_timeout: Duration::from_millis(200), ..ConnectionConfig::default() };
        let mut pair = pair(Side::Client, config).await;
        pair.send(&[(0x88, &close_payload(1000, ""))]).await;
        assert_eq!(pair.next_frame().await, Ok(frame(0x88, &close_payload(1000, ""))));
        let start = Instant::now();
        assert_eq!(common::send_close(&pair.connection, 1000, ""), Ok(2));
        let (wire, _) = pair.read_until_eof(Duration::from_secs(1)).await;
        let elapsed = start.elapsed();
        assert_eq!(wire, [pair.our_close(1000)]);
        assert!(elapsed >= Duration::from_millis(190), "the client closed TCP first, at once: {elapsed:?}");
        assert_eq!(pair.next_frame().await, Ok(eof_frame()));

        // A raw server that closes TCP after the handshake: the end is seen right away.
        let mut pair = pair_with_default_timeout().await;
        pair.send(&[(0x88, &close_payload(1000, ""))]).await;
        assert_eq!(pair.next_frame().await, Ok(frame(0x88, &close_payload(1000, ""))));
        assert_eq!(common::send_close(&pair.connection, 1000, ""), Ok(2));
        assert_eq!(pair.read_frame().await, pair.our_close(1000));
        pair.raw.shutdown().await.unwrap();
        let start = Instant::now();
        assert_eq!(pair.next_frame().await, Ok(eof_frame()));
        assert!(start.elapsed() < Duration::from_secs(1), "took {:?}", start.elapsed());
        // §7.1.1: and the client closes its side at once, not when the 30 s close timeout fires.
        let (wire, _) = pair.read_until_eof(Duration::from_secs(1)).await;
        assert!(wire.is_empty(), "nothing more after our CLOSE: {wire:?}");
        assert!(start.elapsed() < Duration::from_secs(1), "client FIN after {:?}", start.elapsed());
    })
    .await;
}

async fn pair_with_default_timeout() -> Pair {
    pair(Side::Client, ConnectionConfig::default()).await
}

/// §5.5.1 (matrix X4): whatever the raw peer sends after its CLOSE (data, PING, a second CLOSE,
/// even a broken frame) is dropped: not delivered, not answered, not failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_after_peer_close_not_delivered() {
    bounded(async {
        // A client closes TCP at the latest `close_timeout` after the close handshake.
        let config = ConnectionConfig { close_timeout: Duration::from_millis(200), ..ConnectionConfig::default() };
        for side in SIDES {
            let mut pair = pair(side, config).await;
            pair.send(&[
                (0x81, b"before"),
                (0x88, &close_payload(1000, "")),
                (0x81, b"late"),
                (0x89, b"ping"),
                (0x88, &close_payload(1001, "again")),
                (0xc1, b"rsv"),
            ])
            .await;
            assert_eq!(pair.next_frame().await, Ok(frame(0x81, b"before")));
            assert_eq!(pair.next_frame().await, Ok(frame(0x88, &close_payload(1000, ""))));
            pair.expect_silence().await;
            assert_eq!(pair.connection.receive(None), Ok(None));

            assert_eq!(common::send_close(&pair.connection, 1000, ""), Ok(2));
            if side == Side::Client {
                assert_eq!(pair.read_frame().await, pair.our_close(1000));
                pair.raw.shutdown().await.unwrap();
            }
            let (wire, _) = pair.read_until_eof(Duration::from_secs(1)).await;
            let expected = if side == Side::Server { vec![pair.our_close(1000)] } else { vec![] };
            assert_eq!(wire, expected, "{side:?}");
            assert_eq!(pair.next_frame().await, Ok(eof_frame()), "{side:?}");
        }
    })
    .await;
}

/// Poco's raw semantics with `strict: false` (upgrade_with / ClientOptions.connection): RSV
/// bits, reserved opcodes, wrong masking, bad UTF-8, an invalid close code and frames after a
/// CLOSE are all delivered with their first byte untouched, and nothing is sent or closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_strict_delivers_everything() {
    bounded(async {
        let poco = ConnectionConfig { strict: false, ..ConnectionConfig::default() };
        for side in SIDES {
            let mut pair = pair(side, poco).await;
            let wrong_mask = if side == Side::Server { None } else { Some(MASK) };
            let frames: [(u8, &[u8]); 9] = [
                (0xc1, b"rsv1"),
                (0xb2, b"rsv2+3"),
                (0x83, b"opcode 3"),
                (0x8c, b"opcode 12"),
                (0x81, &[0xff, 0xc0, 0xaf]),
                (0x80, b"no message"),
                (0x89, &[b'p'; 126]),
                (0x88, &close_payload(1005, "")),
                (0x81, b"after close"),
            ];
            let mut bytes = pair.encode(&frames[..4]);
            bytes.extend(wire(0x81, b"wrongly masked", wrong_mask));
            bytes.extend(pair.encode(&frames[4..]));
            pair.send_bytes(&bytes).await;
            for (flags, payload) in &frames[..4] {
                assert_eq!(pair.next_frame().await, Ok(frame(*flags, payload)), "{side:?}");
            }
            assert_eq!(pair.next_frame().await, Ok(frame(0x81, b"wrongly masked")), "{side:?}");
            for (flags, payload) in &frames[4..] {
                assert_eq!(pair.next_frame().await, Ok(frame(*flags, payload)), "{side:?}");
            }
            pair.expect_silence().await;
            assert_eq!(pair.connection.receive(None), Ok(None));
        }
    })
    .await;
}
