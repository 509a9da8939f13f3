//! [`poco_websocket_core::bridge`]: the transport a caller carries (Node's TLS sockets). Bytes
//! pushed come out of the stream in order, the end of input is an EOF, writes come out of
//! `take`, a caller that does not take holds writes back at the limit, and `finished` follows
//! the stream's shutdown or drop; an armed caller is woken once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use poco_websocket_core::bridge::{self, OUTPUT_LIMIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn counter() -> (Arc<AtomicUsize>, poco_websocket_core::Wake) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    (count, Arc::new(move || {
        seen.fetch_add(1, Ordering::SeqCst);
    }))
}

#[tokio::test]
async fn input_in_order_then_eof() {
    let (_, wake) = counter();
    let (mut stream, handle) = bridge::pair(wake);
    assert!(handle.push(b"hello "));
    let reader = tokio::spawn(async move {
        let mut all = Vec::new();
        stream.read_to_end(&mut all).await.unwrap();
        all
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    handle.push(b"world");
    handle.end();
    assert_eq!(reader.await.unwrap(), b"hello world");
}

#[tokio::test]
async fn output_taken_and_an_armed_caller_woken_once() {
    let (wakes, wake) = counter();
    let (mut stream, handle) = bridge::pair(wake);
    assert!(!handle.arm());
    stream.write_all(b"abc").await.unwrap();
    stream.write_all(b"def").await.unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    assert_eq!(&handle.take()[..], b"abcdef");
    assert!(handle.take().is_empty());
    assert!(!handle.finished());
    stream.shutdown().await.unwrap();
    assert!(handle.finished());
}

#[tokio::test]
async fn a_caller_that_does_not_take_holds_writes_back() {
    let (_, wake) = counter();
    let (mut stream, handle) = bridge::pair(wake);
    let big = vec![1u8; OUTPUT_LIMIT * 2];
    let writer = tokio::spawn(async move {
        stream.write_all(&big).await.unwrap();
        drop(stream);
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!writer.is_finished(), "the write must wait for the caller");
    let mut taken = 0;
    while !handle.finished() {
        taken += handle.take().len();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    writer.await.unwrap();
    assert_eq!(taken, OUTPUT_LIMIT * 2);
}

#[tokio::test]
async fn input_over_the_limit_asks_the_caller_to_stop_reading() {
    let (wakes, wake) = counter();
    let (mut stream, handle) = bridge::pair(wake);
    assert!(!handle.push(&vec![0u8; bridge::INPUT_LIMIT]));
    assert!(!handle.wants_input());
    assert!(!handle.arm());
    let mut buf = vec![0u8; 64 * 1024];
    stream.read(&mut buf).await.unwrap();
    assert!(handle.wants_input());
    assert_eq!(wakes.load(Ordering::SeqCst), 1, "room again wakes the armed caller");
}
