//! `WebSocketOptions` from JS: the connection settings of the core, each optional.

use std::time::Duration;

use napi_derive::napi;
use poco_websocket_core::deflate::{DeflateOptions, WindowBits};
use poco_websocket_core::ConnectionConfig;

use crate::errors::{invalid_argument, JsError};

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
    /// Message mode: offer (client) or accept (server) permessage-deflate (absent: off).
    pub per_message_deflate: Option<DeflateConfig>,
}

/// ws's `perMessageDeflate` object, as the core's [`DeflateOptions`]; absent fields keep ws's
/// defaults. Window bits: 8 to 15 a limit, 0 no preference (ws's `true`), -1 refused (ws's
/// `false`).
#[napi(object)]
#[derive(Default, Clone)]
pub struct DeflateConfig {
    pub server_no_context_takeover: Option<bool>,
    pub client_no_context_takeover: Option<bool>,
    pub server_max_window_bits: Option<i32>,
    pub client_max_window_bits: Option<i32>,
    /// Messages smaller than this go uncompressed while our context is reset per message.
    pub threshold: Option<f64>,
    /// zlib level 0-9.
    pub level: Option<i32>,
    /// zlib memLevel 1-9.
    pub mem_level: Option<i32>,
    /// Server: uWS's SHARED_COMPRESSOR (one compressor per runtime thread, reset per message).
    pub shared_compressor: Option<bool>,
}

fn window_bits(value: Option<i32>) -> WindowBits {
    match value {
        None | Some(0) => WindowBits::Unset,
        Some(bits) if bits < 0 => WindowBits::Refused,
        Some(bits) => WindowBits::Max(bits.min(255) as u8),
    }
}

/// The core's options for `js`, checked (RFC 7692 window bits, zlib's ranges).
pub fn deflate_options(js: &DeflateConfig) -> Result<DeflateOptions, JsError> {
    let base = DeflateOptions::default();
    let small = |value: Option<i32>, default: u8| value.map_or(default, |n| n.clamp(0, 255) as u8);
    let options = DeflateOptions {
        server_no_context_takeover: js.server_no_context_takeover,
        client_no_context_takeover: js.client_no_context_takeover,
        server_max_window_bits: window_bits(js.server_max_window_bits),
        client_max_window_bits: window_bits(js.client_max_window_bits),
        threshold: js.threshold.map_or(base.threshold, |n| n.max(0.0) as usize),
        level: small(js.level, base.level),
        mem_level: small(js.mem_level, base.mem_level),
        shared_compressor: js.shared_compressor.unwrap_or(false),
    };
    options.validate().map_err(|error| invalid_argument(error.to_string()))?;
    Ok(options)
}

/// Throws the error `perMessageDeflate` options would give, so a bad option fails where it is
/// given (the constructor), not at the first handshake.
#[napi]
pub fn check_deflate_config(config: DeflateConfig) -> Result<(), JsError> {
    deflate_options(&config).map(|_| ())
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
        // Checked by `checkDeflateConfig` when the options were given.
        deflate: js.per_message_deflate.as_ref().map_or(base.deflate, |js| deflate_options(js).ok()),
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
        per_message_deflate: config.deflate.map(|options| DeflateConfig {
            server_no_context_takeover: options.server_no_context_takeover,
            client_no_context_takeover: options.client_no_context_takeover,
            server_max_window_bits: Some(window_bits_to_js(options.server_max_window_bits)),
            client_max_window_bits: Some(window_bits_to_js(options.client_max_window_bits)),
            threshold: Some(options.threshold as f64),
            level: Some(i32::from(options.level)),
            mem_level: Some(i32::from(options.mem_level)),
            shared_compressor: Some(options.shared_compressor),
        }),
    }
}

fn window_bits_to_js(bits: WindowBits) -> i32 {
    match bits {
        WindowBits::Unset => 0,
        WindowBits::Refused => -1,
        WindowBits::Max(bits) => i32::from(bits),
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
