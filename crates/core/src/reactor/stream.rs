//! A connection's TCP socket on the reactor: non-blocking reads and writes that report
//! `Pending` on `WouldBlock`, the edge-triggered event then polling the driver again.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use socket2::SockRef;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::socket::SocketSource;

pub(crate) struct ReactorStream(Arc<mio::net::TcpStream>);

/// The same socket for the option calls (one descriptor per connection).
pub(crate) struct TcpSource(pub(crate) Arc<mio::net::TcpStream>);

impl SocketSource for TcpSource {
    fn sock_ref(&self) -> SockRef<'_> {
        SockRef::from(&*self.0)
    }

    fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&*self.0).write_vectored(bufs)
    }
}

impl ReactorStream {
    pub(crate) fn new(stream: Arc<mio::net::TcpStream>) -> Self {
        ReactorStream(stream)
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

fn retry<T>(mut op: impl FnMut() -> io::Result<T>) -> Poll<io::Result<T>> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
            other => return Poll::Ready(other),
        }
    }
}

impl AsyncRead for ReactorStream {
    fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        // SAFETY: read(2) only writes into the slice; the bytes it reports are then initialised.
        let unfilled = unsafe { &mut *(buf.unfilled_mut() as *mut [std::mem::MaybeUninit<u8>] as *mut [u8]) };
        let n = std::task::ready!(retry(|| (&*self.0).read(unfilled)))?;
        // SAFETY: as above.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ReactorStream {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        retry(|| (&*self.0).write(data))
    }

    fn poll_write_vectored(self: Pin<&mut Self>, _: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        retry(|| (&*self.0).write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.shutdown(std::net::Shutdown::Write))
    }
}
