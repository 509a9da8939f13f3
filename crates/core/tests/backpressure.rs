//! What a peer can make us hold (hostile-input matrix K5, T4, T5): a peer that floods PINGs and
//! never reads gets PONGs only while the write buffer is under its limit, then only the latest
//! PING's (§5.5.3), so our memory stays bounded while its PINGs keep being read; a peer that
//! floods frames nobody receives is held back by TCP once the inbound queue is full, and nothing
//! it sent is lost.

mod common;

use std::time::Duration;

use bytes::BytesMut;
use common::raw::{server_with_raw_client, RawClient};
use common::{bounded, frame};
use poco_websocket_core::decoder::{Decoder, Policy};
use poco_websocket_core::defaults::{INBOUND_HIGH_WATER, READ_BUFFER_STEP};
use poco_websocket_core::frame::{self as codec, Frame};
use poco_websocket_core::protocol::fragmentation::MessageLimits;
use poco_websocket_core::{Batch, Connection, ConnectionConfig, Error, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

const MASK: [u8; 4] = [1, 2, 3, 4];

fn masked(flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    codec::encode(flags, payload, Some(MASK), &mut out);
    out.to_vec()
}

async fn next_batch(connection: &Connection, notify: &Notify) -> Result<Batch, Error> {
    loop {
        let batch = connection.receive_batch(4096, 1 << 20)?;
        if !batch.frames.is_empty() || batch.ended {
            return Ok(batch);
        }
        while !connection.arm_read() {
            notify.notified().await;
        }
    }
}

/// Every frame the raw client can parse from what it reads.
fn server_frames(buf: &mut BytesMut) -> Vec<Frame> {
    let limits = MessageLimits { max_message_size: u64::MAX, max_fragments: u64::MAX };
    let raw = Policy { strict: false, max_payload: u64::MAX, limits, join: false };
    let mut frames = Vec::new();
    Decoder::new(Role::Client).decode(buf, &raw, &mut frames).unwrap();
    frames
}

/// Matrix K5: 100,000 PINGs from a peer that does not read. The caller takes every one of them;
/// the write buffer never holds much more than its limit; once the peer reads, the last PONG it
/// gets answers the last PING.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_flood_from_a_peer_that_never_reads() {
    bounded(async {
        let config = ConnectionConfig { messages: true, ..ConnectionConfig::default() };
        let RawClient { server: _server, connection, notify, raw, mut buf } = server_with_raw_client(config).await;
        let limit = 64 * 1024;
        connection.set_write_limit(limit);
        let connection = std::sync::Arc::new(connection);
        const PINGS: u32 = 100_000;
        let (mut reader, mut writer) = raw.into_split();
        let flood = tokio::spawn(async move {
            let mut chunk = Vec::new();
            for i in 0..PINGS {
                let mut payload = [b'p'; 125];
                payload[..4].copy_from_slice(&i.to_be_bytes());
                chunk.extend_from_slice(&masked(0x89, &payload));
                if chunk.len() > 64 * 1024 || i == PINGS - 1 {
                    writer.write_all(&chunk).await.unwrap();
                    chunk.clear();
                }
            }
            writer
        });
        let mut pings = 0;
        let mut most_buffered = 0;
        while pings < PINGS {
            let batch = next_batch(&connection, &notify).await.unwrap();
            pings += batch.frames.iter().filter(|frame| frame.flags == 0x89).count() as u32;
            most_buffered = most_buffered.max(connection.buffered_amount());
        }
        let _writer = flood.await.unwrap();
        assert!(most_buffered <= limit + 2 * 132, "{most_buffered} bytes buffered over a limit of {limit}");

        // Now the peer reads: PONGs, the last one for the last PING.
        let mut last = None;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while last != Some(PINGS - 1) {
            let mut chunk = vec![0; 256 * 1024];
            let n = tokio::time::timeout_at(deadline, reader.read(&mut chunk)).await.expect("the last PONG").unwrap();
            assert!(n > 0, "TCP closed");
            buf.extend_from_slice(&chunk[..n]);
            for pong in server_frames(&mut buf) {
                assert_eq!(pong.flags, 0x8a);
                last = Some(u32::from_be_bytes(pong.payload[..4].try_into().unwrap()));
            }
        }
        // The driver counts the last PONG as written when write(2) returns, which may come just
        // after the peer has read it.
        while connection.buffered_amount() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(connection.buffered_amount(), 0);
    })
    .await;
}

/// Matrix T5 (frame mode): frames nobody receives fill the inbound queue to its mark, then TCP
/// holds the peer back; receiving them later delivers every one, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_queue_is_bounded_and_loses_nothing() {
    bounded(async {
        let RawClient { server: _server, connection, notify, raw, .. } =
            server_with_raw_client(ConnectionConfig::default()).await;
        let (_reader, mut writer) = raw.into_split();
        const FRAMES: u32 = 16 * 1024;
        let flood = tokio::spawn(async move {
            for i in 0..FRAMES {
                let mut payload = [0u8; 1024];
                payload[..4].copy_from_slice(&i.to_be_bytes());
                writer.write_all(&masked(0x82, &payload)).await.unwrap();
            }
            writer
        });
        // The peer is stopped by TCP long before it has written 16 MiB.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!flood.is_finished(), "the peer was not held back");
        let held = connection.available();
        assert!(held <= INBOUND_HIGH_WATER + READ_BUFFER_STEP, "{held} bytes held");
        let mut next = 0;
        while next < FRAMES {
            let batch = next_batch(&connection, &notify).await.unwrap();
            for received in batch.frames {
                let mut payload = [0u8; 1024];
                payload[..4].copy_from_slice(&next.to_be_bytes());
                assert_eq!(received, frame(0x82, &payload));
                next += 1;
            }
        }
        flood.await.unwrap();
    })
    .await;
}
