//! Pub/sub topics ([`poco_websocket_core::topics`]) with tokio-tungstenite subscribers: a publish
//! reaches every subscriber but the sender, in publish order; unsubscribe and
//! unsubscribe-all stop delivery; topic names and per-socket counts are bounded; a subscriber
//! that does not read misses publishes (counted) without slowing the others; with
//! `max_backpressure` it is dropped; batched publishes wait for the flush and keep the order of
//! every call made meanwhile (other topics, large publishes, subscribe, unsubscribe).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{bounded, next_request, waker};
use futures_util::StreamExt;
use poco_websocket_core::defaults;
use poco_websocket_core::frame::{FLAG_FIN, OP_BINARY, OP_TEXT};
use poco_websocket_core::http::{ResponseHead, Version};
use poco_websocket_core::server::{Server, ServerOptions};
use poco_websocket_core::topics::{self, Topics};
use poco_websocket_core::{Connection, ConnectionConfig};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// `n` server connections in message mode, each with its tokio-tungstenite client.
async fn peers(n: usize, config: ConnectionConfig) -> (Server, Vec<(Arc<Connection>, Client)>) {
    let (server_wake, server_notify) = waker();
    let server = Server::bind("127.0.0.1", 0, ServerOptions::default(), server_wake).await.expect("bind");
    let mut peers = Vec::new();
    for _ in 0..n {
        let url = format!("ws://{}/", server.local_addr());
        let client = tokio::spawn(tokio_tungstenite::connect_async(url));
        let mut incoming = next_request(&server, &server_notify).await;
        let (wake, _) = waker();
        let connection = incoming.upgrade_with(ResponseHead::new(Version::HTTP_1_1, 200), config, wake).expect("upgrade");
        let (ws, _) = client.await.unwrap().expect("handshake");
        peers.push((Arc::new(connection), ws));
    }
    (server, peers)
}

fn messages() -> ConnectionConfig {
    ConnectionConfig { messages: true, ..ConnectionConfig::default() }
}

async fn next_text(client: &mut Client) -> String {
    match client.next().await.expect("a message").expect("no error") {
        Message::Text(text) => text.to_string(),
        other => panic!("expected text, got {other:?}"),
    }
}

#[tokio::test]
async fn publish_reaches_every_subscriber_but_the_sender_in_order() {
    bounded(async {
        let (_server, mut peers) = peers(3, messages()).await;
        let topics = Topics::default();
        for (id, (connection, _)) in peers.iter().enumerate() {
            assert!(topics.subscribe(id as u32, connection, "room").unwrap());
        }
        assert!(!topics.subscribe(0, &peers[0].0, "room").unwrap(), "a second subscribe is a no-op");
        assert_eq!(topics.subscriber_count("room"), 3);
        for i in 0..100 {
            let published = topics.publish("room", FLAG_FIN | OP_TEXT, format!("m{i}").as_bytes(), Some(0)).unwrap();
            assert_eq!(published.delivered, 2);
        }
        for (_, client) in peers.iter_mut().skip(1) {
            for i in 0..100 {
                assert_eq!(next_text(client).await, format!("m{i}"));
            }
        }
        // The sender got none: the next thing it sees is a publish without `except`.
        topics.publish("room", FLAG_FIN | OP_TEXT, b"all", None).unwrap();
        assert_eq!(next_text(&mut peers[0].1).await, "all");
    })
    .await;
}

#[tokio::test]
async fn batched_publishes_keep_the_order_of_every_call_around_them() {
    bounded(async {
        let (_server, mut peers) = peers(3, messages()).await;
        let topics = Topics::default();
        topics.subscribe(0, &peers[0].0, "x").unwrap();
        topics.subscribe(1, &peers[1].0, "x").unwrap();
        topics.subscribe(2, &peers[2].0, "y").unwrap();
        let text = |s: &str| (FLAG_FIN | OP_TEXT, s.as_bytes().to_vec());
        let large = "L".repeat(defaults::PUBLISH_BATCH_PAYLOAD);
        // Socket 0 publishes "1" (it skips itself): runs of the batch differ per subscriber.
        for (topic, (flags, payload), except) in [("x", text("1"), Some(0)), ("x", text("2"), None), ("x", text("3"), Some(1))] {
            assert_eq!(topics.publish_batched(topic, flags, &payload, except).unwrap(), if except.is_some() { 1 } else { 2 });
        }
        assert_eq!(topics.publish_batched("x", FLAG_FIN | OP_TEXT, large.as_bytes(), None).unwrap(), 2, "a large one goes after the batch");
        topics.publish_batched("y", FLAG_FIN | OP_TEXT, b"4", None).unwrap();
        topics.publish_batched("x", FLAG_FIN | OP_TEXT, b"5", None).unwrap();
        topics.subscribe(2, &peers[2].0, "x").unwrap(); // "5" was published before: not for it
        topics.publish_batched("x", FLAG_FIN | OP_TEXT, b"6", None).unwrap();
        topics.unsubscribe(1, "x"); // "6" was published before: socket 1 still gets it
        topics.publish_batched("x", FLAG_FIN | OP_TEXT, b"7", None).unwrap();
        assert_eq!(topics.publish_batched("nobody", FLAG_FIN | OP_TEXT, b"-", None).unwrap(), 0);
        let flushed = topics.flush();
        assert_eq!(flushed, topics::Published { delivered: 2, dropped: 0 }, "\"7\" to sockets 0 and 2");
        let expected: [&[&str]; 3] = [&["2", "3", &large, "5", "6", "7"], &["1", "2", &large, "5", "6"], &["4", "6", "7"]];
        for ((_, client), expected) in peers.iter_mut().zip(expected) {
            for message in expected {
                assert_eq!(next_text(client).await, *message);
            }
        }
        // Socket 1 got nothing after "6": the next thing it sees is this one.
        topics.subscribe(1, &peers[1].0, "z").unwrap();
        topics.publish("z", FLAG_FIN | OP_TEXT, b"z", None).unwrap();
        assert_eq!(next_text(&mut peers[1].1).await, "z");
    })
    .await;
}

#[tokio::test]
async fn unsubscribe_and_unsubscribe_all_stop_delivery() {
    bounded(async {
        let (_server, mut peers) = peers(2, messages()).await;
        let topics = Topics::default();
        topics.subscribe(0, &peers[0].0, "a").unwrap();
        topics.subscribe(0, &peers[0].0, "b").unwrap();
        topics.subscribe(1, &peers[1].0, "a").unwrap();
        assert_eq!(topics.topics_of(0), ["a", "b"]);
        assert!(topics.unsubscribe(0, "a"));
        assert!(!topics.unsubscribe(0, "a"));
        assert!(!topics.is_subscribed(0, "a") && topics.is_subscribed(0, "b"));
        topics.unsubscribe_all(1);
        assert_eq!(topics.subscriber_count("a"), 0);
        assert_eq!(topics.publish("a", FLAG_FIN | OP_BINARY, b"x", None).unwrap().delivered, 0);
        topics.publish("b", FLAG_FIN | OP_TEXT, b"to b", None).unwrap();
        assert_eq!(next_text(&mut peers[0].1).await, "to b");
    })
    .await;
}

#[tokio::test]
async fn topic_names_and_counts_are_bounded() {
    bounded(async {
        let (_server, peers) = peers(1, messages()).await;
        let topics = Topics::default();
        let connection = &peers[0].0;
        assert!(topics.subscribe(0, connection, "").is_err());
        let long = "x".repeat(defaults::MAX_TOPIC_LENGTH + 1);
        assert!(topics.subscribe(0, connection, &long).is_err());
        assert!(topics.publish(&long, FLAG_FIN | OP_TEXT, b"x", None).is_err());
        for i in 0..defaults::MAX_TOPICS_PER_SOCKET {
            topics.subscribe(0, connection, &format!("t{i}")).unwrap();
        }
        assert!(topics.subscribe(0, connection, "one-too-many").is_err());
    })
    .await;
}

#[tokio::test]
async fn a_subscriber_that_does_not_read_misses_publishes_without_slowing_the_others() {
    bounded(async {
        // The slow one is dropped once it owes max_backpressure; the fast one gets everything.
        let slow_config = ConnectionConfig { max_backpressure: 256 * 1024, ..messages() };
        let (_s1, mut fast) = peers(1, messages()).await;
        let (_s2, slow) = peers(1, slow_config).await;
        let topics = Topics::default();
        topics.subscribe(0, &fast[0].0, "feed").unwrap();
        topics.subscribe(1, &slow[0].0, "feed").unwrap();
        let payload = vec![7u8; 16 * 1024];
        let reader = tokio::spawn(async move {
            let client = &mut fast[0].1;
            for _ in 0..2000 {
                match client.next().await.unwrap().unwrap() {
                    Message::Binary(data) => assert_eq!(data.len(), 16 * 1024),
                    other => panic!("{other:?}"),
                }
            }
        });
        let mut dropped = 0;
        for _ in 0..2000 {
            dropped += topics.publish("feed", FLAG_FIN | OP_BINARY, &payload, None).unwrap().dropped;
            tokio::time::sleep(Duration::from_micros(50)).await;
        }
        reader.await.unwrap();
        assert!(dropped > 0, "the slow subscriber missed publishes");
        assert_eq!(topics.dropped(), dropped as u64);
        assert!(slow[0].0.is_closed() || slow[0].0.check_sendable().is_err(), "over max_backpressure it is dropped");
    })
    .await;
}

/// Batches written straight to a socket that takes only part of them: the rest is queued from
/// where the socket stopped, so a subscriber that reads late still gets every message whole.
#[tokio::test]
async fn a_batch_the_socket_takes_in_part_arrives_whole() {
    bounded(async {
        let (_server, mut peers) = peers(2, messages()).await;
        let topics = Topics::default();
        topics.subscribe(0, &peers[0].0, "feed").unwrap();
        topics.subscribe(1, &peers[1].0, "feed").unwrap();
        // 12 MiB before the clients read: more than the socket buffers hold, under the backlog.
        // Socket 1 publishes every 7th message, so its batches come in several runs.
        let message = |i: usize| format!("{i:06}").repeat(1365);
        let count = 12 * 1024 * 1024 / message(0).len();
        let sender = |i: usize| i.is_multiple_of(7).then_some(1);
        for i in 0..count {
            topics.publish_batched("feed", FLAG_FIN | OP_TEXT, message(i).as_bytes(), sender(i)).unwrap();
        }
        assert_eq!(topics.flush().dropped, 0);
        assert_eq!(topics.dropped(), 0);
        let (first, second) = peers.split_at_mut(1);
        let everything = async {
            for i in 0..count {
                assert_eq!(next_text(&mut first[0].1).await, message(i));
            }
        };
        let but_its_own = async {
            for i in (0..count).filter(|i| sender(*i).is_none()) {
                assert_eq!(next_text(&mut second[0].1).await, message(i));
            }
        };
        tokio::join!(everything, but_its_own);
    })
    .await;
}

/// A frame of `defaults::SHARED_FRAME_MIN` bytes or more is shared by the subscribers, not
/// copied: each still gets it whole, in order between the sends made around it.
#[tokio::test]
async fn large_publishes_are_shared_and_keep_their_place_between_sends() {
    bounded(async {
        let (_server, mut peers) = peers(3, messages()).await;
        let topics = Topics::default();
        for (id, (connection, _)) in peers.iter().enumerate() {
            topics.subscribe(id as u32, connection, "room").unwrap();
        }
        let large: Vec<String> = (0..20).map(|i| format!("{i:04}").repeat(defaults::SHARED_FRAME_MIN)).collect();
        for (i, text) in large.iter().enumerate() {
            for (connection, _) in &peers {
                connection.send_messages(&[(FLAG_FIN | OP_TEXT, format!("own {i}").as_bytes())]).1.unwrap();
            }
            assert_eq!(topics.publish("room", FLAG_FIN | OP_TEXT, text.as_bytes(), None).unwrap().delivered, 3);
        }
        for (_, client) in peers.iter_mut() {
            for (i, text) in large.iter().enumerate() {
                assert_eq!(next_text(client).await, format!("own {i}"));
                assert_eq!(&next_text(client).await, text);
            }
        }
    })
    .await;
}
