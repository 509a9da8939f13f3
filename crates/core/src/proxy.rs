//! HTTP CONNECT tunnels (RFC 9110 §9.3.6), as Poco's `HTTPClientSession::proxyConnect`: the
//! client asks the proxy for a tunnel to `host:port`, with Basic proxy credentials when it has
//! them, and then speaks to the server through it (ws:// and wss:// alike, as Poco does).

use base64::Engine;
use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::error::Error;
use crate::http::{self, HeadLimits, RequestHead, Version};

/// Poco's `ProxyConfig`, as far as a tunnel needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// Basic credentials for `Proxy-Authorization`; none are sent when the username is empty.
    pub username: String,
    pub password: String,
}

/// `host:port` as a request target: IPv6 addresses in brackets.
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The CONNECT request for `host:port`.
pub fn connect_request(host: &str, port: u16, proxy: &Proxy) -> RequestHead {
    let target = authority(host, port);
    let mut request = RequestHead { method: "CONNECT".into(), uri: target.clone(), version: Version::HTTP_1_1, headers: Default::default() };
    request.headers.set("Host", target);
    if !proxy.username.is_empty() {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", proxy.username, proxy.password));
        request.headers.set("Proxy-Authorization", format!("Basic {token}"));
    }
    request
}

/// Opens the tunnel on `tcp` (connected to the proxy). Any status other than 2xx is an
/// `HTTPException` whose code is the status: "Cannot establish proxy connection: 407 Proxy
/// Authentication Required".
pub async fn tunnel(tcp: &mut TcpStream, host: &str, port: u16, proxy: &Proxy, limits: HeadLimits) -> Result<(), Error> {
    tcp.write_all(&connect_request(host, port, proxy).encode()).await?;
    let mut buf = BytesMut::new();
    let response = http::read_response_head(tcp, &mut buf, limits).await?;
    if !(200..300).contains(&response.status) {
        let reason = if response.reason.is_empty() { http::reason_for_status(response.status) } else { &response.reason };
        return Err(Error::Http {
            status: response.status,
            message: format!("Cannot establish proxy connection: {} {reason}", response.status),
        });
    }
    // The server has not been sent anything yet, so nothing of it can be here.
    if !buf.is_empty() {
        return Err(Error::Message("Unexpected data from the proxy after its CONNECT response".into()));
    }
    Ok(())
}
