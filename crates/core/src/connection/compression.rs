//! permessage-deflate on one connection (RFC 7692 §7.2): what the handshake negotiated, the
//! messages the caller asked to have compressed, and their compression by the runtime side when
//! it takes them for writing, so the caller's thread (Node's JS thread) never runs zlib.

use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};

use crate::deflate::options::MIN_WINDOW_BITS;
use crate::deflate::{Compressor, CompressorSettings, DeflateError, DeflateOptions, Decompressor, Params};
use crate::frame::{self, FLAG_FIN, FLAG_RSV1, OPCODE_MASK, OP_CLOSE, OP_CONTINUATION};
use crate::protocol::Role;

/// permessage-deflate as negotiated for one connection.
#[derive(Debug, Clone, Copy)]
pub struct Negotiated {
    pub params: Params,
    pub options: DeflateOptions,
    role: Role,
    /// How what this end sends is compressed: its compressor's settings, worked out once.
    sending: CompressorSettings,
}

impl Negotiated {
    pub fn new(role: Role, params: Params, options: DeflateOptions) -> Self {
        let sending = *Compressor::for_connection(role, &params, &options).settings();
        Negotiated { params, options, role, sending }
    }

    /// The `Sec-WebSocket-Extensions` value in force (the server's response).
    pub fn extensions(&self) -> String {
        self.params.response_header()
    }

    /// The sending direction resets its context per message: a message compressed once for
    /// many sockets (a publish) can be sent to this one as it is.
    pub(super) fn resets_per_message(&self) -> bool {
        self.sending.no_context_takeover
    }

    pub(super) fn compressor(&self) -> Compressor {
        Compressor::for_connection(self.role, &self.params, &self.options)
    }

    pub(super) fn decompressor(&self) -> Decompressor {
        Decompressor::for_connection(self.role, &self.params)
    }

    /// The first header byte a message-API send goes out with: RSV1 from the caller asks for
    /// compression; it stays only on an unfragmented data message worth compressing (§6: the
    /// sender chooses per message; fragmented sends go uncompressed).
    pub(super) fn compress_flags(&self, flags: u8, payload_len: usize) -> u8 {
        let opcode = flags & OPCODE_MASK;
        let whole = flags & FLAG_FIN != 0 && opcode != OP_CONTINUATION && opcode < OP_CLOSE;
        if flags & FLAG_RSV1 != 0 && whole && self.sending.should_compress(payload_len) {
            flags
        } else {
            flags & !FLAG_RSV1
        }
    }
}

/// A message to be compressed by the writer.
pub(super) struct Staged {
    /// The first header byte, RSV1 set.
    pub(super) flags: u8,
    pub(super) payload: Bytes,
    /// A publish to sockets that reset their context per message: compressed once for all of
    /// them (per window size), by whichever writer gets to it first.
    pub(super) shared: Option<Arc<SharedCompression>>,
}

/// One message compressed at most once per window size for every socket it goes to, each
/// compression an independent stream (context reset), so any such socket's peer inflates it.
pub struct SharedCompression {
    payload: Bytes,
    by_window: [OnceLock<Result<Vec<u8>, DeflateError>>; 8],
}

impl SharedCompression {
    pub fn new(payload: Bytes) -> Arc<Self> {
        Arc::new(SharedCompression { payload, by_window: Default::default() })
    }

    pub(super) fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The compressed payload for `negotiated`'s sending window.
    fn compressed(&self, negotiated: &Negotiated) -> Result<&[u8], DeflateError> {
        let settings = negotiated.sending;
        let slot = usize::from(settings.window_bits.saturating_sub(MIN_WINDOW_BITS)).min(self.by_window.len() - 1);
        let compressed = self.by_window[slot].get_or_init(|| Compressor::shared(settings).compress(&self.payload));
        compressed.as_deref().map_err(Clone::clone)
    }
}

/// A staged message compressed and framed (§7.2.1), ready to write.
pub(super) fn frame_staged(message: Staged, compressor: &mut Compressor, negotiated: &Negotiated) -> Result<Bytes, DeflateError> {
    let mut own = Vec::new();
    let compressed = match &message.shared {
        Some(shared) => shared.compressed(negotiated)?,
        None => {
            compressor.compress_into(&message.payload, &mut own)?;
            &own[..]
        }
    };
    let mask = (negotiated.role == Role::Client).then(frame::new_mask);
    let mut out = BytesMut::new();
    frame::encode(message.flags, compressed, mask, &mut out);
    Ok(out.freeze())
}
