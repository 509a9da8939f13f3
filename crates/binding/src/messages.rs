//! The batch crossing: one call takes the queued frames of every socket the runtime reported,
//! another hands over every send of the message API made meanwhile, and one ends the turn. A
//! frame or message costs no napi call of its own, in either direction.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, MutexGuard};

use bytes::Bytes;
use napi::bindgen_prelude::{BufferSlice, Env, Result, Uint32Array};
use napi_derive::napi;
use poco_websocket_core::defaults::{LARGE_PAYLOAD, RECEIVE_BATCH_BYTES, RECEIVE_BATCH_SMALL_BYTES, RECEIVE_SOCKET_BYTES};
use poco_websocket_core::Connection;

use crate::contract::{RECORD_ENDED, RECORD_FAILED, RECORD_FIELDS, RECORD_WAKE};
use crate::payload;
use crate::pump::{Listening, NativePump};
use crate::socket::NativeWebSocket;

const RECORD: usize = RECORD_FIELDS as usize;

#[napi]
impl NativePump {
    /// Has the pump take `socket`'s frames: every one (`messages`, the message API), or only
    /// while the JS side wants them (`wantFrames`, Poco's frame API).
    #[napi]
    pub fn listen(&self, socket: &NativeWebSocket, messages: bool) {
        let id = socket.id();
        let wants_frames = (!messages).then(|| socket.wants_frames.clone());
        self.listening().insert(id, Listening { connection: socket.connection.clone(), wants_frames });
        if messages {
            // The first take arms its wake-ups.
            self.shared.report(id);
        }
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
    /// then records [id, kind, length]: a WAKE record for every reported id, then the frames of
    /// its socket (kind = the frame's flags), then ENDED or FAILED when its input ended (the
    /// socket then leaves the pump). The first returned buffer holds the payloads under
    /// LARGE_PAYLOAD back to back; each larger payload follows in a buffer of its own, in record
    /// order. A socket takes at most about RECEIVE_SOCKET_BYTES per call; what does not fit in
    /// `meta`, the batch's byte budget or the socket's is reported again, behind the others.
    #[napi]
    pub fn take_messages<'env>(&self, env: &'env Env, mut meta: Uint32Array) -> Result<Vec<BufferSlice<'env>>> {
        // SAFETY: this call runs on the JS thread, so nothing else touches the array meanwhile.
        let meta = unsafe { meta.as_mut() };
        let capacity = meta.len().saturating_sub(1) / RECORD;
        let ids = self.shared.take_ready();
        let sockets: Vec<Option<(Arc<Connection>, Option<Arc<AtomicBool>>)>> = {
            let listening = self.listening();
            ids.iter().map(|id| listening.get(id).map(|l| (l.connection.clone(), l.wants_frames.clone()))).collect()
        };
        let mut out = Records {
            env,
            meta,
            count: 0,
            small: Vec::new(),
            small_bytes: 0,
            large: Vec::new(),
            bytes: 0,
            end_turn: false,
            frames_of_socket: false,
        };
        let mut ended = Vec::new();
        let mut turn_pending = Vec::new();
        for (&id, socket) in ids.iter().zip(sockets) {
            // A WAKE, and room for at least one frame and an end record.
            if out.count + 3 > capacity || out.bytes >= RECEIVE_BATCH_BYTES || out.small_bytes >= RECEIVE_BATCH_SMALL_BYTES {
                self.shared.report(id);
                continue;
            }
            out.push(id, RECORD_WAKE, Bytes::new())?;
            let Some((connection, wants_frames)) = socket else { continue };
            // A frame-level socket's frames are taken only when its JS side waits for them
            // (the want is used up).
            let messages = wants_frames.is_none();
            if wants_frames.is_some_and(|wants| !wants.swap(false, Ordering::SeqCst)) {
                continue;
            }
            let taken = take_frames(&mut out, capacity, id, &connection, messages)?;
            if out.end_turn {
                turn_pending.push(connection.clone());
                out.end_turn = false;
            }
            match taken {
                Taken::AllThereIs if !messages && !out.frames_of_socket => {
                    // Nothing was queued after all: still wanted.
                    self.rewant(id, &connection);
                }
                Taken::AllThereIs => {}
                Taken::More => self.shared.report(id),
                Taken::Ended => ended.push(id),
            }
        }
        if !ended.is_empty() {
            let mut listening = self.listening();
            for id in ended {
                listening.remove(&id);
            }
        }
        if !turn_pending.is_empty() {
            self.shared.turn_pending.lock().unwrap_or_else(|p| p.into_inner()).extend(turn_pending);
        }
        out.finish()
    }

    /// The JS side handled the batch and handed over its sends: hand over its publishes, answer
    /// the peers' CLOSEs and fail the connections whose violations were right behind the frames
    /// just taken (RFC 6455 §5.5.1: the replies to earlier messages go out first).
    #[napi]
    pub fn end_turn(&self) {
        crate::topics::flush_publishes();
        let pending = std::mem::take(&mut *self.shared.turn_pending.lock().unwrap_or_else(|p| p.into_inner()));
        for connection in pending {
            connection.end_turn();
        }
    }

    /// Hands over the publishes batched on this thread (made outside a callback batch, with no
    /// sends after them): the JS side calls it in a microtask after such a publish.
    #[napi]
    pub fn flush_publishes(&self) {
        crate::topics::flush_publishes();
    }

    /// Sends `count` frames of the message API: records [id, flags, length] in `meta`, payloads
    /// back to back in `data`. Each socket's last record's length is replaced by the bytes then
    /// buffered for it. Returns the indexes of the records that failed (the socket is closed or
    /// broken, or the frame is not allowed any more). With `end_turn`, then does what `endTurn`
    /// does (the sends of a dispatch and the end of its turn in one call).
    #[napi]
    pub fn send_frames(&self, mut meta: Uint32Array, count: u32, data: &[u8], end_turn: Option<bool>) -> Vec<u32> {
        // The publishes made before these sends go first.
        crate::topics::flush_publishes();
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
            let connection = self.listening().get(&id).map(|listening| listening.connection.clone());
            let (sent, result) = match connection {
                Some(connection) => connection.send_messages(&frames),
                None => (0, Ok(0)),
            };
            match result {
                Ok(buffered) if sent == frames.len() => meta[(end - 1) * RECORD + 2] = buffered.min(u32::MAX as usize) as u32,
                _ => failed.extend((start + sent..end).map(|index| index as u32)),
            }
            start = end;
        }
        if end_turn == Some(true) {
            self.end_turn();
        }
        failed
    }
}

impl NativePump {
    fn listening(&self) -> MutexGuard<'_, std::collections::HashMap<u32, Listening>> {
        self.shared.listening.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A frame-level socket that wanted frames and got none: it still wants them.
    fn rewant(&self, id: u32, connection: &Connection) {
        if connection.is_paused() {
            return;
        }
        if let Some(wants) = self.listening().get(&id).and_then(|l| l.wants_frames.clone()) {
            wants.store(true, Ordering::SeqCst);
            connection.arm_read_deferred();
        }
    }
}

struct Records<'a, 'env> {
    env: &'env Env,
    meta: &'a mut [u32],
    count: usize,
    /// Payloads under LARGE_PAYLOAD (joined into one buffer at the end);
    /// the larger ones handed over as they are, without a copy.
    small: Vec<Bytes>,
    small_bytes: usize,
    large: Vec<BufferSlice<'env>>,
    bytes: usize,
    /// The socket being taken left something for the end of the turn.
    end_turn: bool,
    /// The socket being taken gave frames.
    frames_of_socket: bool,
}

impl<'env> Records<'_, 'env> {
    fn push(&mut self, id: u32, kind: u32, payload: Bytes) -> Result<()> {
        let at = 1 + self.count * RECORD;
        self.meta[at..at + RECORD].copy_from_slice(&[id, kind, payload.len() as u32]);
        self.count += 1;
        self.bytes += payload.len();
        if payload.len() >= LARGE_PAYLOAD {
            self.large.push(payload::to_js(self.env, payload)?);
        } else if !payload.is_empty() {
            self.small_bytes += payload.len();
            self.small.push(payload);
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<BufferSlice<'env>>> {
        self.meta[0] = self.count as u32;
        let mut buffers = Vec::with_capacity(1 + self.large.len());
        buffers.push(payload::joined(self.env, &self.small, self.small_bytes)?);
        buffers.extend(self.large);
        Ok(buffers)
    }
}

enum Taken {
    /// Everything queued was taken; the wake-up is armed again.
    AllThereIs,
    /// The budget ran out first: the socket must be handled again.
    More,
    /// Its input ended (ENDED or FAILED pushed): it leaves the pump.
    Ended,
}

/// Takes the queued frames of one socket, up to its budget; a message-level socket's wake-up
/// is armed again once nothing is left, a frame-level one takes one batch per want.
fn take_frames(out: &mut Records, capacity: usize, id: u32, connection: &Connection, messages: bool) -> Result<Taken> {
    out.frames_of_socket = false;
    if connection.is_paused() {
        return Ok(Taken::AllThereIs);
    }
    let budget = out.bytes + RECEIVE_SOCKET_BYTES;
    loop {
        // One record stays free for ENDED or FAILED.
        let room = capacity.saturating_sub(out.count + 1);
        if room == 0 || out.bytes >= RECEIVE_BATCH_BYTES || out.bytes >= budget || out.small_bytes >= RECEIVE_BATCH_SMALL_BYTES {
            return Ok(Taken::More);
        }
        let max_bytes = (RECEIVE_BATCH_BYTES - out.bytes).min(budget - out.bytes).min(RECEIVE_BATCH_SMALL_BYTES - out.small_bytes);
        match connection.receive_batch(room, max_bytes) {
            Ok(batch) => {
                let empty = batch.frames.is_empty();
                out.frames_of_socket |= !empty;
                out.end_turn |= batch.end_turn && messages;
                for frame in batch.frames {
                    out.push(id, frame.flags as u32, frame.payload)?;
                }
                if batch.ended {
                    out.push(id, RECORD_ENDED, Bytes::new())?;
                    return Ok(Taken::Ended);
                }
                // What waits for the end of the turn (a CLOSE to answer, a violation behind these
                // frames) must see the app's replies first: take no more until the next batch.
                if batch.end_turn {
                    return Ok(Taken::More);
                }
                if !messages {
                    return Ok(Taken::AllThereIs);
                }
                // Nothing more queued: arm the wake-up, unless frames arrived meanwhile.
                if empty && !connection.arm_read() {
                    return Ok(Taken::AllThereIs);
                }
            }
            Err(_) => {
                // The error itself is thrown by the socket's own `receive`.
                out.push(id, RECORD_FAILED, Bytes::new())?;
                return Ok(Taken::Ended);
            }
        }
    }
}
