//! The client side of the opening handshake: connect, send the upgrade, verify the answer.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::connection::{Connection, Role, Wake};
use crate::defaults;
use crate::error::Error;
use crate::handshake;
use crate::http::{self, HeadError, HeadLimits, RequestHead, ResponseHead};

/// `HTTPClientSession` settings the handshake uses.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    /// Deadline for connecting, and separately for the server's answer (Poco: 60 s).
    pub timeout: Duration,
    pub head_limits: HeadLimits,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions { timeout: defaults::HTTP_TIMEOUT, head_limits: HeadLimits::default() }
    }
}

/// What a handshake produced. Like Poco's `HTTPResponse&` out-parameter, `response` is filled
/// whenever the server answered, also when the upgrade failed.
pub struct Handshake {
    pub response: Option<ResponseHead>,
    pub result: Result<Connection, Error>,
}

/// Poco's `WebSocket(cs, request, response)`: connects to `host:port`, sends `request` with the
/// upgrade fields added, and verifies the response. Must be called on a tokio runtime.
pub async fn connect(host: &str, port: u16, mut request: RequestHead, options: ClientOptions, wake: Wake) -> Handshake {
    let failed = |response, error| Handshake { response, result: Err(error) };
    let mut stream = match open(host, port, options.timeout).await {
        Ok(stream) => stream,
        Err(error) => return failed(None, error),
    };
    let key = handshake::create_key();
    handshake::prepare_request(&mut request, &key, host, port);
    let mut buf = BytesMut::new();
    let exchange = async {
        stream.write_all(&request.encode()).await?;
        http::read_response_head(&mut stream, &mut buf, options.head_limits).await.map_err(response_error)
    };
    let response = match timeout(options.timeout, exchange).await {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => return failed(None, error),
        Err(_) => return failed(None, Error::Timeout),
    };
    if let Err(error) = handshake::verify_response(&response, &key) {
        return failed(Some(response), error);
    }
    let (connection, starter) = Connection::new(Role::Client, wake);
    starter.start(stream, buf);
    Handshake { response: Some(response), result: Ok(connection) }
}

async fn open(host: &str, port: u16, limit: Duration) -> Result<TcpStream, Error> {
    let addresses: Vec<_> = match tokio::net::lookup_host((host, port)).await {
        Ok(addresses) => addresses.collect(),
        Err(_) => return Err(Error::HostNotFound(host.to_string())),
    };
    let mut last = Error::HostNotFound(host.to_string());
    for address in addresses {
        match timeout(limit, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = Error::ConnectionRefused(address.to_string());
            }
            Ok(Err(error)) => last = error.into(),
            Err(_) => last = Error::Timeout,
        }
    }
    Err(last)
}

fn response_error(error: HeadError) -> Error {
    match error {
        HeadError::Closed => Error::NoMessage,
        HeadError::Truncated => Error::Message("Truncated HTTP response".into()),
        HeadError::TooLarge => Error::Message("HTTP response header too large".into()),
        HeadError::Malformed(reason) => Error::Message(reason),
        HeadError::Io(message) => Error::Io { message, errno: 0 },
    }
}

impl From<HeadError> for Error {
    fn from(error: HeadError) -> Self {
        response_error(error)
    }
}
