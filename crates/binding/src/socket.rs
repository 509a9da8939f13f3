//! `NativeWebSocket`: one connection, frame level. Receives and sends never wait on the
//! runtime; `armRead`/`armWrite` ask the pump for a wake-up when they would have to.

use napi::bindgen_prelude::{Buffer, Env, PromiseRaw, Uint8Array};
use napi_derive::napi;
use poco_websocket_core::client::{self, ClientOptions};
use poco_websocket_core::http::RequestHead;
use poco_websocket_core::{Connection, Error};

use crate::errors::{invalid_argument, to_js, JsError};
use crate::headers;
use crate::pump::NativePump;

#[napi]
pub struct NativeWebSocket {
    connection: Connection,
    id: u32,
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
        NativeWebSocket { connection, id }
    }
}

#[napi]
impl NativeWebSocket {
    /// The id the pump reports when this socket becomes ready.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
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

    /// True when a frame (or the end of input) is already there; otherwise arms a wake-up.
    #[napi]
    pub fn arm_read(&self) -> bool {
        self.connection.arm_read()
    }

    /// Queues one frame; `flags` is its first header byte.
    #[napi]
    pub fn send_frame(&self, flags: u32, payload: &[u8]) -> Result<(), JsError> {
        self.connection.send(flags as u8, payload).map_err(to_js)
    }

    /// Queues a CLOSE frame; returns its payload length.
    #[napi]
    pub fn shutdown(&self, status_code: u32, reason: String) -> Result<u32, JsError> {
        let status_code = u16::try_from(status_code).map_err(|_| invalid_argument("status code out of range"))?;
        self.connection.send_close(status_code, &reason).map(|n| n as u32).map_err(to_js)
    }

    /// True when the write buffer is under its high-water mark; otherwise arms a wake-up.
    #[napi]
    pub fn arm_write(&self) -> bool {
        self.connection.arm_write()
    }

    #[napi(getter)]
    pub fn buffered_amount(&self) -> f64 {
        self.connection.buffered_amount() as f64
    }

    #[napi]
    pub fn set_max_payload_size(&self, size: u32) {
        self.connection.set_max_payload_size(size as u64);
    }

    #[napi]
    pub fn get_max_payload_size(&self) -> f64 {
        self.connection.max_payload_size() as f64
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

/// The response head of a handshake, flat for the boundary.
#[napi(object)]
pub struct ResponseInfo {
    pub version: String,
    pub status: u32,
    pub reason: String,
    pub headers: Vec<String>,
}

/// What `connect` resolves to: the response (if any) and either a socket or an error.
#[napi]
pub struct NativeHandshake {
    response: Option<ResponseInfo>,
    result: Option<Result<NativeWebSocket, Error>>,
}

#[napi]
impl NativeHandshake {
    #[napi]
    pub fn response(&mut self) -> Option<ResponseInfo> {
        self.response.take()
    }

    /// The connected socket, or the handshake's error thrown.
    #[napi]
    pub fn take_socket(&mut self) -> Result<NativeWebSocket, JsError> {
        match self.result.take() {
            Some(result) => result.map_err(to_js),
            None => Err(to_js(Error::InvalidAccess("The handshake result was already taken".into()))),
        }
    }
}

/// Poco's client handshake on `host:port`; resolves to a [`NativeHandshake`] in every case.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn connect<'env>(
    env: &'env Env,
    pump: &NativePump,
    host: String,
    port: u32,
    method: String,
    uri: String,
    version: String,
    header_list: Vec<String>,
) -> Result<PromiseRaw<'env, NativeHandshake>, JsError> {
    let port = u16::try_from(port).map_err(|_| invalid_argument(format!("Invalid port: {port}")))?;
    let request = RequestHead {
        method,
        uri,
        version: headers::parse_version(&version)?,
        headers: headers::from_flat(header_list)?,
    };
    let pump = pump.shared.clone();
    let id = pump.next_id();
    let wake = pump.waker(id);
    let handshake = async move {
        let outcome = client::connect(&host, port, request, ClientOptions::default(), wake).await;
        Ok(NativeHandshake {
            response: outcome.response.map(|head| ResponseInfo {
                version: head.version.as_str().to_string(),
                status: head.status as u32,
                reason: head.reason.clone(),
                headers: headers::to_flat(&head.headers),
            }),
            result: Some(outcome.result.map(|connection| NativeWebSocket::new(connection, id))),
        })
    };
    env.spawn_future(handshake).map_err(|e| napi::Error::new(e.status.as_ref().to_string(), e.reason))
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
