//! `NativeTlsContext`: Poco's `Context`, built once (PEM already read by the JS layer) and
//! shared by every session or server given it.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use poco_websocket_core::tls::{Context, ContextOptions, MinProtocol};

use crate::contract::VerificationMode;
use crate::errors::{invalid_argument, to_js, JsError};

#[napi(object)]
pub struct TlsContextOptions {
    pub server: bool,
    /// "1.2" (default) or "1.3": the lowest TLS version accepted.
    pub min_protocol: Option<String>,
    pub verification_mode: VerificationMode,
    pub certificate: Option<Buffer>,
    pub private_key: Option<Buffer>,
    pub ca: Vec<Buffer>,
    pub load_default_cas: bool,
}

#[napi]
pub struct NativeTlsContext {
    pub(crate) context: Context,
}

#[napi]
impl NativeTlsContext {
    /// Throws SSLContextException when the certificate, key or CAs cannot be used.
    #[napi(constructor)]
    pub fn new(options: TlsContextOptions) -> Result<Self, JsError> {
        let verification = options.verification_mode.into();
        let min_protocol = match options.min_protocol.as_deref() {
            None | Some("1.2") => MinProtocol::Tls12,
            Some("1.3") => MinProtocol::Tls13,
            Some(other) => return Err(invalid_argument(format!("Unsupported TLS version: {other}"))),
        };
        let options = ContextOptions {
            server: options.server,
            min_protocol,
            verification,
            certificate: options.certificate.map(|b| b.to_vec()),
            private_key: options.private_key.map(|b| b.to_vec()),
            ca: options.ca.iter().map(|b| b.to_vec()).collect(),
            load_default_cas: options.load_default_cas,
        };
        Context::new(&options).map(|context| NativeTlsContext { context }).map_err(to_js)
    }

    #[napi(getter)]
    pub fn server(&self) -> bool {
        self.context.is_server()
    }
}
