//! RFC 7692 §7.2.1, compressing one message: raw DEFLATE (no zlib header) with the negotiated
//! window, flushed with Z_SYNC_FLUSH so the output ends at a byte boundary with an empty stored
//! block (`00 00 ff ff`), which is then removed. The LZ77 context is kept for the next message
//! unless our side's `no_context_takeover` applies (§7.1.1), or the compressor is shared.

use std::cell::RefCell;

use zlib_rs::{Deflate, DeflateConfig, DeflateFlush, Method, Status, Strategy};

use super::buffer::append_with;
use super::error::DeflateError;
use super::negotiation::{Direction, Params};
use super::options::{DeflateOptions, MAX_WINDOW_BITS};
use super::TRAILER;
use crate::protocol::Role;

/// zlib's (and zlib-rs's) raw deflate refuses an 8-bit window ("until 256-byte window bug
/// fixed"), as the zlib manual, Node and uWS note. 9 bits is still safe for a peer that agreed
/// to 8: zlib never emits a distance beyond its window minus MIN_LOOKAHEAD (262 bytes), so a
/// 512-byte window references at most 250 bytes back, inside the 256 bytes the peer keeps.
const SMALLEST_DEFLATE_WINDOW_BITS: u8 = 9;

/// Output space of the first zlib call for a large message; later calls double it.
const FIRST_OUTPUT_CHUNK: usize = 64 * 1024;

/// What one side's compressor is built from: the negotiated [`Direction`] it sends with, and the
/// options' zlib tuning and threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressorSettings {
    pub window_bits: u8,
    pub no_context_takeover: bool,
    pub level: u8,
    pub mem_level: u8,
    pub threshold: usize,
}

impl CompressorSettings {
    pub fn new(direction: Direction, options: &DeflateOptions) -> Self {
        CompressorSettings {
            window_bits: direction.window_bits,
            no_context_takeover: direction.no_context_takeover,
            level: options.level,
            mem_level: options.mem_level,
            threshold: options.threshold,
        }
    }

    /// ws's rule (`lib/sender.js`): with context takeover every message is compressed (it also
    /// primes the window for the next); without it, only those of `threshold` bytes or more.
    pub fn should_compress(&self, payload_len: usize) -> bool {
        !self.no_context_takeover || payload_len >= self.threshold
    }

    /// The zlib-rs configuration, clamped to what it accepts so a bad value cannot panic
    /// (`DeflateOptions::validate` reports bad values to the user).
    fn zlib_config(&self) -> DeflateConfig {
        let window_bits = self.window_bits.clamp(SMALLEST_DEFLATE_WINDOW_BITS, MAX_WINDOW_BITS);
        DeflateConfig {
            level: i32::from(self.level.min(9)),
            method: Method::Deflated,
            // Negative: a raw deflate stream, no zlib header or checksum (RFC 7692 §7.2.1).
            window_bits: -i32::from(window_bits),
            mem_level: i32::from(self.mem_level.clamp(1, 9)),
            strategy: Strategy::Default,
        }
    }
}

/// Compresses the messages one connection sends. The zlib state is allocated on first use, as
/// ws does, so a socket that never sends a compressed message costs no zlib memory.
pub struct Compressor {
    settings: CompressorSettings,
    engine: Engine,
}

enum Engine {
    Dedicated(Option<Deflate>),
    /// uWS's SHARED_COMPRESSOR: the runtime thread's compressor for these settings.
    Shared,
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = match self.engine {
            Engine::Dedicated(_) => "dedicated",
            Engine::Shared => "shared",
        };
        f.debug_struct("Compressor").field("settings", &self.settings).field("engine", &engine).finish()
    }
}

impl Compressor {
    /// A compressor of its own, context kept or reset per `settings.no_context_takeover`.
    pub fn new(settings: CompressorSettings) -> Self {
        Compressor { settings, engine: Engine::Dedicated(None) }
    }

    /// A handle on the calling thread's shared compressor for these settings, reset after every
    /// message (so the server must have negotiated `server_no_context_takeover`, which
    /// [`super::negotiation::accept`] does when `shared_compressor` is set).
    pub fn shared(settings: CompressorSettings) -> Self {
        Compressor { settings: CompressorSettings { no_context_takeover: true, ..settings }, engine: Engine::Shared }
    }

    /// The compressor `role` sends with after negotiating `params`: the shared one for a server
    /// whose options ask for it, else a dedicated one.
    pub fn for_connection(role: Role, params: &Params, options: &DeflateOptions) -> Self {
        let settings = CompressorSettings::new(params.sending(role), options);
        if role == Role::Server && options.shared_compressor {
            Compressor::shared(settings)
        } else {
            Compressor::new(settings)
        }
    }

    pub fn settings(&self) -> &CompressorSettings {
        &self.settings
    }

    /// [`CompressorSettings::should_compress`].
    pub fn should_compress(&self, payload_len: usize) -> bool {
        self.settings.should_compress(payload_len)
    }

    /// Compresses one whole message into a new buffer; see [`Compressor::compress_into`].
    pub fn compress(&mut self, payload: &[u8]) -> Result<Vec<u8>, DeflateError> {
        let mut out = Vec::new();
        self.compress_into(payload, &mut out)?;
        Ok(out)
    }

    /// Appends the compressed form of one whole message to `out` (which may already hold, for
    /// example, room for a frame header). On error the context is reset: the connection must fail,
    /// and a shared compressor stays usable for the other sockets.
    pub fn compress_into(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), DeflateError> {
        let settings = self.settings;
        match &mut self.engine {
            Engine::Dedicated(slot) => {
                let deflate = slot.get_or_insert_with(|| Deflate::new_with_config(settings.zlib_config()));
                let result = compress_message(deflate, &settings, payload, out);
                // Under no context takeover nothing carries over to the next message (§7.1.1):
                // the zlib state (about 260 KiB at the defaults) is released, so an idle socket
                // holds none; the next message allocates it again.
                if settings.no_context_takeover {
                    *slot = None;
                }
                result
            }
            Engine::Shared => SHARED.with(|pool| {
                let mut pool = pool.borrow_mut();
                let config = settings.zlib_config();
                let index = match pool.iter().position(|(pooled, _)| same_config(pooled, &config)) {
                    Some(index) => index,
                    None => {
                        pool.push((config, Deflate::new_with_config(config)));
                        pool.len() - 1
                    }
                };
                compress_message(&mut pool[index].1, &settings, payload, out)
            }),
        }
    }
}

thread_local! {
    /// One compressor per runtime thread and zlib configuration (uWS keeps one per event loop):
    /// a message is compressed in one call, so no two sockets ever use it at once.
    static SHARED: RefCell<Vec<(DeflateConfig, Deflate)>> = const { RefCell::new(Vec::new()) };
}

fn same_config(a: &DeflateConfig, b: &DeflateConfig) -> bool {
    (a.level, a.window_bits, a.mem_level) == (b.level, b.window_bits, b.mem_level)
}

fn compress_message(
    deflate: &mut Deflate,
    settings: &CompressorSettings,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), DeflateError> {
    let start = out.len();
    let result = sync_flush(deflate, payload, out).and_then(|()| strip_trailer(out, start));
    if result.is_err() {
        out.truncate(start);
        deflate.reset();
    } else if settings.no_context_takeover {
        // §7.1.1: the next message must not refer to this one.
        deflate.reset();
    }
    result
}

/// Deflates `payload` with Z_SYNC_FLUSH, appending everything zlib produces.
fn sync_flush(deflate: &mut Deflate, payload: &[u8], out: &mut Vec<u8>) -> Result<(), DeflateError> {
    if payload.is_empty() {
        // zlib answers a second Z_SYNC_FLUSH in a row without input with Z_BUF_ERROR and no output
        // (uWS: "You must not deflate an empty string"). The empty stored block is the whole
        // compressed form of an empty message at any block boundary (RFC 7692 §7.2.3.6).
        out.extend_from_slice(&[0x00]);
        out.extend_from_slice(&TRAILER);
        return Ok(());
    }
    let mut input = payload;
    let mut grow = first_output_size(payload.len());
    loop {
        let (status, consumed, written, full) = append_with(out, usize::MAX, grow, |spare| {
            let (in_before, out_before) = (deflate.total_in(), deflate.total_out());
            let status = deflate.compress_uninit(input, spare, DeflateFlush::SyncFlush);
            let written = (deflate.total_out() - out_before) as usize;
            ((status, (deflate.total_in() - in_before) as usize, written, written == spare.len()), written)
        });
        input = &input[consumed..];
        match status {
            // zlib: with room left after a Z_SYNC_FLUSH call, all input is in and flushed.
            Ok(Status::Ok | Status::BufError) if input.is_empty() && !full => return Ok(()),
            Ok(_) if consumed == 0 && written == 0 && !full => {
                return Err(DeflateError::Internal("zlib made no progress".into()))
            }
            Ok(_) => grow = grow.saturating_mul(2),
            Err(error) => return Err(DeflateError::Internal(error.as_str().to_string())),
        }
    }
}

/// Room for the whole output of a small message in one call (zlib's compressBound plus the
/// flush marker); a large one starts with a chunk and grows.
fn first_output_size(payload_len: usize) -> usize {
    let bound = payload_len + (payload_len >> 12) + (payload_len >> 14) + 13 + 6;
    bound.min(FIRST_OUTPUT_CHUNK)
}

/// §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
fn strip_trailer(out: &mut Vec<u8>, start: usize) -> Result<(), DeflateError> {
    if out.len() < start + TRAILER.len() || !out.ends_with(&TRAILER) {
        return Err(DeflateError::Internal("the sync flush did not end with 00 00 ff ff".into()));
    }
    out.truncate(out.len() - TRAILER.len());
    Ok(())
}
