//! Our server with a raw TCP client on the other end, after a hand-written upgrade request.

use std::sync::Arc;

use bytes::BytesMut;
use poco_websocket_core::http::{read_response_head, HeadLimits, ResponseHead, Version};
use poco_websocket_core::server::{Server, ServerOptions};
use poco_websocket_core::{Connection, ConnectionConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Notify;

use super::{next_request, request, waker};

pub const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

pub struct RawClient {
    pub server: Server,
    pub connection: Connection,
    /// Signalled when the connection wakes its caller.
    pub notify: Arc<Notify>,
    pub raw: TcpStream,
    /// What the raw client read past the 101.
    pub buf: BytesMut,
}

/// Our server (default options) upgrades a raw client's request with `config`.
pub async fn server_with_raw_client(config: ConnectionConfig) -> RawClient {
    server_with_raw_client_offering(config, &[]).await.0
}

/// [`server_with_raw_client`] with extra request fields (an extension offer); also returns the 101.
pub async fn server_with_raw_client_offering(config: ConnectionConfig, extra: &[(&str, &str)]) -> (RawClient, ResponseHead) {
    let (server_wake, server_notify) = waker();
    let server = Server::bind("127.0.0.1", 0, ServerOptions::default(), server_wake).await.expect("bind");
    let mut raw = TcpStream::connect(server.local_addr()).await.unwrap();
    raw.set_nodelay(true).unwrap();
    let fields = [
        ("Host", "localhost"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", RFC_KEY),
        ("Sec-WebSocket-Version", "13"),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().chain(extra).copied().collect();
    raw.write_all(&request("GET", "/chat", Version::HTTP_1_1, &fields).encode()).await.unwrap();

    let mut incoming = next_request(&server, &server_notify).await;
    let (wake, notify) = waker();
    let connection =
        incoming.upgrade_with(ResponseHead::new(Version::HTTP_1_1, 200), config, wake).expect("upgrade");
    let mut buf = BytesMut::new();
    let response = read_response_head(&mut raw, &mut buf, HeadLimits::default()).await.expect("101");
    assert_eq!(response.status, 101);
    assert_eq!(response.headers.get("Sec-WebSocket-Accept"), Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    (RawClient { server, connection, notify, raw, buf }, response)
}
