//! Core errors cross into JS as `Error` objects whose `code` names the Poco exception class, its
//! error code and, when the error failed the connection, the close code. The encoding is private
//! to this file: TypeScript reads it back through [`decode_error`].

use napi_derive::napi;
use poco_websocket_core::Error;

pub type JsError = napi::Error<String>;

const PREFIX: &str = "poco:";

pub fn to_js(error: Error) -> JsError {
    let close_code = error.close_code().map_or(String::new(), |code| code.to_string());
    let status = format!("{PREFIX}{}:{}:{close_code}", error.kind(), error.code());
    napi::Error::new(status, error.message())
}

pub fn invalid_argument(message: impl Into<String>) -> JsError {
    to_js(Error::InvalidArgument(message.into()))
}

/// What a native error's `code` says.
#[napi(object)]
pub struct NativeErrorInfo {
    /// The Poco exception class, e.g. "WebSocketException".
    pub kind: String,
    /// Poco's `code()`.
    pub code: i32,
    /// The close code the connection was failed with, if it was.
    pub close_code: Option<u32>,
}

/// Reads the `code` of an error thrown by this binding; `null` for any other error code.
#[napi]
pub fn decode_error(code: String) -> Option<NativeErrorInfo> {
    let mut fields = code.strip_prefix(PREFIX)?.split(':');
    let kind = fields.next()?.to_string();
    let code = fields.next()?.parse().ok()?;
    let close_code = fields.next()?.parse().ok();
    Some(NativeErrorInfo { kind, code, close_code })
}

/// Runs `start` on the runtime and hands JS a promise of its value (napi's errors as JS errors).
pub fn spawn_promise<'env, T>(
    env: &'env napi::Env,
    start: impl std::future::Future<Output = napi::Result<T>> + Send + 'static,
) -> Result<napi::bindgen_prelude::PromiseRaw<'env, T>, JsError>
where
    T: napi::bindgen_prelude::ToNapiValue + Send + 'static,
{
    env.spawn_future(start).map_err(|e| napi::Error::new(e.status.as_ref().to_string(), e.reason))
}
