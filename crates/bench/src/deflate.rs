//! permessage-deflate (RFC 7692) for the load generator: one compressible text message,
//! compressed once. The offer includes client_no_context_takeover, so every message is compressed
//! from an empty window (section 7.1.1.1) and the same compressed bytes are valid to send again.

use flate2::{Compress, Compression, FlushCompress};

/// The extension offer sent in the upgrade request.
pub const OFFER: &str = "permessage-deflate; client_no_context_takeover";

/// The tail a sync flush leaves (an empty stored block), removed from every message (section 7.2.1).
const SYNC_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// `size` bytes of JSON-like lines, as chat or telemetry traffic looks: compressible, ASCII.
pub fn compressible_text(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 128);
    let mut i = 0u32;
    while out.len() < size {
        let line = format!(
            "{{\"id\":{i},\"user\":\"user-{:04}\",\"event\":\"presence\",\"status\":\"online\",\"room\":\"lobby\"}}\n",
            (i * 7919) % 10_000
        );
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out.truncate(size);
    out
}

/// Raw DEFLATE of `payload` ending in a sync flush, with the sync tail removed (RFC 7692 7.2.1).
pub fn compress_message(payload: &[u8]) -> Vec<u8> {
    let mut compressor = Compress::new(Compression::default(), false);
    let mut out = Vec::with_capacity(payload.len() + 64);
    compressor.compress_vec(payload, &mut out, FlushCompress::Sync).expect("deflate");
    assert!(out.ends_with(&SYNC_TAIL), "a sync flush ends with an empty stored block");
    out.truncate(out.len() - SYNC_TAIL.len());
    out
}

/// Whether the 101 response head accepted permessage-deflate.
pub fn negotiated(response_head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(response_head);
    text.split("\r\n").any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("sec-websocket-extensions")
                && value.split(',').any(|ext| ext.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("permessage-deflate"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Decompress, FlushDecompress};

    #[test]
    fn message_inflates_back_and_can_be_sent_again() {
        let text = compressible_text(1024);
        assert_eq!(text.len(), 1024);
        let compressed = compress_message(&text);
        assert!(compressed.len() < text.len() / 2, "{} bytes", compressed.len());
        // A receiver appends the tail and inflates (RFC 7692 7.2.2). One that keeps its window
        // between messages (no client_no_context_takeover in its reply) gets the same text from
        // the same bytes again, since they refer to nothing before them.
        let mut input = compressed.clone();
        input.extend_from_slice(&SYNC_TAIL);
        let mut inflater = Decompress::new(false);
        for _ in 0..2 {
            let mut out = Vec::with_capacity(2048);
            inflater.decompress_vec(&input, &mut out, FlushDecompress::Sync).unwrap();
            assert_eq!(out, text);
        }
    }

    #[test]
    fn finds_the_accepted_extension() {
        assert!(negotiated(b"HTTP/1.1 101 OK\r\nsec-websocket-extensions: permessage-deflate; client_no_context_takeover\r\n\r\n"));
        assert!(!negotiated(b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n\r\n"));
    }
}
