//! `WebSocketOptions` from JS: the connection settings of the core, each optional.

use std::time::Duration;

use napi_derive::napi;
use poco_websocket_core::ConnectionConfig;

#[napi(object)]
#[derive(Default)]
pub struct WebSocketConfig {
    /// RFC 6455 checks on received frames and the close handshake (default true).
    pub strict: Option<bool>,
    pub max_payload_size: Option<f64>,
    pub max_message_size: Option<f64>,
    pub max_fragments: Option<f64>,
    pub close_timeout_ms: Option<f64>,
}

/// `base` with the fields `js` sets.
pub fn apply(base: ConnectionConfig, js: &WebSocketConfig) -> ConnectionConfig {
    ConnectionConfig {
        strict: js.strict.unwrap_or(base.strict),
        max_payload_size: js.max_payload_size.map_or(base.max_payload_size, |n| n as u64),
        max_message_size: js.max_message_size.map_or(base.max_message_size, |n| n as u64),
        max_fragments: js.max_fragments.map_or(base.max_fragments, |n| n as u64),
        close_timeout: js.close_timeout_ms.map_or(base.close_timeout, |ms| Duration::from_millis(ms as u64)),
    }
}

pub fn to_js(config: ConnectionConfig) -> WebSocketConfig {
    WebSocketConfig {
        strict: Some(config.strict),
        max_payload_size: Some(config.max_payload_size as f64),
        max_message_size: Some(config.max_message_size as f64),
        max_fragments: Some(config.max_fragments as f64),
        close_timeout_ms: Some(config.close_timeout.as_millis() as f64),
    }
}
