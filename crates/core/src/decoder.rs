//! The one receive pipeline: bytes in, checked frames (or, in message mode, whole messages) out.
//! The runtime's reader, the protocol tests and the fuzz targets all decode through it.
//!
//! Frames are taken off the front of the read buffer and unmasked in place: a payload that
//! arrived whole is a slice of the buffer it was read into, never copied. Only the fragments of
//! a message being joined are copied, into the message. Text is validated as UTF-8 while it
//! arrives (§8.1 fail fast), so a bad byte fails the connection before the rest of the frame.
//!
//! With permessage-deflate negotiated (RFC 7692), a message whose first frame has RSV1 is
//! inflated fragment by fragment as it arrives, its size limit applied while inflating, and its
//! text validated as it is inflated; it is delivered with RSV1 cleared.

use bytes::{Buf, Bytes, BytesMut};

use crate::deflate::{DeflateError, Decompressor};
use crate::frame::{self, Frame, Header, FLAG_FIN, FLAG_RSV1, OPCODE_MASK, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_TEXT};
use crate::protocol::fragmentation::{Fragmentation, MessageLimits};
use crate::protocol::utf8::Utf8Stream;
use crate::protocol::{close, compression, control, framing, Role, Violation};

/// What the decoder enforces, read from the connection's settings before each call.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// RFC 6455's rules on received frames (module [`crate::protocol`]).
    pub strict: bool,
    /// Largest frame payload; applies with strict checks off too (Poco's `setMaxPayloadSize`).
    pub max_payload: u64,
    /// Limits on one message (all its fragments).
    pub limits: MessageLimits,
    /// Message mode: fragments are joined into one message.
    pub join: bool,
}

/// The receive-side protocol state of one connection.
#[derive(Debug)]
pub struct Decoder {
    role: Role,
    /// The frame at the front of the buffer, once its header has been checked.
    current: Option<Current>,
    fragmentation: Fragmentation,
    text: Utf8Stream,
    close_received: bool,
    /// Message mode: the fragmented message being joined.
    joining: Option<Joining>,
    /// permessage-deflate was negotiated: what inflates compressed messages.
    inflater: Option<Decompressor>,
    /// The data message being received is compressed (its first frame had RSV1).
    compressed: bool,
}

#[derive(Debug, Clone, Copy)]
struct Current {
    header: Header,
    /// Its payload is (part of) a text message and is validated as UTF-8.
    text: bool,
    /// Payload bytes already unmasked (and validated, for text) while the frame was arriving.
    checked: usize,
    /// Dropped, not delivered: it came after the peer's CLOSE (§5.5.1).
    dropped: bool,
    /// A frame of a compressed message: inflated before it is delivered or validated.
    compressed: bool,
}

#[derive(Debug)]
struct Joining {
    /// The first fragment's first byte, with FIN set (and RSV1 cleared once inflated).
    flags: u8,
    payload: Vec<u8>,
}

impl Decoder {
    pub fn new(role: Role) -> Self {
        Decoder::with_inflater(role, None)
    }

    /// A decoder for a connection that negotiated permessage-deflate (`Some`): RSV1 marks a
    /// compressed message, which message mode inflates.
    pub fn with_inflater(role: Role, inflater: Option<Decompressor>) -> Self {
        Decoder {
            role,
            current: None,
            fragmentation: Fragmentation::default(),
            text: Utf8Stream::default(),
            close_received: false,
            joining: None,
            inflater,
            compressed: false,
        }
    }

    /// Whether the peer's CLOSE has arrived (strict checks on).
    pub fn close_received(&self) -> bool {
        self.close_received
    }

    /// Takes every complete frame off the front of `buf` and pushes what the caller receives onto
    /// `out`: each frame, or in message mode each whole message and each control frame. Returns
    /// how many bytes `buf` must hold to complete the next frame. On a violation, what came
    /// before it is in `out` (the caller can still answer it) and `buf` is left as it was.
    pub fn decode(&mut self, buf: &mut BytesMut, policy: &Policy, out: &mut Vec<Frame>) -> Result<usize, Violation> {
        loop {
            let current = match self.current {
                Some(current) => current,
                None => {
                    let Some(header) = frame::parse_header(buf) else {
                        return Ok(frame::header_needed(buf));
                    };
                    let current = self.check_header(header, policy)?;
                    self.current = Some(current);
                    current
                }
            };
            let header = current.header;
            // Fits in usize: checked against max_payload, and a larger max cannot be allocated.
            let total = header.len.saturating_add(usize::try_from(header.payload_len).unwrap_or(usize::MAX));
            if buf.len() < total {
                self.check_partial(buf)?;
                return Ok(total);
            }
            self.current = None;
            buf.advance(header.len);
            let mut payload = buf.split_to(total - header.len);
            if let Some(mask) = header.mask {
                frame::apply_mask_from(&mut payload[current.checked..], mask, current.checked);
            }
            let frame = Frame { flags: header.flags, payload: payload.freeze() };
            if policy.strict {
                if current.dropped {
                    continue;
                }
                self.check_frame(&frame, &current)?;
            }
            if current.compressed && policy.join {
                self.deliver_compressed(frame, policy, out)?;
            } else {
                self.deliver(frame, policy, out)?;
            }
        }
    }

    /// The checks that need only the header, before any of the payload is read.
    fn check_header(&mut self, header: Header, policy: &Policy) -> Result<Current, Violation> {
        framing::check_payload_length(&header, policy.max_payload)?;
        let mut current = Current { header, text: false, checked: 0, dropped: false, compressed: false };
        let opcode = header.flags & OPCODE_MASK;
        if !policy.strict {
            current.compressed = self.track_compression(opcode, header.flags & FLAG_RSV1 != 0);
            return Ok(current);
        }
        if self.close_received {
            // §5.5.1: after a CLOSE, "the endpoint … MUST NOT send any more data frames": what a
            // peer sends anyway is ignored.
            current.dropped = true;
            return Ok(current);
        }
        let rsv1 = match self.inflater {
            Some(_) => compression::check_compressed_bit(&header)?,
            None => framing::check_reserved_bits(&header).map(|()| false)?,
        };
        framing::check_opcode(opcode)?;
        framing::check_masking(self.role, &header)?;
        if opcode >= OP_CLOSE {
            control::check_control_header(&header)?;
        } else {
            let text = self.fragmentation.on_data_header(&header, policy.limits)?;
            current.compressed = self.track_compression(opcode, rsv1);
            // Compressed text is validated once inflated.
            current.text = text && !current.compressed;
        }
        Ok(current)
    }

    /// Whether a data frame belongs to a compressed message: its first frame says so for all.
    fn track_compression(&mut self, opcode: u8, rsv1: bool) -> bool {
        if self.inflater.is_none() || opcode >= OP_CLOSE {
            return false;
        }
        if opcode != OP_CONTINUATION {
            self.compressed = rsv1;
        }
        self.compressed
    }

    /// Unmasks and validates the text bytes of the incomplete frame at the front as they arrive,
    /// so an invalid byte fails the connection before the rest of the frame comes.
    fn check_partial(&mut self, buf: &mut BytesMut) -> Result<(), Violation> {
        let Some(current) = self.current.as_mut().filter(|c| c.text && !c.dropped) else { return Ok(()) };
        let start = current.header.len + current.checked;
        if buf.len() <= start {
            return Ok(());
        }
        let arrived = &mut buf[start..];
        if let Some(mask) = current.header.mask {
            frame::apply_mask_from(arrived, mask, current.checked);
        }
        current.checked += arrived.len();
        self.text.feed(arrived).map_err(|_| Violation::InvalidText)
    }

    /// The checks on a complete frame.
    fn check_frame(&mut self, frame: &Frame, current: &Current) -> Result<(), Violation> {
        if current.text {
            self.text.feed(&frame.payload[current.checked..]).map_err(|_| Violation::InvalidText)?;
            if frame.flags & FLAG_FIN != 0 {
                self.text.finish().map_err(|_| Violation::InvalidText)?;
            }
        }
        if frame.flags & OPCODE_MASK == OP_CLOSE {
            close::check_close_payload(&frame.payload)?;
            self.close_received = true;
        }
        Ok(())
    }

    /// Hands `frame` to the caller, or in message mode joins it into its message (§5.4).
    fn deliver(&mut self, frame: Frame, policy: &Policy, out: &mut Vec<Frame>) -> Result<(), Violation> {
        if !policy.join {
            out.push(frame);
            return Ok(());
        }
        let fin = frame.flags & FLAG_FIN != 0;
        match (frame.flags & OPCODE_MASK, &mut self.joining) {
            (OP_TEXT | OP_BINARY, None) if fin => out.push(frame),
            (OP_TEXT | OP_BINARY, None) => {
                self.joining = Some(Joining { flags: frame.flags | FLAG_FIN, payload: frame.payload.to_vec() });
            }
            (OP_CONTINUATION, Some(joining)) => {
                // Bounded also with strict checks off, where the fragmentation rules do not run.
                let size = joining.payload.len() as u64 + frame.payload.len() as u64;
                if size > policy.limits.max_message_size {
                    return Err(Violation::MessageTooBig { size, limit: policy.limits.max_message_size });
                }
                joining.payload.extend_from_slice(&frame.payload);
                if fin {
                    let joining = self.joining.take().expect("a message is being joined");
                    out.push(Frame { flags: joining.flags, payload: Bytes::from(joining.payload) });
                }
            }
            // Control frames, and with strict checks off fragments out of order or reserved
            // opcodes: as they came (a message API has nothing better to do with them).
            _ => out.push(frame),
        }
        Ok(())
    }

    /// Message mode, RFC 7692 §7.2.2: inflates a frame of a compressed message onto the message,
    /// within the message size limit, validating text as it is inflated (§8.1 fail fast).
    fn deliver_compressed(&mut self, frame: Frame, policy: &Policy, out: &mut Vec<Frame>) -> Result<(), Violation> {
        let fin = frame.flags & FLAG_FIN != 0;
        let mut joining = match self.joining.take() {
            Some(joining) if frame.flags & OPCODE_MASK == OP_CONTINUATION => joining,
            Some(_) => {
                // Strict checks off and a new message inside an open one: as for uncompressed
                // frames out of order, delivered as it came.
                out.push(frame);
                return Ok(());
            }
            None => Joining { flags: (frame.flags | FLAG_FIN) & !FLAG_RSV1, payload: Vec::new() },
        };
        let limit = usize::try_from(policy.limits.max_message_size).unwrap_or(usize::MAX);
        let inflater = self.inflater.as_mut().expect("compressed frames need an inflater");
        let inflated = joining.payload.len();
        inflater.decompress_fragment(&frame.payload, fin, limit, &mut joining.payload).map_err(|error| match error {
            DeflateError::TooBig { limit } => Violation::InflatedTooBig { limit: limit as u64 },
            DeflateError::Corrupt(reason) | DeflateError::Internal(reason) => Violation::InvalidCompressedData(reason),
        })?;
        if policy.strict && joining.flags & OPCODE_MASK == OP_TEXT {
            self.text.feed(&joining.payload[inflated..]).map_err(|_| Violation::InvalidText)?;
            if fin {
                self.text.finish().map_err(|_| Violation::InvalidText)?;
            }
        }
        if fin {
            out.push(Frame { flags: joining.flags, payload: Bytes::from(joining.payload) });
        } else {
            self.joining = Some(joining);
        }
        Ok(())
    }
}
