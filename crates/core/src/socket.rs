//! The OS socket behind a connection, for the members Poco's `Socket` exposes: options, buffer
//! sizes, addresses, half-close. It holds a duplicate of the connection's descriptor, so these
//! calls never contend with the reader and writer tasks.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use socket2::{SockRef, Socket};
use tokio::net::TcpStream;

use crate::error::Error;

/// Boolean socket options, numbered for the binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// TCP_NODELAY
    NoDelay = 0,
    /// SO_KEEPALIVE
    KeepAlive = 1,
    /// SO_REUSEADDR
    ReuseAddress = 2,
    /// SO_REUSEPORT
    ReusePort = 3,
    /// SO_OOBINLINE
    OobInline = 4,
}

impl Flag {
    pub fn from_index(index: u32) -> Option<Flag> {
        [Flag::NoDelay, Flag::KeepAlive, Flag::ReuseAddress, Flag::ReusePort, Flag::OobInline].get(index as usize).copied()
    }
}

/// A duplicate descriptor of a connection's TCP socket.
#[derive(Debug)]
pub struct SocketHandle(Socket);

impl SocketHandle {
    pub fn duplicate(stream: &TcpStream) -> io::Result<SocketHandle> {
        SockRef::from(stream).try_clone().map(SocketHandle)
    }

    pub fn flag(&self, flag: Flag) -> Result<bool, Error> {
        let socket = &self.0;
        Ok(match flag {
            Flag::NoDelay => socket.tcp_nodelay()?,
            Flag::KeepAlive => socket.keepalive()?,
            Flag::ReuseAddress => socket.reuse_address()?,
            Flag::ReusePort => reuse_port(socket)?,
            Flag::OobInline => socket.out_of_band_inline()?,
        })
    }

    pub fn set_flag(&self, flag: Flag, on: bool) -> Result<(), Error> {
        let socket = &self.0;
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
        Ok(self.0.send_buffer_size()?)
    }

    pub fn set_send_buffer_size(&self, size: usize) -> Result<(), Error> {
        Ok(self.0.set_send_buffer_size(size)?)
    }

    /// SO_RCVBUF; the OS may round or double what was set.
    pub fn receive_buffer_size(&self) -> Result<usize, Error> {
        Ok(self.0.recv_buffer_size()?)
    }

    pub fn set_receive_buffer_size(&self, size: usize) -> Result<(), Error> {
        Ok(self.0.set_recv_buffer_size(size)?)
    }

    /// SO_LINGER in whole seconds; `None` when off.
    pub fn linger(&self) -> Result<Option<u64>, Error> {
        Ok(self.0.linger()?.map(|d| d.as_secs()))
    }

    pub fn set_linger(&self, seconds: Option<u64>) -> Result<(), Error> {
        Ok(self.0.set_linger(seconds.map(Duration::from_secs))?)
    }

    /// An integer option by its OS level and name (Poco's `getOption(level, option, int&)`).
    pub fn raw_option(&self, level: i32, name: i32) -> Result<i32, Error> {
        raw::get(&self.0, level, name)
    }

    pub fn set_raw_option(&self, level: i32, name: i32, value: i32) -> Result<(), Error> {
        raw::set(&self.0, level, name, value)
    }

    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        address(self.0.local_addr()?)
    }

    pub fn peer_addr(&self) -> Result<SocketAddr, Error> {
        address(self.0.peer_addr()?)
    }

    /// TCP half-close of the receiving side (Poco's `shutdownReceive`).
    pub fn shutdown_receive(&self) -> Result<(), Error> {
        Ok(self.0.shutdown(Shutdown::Read)?)
    }
}

fn address(address: socket2::SockAddr) -> Result<SocketAddr, Error> {
    address.as_socket().ok_or_else(|| Error::Io { message: "not an IP socket".into(), errno: 0 })
}

#[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
fn reuse_port(socket: &Socket) -> io::Result<bool> {
    socket.reuse_port()
}

#[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
fn set_reuse_port(socket: &Socket, on: bool) -> io::Result<()> {
    socket.set_reuse_port(on)
}

#[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
fn reuse_port(_: &Socket) -> io::Result<bool> {
    Ok(false)
}

#[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
fn set_reuse_port(_: &Socket, _: bool) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "SO_REUSEPORT is not supported on this platform"))
}

#[cfg(unix)]
mod raw {
    use std::os::fd::AsRawFd;

    use socket2::Socket;

    use crate::error::Error;

    pub fn get(socket: &Socket, level: i32, name: i32) -> Result<i32, Error> {
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

    pub fn set(socket: &Socket, level: i32, name: i32, value: i32) -> Result<(), Error> {
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
    use socket2::Socket;

    use crate::error::Error;

    fn unsupported() -> Error {
        Error::Io { message: "raw socket options are only supported on Unix".into(), errno: 0 }
    }

    pub fn get(_: &Socket, _: i32, _: i32) -> Result<i32, Error> {
        Err(unsupported())
    }

    pub fn set(_: &Socket, _: i32, _: i32, _: i32) -> Result<(), Error> {
        Err(unsupported())
    }
}
