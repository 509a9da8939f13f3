//! Pure-Rust core of poco-websocket: RFC 6455 with the semantics of `Poco::Net::WebSocket`.
//!
//! Layers, bottom up: [`frame`] (codec), [`protocol`] (RFC 6455's rules), [`decoder`] (bytes to
//! checked frames and messages), [`http`] (message heads), [`handshake`] (upgrade rules),
//! [`connection`] (per-socket engine on tokio), [`server`] and [`client`] (the two ways a
//! connection is born; [`listener`] is the socket a server listens on). [`dial`], [`proxy`],
//! [`tls`] and [`stream`] carry a connection over a CONNECT tunnel and TLS (wss). [`deflate`] is
//! permessage-deflate (RFC 7692): negotiation and per-message compression. Nothing here knows
//! about Node; the binding crate only bridges.

pub mod adopt;
pub mod auth;
pub mod bridge;
pub mod client;
pub mod connection;
pub mod decoder;
pub mod defaults;
pub mod deflate;
pub mod dial;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod http;
pub mod listener;
pub mod protocol;
#[cfg(unix)]
pub mod reactor;
pub mod redis;
pub mod proxy;
pub mod server;
pub mod socket;
pub mod stream;
pub mod tls;
pub mod topics;
pub mod transport;

pub use connection::{Batch, Connection, ConnectionConfig, Lifecycle, Placement, Wake};
pub use protocol::{Role, Violation};
pub use error::{Error, ErrorCode};
