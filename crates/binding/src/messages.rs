//! The batch crossing of message-level sockets: one call takes the queued frames of every
//! socket the runtime reported, another hands over every send made meanwhile. A message costs
//! no napi call of its own, in either direction.

use std::sync::{Arc, MutexGuard};

use napi::bindgen_prelude::{Buffer, Uint32Array};
use napi_derive::napi;
use poco_websocket_core::defaults::{self, RECEIVE_BATCH_BYTES};
use poco_websocket_core::Connection;

use crate::pump::NativePump;
use crate::socket::NativeWebSocket;

/// Record kinds of `takeMessages` beside frame flags (0-255): the handle was reported (a
/// waiter may proceed, a writer may have drained), its input ended in order, or it failed.
#[napi]
pub const RECORD_WAKE: u32 = 0x100;
#[napi]
pub const RECORD_ENDED: u32 = 0x200;
#[napi]
pub const RECORD_FAILED: u32 = 0x400;

/// Payloads from this size come in a buffer of their own (no copy) instead of the shared one.
#[napi]
pub const LARGE_PAYLOAD: u32 = defaults::LARGE_PAYLOAD as u32;

/// Entries per record in the metadata arrays: id, kind (or flags), length.
const RECORD: usize = 3;

#[napi]
impl NativePump {
    /// Makes `socket` a message-level socket: its frames come through `takeMessages`.
    #[napi]
    pub fn listen(&self, socket: &NativeWebSocket) {
        let id = socket.id();
        self.listening().insert(id, socket.connection.clone());
        // The first take arms its wake-ups.
        self.shared.report(id);
    }

    #[napi]
    pub fn unlisten(&self, id: u32) {
        self.listening().remove(&id);
    }

    /// Has `id` handled by the next `takeMessages` (after `resume()`).
    #[napi]
    pub fn poke(&self, id: u32) {
        self.shared.report(id);
    }

    /// Takes what the runtime reported since the last call: `meta` receives the record count,
    /// then records [id, kind, length]: a WAKE record for every reported id, then the frames
    /// of message-level sockets (kind = the frame's flags), then ENDED or FAILED when their
    /// input ended. The first returned buffer holds the payloads under LARGE_PAYLOAD back to
    /// back; each larger payload follows in a buffer of its own, in record order.
    /// What does not fit in `meta` or the byte budget is reported again for the next call.
    #[napi]
    pub fn take_messages(&self, mut meta: Uint32Array) -> Vec<Buffer> {
        // SAFETY: this call runs on the JS thread, so nothing else touches the array meanwhile.
        let meta = unsafe { meta.as_mut() };
        let capacity = meta.len().saturating_sub(1) / RECORD;
        let mut ids = self.shared.take_ready();
        ids.sort_unstable();
        ids.dedup();
        let sockets: Vec<Option<Arc<Connection>>> = {
            let listening = self.listening();
            ids.iter().map(|id| listening.get(id).cloned()).collect()
        };
        let mut out = Records { meta, count: 0, small: Vec::new(), small_bytes: 0, large: Vec::new(), bytes: 0 };
        for (&id, socket) in ids.iter().zip(sockets) {
            // A WAKE, and room for at least one frame and an end record.
            if out.count + 3 > capacity || out.bytes >= RECEIVE_BATCH_BYTES {
                self.shared.report(id);
                continue;
            }
            out.push(id, RECORD_WAKE, Vec::new());
            if let Some(connection) = socket {
                if !take_frames(&mut out, capacity, id, &connection) {
                    self.shared.report(id);
                }
            }
        }
        out.finish()
    }

    /// Sends `count` frames: records [id, flags, length] in `meta`, payloads back to back in
    /// `data`. Each record's length is replaced by the bytes then buffered for its socket.
    /// Returns the indexes of the records that failed (the socket is closed or broken).
    #[napi]
    pub fn send_frames(&self, mut meta: Uint32Array, count: u32, data: &[u8]) -> Vec<u32> {
        // SAFETY: as in `take_messages`.
        let meta = unsafe { meta.as_mut() };
        let count = (count as usize).min(meta.len() / RECORD);
        let mut failed = Vec::new();
        let mut offset = 0;
        let mut start = 0;
        // Consecutive records of one socket go in one call (one lock, one reservation).
        while start < count {
            let id = meta[start * RECORD];
            let mut end = start;
            let mut frames = Vec::new();
            while end < count && meta[end * RECORD] == id {
                let (flags, length) = (meta[end * RECORD + 1] as u8, meta[end * RECORD + 2] as usize);
                // Lengths that run past `data` fail their records instead of sending garbage.
                let Some(payload) = data.get(offset..offset + length) else { break };
                offset += length;
                frames.push((flags, payload));
                end += 1;
            }
            if frames.is_empty() {
                failed.extend((start..count).map(|index| index as u32));
                break;
            }
            let connection = self.listening().get(&id).cloned();
            let (sent, result) = match connection {
                Some(connection) => connection.send_many(&frames),
                None => (0, Ok(0)),
            };
            match result {
                Ok(buffered) if sent == frames.len() => meta[(end - 1) * RECORD + 2] = buffered.min(u32::MAX as usize) as u32,
                _ => failed.extend((start + sent..end).map(|index| index as u32)),
            }
            start = end;
        }
        failed
    }
}

impl NativePump {
    fn listening(&self) -> MutexGuard<'_, std::collections::HashMap<u32, Arc<Connection>>> {
        self.shared.listening.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Records<'a> {
    meta: &'a mut [u32],
    count: usize,
    /// Payloads under LARGE_PAYLOAD (joined into one buffer at the end, in one allocation);
    /// the larger ones as they are.
    small: Vec<Vec<u8>>,
    small_bytes: usize,
    large: Vec<Buffer>,
    bytes: usize,
}

impl Records<'_> {
    fn push(&mut self, id: u32, kind: u32, payload: Vec<u8>) {
        let at = 1 + self.count * RECORD;
        self.meta[at..at + RECORD].copy_from_slice(&[id, kind, payload.len() as u32]);
        self.count += 1;
        self.bytes += payload.len();
        if payload.len() >= LARGE_PAYLOAD as usize {
            self.large.push(payload.into());
        } else if !payload.is_empty() {
            self.small_bytes += payload.len();
            self.small.push(payload);
        }
    }

    fn finish(self) -> Vec<Buffer> {
        self.meta[0] = self.count as u32;
        let mut small = Vec::with_capacity(self.small_bytes);
        for payload in &self.small {
            small.extend_from_slice(payload);
        }
        let mut buffers = Vec::with_capacity(1 + self.large.len());
        buffers.push(small.into());
        buffers.extend(self.large);
        buffers
    }
}

/// Takes the queued frames of one socket and re-arms its wake-up; `false` when the budget ran
/// out first (the socket must be handled again).
fn take_frames(out: &mut Records, capacity: usize, id: u32, connection: &Connection) -> bool {
    if connection.is_paused() {
        return true;
    }
    loop {
        // One record stays free for ENDED or FAILED.
        let room = capacity.saturating_sub(out.count + 1);
        if room == 0 || out.bytes >= RECEIVE_BATCH_BYTES {
            return false;
        }
        match connection.receive_batch(room, RECEIVE_BATCH_BYTES - out.bytes) {
            Ok(batch) => {
                let empty = batch.frames.is_empty();
                for frame in batch.frames {
                    out.push(id, frame.flags as u32, frame.payload);
                }
                if batch.ended {
                    out.push(id, RECORD_ENDED, Vec::new());
                    return true;
                }
                // Nothing more queued: arm the wake-up, unless frames arrived meanwhile.
                if empty && !connection.arm_read() {
                    return true;
                }
            }
            Err(_) => {
                // The error itself is thrown by the socket's own `receiveBatch`.
                out.push(id, RECORD_FAILED, Vec::new());
                return true;
            }
        }
    }
}
