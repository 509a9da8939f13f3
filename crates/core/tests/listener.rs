//! A server on a socket bound beforehand (Poco's `HTTPServer` on a `ServerSocket`): it accepts
//! the connections queued before it started, and once stopped the port is free again.

mod common;

use common::{bounded, next_request, waker};
use poco_websocket_core::defaults;
use poco_websocket_core::http::{ResponseHead, Version};
use poco_websocket_core::listener::{BindOptions, Listener};
use poco_websocket_core::server::{Server, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn a_server_serves_the_taken_socket_and_frees_its_port_when_stopped() {
    bounded(async {
        let mut listener = Listener::open("127.0.0.1", 0, defaults::SERVER_SOCKET_BACKLOG).unwrap();
        let address = listener.local_addr().unwrap();
        // Queued by the OS before any server exists.
        let mut early = TcpStream::connect(address).await.unwrap();
        early.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();

        let (wake, notify) = waker();
        let server = Server::serve(listener.take().unwrap(), ServerOptions::default(), wake).unwrap();
        assert_eq!(server.local_addr(), address, "the same socket, not a new bind");
        let mut request = next_request(&server, &notify).await;
        let mut head = ResponseHead::new(Version::HTTP_1_1, 200);
        head.headers.set("Content-Length", "0");
        request.respond(head, Vec::new()).unwrap();
        let mut answer = String::new();
        early.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

        server.stop();
        while !server.is_stopped() {
            if !server.arm() {
                notify.notified().await;
            }
        }
        let mut again = Listener::new();
        again.bind("127.0.0.1", address.port(), BindOptions { reuse_address: true, ..BindOptions::default() }).unwrap();
        again.listen(1).unwrap();
    })
    .await;
}
