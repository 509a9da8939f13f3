//! `NativeWebSocket`: one connection, frame level. Receives and sends never wait on the
//! runtime; `armRead`/`armWrite` ask the pump for a wake-up when they would have to.

use std::collections::HashMap;
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi_derive::napi;
use poco_websocket_core::socket::Flag;
use poco_websocket_core::Connection;

use crate::config::{self, WebSocketConfig};
use crate::errors::{invalid_argument, to_js, JsError};

#[napi]
pub struct NativeWebSocket {
    /// Shared with the pump while the socket is a message-level one (`NativePump.listen`).
    pub(crate) connection: Arc<Connection>,
    id: u32,
    secure: bool,
}

#[napi(object)]
pub struct ReceivedFrame {
    pub flags: u32,
    pub payload: Buffer,
}

#[napi(object)]
pub struct FrameInfo {
    pub n: u32,
    pub flags: u32,
}

impl NativeWebSocket {
    pub(crate) fn new(connection: Connection, id: u32) -> Self {
        NativeWebSocket { connection: Arc::new(connection), id, secure: false }
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
        let frame = self.connection.receive(None).map_err(to_js)?;
        Ok(frame.map(|frame| ReceivedFrame { flags: frame.flags as u32, payload: frame.payload.into() }))
    }

    /// The next frame copied into `buffer`, or null when none is queued. A frame that does not
    /// fit fails with WS_ERR_PAYLOAD_TOO_BIG and stays queued.
    #[napi]
    pub fn receive_into(&self, mut buffer: Uint8Array) -> Result<Option<FrameInfo>, JsError> {
        // SAFETY: this call runs on the JS thread, so nothing else touches the array meanwhile.
        let buffer = unsafe { buffer.as_mut() };
        let frame = self.connection.receive(Some(buffer.len())).map_err(to_js)?;
        Ok(frame.map(|frame| {
            buffer[..frame.payload.len()].copy_from_slice(&frame.payload);
            FrameInfo { n: frame.payload.len() as u32, flags: frame.flags as u32 }
        }))
    }

    /// Stops or resumes reading the socket (the message API's `pause()`/`resume()`).
    #[napi]
    pub fn set_paused(&self, paused: bool) {
        self.connection.set_paused(paused);
    }

    /// Bytes accepted by sends and not yet written to the socket.
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
        Ok(if self.connection.arm_write() { payload.len() as i32 } else { -2 })
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

    /// A boolean option (see `Flag` in the core: 0 TCP_NODELAY, 1 SO_KEEPALIVE, 2 SO_REUSEADDR,
    /// 3 SO_REUSEPORT, 4 SO_OOBINLINE), read from the OS.
    #[napi]
    pub fn get_flag(&self, flag: u32) -> Result<bool, JsError> {
        let flag = Flag::from_index(flag).ok_or_else(|| invalid_argument("unknown socket flag"))?;
        self.connection.socket().and_then(|s| s.flag(flag)).map_err(to_js)
    }

    #[napi]
    pub fn set_flag(&self, flag: u32, on: bool) -> Result<(), JsError> {
        let flag = Flag::from_index(flag).ok_or_else(|| invalid_argument("unknown socket flag"))?;
        self.connection.socket().and_then(|s| s.set_flag(flag, on)).map_err(to_js)
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

/// The payload of a CLOSE frame: the status code in network byte order, then the reason.
#[napi]
pub fn close_payload(status_code: u32, reason: String) -> Result<Buffer, JsError> {
    let status_code = u16::try_from(status_code).map_err(|_| invalid_argument("status code out of range"))?;
    Ok(poco_websocket_core::frame::close_payload(status_code, &reason).into())
}

/// This OS's numbers for SOL_SOCKET, IPPROTO_TCP, SO_KEEPALIVE, TCP_NODELAY and friends.
#[napi]
pub fn socket_option_constants() -> HashMap<String, i32> {
    poco_websocket_core::socket::option_constants().into_iter().map(|(name, value)| (name.to_string(), value)).collect()
}
