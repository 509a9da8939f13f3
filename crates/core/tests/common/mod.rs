//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use poco_websocket_core::frame::Frame;
use poco_websocket_core::{Connection, Error};
use poco_websocket_core::http::{Headers, RequestHead, Version};
use poco_websocket_core::server::{IncomingRequest, Server};
use poco_websocket_core::Wake;
use tokio::sync::Notify;

pub mod echo;
pub mod pki;
pub mod raw;

/// Every socket test finishes within this, or fails instead of hanging.
pub const LIMIT: Duration = Duration::from_secs(10);

pub fn headers(fields: &[(&str, &str)]) -> Headers {
    Headers(fields.iter().map(|&(n, v)| (n.to_string(), v.to_string())).collect())
}

pub fn request(method: &str, uri: &str, version: Version, fields: &[(&str, &str)]) -> RequestHead {
    RequestHead { method: method.into(), uri: uri.into(), version, headers: headers(fields) }
}

pub async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, test).await.expect("test did not finish in time")
}

pub fn waker() -> (Wake, Arc<Notify>) {
    let notify = Arc::new(Notify::new());
    let signal = notify.clone();
    (Arc::new(move || signal.notify_one()), notify)
}

pub async fn next_request(server: &Server, notify: &Notify) -> IncomingRequest {
    loop {
        let mut requests = server.take_requests();
        if !requests.is_empty() {
            assert_eq!(requests.len(), 1, "one request at a time");
            return requests.remove(0);
        }
        if !server.arm() {
            notify.notified().await;
        }
        tokio::task::yield_now().await;
    }
}

pub fn frame(flags: u8, payload: &[u8]) -> Frame {
    Frame { flags, payload: Bytes::copy_from_slice(payload) }
}

/// Poco's `shutdown(code, reason)`: sends a CLOSE, returns its payload length.
pub fn send_close(connection: &Connection, code: u16, reason: &str) -> Result<usize, Error> {
    let payload = poco_websocket_core::frame::close_payload(code, reason);
    connection.send(0x88, &payload).map(|_| payload.len())
}

pub fn eof_frame() -> Frame {
    frame(0, b"")
}
