//! Core errors cross into JS as `Error` objects whose `code` is "<PocoClass>:<code>", plus
//! ":<close code>" when the error failed the connection; the TypeScript layer turns them into
//! the matching exception class.

use poco_websocket_core::Error;

pub type JsError = napi::Error<String>;

pub fn to_js(error: Error) -> JsError {
    let close_code = match &error {
        Error::WebSocket { code, .. } => code.close_code(),
        _ => None,
    };
    let status = match close_code {
        Some(close_code) => format!("{}:{}:{close_code}", error.kind(), error.code()),
        None => format!("{}:{}", error.kind(), error.code()),
    };
    napi::Error::new(status, error.message())
}

pub fn invalid_argument(message: impl Into<String>) -> JsError {
    to_js(Error::InvalidArgument(message.into()))
}
