//! wss: our client and our server over TLS (rustls), with certificates made at test time.
//! Every failure must be a typed error naming the reason, and the server must keep serving.

mod common;

use std::sync::Arc;

use common::echo::{echo_server, next_frame};
use common::pki::{Leaf, Pki};
use common::{bounded, request, waker};
use poco_websocket_core::client::{self, ClientOptions, Handshake};
use poco_websocket_core::dial::Route;
use poco_websocket_core::http::Version;
use poco_websocket_core::tls::{Context, ContextOptions, MinProtocol, VerificationMode};
use poco_websocket_core::{Connection, Error, ErrorCode};
use bytes::BytesMut;
use poco_websocket_core::handshake::compute_accept;
use poco_websocket_core::http::{read_request_head, HeadLimits};
use poco_websocket_core::tls::{accept, Accepted};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Notify;

fn server_context(leaf: &Leaf) -> Context {
    server_context_with(leaf, VerificationMode::None, vec![])
}

fn server_context_with(leaf: &Leaf, verification: VerificationMode, ca: Vec<Vec<u8>>) -> Context {
    Context::new(&ContextOptions {
        server: true,
        verification,
        ca,
        certificate: Some(leaf.certificate.clone().into_bytes()),
        private_key: Some(leaf.key.clone().into_bytes()),
        ..Default::default()
    })
    .expect("server context")
}

/// A client context trusting `ca` only (none: the default roots).
fn client_context(ca: Option<&str>, verification: VerificationMode) -> Context {
    Context::new(&ContextOptions {
        verification,
        ca: ca.map(|pem| vec![pem.as_bytes().to_vec()]).unwrap_or_default(),
        ..Default::default()
    })
    .expect("client context")
}

async fn connect(port: u16, host: &str, route: Route) -> (Option<u16>, Result<(Connection, Arc<Notify>), Error>) {
    let (wake, notify) = waker();
    let head = request("GET", "/", Version::HTTP_1_1, &[]);
    let Handshake { response, result } =
        client::connect_via(host, port, &route, head, ClientOptions::default(), None, wake).await;
    (response.map(|r| r.status), result.map(|c| (c, notify)))
}

fn tls_route(context: Context) -> Route {
    Route { tls: Some(context), proxy: None }
}

/// A wss round trip: the server reports TLS, a frame comes back, socket options still work.
async fn assert_echo(port: u16, host: &str, route: Route) {
    let (status, result) = connect(port, host, route).await;
    let (connection, notify) = result.expect("wss handshake");
    assert_eq!(status, Some(101));
    assert_eq!(next_frame(&connection, &notify).await.unwrap().payload, &b"secure"[..]);
    connection.send(0x82, &[1, 2, 3]).unwrap();
    let echo = next_frame(&connection, &notify).await.unwrap();
    assert_eq!((echo.flags, &echo.payload[..]), (0x82, &[1u8, 2, 3][..]));
    let socket = connection.socket().expect("the TCP socket under TLS");
    assert_eq!(socket.peer_addr().unwrap().port(), port);
    assert!(socket.flag(poco_websocket_core::socket::Flag::NoDelay).unwrap());
    common::send_close(&connection, 1000, "").unwrap();
    let close = next_frame(&connection, &notify).await.unwrap();
    assert_eq!(close.flags, 0x88);
}

fn assert_error(result: Result<impl Sized, Error>, kind: &str, needle: &str) {
    match result {
        Err(error) => {
            assert_eq!(error.kind(), kind, "{error}");
            assert!(error.message().contains(needle), "{error:?} does not mention {needle:?}");
        }
        Ok(_) => panic!("expected {kind} mentioning {needle:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_echo_by_name_and_by_address() {
    bounded(async {
        let pki = Pki::new();
        let port = echo_server(Some(server_context(&pki.server))).await;
        let context = client_context(Some(&pki.ca), VerificationMode::Relaxed);
        assert_echo(port, "localhost", tls_route(context.clone())).await;
        assert_echo(port, "127.0.0.1", tls_route(context)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_failures_name_the_reason_and_the_server_keeps_serving() {
    bounded(async {
        let pki = Pki::new();
        let trusting = client_context(Some(&pki.ca), VerificationMode::Strict);
        let cases: [(&Leaf, &str, Context, &str); 4] = [
            (&pki.untrusted, "127.0.0.1", trusting.clone(), "unknown issuer"),
            (&pki.server, "127.0.0.1", client_context(None, VerificationMode::Relaxed), "unknown issuer"),
            (&pki.wrong_host, "localhost", trusting.clone(), "hostname mismatch: the certificate is for example.com, not localhost"),
            (&pki.expired, "localhost", trusting.clone(), "certificate expired (not valid after Fri, 01 Jan 2021"),
        ];
        for (leaf, host, context, reason) in cases {
            let port = echo_server(Some(server_context(leaf))).await;
            let (status, result) = connect(port, host, tls_route(context)).await;
            assert_eq!(status, None);
            assert_error(result, "CertificateValidationException", reason);
        }
        // The server that refused clients still serves a good one.
        let port = echo_server(Some(server_context(&pki.server))).await;
        let _ = connect(port, "localhost", tls_route(client_context(None, VerificationMode::Relaxed))).await;
        assert_echo(port, "localhost", tls_route(trusting)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_none_accepts_any_certificate() {
    bounded(async {
        let pki = Pki::new();
        for leaf in [&pki.untrusted, &pki.wrong_host, &pki.expired] {
            let port = echo_server(Some(server_context(leaf))).await;
            assert_echo(port, "localhost", tls_route(client_context(None, VerificationMode::None))).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_client_to_plain_port_and_plain_client_to_tls_port() {
    bounded(async {
        let pki = Pki::new();
        let plain = echo_server(None).await;
        let (_, result) = connect(plain, "127.0.0.1", tls_route(client_context(Some(&pki.ca), VerificationMode::Relaxed))).await;
        assert_error(result, "SSLException", "did not answer with TLS");

        let secure = echo_server(Some(server_context(&pki.server))).await;
        let (status, result) = connect(secure, "127.0.0.1", Route::default()).await;
        assert_eq!(status, Some(400));
        match result {
            Err(Error::WebSocket { code: ErrorCode::NoHandshake, message }) => assert_eq!(
                message,
                "Cannot upgrade to WebSocket connection: The plain HTTP request was sent to HTTPS port"
            ),
            other => panic!("unexpected {:?}", other.err()),
        }
        // Both servers still serve their own kind.
        assert_echo(secure, "localhost", tls_route(client_context(Some(&pki.ca), VerificationMode::Relaxed))).await;
        let (_, result) = connect(plain, "127.0.0.1", Route::default()).await;
        let (connection, notify) = result.expect("plain handshake");
        assert_eq!(next_frame(&connection, &notify).await.unwrap().payload, &b"plain"[..]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_under_verify_strict() {
    bounded(async {
        let pki = Pki::new();
        let ca = vec![pki.ca.clone().into_bytes()];
        let port = echo_server(Some(server_context_with(&pki.server, VerificationMode::Strict, ca.clone()))).await;
        // Without a certificate: TLS 1.3 reports the server's alert at the first read.
        let (_, result) = connect(port, "localhost", tls_route(client_context(Some(&pki.ca), VerificationMode::Relaxed))).await;
        assert_error(result, "SSLException", "requires a client certificate");
        // With one from a CA the server does not trust.
        let stranger = Context::new(&ContextOptions {
            ca: vec![pki.ca.clone().into_bytes()],
            certificate: Some(pki.untrusted.certificate.clone().into_bytes()),
            private_key: Some(pki.untrusted.key.clone().into_bytes()),
            ..Default::default()
        })
        .unwrap();
        let (_, result) = connect(port, "localhost", tls_route(stranger)).await;
        assert_error(result, "SSLException", "rejected our certificate");
        // With a good one (certificate and key in one PEM, as Poco allows).
        let both = format!("{}{}", pki.client.certificate, pki.client.key);
        let client = Context::new(&ContextOptions {
            ca: vec![pki.ca.clone().into_bytes()],
            certificate: Some(both.into_bytes()),
            ..Default::default()
        })
        .unwrap();
        assert_echo(port, "localhost", tls_route(client)).await;
        // VERIFY_RELAXED asks but does not require.
        let relaxed = echo_server(Some(server_context_with(&pki.server, VerificationMode::Relaxed, ca))).await;
        assert_echo(relaxed, "localhost", tls_route(client_context(Some(&pki.ca), VerificationMode::Relaxed))).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls13_only_contexts() {
    bounded(async {
        let pki = Pki::new();
        let server = Context::new(&ContextOptions {
            server: true,
            min_protocol: MinProtocol::Tls13,
            certificate: Some(pki.server.certificate.clone().into_bytes()),
            private_key: Some(pki.server.key.clone().into_bytes()),
            ..Default::default()
        })
        .unwrap();
        let port = echo_server(Some(server)).await;
        let client = Context::new(&ContextOptions {
            min_protocol: MinProtocol::Tls13,
            ca: vec![pki.ca.clone().into_bytes()],
            ..Default::default()
        })
        .unwrap();
        assert_echo(port, "localhost", tls_route(client)).await;
    })
    .await;
}

#[test]
fn context_errors_are_ssl_context_exceptions() {
    let pki = Pki::new();
    let check = |options: ContextOptions, needle: &str| assert_error(Context::new(&options), "SSLContextException", needle);
    check(ContextOptions { server: true, ..Default::default() }, "needs a certificate and a private key");
    check(
        ContextOptions { certificate: Some(pki.server.certificate.clone().into_bytes()), ..Default::default() },
        "No private key found",
    );
    check(ContextOptions { ca: vec![b"not a certificate".to_vec()], ..Default::default() }, "No CA certificate found");
    check(
        ContextOptions {
            certificate: Some(pki.server.certificate.clone().into_bytes()),
            private_key: Some(pki.client.key.clone().into_bytes()),
            ..Default::default()
        },
        "Cannot use the certificate and private key",
    );
    check(
        ContextOptions {
            server: true,
            verification: VerificationMode::Strict,
            certificate: Some(pki.server.certificate.clone().into_bytes()),
            private_key: Some(pki.server.key.clone().into_bytes()),
            ..Default::default()
        },
        "VERIFY_STRICT on a server needs a CA",
    );
    let server = server_context(&pki.server);
    assert!(server.is_server());
}

/// A TLS server that closes TCP without close_notify right after its 101: the client sees the
/// end of input, as with plain TCP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eof_without_close_notify_is_the_end_of_input() {
    bounded(async {
        let pki = Pki::new();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let context = server_context(&pki.server);
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let Ok(Accepted::Secure(mut tls)) = accept(&context, tcp).await else { panic!("TLS accept") };
            let tls = &mut *tls;
            let mut buf = BytesMut::new();
            let request = read_request_head(tls, &mut buf, HeadLimits::default()).await.unwrap();
            let key = request.headers.get("Sec-WebSocket-Key").unwrap();
            let answer = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {}\r\n\r\n",
                compute_accept(key)
            );
            tls.write_all(&[answer.as_bytes(), b"\x81\x02hi"].concat()).await.unwrap();
            tls.flush().await.unwrap();
            // Dropping the TLS stream closes TCP without close_notify.
        });
        let (_, result) = connect(port, "localhost", tls_route(client_context(Some(&pki.ca), VerificationMode::Relaxed))).await;
        let (connection, notify) = result.unwrap();
        assert_eq!(next_frame(&connection, &notify).await.unwrap().payload, &b"hi"[..]);
        let end = next_frame(&connection, &notify).await.unwrap();
        assert_eq!((end.flags, end.payload.len()), (0, 0));
    })
    .await;
}
