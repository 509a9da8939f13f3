//! Poco's `ServerSocket`: a TCP socket that is bound and listening as soon as it is asked to be
//! (on the caller's thread, with socket2), so its real port and its errors are known at once.
//! A server takes the listening socket over later ([`Listener::take`], then
//! [`Server::serve`](crate::server::Server::serve) on the runtime) instead of binding again.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::defaults;
use crate::error::Error;
use crate::socket::{self, reuse_port, set_reuse_port};

/// The options of Poco's `bind(address, reuseAddress, reusePort)` and
/// `bind6(address, reuseAddress, reusePort, ipV6Only)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BindOptions {
    /// SO_REUSEADDR: bind while old connections on the port sit in TIME_WAIT.
    pub reuse_address: bool,
    /// SO_REUSEPORT: sockets that all set it share the port (the OS spreads connections).
    pub reuse_port: bool,
    /// `Some` for `bind6`: the address must be IPv6 and IPV6_V6ONLY is set to the value (false:
    /// IPv4 clients reach the socket too, as `::ffff:a.b.c.d`). `None` keeps the OS default.
    pub ipv6_only: Option<bool>,
}

impl BindOptions {
    /// What `ServerSocket(address)` and `ServerSocket(port)` bind with. Poco's constructors set
    /// SO_REUSEPORT too (since 1.9.1), which lets a second server on the port share it without
    /// a word (pocoproject/poco#1419); here it stays off, so a busy port is an error.
    pub fn for_constructor() -> BindOptions {
        BindOptions { reuse_address: defaults::SERVER_SOCKET_REUSE_ADDRESS, ..BindOptions::default() }
    }
}

/// A `ServerSocket`'s OS socket through its life: unbound, bound (then listening), taken over.
#[derive(Debug, Default)]
pub struct Listener {
    state: State,
}

#[derive(Debug, Default)]
enum State {
    /// No OS socket: never bound, or closed. As in Poco, the socket is made at bind, in the
    /// family of the address.
    #[default]
    Unbound,
    Bound { socket: Socket, listening: bool },
    /// A server owns the socket now (and closes it when it stops); its address stays known.
    TakenOver { local: SocketAddr },
}

impl Listener {
    /// Poco's `ServerSocket()`: no OS socket until `bind`.
    pub fn new() -> Listener {
        Listener::default()
    }

    /// Poco's `ServerSocket(address, backlog)`: bound with [`BindOptions::for_constructor`] and
    /// listening.
    pub fn open(host: &str, port: u16, backlog: i32) -> Result<Listener, Error> {
        let mut listener = Listener::new();
        listener.bind(host, port, BindOptions::for_constructor())?;
        listener.listen(backlog)?;
        Ok(listener)
    }

    /// Poco's `bind` (and `bind6` when `options.ipv6_only` is set). A host name is resolved here
    /// and its addresses are tried in turn; the first that binds wins.
    pub fn bind(&mut self, host: &str, port: u16, options: BindOptions) -> Result<(), Error> {
        match self.state {
            State::Unbound => {}
            State::Bound { .. } => return Err(Error::InvalidAccess("The ServerSocket is already bound".into())),
            State::TakenOver { .. } => return Err(taken_over()),
        }
        let mut candidates = resolve(host, port)?;
        if options.ipv6_only.is_some() {
            candidates.retain(SocketAddr::is_ipv6);
            if candidates.is_empty() {
                return Err(Error::InvalidArgument("SocketAddress must be an IPv6 address".into()));
            }
        }
        let mut last = Error::HostNotFound(host.to_string());
        for address in candidates {
            match bind_one(address, options) {
                Ok(socket) => {
                    self.state = State::Bound { socket, listening: false };
                    return Ok(());
                }
                Err(error) => last = error,
            }
        }
        Err(last)
    }

    /// Poco's `listen(backlog)`: connections queue (up to `backlog`, as the OS rounds it) from now
    /// on, even before a server accepts them.
    pub fn listen(&mut self, backlog: i32) -> Result<(), Error> {
        match &mut self.state {
            State::Bound { socket, listening } => {
                socket.listen(backlog)?;
                *listening = true;
                Ok(())
            }
            State::Unbound => Err(Error::InvalidSocket),
            State::TakenOver { .. } => Err(taken_over()),
        }
    }

    /// The bound address, with the port the OS chose for port 0.
    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        match &self.state {
            State::Bound { socket, .. } => socket::address(socket.local_addr()?),
            State::TakenOver { local } => Ok(*local),
            State::Unbound => Err(Error::InvalidSocket),
        }
    }

    /// Closes the OS socket. One that a server took over stays open until the server stops.
    pub fn close(&mut self) {
        if let State::Bound { .. } = self.state {
            self.state = State::Unbound;
        }
    }

    pub fn reuse_address(&self) -> Result<bool, Error> {
        Ok(self.socket()?.reuse_address()?)
    }

    pub fn set_reuse_address(&self, on: bool) -> Result<(), Error> {
        Ok(self.socket()?.set_reuse_address(on)?)
    }

    /// SO_REUSEPORT; false where the OS has no such option.
    pub fn reuse_port(&self) -> Result<bool, Error> {
        Ok(reuse_port(&SockRef::from(self.socket()?))?)
    }

    /// SO_REUSEPORT; turning it on fails where the OS has no such option.
    pub fn set_reuse_port(&self, on: bool) -> Result<(), Error> {
        Ok(set_reuse_port(&SockRef::from(self.socket()?), on)?)
    }

    /// Hands the listening socket to a server, non-blocking (ready for tokio's
    /// `TcpListener::from_std`). Afterwards only the address can be read here.
    pub fn take(&mut self) -> Result<TcpListener, Error> {
        let local = match &self.state {
            State::Bound { socket, listening: true } => {
                socket.set_nonblocking(true)?;
                socket::address(socket.local_addr()?)?
            }
            State::Bound { listening: false, .. } => {
                return Err(Error::InvalidAccess("The ServerSocket is not listening: call listen() first".into()))
            }
            State::Unbound => return Err(Error::InvalidAccess("The ServerSocket is not bound (or was closed)".into())),
            State::TakenOver { .. } => return Err(taken_over()),
        };
        match std::mem::replace(&mut self.state, State::TakenOver { local }) {
            State::Bound { socket, .. } => Ok(socket.into()),
            _ => unreachable!("checked above"),
        }
    }

    fn socket(&self) -> Result<&Socket, Error> {
        match &self.state {
            State::Bound { socket, .. } => Ok(socket),
            State::Unbound => Err(Error::InvalidSocket),
            State::TakenOver { .. } => Err(taken_over()),
        }
    }
}

fn taken_over() -> Error {
    Error::InvalidAccess("The ServerSocket belongs to a server now".into())
}

fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Error> {
    match (host, port).to_socket_addrs() {
        Ok(found) => Ok(found.collect()),
        Err(_) => Err(Error::HostNotFound(host.to_string())),
    }
}

/// A fresh socket for `address` with `options` set before the bind (they act on bind only).
fn bind_one(address: SocketAddr, options: BindOptions) -> Result<Socket, Error> {
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, Some(Protocol::TCP))?;
    if let Some(only) = options.ipv6_only {
        socket.set_only_v6(only)?;
    }
    if options.reuse_address {
        socket.set_reuse_address(true)?;
    }
    if options.reuse_port {
        set_reuse_port(&SockRef::from(&socket), true)?;
    }
    socket.bind(&address.into()).map_err(|error| bind_error(error, address))?;
    Ok(socket)
}

/// Poco's `SocketImpl::error` for a failed bind: its exception classes and messages, with the
/// OS's error number as the code.
fn bind_error(error: io::Error, address: SocketAddr) -> Error {
    let errno = error.raw_os_error().unwrap_or(0);
    match error.kind() {
        io::ErrorKind::AddrInUse => Error::Net { message: format!("Address already in use: {address}"), errno },
        io::ErrorKind::AddrNotAvailable => Error::Net { message: format!("Cannot assign requested address: {address}"), errno },
        io::ErrorKind::PermissionDenied => Error::Io { message: "Permission denied".into(), errno },
        _ => error.into(),
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;

    use super::*;

    #[test]
    fn port_zero_reports_the_chosen_port_at_once() {
        let listener = Listener::open("127.0.0.1", 0, defaults::SERVER_SOCKET_BACKLOG).unwrap();
        let local = listener.local_addr().unwrap();
        assert_eq!(local.ip().to_string(), "127.0.0.1");
        assert_ne!(local.port(), 0);
        // Listening already: the OS completes the handshake before any accept.
        TcpStream::connect(local).unwrap();
    }

    #[test]
    fn a_busy_port_is_net_exception_naming_the_address() {
        let first = Listener::open("127.0.0.1", 0, 1).unwrap();
        let port = first.local_addr().unwrap().port();
        let error = Listener::open("127.0.0.1", port, 1).unwrap_err();
        assert_eq!(error.kind(), "NetException");
        assert_eq!(error.message(), format!("Address already in use: 127.0.0.1:{port}"));
        assert_ne!(error.code(), 0, "the OS error number");
    }

    #[test]
    fn reuse_address_is_set_as_asked() {
        let mut listener = Listener::new();
        listener.bind("127.0.0.1", 0, BindOptions { reuse_address: true, ..BindOptions::default() }).unwrap();
        assert!(listener.reuse_address().unwrap());
        listener.set_reuse_address(false).unwrap();
        assert!(!listener.reuse_address().unwrap());
        assert_eq!(Listener::open("127.0.0.1", 0, 1).unwrap().reuse_address().unwrap(), defaults::SERVER_SOCKET_REUSE_ADDRESS);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reuse_port_lets_two_sockets_share_a_port() {
        let shared = BindOptions { reuse_port: true, ..BindOptions::default() };
        let mut first = Listener::new();
        first.bind("127.0.0.1", 0, shared).unwrap();
        assert!(first.reuse_port().unwrap());
        let port = first.local_addr().unwrap().port();
        let mut second = Listener::new();
        second.bind("127.0.0.1", port, shared).unwrap();
        assert_eq!(second.local_addr().unwrap().port(), port);
    }

    #[test]
    fn bind6_needs_an_ipv6_address_and_sets_v6_only() {
        let mut v4 = Listener::new();
        let error = v4.bind("127.0.0.1", 0, BindOptions { ipv6_only: Some(true), ..BindOptions::default() }).unwrap_err();
        assert_eq!(error, Error::InvalidArgument("SocketAddress must be an IPv6 address".into()));

        let mut only = Listener::new();
        only.bind("::", 0, BindOptions { ipv6_only: Some(true), ..BindOptions::default() }).unwrap();
        only.listen(1).unwrap();
        let port = only.local_addr().unwrap().port();
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "IPv4 is refused on a v6-only socket");
        TcpStream::connect(("::1", port)).unwrap();

        let mut dual = Listener::new();
        dual.bind("::", 0, BindOptions { ipv6_only: Some(false), ..BindOptions::default() }).unwrap();
        dual.listen(1).unwrap();
        TcpStream::connect(("127.0.0.1", dual.local_addr().unwrap().port())).unwrap();
    }

    #[test]
    fn the_lifecycle_is_checked() {
        let mut listener = Listener::new();
        assert_eq!(listener.local_addr().unwrap_err(), Error::InvalidSocket);
        assert_eq!(listener.listen(1).unwrap_err(), Error::InvalidSocket);
        assert!(matches!(listener.take(), Err(Error::InvalidAccess(_))));
        listener.bind("127.0.0.1", 0, BindOptions::default()).unwrap();
        assert!(matches!(listener.bind("127.0.0.1", 0, BindOptions::default()), Err(Error::InvalidAccess(_))));
        assert!(matches!(listener.take(), Err(Error::InvalidAccess(m)) if m.contains("not listening")));
        listener.listen(8).unwrap();
        let local = listener.local_addr().unwrap();

        let taken = listener.take().unwrap();
        assert_eq!(taken.local_addr().unwrap(), local);
        assert_eq!(listener.local_addr().unwrap(), local, "the address stays readable");
        assert!(matches!(listener.take(), Err(Error::InvalidAccess(_))));
        listener.close();
        assert_eq!(listener.local_addr().unwrap(), local, "close leaves a taken socket to its server");
    }

    #[test]
    fn close_releases_the_port_and_allows_a_new_bind() {
        let mut listener = Listener::open("127.0.0.1", 0, 1).unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.close();
        assert_eq!(listener.local_addr().unwrap_err(), Error::InvalidSocket);
        listener.bind("127.0.0.1", port, BindOptions::for_constructor()).unwrap();
        assert_eq!(listener.local_addr().unwrap().port(), port);
    }
}
