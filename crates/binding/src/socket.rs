//! `NativeWebSocket`: one connection, frame level. Receives and sends never wait on the
//! runtime; `armRead`/`armWrite`/`wantFrames` ask the pump for a wake-up when they would have to.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi_derive::napi;
use poco_websocket_core::protocol::close;
use poco_websocket_core::connection::Received;
use poco_websocket_core::Connection;

use crate::config::{self, WebSocketConfig};
use crate::contract::{SocketFlag, SEND_OVER_HIGH_WATER};
use crate::errors::{invalid_argument, to_js, JsError};

#[napi]
pub struct NativeWebSocket {
    /// Shared with the pump, which takes its frames in batches (`NativePump.listen`).
    pub(crate) connection: Arc<Connection>,
    /// Frame level: the JS side has taken every frame handed to it and waits for more.
    pub(crate) wants_frames: Arc<AtomicBool>,
    id: u32,
    secure: bool,
}

/// A received CLOSE's status code (1005 when it had none) and reason.
#[napi(object)]
pub struct CloseInfo {
    pub code: u32,
    pub reason: Buffer,
}

#[napi(object)]
pub struct ReceivedFrame {
    pub flags: u32,
    pub payload: Buffer,
    /// The end of input (then `flags` is 0 and the payload empty, as Poco reports it).
    pub eof: bool,
}

#[napi(object)]
pub struct FrameInfo {
    pub n: u32,
    pub flags: u32,
    /// The end of input (then `n` and `flags` are 0, as Poco reports it).
    pub eof: bool,
}

impl NativeWebSocket {
    pub(crate) fn new(connection: Connection, id: u32) -> Self {
        NativeWebSocket { connection: Arc::new(connection), wants_frames: Arc::default(), id, secure: false }
    }

    /// Marks a connection that runs over TLS.
    pub(crate) fn with_secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }
}

#[napi]
impl NativeWebSocket {
    /// The id the pump reports when this socket becomes ready.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Poco's `secure()`: the connection runs over TLS (wss).
    #[napi]
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Poco's `Mode`: 0 server, 1 client.
    #[napi]
    pub fn mode(&self) -> u32 {
        self.connection.role() as u32
    }

    /// The next frame with its payload, or null when none is queued.
    #[napi]
    pub fn receive(&self) -> Result<Option<ReceivedFrame>, JsError> {
        Ok(match self.connection.receive_frame(None).map_err(to_js)? {
            Received::Frame(frame) => {
                Some(ReceivedFrame { flags: frame.flags as u32, payload: frame.payload.to_vec().into(), eof: false })
            }
            Received::Eof => Some(ReceivedFrame { flags: 0, payload: Vec::new().into(), eof: true }),
            Received::Nothing => None,
        })
    }

    /// Frame level, blocking receive: the JS side wants the next frames. They come in a later
    /// batch of the pump, also when some are already queued, so that a receive loop always
    /// returns to the event loop between batches.
    #[napi]
    pub fn want_frames(&self) {
        self.wants_frames.store(true, Ordering::SeqCst);
        self.connection.arm_read_deferred();
    }

    /// The next frame copied into `buffer`, or null when none is queued. A frame that does not
    /// fit fails with WS_ERR_PAYLOAD_TOO_BIG and stays queued.
    #[napi]
    pub fn receive_into(&self, mut buffer: Uint8Array) -> Result<Option<FrameInfo>, JsError> {
        // SAFETY: this call runs on the JS thread, so nothing else touches the array meanwhile.
        let buffer = unsafe { buffer.as_mut() };
        Ok(match self.connection.receive_frame(Some(buffer.len())).map_err(to_js)? {
            Received::Frame(frame) => {
                buffer[..frame.payload.len()].copy_from_slice(&frame.payload);
                Some(FrameInfo { n: frame.payload.len() as u32, flags: frame.flags as u32, eof: false })
            }
            Received::Eof => Some(FrameInfo { n: 0, flags: 0, eof: true }),
            Received::Nothing => None,
        })
    }

    /// Stops or resumes reading the socket (the message API's `pause()`/`resume()`).
    #[napi]
    pub fn set_paused(&self, paused: bool) {
        self.connection.set_paused(paused);
    }

    /// Bytes accepted by sends and not yet written to the socket.
    /// The names of the extensions in use, comma-separated, as ws's `extensions` ('' for none).
    #[napi(getter)]
    pub fn extensions(&self) -> String {
        self.connection.extension_names().to_string()
    }

    #[napi(getter)]
    pub fn buffered_amount(&self) -> f64 {
        self.connection.buffered_amount() as f64
    }

    /// True once the socket is attached (a server's 101 is on the wire); otherwise arms a wake-up.
    #[napi]
    pub fn arm_started(&self) -> bool {
        self.connection.arm_started()
    }

    /// True when a frame (or the end of input) is already there; otherwise arms a wake-up.
    #[napi]
    pub fn arm_read(&self) -> bool {
        self.connection.arm_read()
    }

    /// Throws why sending stopped, if it did (a broken connection, a dropped peer).
    #[napi]
    pub fn check_sendable(&self) -> Result<(), JsError> {
        self.connection.check_sendable().map_err(to_js)
    }

    /// Queues one frame; `flags` is its first header byte. Returns the bytes now buffered.
    #[napi]
    pub fn send_frame(&self, flags: u32, payload: &[u8]) -> Result<f64, JsError> {
        self.connection.send(flags as u8, payload).map(|n| n as f64).map_err(to_js)
    }

    /// The write buffer's high-water mark (see `armWrite`).
    #[napi]
    pub fn set_write_limit(&self, bytes: f64) {
        self.connection.set_write_limit(bytes.max(0.0) as usize);
    }

    /// True when the write buffer is under its high-water mark; otherwise arms a wake-up.
    #[napi]
    pub fn arm_write(&self) -> bool {
        self.connection.arm_write()
    }

    /// Poco's non-blocking `sendFrame`: the payload length, or -1 while the frame is not yet
    /// handed over (repeat the call with the same length).
    #[napi]
    pub fn send_frame_non_blocking(&self, flags: u32, payload: &[u8]) -> Result<i32, JsError> {
        let sent = self.connection.send_nonblocking(flags as u8, payload).map_err(to_js)?;
        Ok(sent.map_or(-1, |n| n as i32))
    }

    /// Poco's `sendFrame` in one call, for either mode: non-blocking as `sendFrameNonBlocking`;
    /// blocking, the payload length once the frame is buffered, or -2 when the write buffer is
    /// over its high-water mark (a wake-up is then armed for when it drains: wait, then done).
    #[napi]
    pub fn send_frame_poco(&self, flags: u32, payload: &[u8]) -> Result<i32, JsError> {
        if !self.connection.blocking() {
            return self.send_frame_non_blocking(flags, payload);
        }
        self.connection.send(flags as u8, payload).map_err(to_js)?;
        Ok(if self.connection.arm_write() { payload.len() as i32 } else { SEND_OVER_HIGH_WATER })
    }

    /// SELECT_READ | SELECT_WRITE | SELECT_ERROR bits that hold now.
    #[napi]
    pub fn readiness(&self) -> u32 {
        self.connection.readiness()
    }

    #[napi]
    pub fn available(&self) -> f64 {
        self.connection.available() as f64
    }

    /// Strictness and limits (see `WebSocketConfig`).
    #[napi]
    pub fn get_config(&self) -> WebSocketConfig {
        config::to_js(self.connection.config())
    }

    /// Changes the fields given; they apply to frames parsed from now on.
    #[napi]
    pub fn set_config(&self, changes: WebSocketConfig) {
        self.connection.set_config(config::apply(self.connection.config(), &changes));
    }

    #[napi]
    pub fn get_blocking(&self) -> bool {
        self.connection.blocking()
    }

    #[napi]
    pub fn set_blocking(&self, blocking: bool) {
        self.connection.set_blocking(blocking);
    }

    #[napi]
    pub fn get_receive_timeout(&self) -> f64 {
        self.connection.receive_timeout_ms() as f64
    }

    #[napi]
    pub fn set_receive_timeout(&self, ms: f64) {
        self.connection.set_receive_timeout_ms(ms as u64);
    }

    #[napi]
    pub fn get_send_timeout(&self) -> f64 {
        self.connection.send_timeout_ms() as f64
    }

    #[napi]
    pub fn set_send_timeout(&self, ms: f64) {
        self.connection.set_send_timeout_ms(ms as u64);
    }

    /// A boolean option, read from the OS.
    #[napi]
    pub fn get_flag(&self, flag: SocketFlag) -> Result<bool, JsError> {
        self.connection.socket().and_then(|s| s.flag(flag.into())).map_err(to_js)
    }

    #[napi]
    pub fn set_flag(&self, flag: SocketFlag, on: bool) -> Result<(), JsError> {
        self.connection.socket().and_then(|s| s.set_flag(flag.into(), on)).map_err(to_js)
    }

    #[napi]
    pub fn get_send_buffer_size(&self) -> Result<u32, JsError> {
        self.connection.socket().and_then(|s| s.send_buffer_size()).map(|n| n as u32).map_err(to_js)
    }

    /// SO_SNDBUF, and the same number as the write buffer's high-water mark.
    #[napi]
    pub fn set_send_buffer_size(&self, size: u32) -> Result<(), JsError> {
        self.connection.socket().and_then(|s| s.set_send_buffer_size(size as usize)).map_err(to_js)?;
        self.connection.set_write_limit(size as usize);
        Ok(())
    }

    #[napi]
    pub fn get_receive_buffer_size(&self) -> Result<u32, JsError> {
        self.connection.socket().and_then(|s| s.receive_buffer_size()).map(|n| n as u32).map_err(to_js)
    }

    #[napi]
    pub fn set_receive_buffer_size(&self, size: u32) -> Result<(), JsError> {
        self.connection.socket().and_then(|s| s.set_receive_buffer_size(size as usize)).map_err(to_js)
    }

    /// SO_LINGER in seconds, or -1 when off.
    #[napi]
    pub fn get_linger(&self) -> Result<i32, JsError> {
        self.connection.socket().and_then(|s| s.linger()).map(|l| l.map_or(-1, |s| s as i32)).map_err(to_js)
    }

    #[napi]
    pub fn set_linger(&self, on: bool, seconds: u32) -> Result<(), JsError> {
        self.connection.socket().and_then(|s| s.set_linger(on.then_some(seconds as u64))).map_err(to_js)
    }

    #[napi]
    pub fn get_option(&self, level: i32, name: i32) -> Result<i32, JsError> {
        self.connection.socket().and_then(|s| s.raw_option(level, name)).map_err(to_js)
    }

    #[napi]
    pub fn set_option(&self, level: i32, name: i32, value: i32) -> Result<(), JsError> {
        self.connection.socket().and_then(|s| s.set_raw_option(level, name, value)).map_err(to_js)
    }

    /// "host:port" ("[v6]:port" for IPv6).
    #[napi]
    pub fn local_address(&self) -> Result<String, JsError> {
        self.connection.socket().and_then(|s| s.local_addr()).map(|a| a.to_string()).map_err(to_js)
    }

    #[napi]
    pub fn peer_address(&self) -> Result<String, JsError> {
        self.connection.socket().and_then(|s| s.peer_addr()).map(|a| a.to_string()).map_err(to_js)
    }

    #[napi]
    pub fn shutdown_receive(&self) -> Result<(), JsError> {
        self.connection.shutdown_receive().map_err(to_js)
    }

    #[napi]
    pub fn shutdown_send(&self) -> Result<(), JsError> {
        self.connection.shutdown_send().map_err(to_js)
    }

    #[napi]
    pub fn close(&self) {
        self.connection.close();
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.connection.is_closed()
    }
}

/// Poco's `WebSocket::computeAccept`.
#[napi]
pub fn compute_accept(key: String) -> String {
    poco_websocket_core::handshake::compute_accept(&key)
}

/// Poco's `WebSocket::createKey`.
#[napi]
pub fn create_key() -> String {
    poco_websocket_core::handshake::create_key()
}

/// The payload of a CLOSE frame as Poco's `shutdown` sends it: the status code in network byte
/// order, then the reason (nothing checked).
#[napi]
pub fn close_payload(status_code: u32, reason: String) -> Result<Buffer, JsError> {
    let status_code = u16::try_from(status_code).map_err(|_| invalid_argument("status code out of range"))?;
    Ok(poco_websocket_core::frame::close_payload(status_code, &reason).into())
}

/// The payload of a CLOSE the message API sends: a code an endpoint may send (RFC 6455 §7.4) and
/// at most 123 bytes of reason, or nothing; otherwise InvalidArgumentException.
#[napi]
pub fn checked_close_payload(code: Option<u32>, reason: &[u8]) -> Result<Buffer, JsError> {
    close::close_payload_checked(code, reason).map(Buffer::from).map_err(|error| invalid_argument(error.to_string()))
}

/// Poco's receive into a caller buffer: throws WS_ERR_PAYLOAD_TOO_BIG when a frame of `length`
/// bytes does not fit in `capacity` (the frame stays queued).
#[napi]
pub fn check_capacity(length: u32, capacity: u32) -> Result<(), JsError> {
    poco_websocket_core::connection::check_capacity(length as usize, capacity as usize).map_err(to_js)
}

/// A received CLOSE's code (1005 when none, §7.1.5) and reason.
#[napi]
pub fn parse_close(payload: &[u8]) -> CloseInfo {
    let (code, reason) = close::parse_close_payload(payload);
    CloseInfo { code: code as u32, reason: reason.to_vec().into() }
}

/// This OS's numbers for SOL_SOCKET, IPPROTO_TCP, SO_KEEPALIVE, TCP_NODELAY and friends.
#[napi]
pub fn socket_option_constants() -> HashMap<String, i32> {
    poco_websocket_core::socket::option_constants().into_iter().map(|(name, value)| (name.to_string(), value)).collect()
}
