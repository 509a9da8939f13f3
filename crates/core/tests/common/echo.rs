//! Our server echoing every frame, plain or over TLS, and our client's receive loop.

use poco_websocket_core::frame::Frame;
use poco_websocket_core::http::{ResponseHead, Version};
use poco_websocket_core::server::{Server, ServerOptions};
use poco_websocket_core::tls::Context;
use poco_websocket_core::{Connection, Error};
use tokio::sync::Notify;

use super::{next_request, waker};

/// Our server with `context` (or plain), echoing every frame of every upgraded connection.
/// Returns the port; the server lives as long as the runtime.
pub async fn echo_server(context: Option<Context>) -> u16 {
    let (wake, notify) = waker();
    let options = ServerOptions { tls: context, ..Default::default() };
    let server = Server::bind("127.0.0.1", 0, options, wake).await.expect("bind");
    let port = server.local_addr().port();
    tokio::spawn(async move {
        loop {
            let mut request = next_request(&server, &notify).await;
            let secure = request.secure;
            let (wake, notify) = waker();
            let head = ResponseHead::new(Version::HTTP_1_1, 101);
            let Ok(connection) = request.upgrade(head, wake) else { continue };
            tokio::spawn(async move {
                // The first frame tells the client whether the server saw TLS.
                let _ = connection.send(0x81, if secure { b"secure" } else { b"plain" });
                while let Ok(frame) = next_frame(&connection, &notify).await {
                    if frame.flags == 0 && frame.payload.is_empty() || connection.send(frame.flags, &frame.payload).is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

pub async fn next_frame(connection: &Connection, notify: &Notify) -> Result<Frame, Error> {
    loop {
        if let Some(frame) = connection.receive(None)? {
            return Ok(frame);
        }
        while !connection.arm_read() {
            notify.notified().await;
        }
    }
}

