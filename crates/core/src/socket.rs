//! The OS socket behind a connection, for the members Poco's `Socket` exposes: options, buffer
//! sizes, addresses, half-close. It shares the connection's descriptor with the reader and writer
//! tasks (see [`crate::transport`]).

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use socket2::SockRef;

use crate::error::Error;
use crate::transport::SharedTcp;

/// Boolean socket options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// TCP_NODELAY
    NoDelay,
    /// SO_KEEPALIVE
    KeepAlive,
    /// SO_REUSEADDR
    ReuseAddress,
    /// SO_REUSEPORT
    ReusePort,
    /// SO_OOBINLINE
    OobInline,
}

/// What a [`SocketHandle`] reaches the OS socket through: the stream the connection's driver
/// reads and writes, shared (one descriptor per connection).
pub trait SocketSource: Send + Sync {
    fn sock_ref(&self) -> SockRef<'_>;

    /// A non-blocking vectored write (WouldBlock when the socket buffer is full).
    fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize>;
}

impl SocketSource for SharedTcp {
    fn sock_ref(&self) -> SockRef<'_> {
        SharedTcp::sock_ref(self)
    }

    fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.stream().try_write_vectored(bufs)
    }
}

/// A connection's TCP socket.
pub struct SocketHandle(Box<dyn SocketSource>);

impl std::fmt::Debug for SocketHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SocketHandle")
    }
}

impl SocketHandle {
    pub fn new(source: impl SocketSource + 'static) -> SocketHandle {
        SocketHandle(Box::new(source))
    }

    fn socket(&self) -> SockRef<'_> {
        self.0.sock_ref()
    }

    /// Writes what the socket takes now, without waiting (0 when it takes nothing).
    pub fn write_now(&self, bufs: &[io::IoSlice<'_>]) -> usize {
        loop {
            match self.0.try_write_vectored(bufs) {
                Ok(n) => return n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return 0,
            }
        }
    }

    pub fn flag(&self, flag: Flag) -> Result<bool, Error> {
        let socket = &self.socket();
        Ok(match flag {
            Flag::NoDelay => socket.tcp_nodelay()?,
            Flag::KeepAlive => socket.keepalive()?,
            Flag::ReuseAddress => socket.reuse_address()?,
            Flag::ReusePort => reuse_port(socket)?,
            Flag::OobInline => socket.out_of_band_inline()?,
        })
    }

    pub fn set_flag(&self, flag: Flag, on: bool) -> Result<(), Error> {
        let socket = &self.socket();
        match flag {
            Flag::NoDelay => socket.set_tcp_nodelay(on)?,
            Flag::KeepAlive => socket.set_keepalive(on)?,
            Flag::ReuseAddress => socket.set_reuse_address(on)?,
            Flag::ReusePort => set_reuse_port(socket, on)?,
            Flag::OobInline => socket.set_out_of_band_inline(on)?,
        }
        Ok(())
    }

    /// SO_SNDBUF; the OS may round or double what was set.
    pub fn send_buffer_size(&self) -> Result<usize, Error> {
        Ok(self.socket().send_buffer_size()?)
    }

    pub fn set_send_buffer_size(&self, size: usize) -> Result<(), Error> {
        Ok(self.socket().set_send_buffer_size(size)?)
    }

    /// SO_RCVBUF; the OS may round or double what was set.
    pub fn receive_buffer_size(&self) -> Result<usize, Error> {
        Ok(self.socket().recv_buffer_size()?)
    }

    pub fn set_receive_buffer_size(&self, size: usize) -> Result<(), Error> {
        Ok(self.socket().set_recv_buffer_size(size)?)
    }

    /// SO_LINGER in whole seconds; `None` when off.
    pub fn linger(&self) -> Result<Option<u64>, Error> {
        Ok(self.socket().linger()?.map(|d| d.as_secs()))
    }

    pub fn set_linger(&self, seconds: Option<u64>) -> Result<(), Error> {
        Ok(self.socket().set_linger(seconds.map(Duration::from_secs))?)
    }

    /// An integer option by its OS level and name (Poco's `getOption(level, option, int&)`).
    pub fn raw_option(&self, level: i32, name: i32) -> Result<i32, Error> {
        raw::get(&self.socket(), level, name)
    }

    pub fn set_raw_option(&self, level: i32, name: i32, value: i32) -> Result<(), Error> {
        raw::set(&self.socket(), level, name, value)
    }

    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        address(self.socket().local_addr()?)
    }

    pub fn peer_addr(&self) -> Result<SocketAddr, Error> {
        address(self.socket().peer_addr()?)
    }

    /// TCP half-close of the receiving side (Poco's `shutdownReceive`).
    pub fn shutdown_receive(&self) -> Result<(), Error> {
        Ok(self.socket().shutdown(Shutdown::Read)?)
    }
}

pub(crate) fn address(address: socket2::SockAddr) -> Result<SocketAddr, Error> {
    address.as_socket().ok_or_else(|| Error::Io { message: "not an IP socket".into(), errno: 0 })
}

/// SO_REUSEPORT; false where the OS has no such option.
#[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
pub(crate) fn reuse_port(socket: &SockRef<'_>) -> io::Result<bool> {
    socket.reuse_port()
}

/// SO_REUSEPORT. Where the OS has no such option, turning it on fails (a port meant to be
/// shared must not quietly be exclusive) and turning it off does nothing.
#[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
pub(crate) fn set_reuse_port(socket: &SockRef<'_>, on: bool) -> io::Result<()> {
    socket.set_reuse_port(on)
}

#[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
pub(crate) fn reuse_port(_: &SockRef<'_>) -> io::Result<bool> {
    Ok(false)
}

#[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
pub(crate) fn set_reuse_port(_: &SockRef<'_>, on: bool) -> io::Result<()> {
    if !on {
        return Ok(());
    }
    Err(io::Error::new(io::ErrorKind::Unsupported, "SO_REUSEPORT is not supported on this platform"))
}

#[cfg(unix)]
mod raw {
    use std::os::fd::AsRawFd;

    use socket2::SockRef;

    use crate::error::Error;

    pub fn get(socket: &SockRef<'_>, level: i32, name: i32) -> Result<i32, Error> {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: the descriptor is open for the lifetime of `socket`; value and len are valid.
        let rc = unsafe { libc::getsockopt(socket.as_raw_fd(), level, name, (&mut value as *mut libc::c_int).cast(), &mut len) };
        if rc == 0 {
            Ok(value)
        } else {
            Err(std::io::Error::last_os_error().into())
        }
    }

    pub fn set(socket: &SockRef<'_>, level: i32, name: i32, value: i32) -> Result<(), Error> {
        let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: as above; the option value is a plain int.
        let rc = unsafe { libc::setsockopt(socket.as_raw_fd(), level, name, (&value as *const libc::c_int).cast(), len) };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error().into())
        }
    }
}

#[cfg(not(unix))]
mod raw {
    use socket2::SockRef;

    use crate::error::Error;

    fn unsupported() -> Error {
        Error::Io { message: "raw socket options are only supported on Unix".into(), errno: 0 }
    }

    pub fn get(_: &SockRef<'_>, _: i32, _: i32) -> Result<i32, Error> {
        Err(unsupported())
    }

    pub fn set(_: &SockRef<'_>, _: i32, _: i32, _: i32) -> Result<(), Error> {
        Err(unsupported())
    }
}

/// The OS's numbers for the options Poco users pass to `setOption`/`getOption`.
#[cfg(unix)]
pub fn option_constants() -> Vec<(&'static str, i32)> {
    let mut constants = vec![
        ("SOL_SOCKET", libc::SOL_SOCKET),
        ("IPPROTO_TCP", libc::IPPROTO_TCP),
        ("SO_KEEPALIVE", libc::SO_KEEPALIVE),
        ("SO_REUSEADDR", libc::SO_REUSEADDR),
        ("SO_SNDBUF", libc::SO_SNDBUF),
        ("SO_RCVBUF", libc::SO_RCVBUF),
        ("SO_OOBINLINE", libc::SO_OOBINLINE),
        ("SO_BROADCAST", libc::SO_BROADCAST),
        ("SO_ERROR", libc::SO_ERROR),
        ("SO_TYPE", libc::SO_TYPE),
        ("TCP_NODELAY", libc::TCP_NODELAY),
    ];
    #[cfg(not(any(target_os = "solaris", target_os = "illumos")))]
    constants.push(("SO_REUSEPORT", libc::SO_REUSEPORT));
    constants
}

#[cfg(not(unix))]
pub fn option_constants() -> Vec<(&'static str, i32)> {
    Vec::new()
}
