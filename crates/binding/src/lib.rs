//! Node.js binding for poco-websocket-core. No protocol logic lives here: each class forwards
//! to the core and translates values and errors. JS is woken through one [`pump::NativePump`]
//! per JS environment, once per batch of ready handles.

mod client;
mod errors;
mod headers;
mod pump;
mod server;
mod socket;
