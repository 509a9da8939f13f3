//! The one table of defaults. README.md ("Defaults") mirrors it; change both together.

use std::time::Duration;

/// Largest frame payload a connection accepts: Poco's `std::numeric_limits<int>::max()`.
pub const MAX_PAYLOAD_SIZE: u64 = i32::MAX as u64;
/// Largest HTTP request or response head (request line + headers) we buffer, in bytes.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most header fields in one HTTP head.
pub const MAX_HEADER_COUNT: usize = 100;
/// Largest plain-HTTP request body the server reads (Content-Length), in bytes.
pub const MAX_REQUEST_BODY: usize = 1024 * 1024;
/// Poco's HTTP timeout (HTTP_DEFAULT_TIMEOUT, HTTPServerParams::getTimeout): handshake and
/// idle keep-alive deadline on both sides.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(60);
/// Poco's receive and send timeouts, inherited from its HTTP layer: a `receiveFrame` that
/// gets no frame for this long rejects with TimeoutException.
pub const RECEIVE_TIMEOUT: Duration = HTTP_TIMEOUT;
pub const SEND_TIMEOUT: Duration = HTTP_TIMEOUT;
/// First size of a connection's read buffer; it grows only as bytes arrive.
pub const READ_BUFFER_INITIAL: usize = 4 * 1024;
/// Most the read buffer grows by at once, so a declared length never drives an allocation.
pub const READ_BUFFER_STEP: usize = 256 * 1024;
/// Reading from the socket pauses while this many received payload bytes wait for JS.
pub const INBOUND_HIGH_WATER: usize = 4 * 1024 * 1024;
/// A send waits for the runtime to flush while more than this many bytes are buffered.
pub const OUTBOUND_HIGH_WATER: usize = 4 * 1024 * 1024;
/// How long `close()` lets already-buffered frames drain before the socket is dropped.
pub const CLOSE_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);
