//! `NativeServer` (the accept loop behind HTTPServer, on a `NativeListener`'s socket) and
//! `NativeServerRequest` (one request waiting for its handler's answer).

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Buffer, Env, PromiseRaw};
use napi_derive::napi;
use poco_websocket_core::handshake;
use poco_websocket_core::http::{reason_for_status, HeadLimits, ResponseHead};
use poco_websocket_core::protocol::opening::{self, OpeningViolation};
use poco_websocket_core::server::{IncomingRequest, Server, ServerOptions};

use crate::config::{self, WebSocketConfig};
use crate::errors::{invalid_argument, to_js, JsError};
use crate::headers;
use crate::listener::NativeListener;
use crate::pump::{NativePump, PumpShared};
use crate::socket::NativeWebSocket;
use crate::tls::NativeTlsContext;

#[napi(object)]
pub struct ServerConfig {
    /// Request and keep-alive idle deadline in milliseconds.
    pub timeout_ms: Option<u32>,
    pub keep_alive: Option<bool>,
    pub server_name: Option<String>,
    pub max_queued: Option<u32>,
    /// Largest request head in bytes (over it: 431).
    pub max_head_bytes: Option<u32>,
    /// Most header fields in a request head (over it: 431).
    pub max_header_fields: Option<u32>,
}

#[napi]
pub struct NativeServer {
    server: Server,
    pump: Arc<PumpShared>,
    id: u32,
}

#[napi]
impl NativeServer {
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    #[napi]
    pub fn port(&self) -> u32 {
        self.server.local_addr().port() as u32
    }

    /// Every request that arrived since the last call.
    #[napi]
    pub fn take_requests(&self) -> Vec<NativeServerRequest> {
        let pump = &self.pump;
        self.server
            .take_requests()
            .into_iter()
            .map(|request| NativeServerRequest { request, pump: pump.clone() })
            .collect()
    }

    /// True when requests are queued or the server stopped; otherwise arms a wake-up.
    #[napi]
    pub fn arm(&self) -> bool {
        self.server.arm()
    }

    #[napi]
    pub fn stop(&self) {
        self.server.stop();
    }

    #[napi(getter)]
    pub fn stopped(&self) -> bool {
        self.server.is_stopped()
    }
}

/// Takes over `listener` (a `ServerSocket`, already listening) and starts accepting; resolves
/// to the server. With a server `tls` context every connection starts with a TLS handshake
/// (Poco's `SecureServerSocket`).
#[napi]
pub fn listen<'env>(
    env: &'env Env,
    pump: &NativePump,
    listener: &mut NativeListener,
    config: ServerConfig,
    tls: Option<&NativeTlsContext>,
) -> Result<PromiseRaw<'env, NativeServer>, JsError> {
    if tls.is_some_and(|context| !context.server()) {
        return Err(invalid_argument("A SecureServerSocket needs a server Context (SERVER_USE)"));
    }
    let defaults = ServerOptions::default();
    let options = ServerOptions {
        timeout: config.timeout_ms.map_or(defaults.timeout, |ms| Duration::from_millis(ms as u64)),
        keep_alive: config.keep_alive.unwrap_or(defaults.keep_alive),
        server_name: config.server_name.filter(|name| !name.is_empty()),
        max_queued: config.max_queued.map_or(defaults.max_queued, |n| n as usize),
        head_limits: HeadLimits {
            max_bytes: config.max_head_bytes.map_or(defaults.head_limits.max_bytes, |n| n as usize),
            max_headers: config.max_header_fields.map_or(defaults.head_limits.max_headers, |n| n as usize),
        },
        tls: tls.map(|context| context.context.clone()),
        ..defaults
    };
    let socket = listener.take()?;
    let pump = pump.shared.clone();
    let id = pump.next_id();
    let wake = pump.waker(id);
    // On the runtime: tokio registers the socket with its reactor there.
    let serve = async move {
        let server = Server::serve(socket, options, wake).map_err(|e| napi::Error::from_reason(e.to_string()))?;
        Ok(NativeServer { server, pump, id })
    };
    crate::errors::spawn_promise(env, serve)
}

#[napi]
pub struct NativeServerRequest {
    request: IncomingRequest,
    pump: Arc<PumpShared>,
}

#[napi]
impl NativeServerRequest {
    #[napi(getter)]
    pub fn method(&self) -> String {
        self.request.head.method.clone()
    }

    #[napi(getter)]
    pub fn uri(&self) -> String {
        self.request.head.uri.clone()
    }

    #[napi(getter)]
    pub fn version(&self) -> String {
        self.request.head.version.as_str().to_string()
    }

    #[napi(getter)]
    pub fn headers(&self) -> Vec<String> {
        headers::to_flat(&self.request.head.headers)
    }

    #[napi(getter)]
    pub fn body(&self) -> Buffer {
        self.request.body.clone().into()
    }

    #[napi(getter)]
    pub fn peer_address(&self) -> String {
        self.request.peer.to_string()
    }

    #[napi(getter)]
    pub fn local_address(&self) -> String {
        self.request.local.to_string()
    }

    /// Poco's `HTTPServerRequest::secure()`: the request came over TLS.
    #[napi(getter)]
    pub fn secure(&self) -> bool {
        self.request.secure
    }

    #[napi(getter)]
    pub fn answered(&self) -> bool {
        self.request.is_answered()
    }

    /// Sends a plain response and, unless keep-alive applies, closes the connection.
    #[napi]
    pub fn respond(&mut self, status: u32, reason: String, header_list: Vec<String>, body: Option<Buffer>) -> Result<(), JsError> {
        let head = response_head(&self.request, status, reason, header_list)?;
        let body = body.map(|b| b.to_vec()).unwrap_or_default();
        self.request.respond(head, body).map_err(to_js)
    }

    /// RFC 6455 §4.2.1 (strict checks), and RFC 7692 §5 with `options`' permessage-deflate: why
    /// this request cannot be upgraded, as ws answers it; null when it can.
    #[napi]
    pub fn upgrade_rejection(&self, options: Option<WebSocketConfig>) -> Option<UpgradeRejection> {
        let config = config::apply(Default::default(), &options.unwrap_or_default());
        handshake::check_request_with(&self.request.head, config.deflate.as_ref())
            .err()
            .map(|violation| UpgradeRejection::from(&violation))
    }

    /// The `Sec-WebSocket-Extensions` value a 101 with `options` carries ('' for none).
    #[napi]
    pub fn negotiated_extensions(&self, options: Option<WebSocketConfig>) -> String {
        let config = config::apply(Default::default(), &options.unwrap_or_default());
        match handshake::negotiate_deflate(&self.request.head, config.deflate.as_ref()) {
            Ok(Some(params)) => params.response_header(),
            _ => String::new(),
        }
    }

    /// The subprotocols the client offered, in its order (empty when it offered none or the
    /// field is not a token list, which `upgradeRejection` reports).
    #[napi(getter)]
    pub fn offered_protocols(&self) -> Vec<String> {
        opening::parse_protocols(&self.request.head.headers).unwrap_or_default()
    }

    /// Poco's `WebSocket(request, response)`: validates the upgrade and answers 101 with the
    /// given fields added; throws WebSocketException and sends nothing when it is not one.
    #[napi]
    pub fn upgrade(&mut self, env: Env, header_list: Vec<String>, options: Option<WebSocketConfig>) -> Result<NativeWebSocket, JsError> {
        let head = response_head(&self.request, 101, String::new(), header_list)?;
        let id = self.pump.next_id();
        let config = config::apply(Default::default(), &options.unwrap_or_default());
        let placement = self.pump.placement(&env);
        let connection = self.request.upgrade_placed(head, config, self.pump.waker(id), placement).map_err(to_js)?;
        Ok(NativeWebSocket::new(connection, id).with_secure(self.request.secure))
    }
}

/// How a refused upgrade is answered (ws's status and wording) and the Poco code of the
/// WebSocketException `WebSocket.accept` rejects with.
#[napi(object)]
pub struct UpgradeRejection {
    pub status: u32,
    pub message: String,
    pub code: i32,
    /// Sent as Sec-WebSocket-Version with the answer (RFC 6455 §4.4).
    pub supported_version: Option<String>,
}

impl From<&OpeningViolation> for UpgradeRejection {
    fn from(violation: &OpeningViolation) -> Self {
        let rejection = handshake::rejection(violation);
        UpgradeRejection {
            status: rejection.status as u32,
            message: rejection.message.to_string(),
            code: rejection.code as i32,
            supported_version: rejection.supported_version.map(str::to_string),
        }
    }
}

fn response_head(request: &IncomingRequest, status: u32, reason: String, header_list: Vec<String>) -> Result<ResponseHead, JsError> {
    let status = u16::try_from(status)
        .ok()
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| invalid_argument(format!("Invalid HTTP status: {status}")))?;
    if reason.contains(['\r', '\n']) {
        return Err(invalid_argument("Invalid HTTP reason phrase"));
    }
    Ok(ResponseHead {
        version: request.head.version,
        status,
        reason: if reason.is_empty() { reason_for_status(status).to_string() } else { reason },
        headers: headers::from_flat(header_list)?,
    })
}

/// Poco's `HTTPResponse::getReasonForStatus`.
#[napi]
pub fn reason_for(status: u32) -> String {
    u16::try_from(status).map_or("???", reason_for_status).to_string()
}
