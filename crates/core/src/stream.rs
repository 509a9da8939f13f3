//! The byte stream under an HTTP exchange and, after the upgrade, under a WebSocket: plain TCP
//! or TLS over TCP. Both start the same connection engine; TLS goes through
//! [`Starter::start_with_socket`], so socket options still reach the TCP socket underneath.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::connection::Starter;
use crate::error::Error;
use crate::socket::SocketHandle;
use crate::tls;
use crate::transport::SharedTcp;

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
}

/// A TLS stream with its TCP socket (for options and addresses) and the last TLS failure seen
/// by a read, kept typed so the caller can report it as an SSL exception (a TLS 1.3 server
/// rejects a client certificate only after the client's handshake has completed).
pub struct TlsStream {
    tls: tokio_rustls::TlsStream<SharedTcp>,
    tcp: SharedTcp,
    peer: String,
    failure: Option<Error>,
}

impl Stream {
    /// `tls` over the TCP socket it was built on; `peer` names the other end in messages.
    pub fn tls(tls: tokio_rustls::TlsStream<SharedTcp>, peer: &str) -> Stream {
        let tcp = tls.get_ref().0.clone();
        Stream::Tls(Box::new(TlsStream { tls, tcp, peer: peer.to_string(), failure: None }))
    }

    pub fn is_secure(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// The typed TLS failure behind the last read error, if that was one.
    pub fn take_tls_failure(&mut self) -> Option<Error> {
        match self {
            Stream::Tls(tls) => tls.failure.take(),
            Stream::Plain(_) => None,
        }
    }

    /// Hands the stream to the connection engine with the bytes already read past the head.
    pub fn start(self, starter: Starter, buffered: BytesMut) {
        match self {
            Stream::Plain(tcp) => starter.start_tcp(tcp, buffered),
            Stream::Tls(tls) => {
                let socket = SocketHandle::new(tls.tcp.clone());
                starter.start_with_socket(*tls, buffered, socket);
            }
        }
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.tls).poll_read(cx, buf) {
            // A peer that closes TCP without close_notify: the WebSocket and HTTP layers have
            // their own framing (a cut frame is still reported), so treat it as the end of input.
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => {
                if let Some(tls_error) = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                    this.failure = Some(tls::from_rustls(tls_error, &this.peer));
                }
                Poll::Ready(Err(e))
            }
            other => other,
        }
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write(cx, data)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tls.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_flush(cx)
    }

    /// Sends close_notify, then FIN.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_shutdown(cx)
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(&mut **tls).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, data),
            Stream::Tls(tls) => Pin::new(&mut **tls).poll_write(cx, data),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(&mut **tls).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(&mut **tls).poll_shutdown(cx),
        }
    }
}
