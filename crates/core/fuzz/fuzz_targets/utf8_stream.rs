//! `protocol::utf8::Utf8Stream`, the incremental validator of text messages and close reasons.
//!
//! Input layout: `[split] bytes...`. The split byte picks how `bytes` is cut into `feed` calls:
//! low 2 bits 0 = one feed, 1 = one byte per feed, 2 = fixed size `(byte >> 2) + 1`,
//! 3 = pseudo-random sizes 0..=5 seeded by the byte (0 is an empty feed). Every input is also run
//! one byte per feed and in a single feed.
//!
//! Properties:
//! * the verdict (every feed and `finish` Ok) equals `std::str::from_utf8(bytes).is_ok()`;
//! * fail fast (§8.1): a feed fails exactly when its chunk holds the first byte that cannot start
//!   or continue a sequence; feeds before it succeed; a stream that is only cut short
//!   mid-sequence passes every feed and fails at `finish`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poco_websocket_core::protocol::utf8::Utf8Stream;

fuzz_target!(|data: &[u8]| {
    let Some((&split, bytes)) = data.split_first() else {
        return;
    };
    let expected = std::str::from_utf8(bytes);
    // Index of the first byte that makes the stream invalid, when one does (not mere truncation).
    let fail_at = match &expected {
        Ok(_) => None,
        Err(e) => e.error_len().map(|len| {
            let start = e.valid_up_to();
            // A lead byte that cannot start a sequence is itself the culprit; otherwise the
            // culprit is the first byte after the `len` bytes std skipped.
            if matches!(bytes[start], 0xc2..=0xf4) {
                start + len
            } else {
                start
            }
        }),
    };
    for pattern in [split, 1, 0] {
        check(bytes, pattern, expected.is_ok(), fail_at);
    }
});

fn check(bytes: &[u8], pattern: u8, valid: bool, fail_at: Option<usize>) {
    let mut stream = Utf8Stream::default();
    let mut start = 0;
    for chunk in chunks(bytes, pattern) {
        let end = start + chunk.len();
        let result = stream.feed(chunk);
        match fail_at {
            Some(at) if at < end => {
                assert!(result.is_err(), "feed of bytes {start}..{end} passed over invalid byte {at} (pattern {pattern:#04x})");
                assert!(!valid);
                return;
            }
            _ => assert!(result.is_ok(), "feed of bytes {start}..{end} failed early (pattern {pattern:#04x})"),
        }
        start = end;
    }
    assert!(fail_at.is_none());
    assert_eq!(stream.finish().is_ok(), valid, "verdict differs from std::str::from_utf8 (pattern {pattern:#04x})");
    // finish resets the stream: it is empty and valid again.
    assert!(stream.finish().is_ok());
}

fn chunks(bytes: &[u8], pattern: u8) -> Vec<&[u8]> {
    let mut rest = bytes;
    let mut out = Vec::new();
    let mut state = u32::from(pattern) | 0x100;
    loop {
        let size = match pattern & 3 {
            0 => rest.len(),
            1 => 1,
            2 => usize::from(pattern >> 2) + 1,
            _ => {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state % 6) as usize
            }
        };
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        out.push(chunk);
        rest = tail;
        if rest.is_empty() {
            return out;
        }
    }
}
