//! Errors, one variant per Poco exception class the port can raise.

use std::fmt;
use std::io;

/// `Poco::Net::WebSocket::ErrorCodes`, carried by [`Error::WebSocket`].
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

impl ErrorCode {
    /// The close code a connection failed with this error sends (RFC 6455 §7.4.1).
    pub fn close_code(self) -> Option<u16> {
        match self {
            ErrorCode::PayloadTooBig | ErrorCode::MessageTooBig => Some(1009),
            ErrorCode::ProtocolViolation => Some(1002),
            ErrorCode::InvalidPayload => Some(1007),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `WebSocketException` with Poco's code and message.
    WebSocket { code: ErrorCode, message: String },
    /// `TimeoutException`.
    Timeout,
    /// `ConnectionResetException`.
    ConnectionReset,
    /// `ConnectionAbortedException`.
    ConnectionAborted,
    /// `ConnectionRefusedException`; the message names the address.
    ConnectionRefused(String),
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
    /// `HTTPException` with the HTTP status as its code (a proxy refusing CONNECT).
    Http { status: u16, message: String },
}

impl Error {
    pub fn websocket(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::WebSocket { code, message: message.into() }
    }

    /// The Poco exception class name the JS layer maps this to.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::WebSocket { .. } => "WebSocketException",
            Error::Timeout => "TimeoutException",
            Error::ConnectionReset => "ConnectionResetException",
            Error::ConnectionAborted => "ConnectionAbortedException",
            Error::ConnectionRefused(_) => "ConnectionRefusedException",
            Error::HostNotFound(_) => "HostNotFoundException",
            Error::NoMessage => "NoMessageException",
            Error::Message(_) => "MessageException",
            Error::Io { .. } => "IOException",
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
            Error::Io { errno, .. } | Error::Net { errno, .. } => *errno,
            Error::ConnectionReset => 104,
            Error::ConnectionAborted => 103,
            Error::ConnectionRefused(_) => 111,
            Error::Http { status, .. } => *status as i32,
            _ => 0,
        }
    }

    /// Poco's `message()` (the part after "Name: " in `displayText()`).
    pub fn message(&self) -> String {
        match self {
            Error::WebSocket { message, .. } => message.clone(),
            Error::ConnectionRefused(m)
            | Error::HostNotFound(m)
            | Error::Message(m)
            | Error::InvalidArgument(m)
            | Error::InvalidAccess(m)
            | Error::Ssl(m)
            | Error::SslContext(m)
            | Error::CertificateValidation(m)
            | Error::SslClosed(m) => m.clone(),
            Error::Io { message, .. } | Error::Net { message, .. } | Error::Http { message, .. } => message.clone(),
            _ => String::new(),
        }
    }
}

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

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::ConnectionReset => Error::ConnectionReset,
            io::ErrorKind::ConnectionAborted => Error::ConnectionAborted,
            io::ErrorKind::ConnectionRefused => Error::ConnectionRefused(e.to_string()),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout,
            io::ErrorKind::BrokenPipe => Error::Io { message: "Broken pipe".into(), errno: 32 },
            _ => Error::Io { message: e.to_string(), errno: e.raw_os_error().unwrap_or(0) },
        }
    }
}
