//! RFC 7692 §7.2.2, decompressing one message: its payload (the fragments' payloads in order,
//! §6.1), then `00 00 ff ff`, inflated as raw DEFLATE. The size limit is applied to the inflated
//! bytes while they are produced (hostile-input matrix D1): zlib is never given room for more
//! than one byte past the limit, so a bomb costs at most `limit + 1` bytes of output, never its
//! declared or total size.

use std::cell::RefCell;

use zlib_rs::{Inflate, InflateError, InflateFlush, Status};

use super::buffer::append_with;
use super::error::DeflateError;
use super::negotiation::{Direction, Params};
use super::options::MAX_WINDOW_BITS;
use super::TRAILER;
use crate::protocol::Role;

/// The least `out` grows by; beyond it, by its own length (doubling), never past the limit.
const MIN_OUTPUT_GROWTH: usize = 16 * 1024;
/// Reset inflaters kept per thread for the next message of a socket without context takeover.
const SPARE_INFLATERS: usize = 4;

thread_local! {
    /// Inflaters released at the end of a message (no context takeover), reset: taken again by
    /// the next message on this thread, so that a busy socket does not allocate one per message
    /// and an idle one holds none.
    static SPARE: RefCell<Vec<Inflate>> = const { RefCell::new(Vec::new()) };
}

/// Inflates the messages one connection receives. The zlib state is allocated on first use.
///
/// The window is always 15 bits, whatever the peer's negotiated one (uWS does the same): a
/// larger window accepts every stream a smaller one does; zlib-rs allocates the full 32 KiB
/// window for any window size anyway, and its reset restores 15 bits. The negotiated size
/// limits the peer's memory, not ours, so it is not policed.
pub struct Decompressor {
    inflate: Option<Inflate>,
    /// §7.1.1: the peer resets its context per message, so we reset ours.
    no_context_takeover: bool,
    /// Inflated bytes of the message being received.
    produced: usize,
    /// The message held a final block (BFINAL); what follows it is not DEFLATE data.
    ended: bool,
}

impl std::fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decompressor")
            .field("allocated", &self.inflate.is_some())
            .field("no_context_takeover", &self.no_context_takeover)
            .field("produced", &self.produced)
            .finish()
    }
}

impl Decompressor {
    /// For messages compressed as `direction` says (`Params::receiving`).
    pub fn new(direction: Direction) -> Self {
        Decompressor { inflate: None, no_context_takeover: direction.no_context_takeover, produced: 0, ended: false }
    }

    /// The decompressor `role` receives with after negotiating `params`.
    pub fn for_connection(role: Role, params: &Params) -> Self {
        Decompressor::new(params.receiving(role))
    }

    /// Inflates a whole message given as its fragments' payloads into a new buffer.
    pub fn decompress<'a>(
        &mut self,
        fragments: impl IntoIterator<Item = &'a [u8]>,
        limit: usize,
    ) -> Result<Vec<u8>, DeflateError> {
        let mut out = Vec::new();
        let mut fragments = fragments.into_iter().peekable();
        // No fragments at all is an empty payload.
        let mut fragment: &[u8] = fragments.next().unwrap_or(&[]);
        loop {
            self.decompress_fragment(fragment, fragments.peek().is_none(), limit, &mut out)?;
            match fragments.next() {
                Some(next) => fragment = next,
                None => return Ok(out),
            }
        }
    }

    /// Inflates the next fragment of the message being received (the first one carried RSV1),
    /// appending to `out`; `fin` ends the message. `limit` bounds the inflated size of the whole
    /// message: past it, [`DeflateError::TooBig`] (close code 1009). After an error the state is
    /// dropped: the connection is to be failed.
    pub fn decompress_fragment(
        &mut self,
        fragment: &[u8],
        fin: bool,
        limit: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), DeflateError> {
        let mut result = self.inflate_bytes(fragment, limit, out);
        if fin && result.is_ok() {
            result = self.inflate_bytes(&TRAILER, limit, out);
        }
        if result.is_err() {
            self.inflate = None;
            self.ended = false;
            self.produced = 0;
        } else if fin {
            // Under no context takeover nothing carries over to the next message (§7.1.1): the
            // state and its window are released, so an idle socket holds none. ws makes a new
            // inflater after a final block; the reset does the same.
            if self.no_context_takeover {
                if let Some(mut inflate) = self.inflate.take() {
                    inflate.reset(false);
                    let _ = SPARE.try_with(|spare| {
                        let mut spare = spare.borrow_mut();
                        if spare.len() < SPARE_INFLATERS {
                            spare.push(inflate);
                        }
                    });
                }
            } else if self.ended {
                if let Some(inflate) = &mut self.inflate {
                    inflate.reset(false);
                }
            }
            self.ended = false;
            self.produced = 0;
        }
        result
    }

    fn inflate_bytes(&mut self, mut input: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), DeflateError> {
        let inflate = self.inflate.get_or_insert_with(|| {
            let spare = SPARE.try_with(|spare| spare.borrow_mut().pop()).ok().flatten();
            spare.unwrap_or_else(|| Inflate::new(false, MAX_WINDOW_BITS))
        });
        // After a final block zlib reads no more; ws (through Node's zlib) drops the rest of the
        // message, the appended trailer included, and so does this.
        while !self.ended {
            let room = limit.saturating_sub(self.produced).saturating_add(1);
            let grow = out.len().max(MIN_OUTPUT_GROWTH).min(room);
            let (status, consumed, written, full) = append_with(out, room, grow, |spare| {
                let (in_before, out_before) = (inflate.total_in(), inflate.total_out());
                let status = inflate.decompress_uninit(input, spare, InflateFlush::NoFlush);
                let written = (inflate.total_out() - out_before) as usize;
                ((status, (inflate.total_in() - in_before) as usize, written, written == spare.len()), written)
            });
            input = &input[consumed..];
            self.produced += written;
            if self.produced > limit {
                return Err(DeflateError::TooBig { limit });
            }
            match status {
                Ok(Status::StreamEnd) => self.ended = true,
                // With room left, zlib has written all it can from all the input it was given.
                Ok(Status::Ok | Status::BufError) if input.is_empty() && !full => return Ok(()),
                Ok(_) if consumed == 0 && written == 0 && !full => {
                    return Err(DeflateError::Corrupt("the stream makes no progress".into()))
                }
                Ok(_) => {}
                Err(error) => return Err(inflate_error(error, inflate)),
            }
        }
        Ok(())
    }
}

fn inflate_error(error: InflateError, inflate: &Inflate) -> DeflateError {
    match error {
        InflateError::DataError | InflateError::NeedDict { .. } => {
            DeflateError::Corrupt(inflate.error_message().unwrap_or("invalid deflate data").to_string())
        }
        InflateError::StreamError | InflateError::MemError => DeflateError::Internal(error.as_str().to_string()),
    }
}
