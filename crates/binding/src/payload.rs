//! Received payloads into JS buffers: a large one is handed over without a copy (an external
//! buffer that owns the bytes until JS lets it go); runtimes that refuse external buffers
//! (Electron) get a copy instead, inside napi-rs.

use std::cell::RefCell;

use bytes::Bytes;
use napi::bindgen_prelude::{BufferSlice, Env, Result};
use poco_websocket_core::defaults::{LARGE_PAYLOAD, RECEIVE_BATCH_SMALL_BYTES};

/// The most the small payloads of one batch take: the batch stops taking them past
/// RECEIVE_BATCH_SMALL_BYTES, and each is under LARGE_PAYLOAD.
const BATCH_CAPACITY: usize = RECEIVE_BATCH_SMALL_BYTES + LARGE_PAYLOAD;
/// Batches from this size get a reused buffer of BATCH_CAPACITY; smaller ones one of their size,
/// so that a message kept by the app keeps little memory with it.
const REUSED_FROM: usize = BATCH_CAPACITY / 4;
/// Reused buffers kept while no batch needs them.
const SPARE_KEPT: usize = 16;

thread_local! {
    /// Batch buffers JS has let go of, for the next batches of this thread.
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

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

/// `payloads` back to back in one JS buffer. A large batch's buffer comes back when JS lets it
/// go and serves a later batch: a fresh one faults in each of its pages, since glibc hands the
/// top of its heap back to the kernel when such a buffer is freed.
pub fn joined<'env>(env: &'env Env, payloads: &[Bytes], bytes: usize) -> Result<BufferSlice<'env>> {
    let reused = (REUSED_FROM..=BATCH_CAPACITY).contains(&bytes);
    let mut batch = match reused {
        true => SPARE.with_borrow_mut(Vec::pop).unwrap_or_else(|| Vec::with_capacity(BATCH_CAPACITY)),
        false => Vec::with_capacity(bytes),
    };
    batch.clear();
    payloads.iter().for_each(|payload| batch.extend_from_slice(payload));
    if !reused {
        return BufferSlice::from_data(env, batch);
    }
    let data = batch.as_mut_ptr();
    // SAFETY: `data` points at the `bytes` bytes of `batch`, which the finalizer takes back once
    // JS no longer references the buffer; Rust does not touch them meanwhile (the vector is
    // moved, its heap memory stays where it is).
    unsafe {
        BufferSlice::from_external(env, data, bytes, batch, |_, batch| {
            SPARE.with_borrow_mut(|spare| {
                if spare.len() < SPARE_KEPT {
                    spare.push(batch);
                }
            })
        })
    }
}
