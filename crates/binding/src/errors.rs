//! Core errors cross into JS as `Error` objects whose `code` is "<PocoClass>:<code>"; the
//! TypeScript layer turns them into the matching exception class.

use poco_websocket_core::Error;

pub type JsError = napi::Error<String>;

pub fn to_js(error: Error) -> JsError {
    napi::Error::new(format!("{}:{}", error.kind(), error.code()), error.message())
}

pub fn invalid_argument(message: impl Into<String>) -> JsError {
    to_js(Error::InvalidArgument(message.into()))
}
