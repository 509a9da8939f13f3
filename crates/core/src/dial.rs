//! How a client reaches the server: TCP to the server or to its proxy, the CONNECT tunnel, then
//! TLS for wss. Each step runs within the session's timeout.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::error::Error;
use crate::http::HeadLimits;
use crate::proxy::{self, Proxy};
use crate::stream::Stream;
use crate::tls;

/// The way to the server beyond plain TCP: a client TLS context (wss) and a proxy.
#[derive(Debug, Clone, Default)]
pub struct Route {
    pub tls: Option<tls::Context>,
    pub proxy: Option<Proxy>,
}

/// Connects to `host:port` along `route`.
pub async fn dial(host: &str, port: u16, route: &Route, limit: Duration, limits: HeadLimits) -> Result<Stream, Error> {
    let tcp = match &route.proxy {
        Some(proxy) => {
            let mut tcp = open(&proxy.host, proxy.port, limit).await?;
            within(limit, proxy::tunnel(&mut tcp, host, port, proxy, limits)).await?;
            tcp
        }
        None => open(host, port, limit).await?,
    };
    match &route.tls {
        Some(context) => {
            let tls = within(limit, tls::connect(context, host, tcp)).await?;
            Ok(Stream::tls(tls, host))
        }
        None => Ok(Stream::Plain(tcp)),
    }
}

async fn within<T>(limit: Duration, step: impl std::future::Future<Output = Result<T, Error>>) -> Result<T, Error> {
    timeout(limit, step).await.unwrap_or(Err(Error::Timeout))
}

/// TCP to the first address of `host` that answers, with TCP_NODELAY (as Poco's `HTTPSession`).
pub async fn open(host: &str, port: u16, limit: Duration) -> Result<TcpStream, Error> {
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
                last = Error::ConnectionRefused { message: address.to_string(), errno: error.raw_os_error().unwrap_or(0) };
            }
            Ok(Err(error)) => last = error.into(),
            Err(_) => last = Error::Timeout,
        }
    }
    Err(last)
}
