//! The client side of the opening handshake: connect (through a proxy, over TLS: see
//! [`crate::dial`]), send the upgrade, verify the answer.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::time::timeout;

use crate::auth::{self, Credentials};
use crate::connection::{Connection, ConnectionConfig, Placement, Wake};
use crate::protocol::Role;
use crate::defaults;
use crate::dial::{dial, Route};
use crate::error::Error;
use crate::handshake;
use crate::http::{self, HeadError, HeadLimits, RequestHead, ResponseHead};
use crate::stream::Stream;

/// `HTTPClientSession` settings the handshake uses.
#[derive(Clone)]
pub struct ClientOptions {
    /// Deadline for connecting, and separately for the server's answer (Poco: 60 s).
    pub timeout: Duration,
    pub head_limits: HeadLimits,
    /// Settings of the connection the handshake produces.
    pub connection: ConnectionConfig,
    /// Where that connection runs.
    pub placement: Placement,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: defaults::HTTP_TIMEOUT,
            head_limits: HeadLimits::default(),
            connection: ConnectionConfig::default(),
            placement: Placement::default(),
        }
    }
}

/// What a handshake produced. Like Poco's `HTTPResponse&` out-parameter, `response` is filled
/// whenever the server answered, also when the upgrade failed.
pub struct Handshake {
    pub response: Option<ResponseHead>,
    pub result: Result<Connection, Error>,
}

/// Poco's `WebSocket(cs, request, response, credentials)`: connects to `host:port`, sends
/// `request` with the upgrade fields added, and verifies the response. A 401 is answered once
/// with `credentials` (unless they are empty), resending the same key (Poco spec §3.4).
/// Must be called on a tokio runtime.
pub async fn connect(
    host: &str,
    port: u16,
    request: RequestHead,
    options: ClientOptions,
    credentials: Option<Credentials>,
    wake: Wake,
) -> Handshake {
    connect_via(host, port, &Route::default(), request, options, credentials, wake).await
}

/// [`connect`] along `route`: through its proxy (a CONNECT tunnel) and over TLS (wss) when it
/// has them. The 401 retry, when it needs a new connection, takes the same route.
pub async fn connect_via(
    host: &str,
    port: u16,
    route: &Route,
    mut request: RequestHead,
    options: ClientOptions,
    credentials: Option<Credentials>,
    wake: Wake,
) -> Handshake {
    let failed = |response, error| Handshake { response, result: Err(error) };
    let mut stream = match dial(host, port, route, options.timeout, options.head_limits).await {
        Ok(stream) => stream,
        Err(error) => return failed(None, error),
    };
    let key = handshake::create_key();
    handshake::prepare_request(&mut request, &key, host, port);
    if let Some(options) = &options.connection.deflate {
        handshake::offer_deflate(&mut request, options);
    }
    let mut buf = BytesMut::new();
    let mut response = match exchange(&mut stream, &mut buf, &request, &options).await {
        Ok(response) => response,
        Err(error) => return failed(None, error),
    };
    if let Some(credentials) = credentials.filter(|c| !c.is_empty() && response.status == 401) {
        if let Some(value) = auth::authorization(&credentials, &response, &request.method, &request.uri) {
            request.headers.set("Authorization", value);
        }
        if !drain_body(&mut stream, &mut buf, &response, &options).await {
            stream = match dial(host, port, route, options.timeout, options.head_limits).await {
                Ok(stream) => stream,
                Err(error) => return failed(Some(response), error),
            };
            buf.clear();
        }
        response = match exchange(&mut stream, &mut buf, &request, &options).await {
            Ok(response) => response,
            Err(error) => return failed(Some(response), error),
        };
    }
    let verified = handshake::verify_response(&request, &response, &key, options.connection.strict)
        .and_then(|()| handshake::verify_deflate(&response, options.connection.deflate.as_ref()));
    let deflate = match verified {
        Ok(deflate) => deflate,
        Err(error) => return failed(Some(response), error),
    };
    let (connection, starter) =
        Connection::negotiated(Role::Client, options.connection, wake, options.placement.clone(), deflate);
    stream.start(starter, buf);
    Handshake { response: Some(response), result: Ok(connection) }
}

/// Sends `request` and reads the response head, within the HTTP timeout. A TLS failure on the
/// way (a TLS 1.3 server rejecting our certificate after the handshake) is reported as such.
async fn exchange(
    stream: &mut Stream,
    buf: &mut BytesMut,
    request: &RequestHead,
    options: &ClientOptions,
) -> Result<ResponseHead, Error> {
    let exchange = async {
        stream.write_all(&request.encode()).await?;
        http::read_response_head(stream, buf, options.head_limits).await.map_err(response_error)
    };
    let result = timeout(options.timeout, exchange).await.unwrap_or(Err(Error::Timeout));
    result.map_err(|error| stream.take_tls_failure().unwrap_or(error))
}

/// Reads and drops the body of a 401 so the connection can carry the retry; `false` when the
/// connection cannot be reused (no length, too long, or the server closes it).
async fn drain_body(stream: &mut Stream, buf: &mut BytesMut, response: &ResponseHead, options: &ClientOptions) -> bool {
    let closes = response.headers.has_token("Connection", "close")
        || (response.version == http::Version::HTTP_1_0 && !response.headers.has_token("Connection", "keep-alive"));
    let length = response.headers.get("Content-Length").and_then(|v| v.parse::<usize>().ok());
    match length {
        Some(length) if !closes && length <= defaults::MAX_REQUEST_BODY => {
            matches!(timeout(options.timeout, http::read_body(stream, buf, length)).await, Ok(Ok(_)))
        }
        _ => false,
    }
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
