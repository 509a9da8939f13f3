//! The contract between this binding and the TypeScript layer, defined once here and imported by
//! TypeScript from the generated loader: the batch record layout, record kinds, sentinels, enum
//! numbers, and the readiness bits. Nothing in TypeScript restates these numbers.

use napi_derive::napi;
use poco_websocket_core::{connection, defaults, socket, tls};

/// Entries per record in the batch metadata arrays of `takeMessages` and `sendFrames`:
/// handle id, kind (or a frame's first header byte), payload length.
#[napi]
pub const RECORD_FIELDS: u32 = 3;

/// Record kinds of `takeMessages` beside frame flags (0-255): the handle was reported (a waiter
/// may proceed, a writer may have drained), its input ended in order, or it failed.
#[napi]
pub const RECORD_WAKE: u32 = 0x100;
#[napi]
pub const RECORD_ENDED: u32 = 0x200;
#[napi]
pub const RECORD_FAILED: u32 = 0x400;

/// Payloads from this size cross the boundary in a buffer of their own (no copy) both ways.
#[napi]
pub const LARGE_PAYLOAD: u32 = defaults::LARGE_PAYLOAD as u32;

/// `sendFramePoco`: the frame is buffered, but the write buffer is over its high-water mark (a
/// wake-up is armed for when it drains).
#[napi]
pub const SEND_OVER_HIGH_WATER: i32 = -2;

/// RFC 6455 §5.5: the largest payload of a PING, PONG or CLOSE.
#[napi]
pub const MAX_CONTROL_PAYLOAD: u32 = poco_websocket_core::protocol::control::MAX_CONTROL_PAYLOAD as u32;

/// Readiness bits of `readiness()`: Poco's `Socket::SelectMode` values.
#[napi]
pub const SELECT_READ: u32 = connection::SELECT_READ;
#[napi]
pub const SELECT_WRITE: u32 = connection::SELECT_WRITE;
#[napi]
pub const SELECT_ERROR: u32 = connection::SELECT_ERROR;

/// The boolean socket options of `getFlag`/`setFlag`.
#[napi]
pub enum SocketFlag {
    NoDelay = 0,
    KeepAlive = 1,
    ReuseAddress = 2,
    ReusePort = 3,
    OobInline = 4,
}

impl From<SocketFlag> for socket::Flag {
    fn from(flag: SocketFlag) -> Self {
        match flag {
            SocketFlag::NoDelay => socket::Flag::NoDelay,
            SocketFlag::KeepAlive => socket::Flag::KeepAlive,
            SocketFlag::ReuseAddress => socket::Flag::ReuseAddress,
            SocketFlag::ReusePort => socket::Flag::ReusePort,
            SocketFlag::OobInline => socket::Flag::OobInline,
        }
    }
}

/// Poco's `Context::VerificationMode`, with Poco's numbers.
#[napi]
pub enum VerificationMode {
    None = 0,
    Relaxed = 1,
    Strict = 3,
    Once = 5,
}

impl From<VerificationMode> for tls::VerificationMode {
    fn from(mode: VerificationMode) -> Self {
        match mode {
            VerificationMode::None => tls::VerificationMode::None,
            VerificationMode::Relaxed => tls::VerificationMode::Relaxed,
            VerificationMode::Strict => tls::VerificationMode::Strict,
            VerificationMode::Once => tls::VerificationMode::Once,
        }
    }
}
