//! TLS for wss, both directions: Poco's NetSSL (`Context`, `SecureStreamSocket`,
//! `SecureServerSocket`) on rustls with the ring provider, chosen explicitly for every config, so
//! no OpenSSL is needed at run time and no process-wide default provider is relied on.
//!
//! The handshake happens on the TCP stream before HTTP; the resulting [`crate::stream::Stream`]
//! carries the HTTP exchange and then the WebSocket frames, through the same connection engine as
//! plain TCP.

mod context;
mod errors;
mod roots;
mod verify;

use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

pub use context::{Context, ContextOptions, MinProtocol, VerificationMode};
pub(crate) use errors::{from_io, from_rustls};

use crate::error::Error;
use crate::transport::SharedTcp;

/// The record type that opens every TLS connection (a handshake record, RFC 8446 §5.1).
const HANDSHAKE_RECORD: u8 = 0x16;

/// A client handshake over `tcp`: SNI and the hostname check use `host` (a DNS name, or an IP
/// address, which is checked against the certificate's IP entries and sent without SNI).
pub async fn connect(context: &Context, host: &str, tcp: TcpStream) -> Result<tokio_rustls::TlsStream<SharedTcp>, Error> {
    let config = context.client_config()?;
    let name = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(name.to_string())
        .map_err(|_| Error::Ssl(format!("Invalid host name for TLS: {host}")))?;
    let connector = TlsConnector::from(Arc::clone(config));
    match connector.connect(name, SharedTcp::new(tcp)).await {
        Ok(stream) => Ok(stream.into()),
        Err(error) => Err(from_io(error, host)),
    }
}

/// What a server-side handshake produced.
pub enum Accepted {
    Secure(Box<tokio_rustls::TlsStream<SharedTcp>>),
    /// The client spoke plain text (HTTP) to the TLS port; the stream is untouched, so the
    /// caller can still answer in plain text.
    PlainText(TcpStream),
}

/// A server handshake over `tcp`. A client that does not open with a TLS handshake record is
/// handed back untouched (see [`Accepted::PlainText`]).
pub async fn accept(context: &Context, tcp: TcpStream) -> Result<Accepted, Error> {
    let config = context.server_config()?;
    let mut first = [0u8; 1];
    match tcp.peek(&mut first).await? {
        0 => return Err(Error::SslClosed("The peer closed the connection before the TLS handshake".into())),
        _ if first[0] != HANDSHAKE_RECORD => return Ok(Accepted::PlainText(tcp)),
        _ => {}
    }
    let peer = tcp.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let acceptor = TlsAcceptor::from(Arc::clone(config));
    match acceptor.accept(SharedTcp::new(tcp)).await {
        Ok(stream) => Ok(Accepted::Secure(Box::new(stream.into()))),
        Err(error) => Err(from_io(error, &peer)),
    }
}
