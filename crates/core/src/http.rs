//! HTTP/1.x message heads for the opening handshake and plain requests: parsing (httparse) with
//! size limits, and serialization.

use std::fmt::Write as _;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::defaults;

/// Header fields in arrival order; names compare case-insensitively, as Poco's
/// `NameValueCollection` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every value of the fields called `name`, in arrival order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Replaces the first field of that name in place (keeping its position) and drops the
    /// others, or appends one.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(i) => {
                self.0[i].1 = value;
                let mut index = 0;
                self.0.retain(|(n, _)| {
                    index += 1;
                    index - 1 == i || !n.eq_ignore_ascii_case(name)
                });
            }
            None => self.0.push((name.to_string(), value)),
        }
    }

    /// Whether a comma-separated field contains `token` (trimmed, case-insensitive), as
    /// Poco's `hasToken` and RFC 6455 §4.2.1 item 4 require for `Connection: keep-alive, Upgrade`.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.0
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|part| part.trim().eq_ignore_ascii_case(token))
    }

    fn write_to(&self, out: &mut String) {
        for (name, value) in &self.0 {
            let _ = write!(out, "{name}: {value}\r\n");
        }
    }
}

/// HTTP version as its minor number (0 or 1; httparse reads only HTTP/1.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u8);

impl Version {
    pub const HTTP_1_0: Version = Version(0);
    pub const HTTP_1_1: Version = Version(1);

    pub fn parse(text: &str) -> Option<Version> {
        match text {
            "HTTP/1.0" => Some(Version::HTTP_1_0),
            "HTTP/1.1" => Some(Version::HTTP_1_1),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        if self.0 == 0 {
            "HTTP/1.0"
        } else {
            "HTTP/1.1"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub uri: String,
    pub version: Version,
    pub headers: Headers,
}

impl RequestHead {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("{} {} {}\r\n", self.method, self.uri, self.version.as_str());
        self.headers.write_to(&mut out);
        out.push_str("\r\n");
        out.into_bytes()
    }

    /// Persistent-connection default of RFC 9112 §9.3, as Poco's `getKeepAlive`.
    pub fn keep_alive(&self) -> bool {
        if self.headers.has_token("Connection", "close") {
            return false;
        }
        self.version == Version::HTTP_1_1 || self.headers.has_token("Connection", "keep-alive")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub version: Version,
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
}

impl ResponseHead {
    pub fn new(version: Version, status: u16) -> Self {
        ResponseHead { version, status, reason: reason_for_status(status).to_string(), headers: Headers::default() }
    }

    pub fn encode(&self) -> Vec<u8> {
        // RFC 9112 §4: the status code is always three digits.
        let mut out = format!("{} {:03} {}\r\n", self.version.as_str(), self.status, self.reason);
        self.headers.write_to(&mut out);
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// Why a head could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// The peer closed before sending a single byte of this head.
    Closed,
    /// The peer closed in the middle of the head.
    Truncated,
    /// Longer than the head limit, or more fields than the count limit (HTTP 431).
    TooLarge,
    /// Not HTTP/1.x (HTTP 400).
    Malformed(String),
    Io(String),
}

/// Size limits for one head.
#[derive(Debug, Clone, Copy)]
pub struct HeadLimits {
    pub max_bytes: usize,
    pub max_headers: usize,
}

impl Default for HeadLimits {
    fn default() -> Self {
        HeadLimits { max_bytes: defaults::MAX_HEAD_BYTES, max_headers: defaults::MAX_HEADER_COUNT }
    }
}

/// Reads a request head; bytes after it (a body, or frames) stay in `buf`.
pub async fn read_request_head<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut BytesMut,
    limits: HeadLimits,
) -> Result<RequestHead, HeadError> {
    read_head(reader, buf, limits, |bytes, max_headers| {
        let mut fields = vec![httparse::EMPTY_HEADER; max_headers];
        let mut request = httparse::Request::new(&mut fields);
        Ok(match request.parse(bytes)? {
            httparse::Status::Partial => None,
            httparse::Status::Complete(n) => Some((
                RequestHead {
                    method: request.method.unwrap_or_default().to_string(),
                    uri: request.path.unwrap_or_default().to_string(),
                    version: Version(request.version.unwrap_or(1)),
                    headers: collect(request.headers),
                },
                n,
            )),
        })
    })
    .await
}

/// Reads a response head; bytes after it (frames sent along with a 101) stay in `buf`.
pub async fn read_response_head<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut BytesMut,
    limits: HeadLimits,
) -> Result<ResponseHead, HeadError> {
    read_head(reader, buf, limits, |bytes, max_headers| {
        let mut fields = vec![httparse::EMPTY_HEADER; max_headers];
        let mut response = httparse::Response::new(&mut fields);
        Ok(match response.parse(bytes)? {
            httparse::Status::Partial => None,
            httparse::Status::Complete(n) => Some((
                ResponseHead {
                    version: Version(response.version.unwrap_or(1)),
                    status: response.code.unwrap_or_default(),
                    reason: response.reason.unwrap_or_default().to_string(),
                    headers: collect(response.headers),
                },
                n,
            )),
        })
    })
    .await
}

fn collect(fields: &[httparse::Header<'_>]) -> Headers {
    Headers(
        fields
            .iter()
            .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).trim().to_string()))
            .collect(),
    )
}

type Parse<T> = Result<Option<(T, usize)>, httparse::Error>;

/// The read loop both heads share: parse what is buffered, read more, enforce the limits.
async fn read_head<R, T, F>(
    reader: &mut R,
    buf: &mut BytesMut,
    limits: HeadLimits,
    mut parse: F,
) -> Result<T, HeadError>
where
    R: AsyncRead + Unpin,
    F: FnMut(&[u8], usize) -> Parse<T>,
{
    loop {
        if !buf.is_empty() {
            let window = &buf[..buf.len().min(limits.max_bytes)];
            match parse(window, limits.max_headers) {
                Ok(Some((head, n))) => {
                    buf.advance(n);
                    return Ok(head);
                }
                Ok(None) if window.len() >= limits.max_bytes => return Err(HeadError::TooLarge),
                Ok(None) => {}
                Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
                Err(e) => return Err(HeadError::Malformed(e.to_string())),
            }
        }
        buf.reserve(1024);
        match reader.read_buf(buf).await {
            Ok(0) if buf.is_empty() => return Err(HeadError::Closed),
            Ok(0) => return Err(HeadError::Truncated),
            Ok(_) => {}
            Err(e) => return Err(HeadError::Io(e.to_string())),
        }
    }
}

/// Reads exactly `len` body bytes, starting with what is already in `buf`.
pub async fn read_body<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut BytesMut,
    len: usize,
) -> Result<Vec<u8>, HeadError> {
    while buf.len() < len {
        buf.reserve(len - buf.len());
        match reader.read_buf(buf).await {
            Ok(0) => return Err(HeadError::Truncated),
            Ok(_) => {}
            Err(e) => return Err(HeadError::Io(e.to_string())),
        }
    }
    Ok(buf.split_to(len).to_vec())
}

/// The standard reason phrase for a status code (Poco's `HTTPResponse::getReasonForStatus`).
pub fn reason_for_status(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "???",
    }
}

/// Today's date as the `Date` header wants it (RFC 9110 §5.6.7).
pub fn date_now() -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now())
}

impl From<httparse::Error> for HeadError {
    fn from(e: httparse::Error) -> Self {
        HeadError::Malformed(e.to_string())
    }
}
