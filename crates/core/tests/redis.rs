//! The Redis adapter ([`poco_websocket_core::redis`]) against a real redis-server of its own on a
//! free loopback port: two nodes, each with its own topics and a tokio-tungstenite subscriber,
//! reach each other's subscribers, and a node's own subscriber gets its publish once; Redis down
//! at start and restarted mid-stream gives `Down` then `Up`, local delivery going on and remote
//! delivery resuming; hostile publishes are refused and garbage on a channel is counted and
//! ignored. Skipped (with a message) where redis-server is not installed.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use common::{bounded, next_request, waker};
use futures_util::StreamExt;
use poco_websocket_core::defaults;
use poco_websocket_core::frame::{FLAG_FIN, FLAG_RSV1, OP_BINARY, OP_TEXT};
use poco_websocket_core::http::{ResponseHead, Version};
use poco_websocket_core::redis::{check_publish, RedisAdapter, RedisOptions, RedisState};
use poco_websocket_core::server::{Server, ServerOptions};
use poco_websocket_core::topics::Topics;
use poco_websocket_core::ConnectionConfig;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

const TEXT: u8 = FLAG_FIN | OP_TEXT;

/// A redis-server child on `port`, killed when dropped.
struct RedisServer {
    port: u16,
    child: Option<Child>,
    /// One test at a time: a port freed while one test's Redis is down must not become
    /// another test's.
    _alone: MutexGuard<'static, ()>,
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

impl RedisServer {
    /// `None` (the test is skipped) where redis-server is not installed.
    fn start() -> Option<Self> {
        if Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err() {
            eprintln!("skipped: redis-server is not installed");
            return None;
        }
        let alone = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = RedisServer { port, child: None, _alone: alone };
        server.restart();
        Some(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// (Re)starts it on the same port, and waits until it accepts connections.
    fn restart(&mut self) {
        let port = self.port.to_string();
        let args = ["--port", &port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
        self.child = Some(Command::new("redis-server").args(args).stdout(Stdio::null()).spawn().expect("redis-server"));
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server did not start on port {port}");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One server process's part: its topics, one subscriber of "room", its adapter and states.
struct Node {
    _server: Server,
    client: Client,
    adapter: RedisAdapter,
    topics: Arc<Topics>,
    states: mpsc::UnboundedReceiver<RedisState>,
}

async fn node(url: &str) -> Node {
    let (server_wake, server_notify) = waker();
    let server = Server::bind("127.0.0.1", 0, ServerOptions::default(), server_wake).await.expect("bind");
    let dial = tokio::spawn(tokio_tungstenite::connect_async(format!("ws://{}/", server.local_addr())));
    let mut incoming = next_request(&server, &server_notify).await;
    let (wake, _) = waker();
    let config = ConnectionConfig { messages: true, ..ConnectionConfig::default() };
    let connection = Arc::new(incoming.upgrade_with(ResponseHead::new(Version::HTTP_1_1, 200), config, wake).expect("upgrade"));
    let (client, _) = dial.await.unwrap().expect("handshake");
    let topics = Arc::new(Topics::default());
    topics.subscribe(1, &connection, "room").unwrap();
    let (report, states) = mpsc::unbounded_channel();
    let options = RedisOptions { url: url.into(), prefix: defaults::REDIS_PREFIX.into() };
    let on_state = move |state| drop(report.send(state));
    let adapter = RedisAdapter::start(options, topics.clone(), on_state, &tokio::runtime::Handle::current()).expect("start");
    Node { _server: server, client, adapter, topics, states }
}

impl Node {
    /// What `wss.publish` does: local subscribers (batched, handed over at the end of the
    /// callback batch), then the other nodes.
    fn publish(&self, text: &str) {
        assert_eq!(self.adapter.publish("room", TEXT, text.as_bytes(), None).unwrap(), 1);
        assert_eq!(self.topics.flush().delivered, 1);
    }

    async fn next(&mut self) -> Message {
        self.client.next().await.expect("a message").expect("no error")
    }

    async fn next_text(&mut self) -> String {
        match self.next().await {
            Message::Text(text) => text.to_string(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    async fn state(&mut self) -> RedisState {
        self.states.recv().await.expect("a state")
    }

    /// Publishes until the other node receives one (after a reconnect, the other node's
    /// subscription may come back a moment after this node's), and returns what it got.
    async fn publish_until_received(&self, other: &mut Node, text: &str) -> String {
        loop {
            // Not to its own subscriber (socket 1): only the other node's counts here.
            self.adapter.publish("room", TEXT, text.as_bytes(), Some(1)).unwrap();
            if let Ok(message) = tokio::time::timeout(Duration::from_millis(200), other.next_text()).await {
                return message;
            }
        }
    }
}

/// Nothing more arrives for a moment.
async fn assert_quiet(node: &mut Node) {
    let next = tokio::time::timeout(Duration::from_millis(300), node.next()).await;
    assert!(next.is_err(), "unexpected {next:?}");
}

#[tokio::test]
async fn publishes_reach_the_other_node_and_the_own_subscriber_once() {
    let Some(redis) = RedisServer::start() else { return };
    bounded(async {
        let (mut a, mut b) = (node(&redis.url()).await, node(&redis.url()).await);
        assert_eq!(a.state().await, RedisState::Up);
        assert_eq!(b.state().await, RedisState::Up);
        assert_ne!(a.adapter.node_id(), b.adapter.node_id());
        for i in 0..100 {
            a.publish(&format!("a{i}"));
        }
        for i in 0..100 {
            assert_eq!(b.next_text().await, format!("a{i}"), "in publish order");
            assert_eq!(a.next_text().await, format!("a{i}"));
        }
        b.adapter.publish("room", FLAG_FIN | OP_BINARY, &[0, 255], None).unwrap();
        b.topics.flush();
        assert_eq!(a.next().await, Message::Binary(vec![0, 255].into()));
        assert_eq!(b.next().await, Message::Binary(vec![0, 255].into()));
        // Compression is asked for on every node; these peers did not negotiate it: plain text.
        a.adapter.publish("room", TEXT | FLAG_RSV1, b"compress", None).unwrap();
        assert_eq!(b.next_text().await, "compress");
        assert_eq!(a.next_text().await, "compress");
        assert_quiet(&mut a).await;
        assert_quiet(&mut b).await;
        assert_eq!(a.adapter.stats().sent, 101);
        assert_eq!(b.adapter.stats().received, 101);
        assert_eq!(a.adapter.stats().lost, 0);
    })
    .await;
}

#[tokio::test]
async fn redis_down_at_start_then_restarted_mid_stream() {
    let Some(mut redis) = RedisServer::start() else { return };
    redis.kill();
    bounded(async {
        let (mut a, mut b) = (node(&redis.url()).await, node(&redis.url()).await);
        assert!(matches!(a.state().await, RedisState::Down(_)), "down at start");
        a.publish("local while down");
        assert_eq!(a.next_text().await, "local while down", "local delivery goes on");
        redis.restart();
        assert_eq!(a.state().await, RedisState::Up);
        assert!(matches!(b.state().await, RedisState::Down(_)));
        assert_eq!(b.state().await, RedisState::Up);
        assert_eq!(a.publish_until_received(&mut b, "first").await, "first");

        redis.kill();
        assert!(matches!(a.state().await, RedisState::Down(_)));
        assert!(matches!(b.state().await, RedisState::Down(_)));
        let lost = a.adapter.stats().lost;
        a.publish("during the outage");
        assert_eq!(a.next_text().await, "during the outage");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(a.adapter.stats().lost, lost + 1, "counted as lost for the other nodes");

        redis.restart();
        assert_eq!(a.state().await, RedisState::Up);
        assert_eq!(b.state().await, RedisState::Up);
        assert_eq!(a.publish_until_received(&mut b, "after").await, "after", "remote delivery resumes");
    })
    .await;
}

#[tokio::test]
async fn hostile_publishes_are_refused_and_garbage_is_ignored() {
    let Some(redis) = RedisServer::start() else { return };
    bounded(async {
        let mut a = node(&redis.url()).await;
        assert_eq!(a.state().await, RedisState::Up);
        assert!(a.adapter.publish("", TEXT, b"x", None).is_err(), "empty topic");
        assert!(a.adapter.publish(&"t".repeat(defaults::MAX_TOPIC_LENGTH + 1), TEXT, b"x", None).is_err());
        let oversized = a.adapter.publish("room", FLAG_FIN | OP_BINARY, &vec![0; defaults::MAX_REDIS_PAYLOAD + 1], None);
        assert!(oversized.is_err(), "refused before the local delivery too");
        let error = check_publish("room", &vec![0; defaults::MAX_REDIS_PAYLOAD + 1]).unwrap_err();
        assert!(error.to_string().contains("at most"), "{error}");
        assert!(check_publish("room", &vec![0; defaults::MAX_REDIS_PAYLOAD]).is_ok());

        // Another Redis client (as redis-cli would) publishes what no node wrote.
        let client = redis::Client::open(redis.url()).unwrap();
        let mut raw = client.get_multiplexed_async_connection().await.unwrap();
        let garbage: [&[u8]; 4] = [b"garbage", b"", b"\x01short", b"\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff not UTF-8"];
        for bytes in garbage {
            let _: i64 = redis::cmd("PUBLISH").arg("poco-ws:room").arg(bytes).query_async(&mut raw).await.unwrap();
        }
        // A well-formed message of a node that does not exist is delivered.
        let stranger = poco_websocket_core::redis::wire::encode(&[9; 8], false, false, b"from a stranger");
        let _: i64 = redis::cmd("PUBLISH").arg("poco-ws:room").arg(stranger).query_async(&mut raw).await.unwrap();
        assert_eq!(a.next_text().await, "from a stranger");
        assert_eq!(a.adapter.stats().malformed, 4);
        assert_eq!(a.adapter.stats().received, 1);
    })
    .await;
}

#[tokio::test]
async fn a_bad_url_is_refused_and_close_stops_the_adapter() {
    let Some(redis) = RedisServer::start() else { return };
    bounded(async {
        let options = RedisOptions { url: "http://nowhere".into(), prefix: "p:".into() };
        let runtime = tokio::runtime::Handle::current();
        assert!(RedisAdapter::start(options, Arc::default(), |_| {}, &runtime).is_err());

        let mut a = node(&redis.url()).await;
        assert_eq!(a.state().await, RedisState::Up);
        a.adapter.close();
        a.adapter.publish("room", TEXT, b"after close", Some(1)).unwrap();
        assert_eq!(a.adapter.stats().lost, 1);
        assert!(a.states.recv().await.is_none(), "the task ended and dropped its callback");
    })
    .await;
}
