//! `NativeListener`: the OS socket behind a `ServerSocket` (bound and listening synchronously),
//! until `listen` hands it to a `NativeServer`.

use napi_derive::napi;
use poco_websocket_core::defaults;
use poco_websocket_core::listener::{BindOptions, Listener};

use crate::errors::{invalid_argument, to_js, JsError};

/// `bind`'s flags; `reuseAddress` left out means the constructors' choice.
#[napi(object)]
pub struct BindConfig {
    pub reuse_address: Option<bool>,
    pub reuse_port: Option<bool>,
    /// Set for `bind6`: IPV6_V6ONLY to this value, and the address must be IPv6.
    pub ipv6_only: Option<bool>,
}

#[napi]
pub struct NativeListener {
    listener: Listener,
}

#[napi]
impl NativeListener {
    #[napi(constructor)]
    pub fn new() -> Self {
        NativeListener { listener: Listener::new() }
    }

    #[napi]
    pub fn bind(&mut self, host: String, port: u32, config: BindConfig) -> Result<(), JsError> {
        let port = u16::try_from(port).map_err(|_| invalid_argument(format!("Invalid port number: {port}")))?;
        let options = BindOptions {
            reuse_address: config.reuse_address.unwrap_or(BindOptions::for_constructor().reuse_address),
            reuse_port: config.reuse_port.unwrap_or(false),
            ipv6_only: config.ipv6_only,
        };
        self.listener.bind(&host, port, options).map_err(to_js)
    }

    /// Poco's `listen(backlog = 64)`.
    #[napi]
    pub fn listen(&mut self, backlog: Option<i32>) -> Result<(), JsError> {
        self.listener.listen(backlog.unwrap_or(defaults::SERVER_SOCKET_BACKLOG)).map_err(to_js)
    }

    /// "host:port", with the port the OS chose for port 0.
    #[napi]
    pub fn local_address(&self) -> Result<String, JsError> {
        self.listener.local_addr().map(|address| address.to_string()).map_err(to_js)
    }

    #[napi]
    pub fn close(&mut self) {
        self.listener.close();
    }

    #[napi]
    pub fn reuse_address(&self) -> Result<bool, JsError> {
        self.listener.reuse_address().map_err(to_js)
    }

    #[napi]
    pub fn set_reuse_address(&self, on: bool) -> Result<(), JsError> {
        self.listener.set_reuse_address(on).map_err(to_js)
    }

    #[napi]
    pub fn reuse_port(&self) -> Result<bool, JsError> {
        self.listener.reuse_port().map_err(to_js)
    }

    #[napi]
    pub fn set_reuse_port(&self, on: bool) -> Result<(), JsError> {
        self.listener.set_reuse_port(on).map_err(to_js)
    }
}

impl NativeListener {
    /// The listening socket, for the server that takes it over.
    pub fn take(&mut self) -> Result<std::net::TcpListener, JsError> {
        self.listener.take().map_err(to_js)
    }
}
