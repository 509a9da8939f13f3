//! Node.js binding for poco-websocket-core. No protocol logic lives here: each class forwards
//! to the core and translates values and errors. JS is woken through one [`pump::NativePump`]
//! per JS environment, once per batch of ready handles.

// napi exports are registered only outside `cfg(test)`, so the test build sees them as unused.
#![cfg_attr(test, allow(dead_code))]

mod client;
mod config;
mod errors;
mod headers;
mod pump;
mod server;
mod socket;
mod tls;
