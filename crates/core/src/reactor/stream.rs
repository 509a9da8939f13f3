//! A connection's TCP socket on the reactor: non-blocking reads and writes that report
//! `Pending` on `WouldBlock`, the edge-triggered event then polling the driver again. Like
//! tokio's readiness, a direction that reported `WouldBlock` is not tried again until its event
//! comes: a driver woken to write (a publish to thousands of sockets) makes no read(2) that can
//! only fail.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use socket2::SockRef;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::socket::SocketSource;

pub(crate) struct ReactorStream {
    socket: Arc<mio::net::TcpStream>,
    readable: bool,
    writable: bool,
    /// The peer's FIN (or an error) was reported: reading goes on until it shows, whatever a
    /// short read suggested (the event that told of it is not repeated).
    read_closed: bool,
}

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
    /// Both directions are tried first: data may have come before the socket was registered.
    pub(crate) fn new(socket: Arc<mio::net::TcpStream>) -> Self {
        ReactorStream { socket, readable: true, writable: true, read_closed: false }
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    /// The reactor's event for this socket: the directions it reports are worth trying again
    /// (a hang-up or an error is reported by the next read or write itself).
    pub(crate) fn on_event(&mut self, event: &mio::event::Event) {
        let failed = event.is_error();
        self.read_closed |= failed || event.is_read_closed();
        self.readable |= self.read_closed || event.is_readable();
        self.writable |= failed || event.is_writable() || event.is_write_closed();
    }
}

/// `op` until it is not interrupted; `WouldBlock` clears `ready` and is `Pending`.
fn retry<T>(ready: &mut bool, mut op: impl FnMut() -> io::Result<T>) -> Poll<io::Result<T>> {
    if !*ready {
        return Poll::Pending;
    }
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                *ready = false;
                return Poll::Pending;
            }
            other => return Poll::Ready(other),
        }
    }
}

impl AsyncRead for ReactorStream {
    fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        // SAFETY: read(2) only writes into the slice; the bytes it reports are then initialised.
        let unfilled = unsafe { &mut *(buf.unfilled_mut() as *mut [std::mem::MaybeUninit<u8>] as *mut [u8]) };
        let this = self.get_mut();
        let mut socket = &*this.socket;
        let wanted = unfilled.len();
        let n = std::task::ready!(retry(&mut this.readable, || socket.read(unfilled)))?;
        // A short read emptied the socket (as tokio takes it): no read(2) that can only fail
        // until the next event, unless the peer's FIN is known to be waiting behind the data.
        if n > 0 && n < wanted && !this.read_closed {
            this.readable = false;
        }
        // SAFETY: as above.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ReactorStream {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut socket = &*this.socket;
        retry(&mut this.writable, || socket.write(data))
    }

    fn poll_write_vectored(self: Pin<&mut Self>, _: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut socket = &*this.socket;
        retry(&mut this.writable, || socket.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.socket.shutdown(std::net::Shutdown::Write))
    }
}
