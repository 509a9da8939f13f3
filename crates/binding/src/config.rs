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
    /// Message mode: the runtime joins fragments and answers PING and CLOSE.
    pub messages: Option<bool>,
    /// Keepalive PING interval in ms (0: none).
    pub ping_interval_ms: Option<f64>,
    /// Drop the connection after this many ms without traffic from the peer (0: never).
    pub idle_timeout_ms: Option<f64>,
    /// Drop a peer owing this many bytes of reading (0: never).
    pub max_backpressure: Option<f64>,
    /// Message mode: answer each PING with a PONG (default true; ws's `autoPong`).
    pub auto_pong: Option<bool>,
}

/// `base` with the fields `js` sets.
pub fn apply(base: ConnectionConfig, js: &WebSocketConfig) -> ConnectionConfig {
    ConnectionConfig {
        strict: js.strict.unwrap_or(base.strict),
        max_payload_size: js.max_payload_size.map_or(base.max_payload_size, |n| n as u64),
        max_message_size: js.max_message_size.map_or(base.max_message_size, |n| n as u64),
        max_fragments: js.max_fragments.map_or(base.max_fragments, |n| n as u64),
        close_timeout: js.close_timeout_ms.map_or(base.close_timeout, millis),
        messages: js.messages.unwrap_or(base.messages),
        ping_interval: js.ping_interval_ms.map_or(base.ping_interval, millis),
        idle_timeout: js.idle_timeout_ms.map_or(base.idle_timeout, millis),
        max_backpressure: js.max_backpressure.map_or(base.max_backpressure, |n| n.max(0.0) as usize),
        auto_pong: js.auto_pong.unwrap_or(base.auto_pong),
    }
}

pub fn to_js(config: ConnectionConfig) -> WebSocketConfig {
    WebSocketConfig {
        strict: Some(config.strict),
        max_payload_size: Some(config.max_payload_size as f64),
        max_message_size: Some(config.max_message_size as f64),
        max_fragments: Some(config.max_fragments as f64),
        close_timeout_ms: Some(config.close_timeout.as_millis() as f64),
        messages: Some(config.messages),
        ping_interval_ms: Some(config.ping_interval.as_millis() as f64),
        idle_timeout_ms: Some(config.idle_timeout.as_millis() as f64),
        max_backpressure: Some(config.max_backpressure as f64),
        auto_pong: Some(config.auto_pong),
    }
}

fn millis(ms: f64) -> Duration {
    Duration::from_millis(ms.max(0.0) as u64)
}

/// Defaults of the message API that the TypeScript layer applies (from the core's table).
#[napi(object)]
pub struct MessageDefaults {
    pub ping_interval_ms: f64,
    pub idle_timeout_ms: f64,
    pub high_water_mark: f64,
    pub outbox_flush_bytes: f64,
    pub iterator_high_water: f64,
}

#[napi]
pub fn message_defaults() -> MessageDefaults {
    use poco_websocket_core::defaults;
    MessageDefaults {
        ping_interval_ms: defaults::KEEPALIVE_PING_INTERVAL.as_millis() as f64,
        idle_timeout_ms: defaults::KEEPALIVE_IDLE_TIMEOUT.as_millis() as f64,
        high_water_mark: defaults::OUTBOUND_HIGH_WATER as f64,
        outbox_flush_bytes: defaults::OUTBOX_FLUSH_BYTES as f64,
        iterator_high_water: defaults::ITERATOR_HIGH_WATER as f64,
    }
}

/// Defaults of Poco's HTTP classes (`HTTPServerParams`, `HTTPClientSession`), from the core's
/// table: what their getters report until a setter is called.
#[napi(object)]
pub struct HttpDefaults {
    pub timeout_ms: f64,
    pub max_queued: u32,
    pub max_head_bytes: u32,
    pub max_header_fields: u32,
    pub keep_alive: bool,
}

#[napi]
pub fn http_defaults() -> HttpDefaults {
    use poco_websocket_core::defaults;
    HttpDefaults {
        timeout_ms: defaults::HTTP_TIMEOUT.as_millis() as f64,
        max_queued: defaults::MAX_QUEUED_REQUESTS as u32,
        max_head_bytes: defaults::MAX_HEAD_BYTES as u32,
        max_header_fields: defaults::MAX_HEADER_COUNT as u32,
        keep_alive: true,
    }
}
