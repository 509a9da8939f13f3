//! Message mode (the engine under the ws-style message API) against tokio-tungstenite and raw
//! peers: fragments joined, PING and CLOSE answered by the runtime, keepalive, pause, batches.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{bounded, frame, next_request, waker};
use futures_util::{SinkExt, StreamExt};
use poco_websocket_core::http::{ResponseHead, Version};
use poco_websocket_core::server::{Server, ServerOptions};
use poco_websocket_core::{Batch, Connection, ConnectionConfig, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WireFrame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn message_config() -> ConnectionConfig {
    ConnectionConfig { messages: true, ..ConnectionConfig::default() }
}

/// Our server connection (with `config`) and a tokio-tungstenite client connected to it.
async fn pair(config: ConnectionConfig) -> (Server, Connection, Arc<Notify>, Client) {
    let (server_wake, server_notify) = waker();
    let server = Server::bind("127.0.0.1", 0, ServerOptions::default(), server_wake).await.expect("bind");
    let url = format!("ws://{}/", server.local_addr());
    let client = tokio::spawn(tokio_tungstenite::connect_async(url));
    let mut incoming = next_request(&server, &server_notify).await;
    let (wake, notify) = waker();
    let connection = incoming.upgrade_with(ResponseHead::new(Version::HTTP_1_1, 200), config, wake).expect("upgrade");
    let (ws, _) = client.await.unwrap().expect("handshake");
    (server, connection, notify, ws)
}

/// The client's TCP stream, to act as a raw peer from here on.
fn raw_tcp(ws: Client) -> TcpStream {
    match ws.into_inner() {
        MaybeTlsStream::Plain(tcp) => tcp,
        _ => unreachable!("the test client is plain TCP"),
    }
}

/// Waits until a batch with at least one frame (or the end) is there, and takes it.
async fn next_batch(connection: &Connection, notify: &Notify) -> Result<Batch, Error> {
    loop {
        let batch = connection.receive_batch(64, 1 << 20)?;
        if !batch.frames.is_empty() || batch.ended {
            return Ok(batch);
        }
        while !connection.arm_read() {
            notify.notified().await;
        }
    }
}

/// RFC 6455 §5.4, §5.5.2: fragments arrive as one message; a PING in between is answered by
/// the runtime and still delivered (for a `ping` event).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_fragments_and_answers_ping() {
    bounded(async {
        let (_server, connection, notify, mut ws) = pair(message_config()).await;
        ws.send(Message::Frame(WireFrame::message(Bytes::from_static(b"hel"), OpCode::Data(Data::Text), false))).await.unwrap();
        ws.send(Message::Ping(Bytes::from_static(b"p"))).await.unwrap();
        ws.send(Message::Frame(WireFrame::message(Bytes::from_static(b"lo"), OpCode::Data(Data::Continue), true))).await.unwrap();
        let mut frames = Vec::new();
        while frames.len() < 2 {
            frames.extend(next_batch(&connection, &notify).await.unwrap().frames);
        }
        assert_eq!(frames, vec![frame(0x89, b"p"), frame(0x81, b"hello")]);
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::Pong(Bytes::from_static(b"p")));
    })
    .await;
}

/// ws's `autoPong: false`: the PING is delivered and not answered; the caller's own PONG goes out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_pong_off_leaves_the_answer_to_the_caller() {
    bounded(async {
        let (_server, connection, notify, mut ws) = pair(ConnectionConfig { auto_pong: false, ..message_config() }).await;
        ws.send(Message::Ping(Bytes::from_static(b"p"))).await.unwrap();
        let frames = next_batch(&connection, &notify).await.unwrap().frames;
        assert_eq!(frames, vec![frame(0x89, b"p")]);
        connection.send(0x81, b"first").unwrap();
        connection.send(0x8a, b"mine").unwrap();
        // The runtime's PONG would have come before "first".
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::Text("first".into()));
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::Pong(Bytes::from_static(b"mine")));
    })
    .await;
}

/// §5.5.1: the peer's CLOSE is answered with its status code once the caller's turn with it is
/// over (`end_turn`), then the server closes TCP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_close_after_the_turn_and_ends() {
    bounded(async {
        let (_server, connection, notify, mut ws) = pair(message_config()).await;
        ws.send(Message::Close(Some(CloseFrame { code: CloseCode::Away, reason: "bye".into() }))).await.unwrap();
        let batch = next_batch(&connection, &notify).await.unwrap();
        assert_eq!(batch.frames, vec![frame(0x88, b"\x03\xe9bye")]);
        assert!(batch.end_turn, "the answer waits for the end of the turn");
        connection.end_turn();
        match ws.next().await.unwrap().unwrap() {
            Message::Close(Some(close)) => assert_eq!(close.code, CloseCode::Away),
            other => panic!("expected the CLOSE answer, got {other:?}"),
        }
        loop {
            let batch = next_batch(&connection, &notify).await.unwrap();
            assert!(batch.frames.is_empty());
            if batch.ended {
                break;
            }
        }
    })
    .await;
}

/// §5.5.1 "data until our CLOSE is sent" (a ws client's `send('hello'); close()`): what the
/// caller sends in its turn with a message goes out before the answer to the CLOSE behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_in_the_turn_precede_the_close_answer() {
    bounded(async {
        let (_server, connection, notify, mut ws) = pair(message_config()).await;
        ws.send(Message::text("hello")).await.unwrap();
        ws.send(Message::Close(Some(CloseFrame { code: CloseCode::Normal, reason: "".into() }))).await.unwrap();
        let mut frames = Vec::new();
        while frames.len() < 2 {
            frames.extend(next_batch(&connection, &notify).await.unwrap().frames);
        }
        assert_eq!(frames, vec![frame(0x81, b"hello"), frame(0x88, b"\x03\xe8")]);
        let (sent, result) = connection.send_messages(&[(0x81, b"hello")]);
        assert_eq!((sent, result.is_ok()), (1, true));
        connection.end_turn();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
        match ws.next().await.unwrap().unwrap() {
            Message::Close(Some(close)) => assert_eq!(close.code, CloseCode::Normal),
            other => panic!("expected the CLOSE answer, got {other:?}"),
        }
        // After our CLOSE, no data frame may follow (§5.5.1).
        assert!(connection.send_messages(&[(0x81, b"late")]).1.is_err());
    })
    .await;
}

/// The message API's fragments (ws's `send(data, { fin: false })`): the frames after the first
/// are CONTINUATIONs whatever opcode the caller gives, and the message arrives whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_fragments_are_continuations() {
    bounded(async {
        let (_server, connection, _notify, mut ws) = pair(message_config()).await;
        let (sent, result) = connection.send_messages(&[(0x01, b"a"), (0x81, b"b"), (0x81, b"c")]);
        assert_eq!((sent, result.is_ok()), (3, true));
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("ab"));
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("c"));
    })
    .await;
}

/// Frame mode (Poco) is unchanged: no joining, no automatic PONG.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_mode_delivers_raw_frames() {
    bounded(async {
        let (_server, connection, notify, mut ws) = pair(ConnectionConfig::default()).await;
        ws.send(Message::Frame(WireFrame::message(Bytes::from_static(b"a"), OpCode::Data(Data::Binary), false))).await.unwrap();
        ws.send(Message::Frame(WireFrame::message(Bytes::from_static(b"b"), OpCode::Data(Data::Continue), true))).await.unwrap();
        let mut frames = Vec::new();
        while frames.len() < 2 {
            frames.extend(next_batch(&connection, &notify).await.unwrap().frames);
        }
        assert_eq!(frames, vec![frame(0x02, b"a"), frame(0x80, b"b")]);
    })
    .await;
}

/// Keepalive: a PING after the ping interval; a peer that never answers is dropped after the
/// idle timeout, with TimeoutException, and its TCP connection closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_pings_then_drops_silent_peer() {
    bounded(async {
        let config = ConnectionConfig {
            ping_interval: Duration::from_millis(100),
            idle_timeout: Duration::from_millis(400),
            ..message_config()
        };
        let (_server, connection, notify, ws) = pair(config).await;
        // Read the raw socket without answering anything, as a half-open peer would.
        let mut tcp = raw_tcp(ws);
        let mut received = Vec::new();
        let mut chunk = [0u8; 64];
        loop {
            let n = tcp.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            received.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(&received[..2], &[0x89, 0x00], "an empty PING came first");
        assert!(matches!(next_batch(&connection, &notify).await, Err(Error::Timeout)));
    })
    .await;
}

/// A peer that answers PINGs stays connected past the idle timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_keeps_answering_peer() {
    bounded(async {
        let config = ConnectionConfig {
            ping_interval: Duration::from_millis(50),
            idle_timeout: Duration::from_millis(200),
            ..message_config()
        };
        let (_server, connection, _notify, mut ws) = pair(config).await;
        // tungstenite answers each PING while it is being read.
        let reader = tokio::spawn(async move {
            let mut pings = 0;
            let until = tokio::time::Instant::now() + Duration::from_millis(700);
            while let Ok(Some(Ok(message))) = tokio::time::timeout_at(until, ws.next()).await {
                if matches!(message, Message::Ping(_)) {
                    pings += 1;
                }
            }
            (pings, ws)
        });
        let (pings, _ws) = reader.await.unwrap();
        assert!(pings >= 3, "pings: {pings}");
        let batch = connection.receive_batch(64, 1 << 20).unwrap();
        assert!(!batch.ended);
    })
    .await;
}

/// pause(): nothing is read while paused; resume() delivers what the peer sent meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_holds_reading() {
    bounded(async {
        let (_server, connection, notify, mut ws) = pair(message_config()).await;
        connection.set_paused(true);
        tokio::time::sleep(Duration::from_millis(50)).await;
        for i in 0..10u8 {
            ws.send(Message::binary(vec![i; 10])).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(connection.receive_batch(64, 1 << 20).unwrap().frames.is_empty());
        assert!(connection.available() == 0, "not even read from the socket");
        connection.set_paused(false);
        let mut frames = Vec::new();
        while frames.len() < 10 {
            frames.extend(next_batch(&connection, &notify).await.unwrap().frames);
        }
        assert_eq!(frames[9], frame(0x82, &[9; 10]));
    })
    .await;
}

/// A batch takes every queued frame in order; after the peer's EOF it reports `ended`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_takes_queued_frames_then_ends() {
    bounded(async {
        let (_server, connection, notify, ws) = pair(message_config()).await;
        let mut tcp = raw_tcp(ws);
        // Three masked text frames in one write, then FIN.
        let mut bytes = bytes::BytesMut::new();
        for text in [&b"one"[..], b"two", b"three"] {
            poco_websocket_core::frame::encode(0x81, text, Some([1, 2, 3, 4]), &mut bytes);
        }
        tcp.write_all(&bytes).await.unwrap();
        tcp.shutdown().await.unwrap();
        let mut frames = Vec::new();
        loop {
            let batch = next_batch(&connection, &notify).await.unwrap();
            frames.extend(batch.frames);
            if batch.ended {
                break;
            }
        }
        assert_eq!(frames, vec![frame(0x81, b"one"), frame(0x81, b"two"), frame(0x81, b"three")]);
    })
    .await;
}
