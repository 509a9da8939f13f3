//! ws:// and wss:// through an HTTP CONNECT proxy (a small one written here; the ava suite uses
//! a real one, tinyproxy): the tunnel, Basic proxy credentials, and refusals as HTTPException.

mod common;

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use common::echo::{echo_server, next_frame};
use common::pki::Pki;
use common::{bounded, request, waker};
use poco_websocket_core::client::{self, ClientOptions, Handshake};
use poco_websocket_core::dial::Route;
use poco_websocket_core::http::{read_request_head, HeadLimits, RequestHead, Version};
use poco_websocket_core::proxy::{authority, connect_request, Proxy};
use poco_websocket_core::tls::{Context, ContextOptions};
use poco_websocket_core::Error;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// What the test proxy does with a CONNECT.
#[derive(Clone, Copy)]
enum Policy {
    Open,
    /// Requires `Proxy-Authorization: Basic` for user:secret; answers 407 otherwise.
    Basic,
    /// Answers 403 to everything.
    Forbid,
}

/// A CONNECT-only proxy on 127.0.0.1; returns its port and the requests it saw.
async fn proxy(policy: Policy) -> (u16, Arc<Mutex<Vec<RequestHead>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = BytesMut::new();
                let head = read_request_head(&mut client, &mut buf, HeadLimits::default()).await.unwrap();
                log.lock().unwrap().push(head.clone());
                let authorized = head.headers.get("Proxy-Authorization") == Some("Basic dXNlcjpzZWNyZXQ=");
                let refusal = match policy {
                    Policy::Forbid => Some("403 Forbidden"),
                    Policy::Basic if !authorized => Some("407 Proxy Authentication Required"),
                    _ => None,
                };
                if let Some(status) = refusal {
                    let answer = format!("HTTP/1.1 {status}\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n");
                    let _ = client.write_all(answer.as_bytes()).await;
                    return;
                }
                let mut server = TcpStream::connect(head.uri.as_str()).await.unwrap();
                client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (port, seen)
}

fn route(proxy_port: u16, username: &str, tls: Option<Context>) -> Route {
    let proxy = Proxy { host: "127.0.0.1".into(), port: proxy_port, username: username.into(), password: "secret".into() };
    Route { tls, proxy: Some(proxy) }
}

async fn connect(host: &str, port: u16, route: Route) -> Result<Vec<u8>, Error> {
    let (wake, notify) = waker();
    let head = request("GET", "/", Version::HTTP_1_1, &[]);
    let Handshake { result, .. } = client::connect_via(host, port, &route, head, ClientOptions::default(), None, wake).await;
    let connection = result?;
    let hello = next_frame(&connection, &notify).await?.payload.to_vec();
    connection.send(0x81, b"through").unwrap();
    assert_eq!(next_frame(&connection, &notify).await?.payload, &b"through"[..]);
    Ok(hello)
}

#[test]
fn connect_request_names_the_target_and_carries_basic_credentials() {
    let proxy = Proxy { username: "user".into(), password: "secret".into(), ..Default::default() };
    let bytes = connect_request("::1", 8443, &proxy).encode();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\nProxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\n\r\n"
    );
    assert_eq!(authority("example.com", 80), "example.com:80");
    let anonymous = connect_request("example.com", 80, &Proxy::default()).encode();
    assert!(!String::from_utf8(anonymous).unwrap().contains("Proxy-Authorization"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_and_wss_through_the_tunnel() {
    bounded(async {
        let pki = Pki::new();
        let (proxy_port, seen) = proxy(Policy::Open).await;
        let plain = echo_server(None).await;
        assert_eq!(connect("127.0.0.1", plain, route(proxy_port, "", None)).await.unwrap(), b"plain");

        let server = Context::new(&ContextOptions {
            server: true,
            certificate: Some(pki.server.certificate.clone().into_bytes()),
            private_key: Some(pki.server.key.clone().into_bytes()),
            ..Default::default()
        })
        .unwrap();
        let secure = echo_server(Some(server)).await;
        let client = Context::new(&ContextOptions { ca: vec![pki.ca.clone().into_bytes()], ..Default::default() }).unwrap();
        // The certificate is checked against the server's name, not the proxy's.
        assert_eq!(connect("localhost", secure, route(proxy_port, "", Some(client))).await.unwrap(), b"secure");

        let seen = seen.lock().unwrap();
        let targets: Vec<_> = seen.iter().map(|h| (h.method.as_str(), h.uri.clone())).collect();
        assert_eq!(targets, [("CONNECT", format!("127.0.0.1:{plain}")), ("CONNECT", format!("localhost:{secure}"))]);
        assert!(seen.iter().all(|h| !h.headers.has("Proxy-Authorization")));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_proxy_credentials() {
    bounded(async {
        let (proxy_port, _) = proxy(Policy::Basic).await;
        let plain = echo_server(None).await;
        assert_eq!(connect("127.0.0.1", plain, route(proxy_port, "user", None)).await.unwrap(), b"plain");
        match connect("127.0.0.1", plain, route(proxy_port, "", None)).await {
            Err(Error::Http { status: 407, message }) => {
                assert_eq!(message, "Cannot establish proxy connection: 407 Proxy Authentication Required")
            }
            other => panic!("expected a 407 HTTPException, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_a_missing_proxy() {
    bounded(async {
        let (proxy_port, _) = proxy(Policy::Forbid).await;
        let error = connect("127.0.0.1", 9, route(proxy_port, "", None)).await.unwrap_err();
        assert_eq!((error.kind(), error.code()), ("HTTPException", 403));
        assert_eq!(error.message(), "Cannot establish proxy connection: 403 Forbidden");

        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let error = connect("127.0.0.1", 9, route(port, "", None)).await.unwrap_err();
        assert_eq!(error.kind(), "ConnectionRefusedException");
    })
    .await;
}
