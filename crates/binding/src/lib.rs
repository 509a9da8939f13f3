//! Node.js binding for poco-websocket-core. No protocol logic lives here: each class forwards
//! to the core and translates values and errors. JS is woken through one [`pump::NativePump`]
//! per JS environment, once per batch of ready handles.

// napi exports are registered only outside `cfg(test)`, so the test build sees them as unused.
#![cfg_attr(test, allow(dead_code))]

mod attach;
mod bridge;
mod client;
mod config;
mod contract;
mod errors;
mod headers;
mod listener;
mod messages;
mod payload;
mod pump;
#[cfg(unix)]
mod reactor;
mod redis;
mod server;
mod socket;
mod tls;
mod topics;

/// The tokio runtime the connections run on: `POCO_WS_THREADS` worker threads, else the
/// measured default.
#[napi_derive::module_init]
fn init() {
    let threads = std::env::var("POCO_WS_THREADS")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(poco_websocket_core::defaults::RUNTIME_THREADS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("poco-websocket")
        .enable_all()
        .build();
    if let Ok(runtime) = runtime {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}
