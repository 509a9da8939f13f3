//! A connection born on another HTTP server: Node's `http.Server` read the upgrade request, and
//! the engine takes the TCP connection over (ws's `server`/`noServer` attach). The request is
//! validated here with the same rules as [`crate::server`]'s ([`handshake::accept_with`]); the 101
//! goes out on the adopted socket, followed by the connection.

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::connection::{Connection, ConnectionConfig, Placement, Starter, Wake};
use crate::error::Error;
use crate::handshake;
use crate::http::{RequestHead, ResponseHead};
use crate::protocol::Role;

/// A validated upgrade waiting for its socket: [`Adopted::start`] writes the 101 and starts.
pub struct Adopted {
    starter: Starter,
    answer: Vec<u8>,
}

/// Validates `request` and prepares the 101 (with the caller's extra `response` fields). On
/// failure nothing is prepared and the caller answers on its own socket.
pub fn upgrade(
    request: &RequestHead,
    mut response: ResponseHead,
    config: ConnectionConfig,
    wake: Wake,
    placement: Placement,
) -> Result<(Connection, Adopted), Error> {
    let (_, deflate) = handshake::accept_with(request, &mut response, config.strict, config.deflate.as_ref())?;
    let (connection, starter) = Connection::negotiated(Role::Server, config, wake, placement, deflate);
    Ok((connection, Adopted { starter, answer: response.encode() }))
}

impl Adopted {
    /// Writes the 101 on `socket` (a descriptor taken from the other server) and starts the
    /// connection with `buffered`, the bytes that server had already read past the request.
    /// Must run on a tokio runtime.
    pub async fn start(self, socket: std::net::TcpStream, buffered: BytesMut) {
        let started = async {
            socket.set_nonblocking(true)?;
            let mut tcp = TcpStream::from_std(socket)?;
            let _ = tcp.set_nodelay(true);
            tcp.write_all(&self.answer).await?;
            Ok::<_, std::io::Error>(tcp)
        };
        match started.await {
            Ok(tcp) => self.starter.start_tcp(tcp, buffered),
            Err(error) => self.starter.fail(error.into()),
        }
    }

    /// [`start`](Self::start) on a stream that is not a TCP socket of ours (a
    /// [`crate::bridge`] to a socket the caller keeps). Must run on a tokio runtime.
    pub async fn start_stream<S>(self, mut stream: S, buffered: BytesMut)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        match stream.write_all(&self.answer).await {
            Ok(()) => self.starter.start(stream, buffered),
            Err(error) => self.starter.fail(error.into()),
        }
    }
}
