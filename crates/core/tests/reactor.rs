//! The JS-thread engine ([`poco_websocket_core::reactor`]) under real peers: connections placed
//! on a reactor, driven from a thread of their own as the binding drives it from Node's event
//! loop (poll its descriptor, turn), behave as on the runtime threads: frames both ways at every
//! size, message mode (joining, PONGs, the CLOSE answer after the turn), keepalive timers, the
//! close handshake, and a peer that never reads.
#![cfg(unix)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{bounded, frame, next_request, waker};
use futures_util::{SinkExt, StreamExt};
use poco_websocket_core::frame::Frame;
use poco_websocket_core::http::{ResponseHead, Version};
use poco_websocket_core::reactor::{Reactor, ReactorHandle};
use poco_websocket_core::server::{Server, ServerOptions};
use poco_websocket_core::{Connection, ConnectionConfig, Error, Placement};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// A reactor on a thread of its own: waits on its descriptor (or the next timer), then turns.
struct ReactorThread {
    handle: ReactorHandle,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ReactorThread {
    fn start() -> Self {
        let (sender, receiver) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut reactor = Reactor::new().expect("reactor");
            sender.send(reactor.handle()).unwrap();
            while !stopping.load(Ordering::SeqCst) {
                let timeout = reactor.next_deadline().map_or(20, |at| at.saturating_duration_since(Instant::now()).as_millis().min(20) as i32);
                let mut fd = libc::pollfd { fd: reactor.fd(), events: libc::POLLIN, revents: 0 };
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(&mut fd, 1, timeout) };
                reactor.turn();
            }
        });
        ReactorThread { handle: receiver.recv().unwrap(), stop, thread: Some(thread) }
    }

    fn placement(&self) -> Placement {
        Placement { reactor: Some(self.handle.clone()) }
    }
}

impl Drop for ReactorThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
    }
}

async fn next_frame(connection: &Connection, notify: &Notify) -> Result<Frame, Error> {
    loop {
        if let Some(frame) = connection.receive(None)? {
            return Ok(frame);
        }
        while !connection.arm_read() {
            notify.notified().await;
        }
    }
}

/// Our server places its connection on `reactor`; a tokio-tungstenite client connects.
async fn placed_pair(
    reactor: &ReactorThread,
    config: ConnectionConfig,
) -> (Server, Connection, Arc<Notify>, tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>) {
    let (server_wake, server_notify) = waker();
    let server = Server::bind("127.0.0.1", 0, ServerOptions::default(), server_wake).await.unwrap();
    let client = tokio::spawn(tokio_tungstenite::connect_async(format!("ws://{}/", server.local_addr())));
    let mut incoming = next_request(&server, &server_notify).await;
    let (wake, notify) = waker();
    let head = ResponseHead::new(Version::HTTP_1_1, 200);
    let connection = incoming.upgrade_placed(head, config, wake, reactor.placement()).unwrap();
    let (ws, _) = client.await.unwrap().unwrap();
    // The 101 is written before the socket is handed to the reactor: wait for that hand-over.
    while !connection.arm_started() {
        notify.notified().await;
    }
    (server, connection, notify, ws)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_echo_at_every_size_and_the_close_handshake_ends_it() {
    let reactor = ReactorThread::start();
    bounded(async {
        let (_server, connection, notify, mut ws) = placed_pair(&reactor, ConnectionConfig::default()).await;
        assert!(connection.socket().unwrap().flag(poco_websocket_core::socket::Flag::NoDelay).unwrap());
        for size in [0usize, 1, 125, 126, 65_535, 65_536, 1 << 20, 3 << 20] {
            let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            ws.send(Message::binary(payload.clone())).await.unwrap();
            let received = next_frame(&connection, &notify).await.unwrap();
            assert_eq!(received, frame(0x82, &payload), "size {size}");
            connection.send(received.flags, &received.payload).unwrap();
            assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(payload), "echo of {size}");
        }
        ws.send(Message::Close(Some(CloseFrame { code: CloseCode::Normal, reason: "".into() }))).await.unwrap();
        let close = next_frame(&connection, &notify).await.unwrap();
        assert_eq!(close.flags, 0x88);
        connection.send(0x88, &close.payload).unwrap();
        // The server closes TCP once both CLOSE frames passed: the client sees the end.
        assert!(matches!(ws.next().await, Some(Ok(Message::Close(_)))));
        assert!(ws.next().await.is_none());
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), common::eof_frame());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_mode_joins_answers_pings_and_the_close_after_the_turn() {
    let reactor = ReactorThread::start();
    bounded(async {
        let config = ConnectionConfig { messages: true, ..ConnectionConfig::default() };
        let (_server, connection, notify, mut ws) = placed_pair(&reactor, config).await;
        ws.send(Message::Frame(tokio_tungstenite::tungstenite::protocol::frame::Frame::message(bytes::Bytes::from_static(b"frag"), tokio_tungstenite::tungstenite::protocol::frame::coding::OpCode::Data(tokio_tungstenite::tungstenite::protocol::frame::coding::Data::Text), false))).await.unwrap();
        ws.send(Message::Ping(bytes::Bytes::from_static(b"p"))).await.unwrap();
        ws.send(Message::Frame(tokio_tungstenite::tungstenite::protocol::frame::Frame::message(bytes::Bytes::from_static(b"ment"), tokio_tungstenite::tungstenite::protocol::frame::coding::OpCode::Data(tokio_tungstenite::tungstenite::protocol::frame::coding::Data::Continue), true))).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::Pong(bytes::Bytes::from_static(b"p")));
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0x89, b"p"));
        assert_eq!(next_frame(&connection, &notify).await.unwrap(), frame(0x81, b"fragment"));
        ws.send(Message::text("bye")).await.unwrap();
        ws.send(Message::Close(None)).await.unwrap();
        let mut batch = Vec::new();
        while batch.len() < 2 {
            batch.extend(connection.receive_batch(16, 1 << 20).unwrap().frames);
            if batch.len() < 2 {
                while !connection.arm_read() {
                    notify.notified().await;
                }
            }
        }
        assert_eq!(batch, vec![frame(0x81, b"bye"), frame(0x88, b"")]);
        connection.send_messages(&[(0x81, b"bye")]).1.unwrap();
        connection.end_turn();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("bye"));
        assert!(matches!(ws.next().await, Some(Ok(Message::Close(_)))));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_pings_and_drops_a_silent_peer() {
    let reactor = ReactorThread::start();
    bounded(async {
        let config = ConnectionConfig {
            messages: true,
            ping_interval: Duration::from_millis(50),
            idle_timeout: Duration::from_millis(300),
            ..ConnectionConfig::default()
        };
        let (_server, connection, notify, ws) = placed_pair(&reactor, config).await;
        let (_sink, mut stream) = ws.split();
        // The client reads (and tungstenite would answer PINGs only when flushed: it never is).
        assert!(matches!(stream.next().await, Some(Ok(Message::Ping(_)))));
        let started = Instant::now();
        let end = loop {
            match connection.receive_batch(16, 1 << 20) {
                Ok(batch) if batch.ended => break Ok(()),
                Ok(_) => {
                    while !connection.arm_read() {
                        notify.notified().await;
                    }
                }
                Err(error) => break Err(error),
            }
        };
        assert_eq!(end, Err(Error::Timeout));
        assert!(started.elapsed() < Duration::from_secs(5));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connections_on_one_reactor() {
    let reactor = ReactorThread::start();
    bounded(async {
        let mut pairs = Vec::new();
        for _ in 0..50 {
            pairs.push(placed_pair(&reactor, ConnectionConfig::default()).await);
        }
        for round in 0..20u8 {
            for (_, _, _, ws) in &mut pairs {
                ws.send(Message::binary(vec![round; 100])).await.unwrap();
            }
            for (_, connection, notify, ws) in &mut pairs {
                let received = next_frame(connection, notify).await.unwrap();
                connection.send(received.flags, &received.payload).unwrap();
                assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(vec![round; 100]));
            }
        }
        let fds: Vec<_> = pairs.iter().map(|(_, c, _, _)| c.socket().unwrap().local_addr().unwrap()).collect();
        assert_eq!(fds.len(), 50);
    })
    .await;
}
