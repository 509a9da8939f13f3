//! Received payloads into JS buffers: a large one is handed over without a copy (an external
//! buffer that owns the bytes until JS lets it go); runtimes that refuse external buffers
//! (Electron) get a copy instead, inside napi-rs.

use bytes::Bytes;
use napi::bindgen_prelude::{BufferSlice, Env, Result};

pub fn to_js(env: &Env, payload: Bytes) -> Result<BufferSlice<'_>> {
    if payload.is_empty() {
        return BufferSlice::from_data(env, Vec::new());
    }
    let data = payload.as_ptr().cast_mut();
    let len = payload.len();
    // SAFETY: `data` points at `len` bytes kept alive by `payload`, which the finalizer drops
    // once JS no longer references the buffer; Rust never reads or writes them again meanwhile,
    // so JS may.
    unsafe { BufferSlice::from_external(env, data, len, payload, |_, payload| drop(payload)) }
}
