//! The client handshake: `connect` resolves to a `NativeHandshake` holding the server's answer
//! and either the connected `NativeWebSocket` or the handshake's error.

use napi::bindgen_prelude::{Env, PromiseRaw};
use napi_derive::napi;
use std::time::Duration;

use poco_websocket_core::auth::Credentials;
use poco_websocket_core::client::{self, ClientOptions};
use poco_websocket_core::dial::Route;
use poco_websocket_core::proxy::Proxy;
use poco_websocket_core::http::RequestHead;
use poco_websocket_core::Error;

use crate::config::{self, WebSocketConfig};
use crate::errors::{invalid_argument, to_js, JsError};
use crate::headers;
use crate::pump::NativePump;
use crate::socket::NativeWebSocket;
use crate::tls::NativeTlsContext;

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

/// Session settings and credentials for [`connect`].
#[napi(object)]
pub struct ConnectOptions {
    /// Connect and response deadline in milliseconds (Poco's `HTTPClientSession::setTimeout`).
    pub timeout_ms: Option<u32>,
    /// Answer a 401 once with these (Poco's `HTTPCredentials`); empty means do not.
    pub username: Option<String>,
    pub password: Option<String>,
    /// Settings of the connection.
    pub websocket: Option<WebSocketConfig>,
    /// An HTTP proxy to tunnel through with CONNECT (Poco's `setProxy`); none when empty.
    pub proxy_host: Option<String>,
    pub proxy_port: Option<u32>,
    /// Basic proxy credentials (Poco's `setProxyCredentials`); none when the username is empty.
    pub proxy_username: Option<String>,
    pub proxy_password: Option<String>,
}

/// Poco's client handshake on `host:port`, over TLS with a client `tls` context (wss);
/// resolves to a [`NativeHandshake`] in every case.
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
    options: ConnectOptions,
    tls: Option<&NativeTlsContext>,
) -> Result<PromiseRaw<'env, NativeHandshake>, JsError> {
    let port = u16::try_from(port).map_err(|_| invalid_argument(format!("Invalid port: {port}")))?;
    if tls.is_some_and(|context| context.server()) {
        return Err(invalid_argument("An HTTPSClientSession needs a client Context (CLIENT_USE)"));
    }
    let proxy = match options.proxy_host.filter(|host| !host.is_empty()) {
        None => None,
        Some(host) => Some(Proxy {
            host,
            port: options.proxy_port.and_then(|p| u16::try_from(p).ok()).ok_or_else(|| invalid_argument("Invalid proxy port"))?,
            username: options.proxy_username.unwrap_or_default(),
            password: options.proxy_password.unwrap_or_default(),
        }),
    };
    let route = Route { tls: tls.map(|context| context.context.clone()), proxy };
    let secure = route.tls.is_some();
    let request = RequestHead {
        method,
        uri,
        version: headers::parse_version(&version)?,
        headers: headers::from_flat(header_list)?,
    };
    let pump = pump.shared.clone();
    let id = pump.next_id();
    let wake = pump.waker(id);
    let defaults = ClientOptions::default();
    let client_options = ClientOptions {
        placement: pump.placement(env),
        timeout: options.timeout_ms.map_or(defaults.timeout, |ms| Duration::from_millis(ms as u64)),
        connection: config::apply(defaults.connection, &options.websocket.unwrap_or_default()),
        ..defaults
    };
    let credentials = Credentials { username: options.username.unwrap_or_default(), password: options.password.unwrap_or_default() };
    let handshake = async move {
        let outcome = client::connect_via(&host, port, &route, request, client_options, Some(credentials), wake).await;
        Ok(NativeHandshake {
            response: outcome.response.map(|head| ResponseInfo {
                version: head.version.as_str().to_string(),
                status: head.status as u32,
                reason: head.reason.clone(),
                headers: headers::to_flat(&head.headers),
            }),
            result: Some(outcome.result.map(|connection| NativeWebSocket::new(connection, id).with_secure(secure))),
        })
    };
    crate::errors::spawn_promise(env, handshake)
}
