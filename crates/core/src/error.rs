//! Errors, one variant per Poco exception class the port can raise. This is the one place where
//! a core error becomes Poco's class name, error code and message (`kind`, `code`, `message`).

use std::fmt;
use std::io;

use crate::protocol::Violation;

/// `Poco::Net::WebSocket::ErrorCodes`, carried by [`Error::WebSocket`] and [`Error::Protocol`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum ErrorCode {
    NoHandshake = 1,
    HandshakeNoVersion = 2,
    HandshakeUnsupportedVersion = 3,
    HandshakeNoKey = 4,
    HandshakeAccept = 5,
    Unauthorized = 6,
    PayloadTooBig = 10,
    IncompleteFrame = 11,
    /// Not in Poco: a peer broke an RFC 6455 framing rule (close code 1002).
    ProtocolViolation = 12,
    /// Not in Poco: invalid UTF-8 in a text message or close reason (close code 1007).
    InvalidPayload = 13,
    /// Not in Poco: a message over the size or fragment limit (close code 1009).
    MessageTooBig = 14,
}

impl From<&Violation> for ErrorCode {
    fn from(violation: &Violation) -> Self {
        match violation {
            Violation::PayloadTooBig { .. } => ErrorCode::PayloadTooBig,
            Violation::MessageTooBig { .. } | Violation::TooManyFragments { .. } | Violation::InflatedTooBig { .. } => {
                ErrorCode::MessageTooBig
            }
            Violation::InvalidText | Violation::InvalidCloseReason | Violation::InvalidCompressedData(_) => {
                ErrorCode::InvalidPayload
            }
            _ => ErrorCode::ProtocolViolation,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `WebSocketException` with Poco's code and message (handshake failures, a cut frame).
    WebSocket { code: ErrorCode, message: String },
    /// `WebSocketException` for a peer that broke a rule of RFC 6455: the connection was failed
    /// with the violation's close code.
    Protocol(Violation),
    /// `TimeoutException`.
    Timeout,
    /// `ConnectionResetException`, with the OS error number (0 when there is none).
    ConnectionReset(i32),
    /// `ConnectionAbortedException`, with the OS error number.
    ConnectionAborted(i32),
    /// `ConnectionRefusedException`; the message names the address.
    ConnectionRefused { message: String, errno: i32 },
    /// `HostNotFoundException`.
    HostNotFound(String),
    /// `NoMessageException`: the peer closed before sending an HTTP response.
    NoMessage,
    /// `MessageException`: a malformed or oversized HTTP response.
    Message(String),
    /// `IOException` with the OS error number (0 when there is none).
    Io { message: String, errno: i32 },
    /// `NetException` with the OS error number: a socket that cannot be bound ("Address already
    /// in use: 127.0.0.1:8080").
    Net { message: String, errno: i32 },
    /// `InvalidSocketException`: the socket was closed locally.
    InvalidSocket,
    /// `InvalidArgumentException`.
    InvalidArgument(String),
    /// `InvalidAccessException`.
    InvalidAccess(String),
    /// `SSLException`: a TLS handshake or record failure other than the ones below.
    Ssl(String),
    /// `SSLContextException`: a `Context` that cannot be built (bad PEM, key mismatch, …).
    SslContext(String),
    /// `CertificateValidationException`: the peer's certificate was not accepted.
    CertificateValidation(String),
    /// `SSLConnectionUnexpectedlyClosedException`: the peer closed during the TLS handshake.
    SslClosed(String),
    /// `IOException`: the peer was dropped because it owed more than the backpressure limit.
    Backpressure { owed: usize, limit: usize },
    /// `HTTPException` with the HTTP status as its code (a proxy refusing CONNECT).
    Http { status: u16, message: String },
}

impl Error {
    pub fn websocket(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::WebSocket { code, message: message.into() }
    }

    /// `IOException` "Broken pipe": a send after the sending side was shut down.
    pub fn broken_pipe() -> Self {
        Error::Io { message: "Broken pipe".into(), errno: BROKEN_PIPE }
    }

    /// The Poco exception class name the JS layer maps this to.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::WebSocket { .. } | Error::Protocol(_) => "WebSocketException",
            Error::Timeout => "TimeoutException",
            Error::ConnectionReset(_) => "ConnectionResetException",
            Error::ConnectionAborted(_) => "ConnectionAbortedException",
            Error::ConnectionRefused { .. } => "ConnectionRefusedException",
            Error::HostNotFound(_) => "HostNotFoundException",
            Error::NoMessage => "NoMessageException",
            Error::Message(_) => "MessageException",
            Error::Io { .. } | Error::Backpressure { .. } => "IOException",
            Error::Net { .. } => "NetException",
            Error::InvalidSocket => "InvalidSocketException",
            Error::InvalidArgument(_) => "InvalidArgumentException",
            Error::InvalidAccess(_) => "InvalidAccessException",
            Error::Ssl(_) => "SSLException",
            Error::SslContext(_) => "SSLContextException",
            Error::CertificateValidation(_) => "CertificateValidationException",
            Error::SslClosed(_) => "SSLConnectionUnexpectedlyClosedException",
            Error::Http { .. } => "HTTPException",
        }
    }

    /// Poco's `code()`: the ErrorCodes value, or the OS error number where Poco uses one.
    pub fn code(&self) -> i32 {
        match self {
            Error::WebSocket { code, .. } => *code as i32,
            Error::Protocol(violation) => ErrorCode::from(violation) as i32,
            Error::Io { errno, .. } | Error::Net { errno, .. } | Error::ConnectionRefused { errno, .. } => *errno,
            Error::ConnectionReset(errno) | Error::ConnectionAborted(errno) => *errno,
            Error::Http { status, .. } => *status as i32,
            _ => 0,
        }
    }

    /// Poco's `message()` (the part after "Name: " in `displayText()`).
    pub fn message(&self) -> String {
        match self {
            Error::WebSocket { message, .. } => message.clone(),
            Error::Protocol(violation) => violation.to_string(),
            Error::ConnectionRefused { message, .. }
            | Error::HostNotFound(message)
            | Error::Message(message)
            | Error::InvalidArgument(message)
            | Error::InvalidAccess(message)
            | Error::Ssl(message)
            | Error::SslContext(message)
            | Error::CertificateValidation(message)
            | Error::SslClosed(message) => message.clone(),
            Error::Io { message, .. } | Error::Net { message, .. } | Error::Http { message, .. } => message.clone(),
            Error::Backpressure { owed, limit } => {
                format!("The peer is not reading: it owes {owed} bytes (maxBackpressure {limit})")
            }
            _ => String::new(),
        }
    }

    /// The status code of the CLOSE this error failed the connection with, if it did.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            Error::Protocol(violation) => Some(violation.close_code()),
            _ => None,
        }
    }
}

#[cfg(unix)]
const BROKEN_PIPE: i32 = libc::EPIPE;
#[cfg(not(unix))]
const BROKEN_PIPE: i32 = 0;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message();
        if message.is_empty() {
            write!(f, "{}", self.kind())
        } else {
            write!(f, "{}: {}", self.kind(), message)
        }
    }
}

impl std::error::Error for Error {}

impl From<Violation> for Error {
    fn from(violation: Violation) -> Self {
        Error::Protocol(violation)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        let errno = e.raw_os_error().unwrap_or(0);
        match e.kind() {
            io::ErrorKind::ConnectionReset => Error::ConnectionReset(errno),
            io::ErrorKind::ConnectionAborted => Error::ConnectionAborted(errno),
            io::ErrorKind::ConnectionRefused => Error::ConnectionRefused { message: e.to_string(), errno },
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout,
            io::ErrorKind::BrokenPipe => Error::Io { message: "Broken pipe".into(), errno },
            _ => Error::Io { message: e.to_string(), errno },
        }
    }
}
