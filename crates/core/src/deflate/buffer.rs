//! Output buffers that zlib-rs writes into without zero-filling them first.

use std::mem::MaybeUninit;

/// Lets `write` fill up to `max` bytes of `out`'s spare capacity (at least 1 byte is made
/// available first, growing `out` by `grow` bytes if it has none) and keeps the bytes it reports
/// written. Returns `write`'s result.
pub(super) fn append_with<T>(
    out: &mut Vec<u8>,
    max: usize,
    grow: usize,
    write: impl FnOnce(&mut [MaybeUninit<u8>]) -> (T, usize),
) -> T {
    if out.capacity() == out.len() {
        out.reserve_exact(grow.max(1));
    }
    let spare = out.spare_capacity_mut();
    let window = spare.len().min(max.max(1));
    let (result, written) = write(&mut spare[..window]);
    assert!(written <= window, "zlib-rs reported more output than it was given room for");
    // SAFETY: `write` initialized the first `written` bytes of the spare capacity (zlib-rs writes
    // its output contiguously from the start of the slice and counts it in `total_out`), and
    // `written` fits in the capacity (checked above).
    unsafe { out.set_len(out.len() + written) };
    result
}
