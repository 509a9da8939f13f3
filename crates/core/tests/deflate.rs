//! permessage-deflate (`poco_websocket_core::deflate`) without sockets. RFC 7692 sections covered:
//! §5 (negotiation: offers, responses, declining), §7.1.1 (context takeover parameters), §7.1.2
//! (window bits parameters), §7.2.1 (compression: raw DEFLATE, sync flush, trailer removed),
//! §7.2.2 (decompression: trailer appended), §7.2.3.1-§7.2.3.6 (the "Hello" examples), and
//! RFC 6455 §9.1 (the `Sec-WebSocket-Extensions` grammar). Hostile-input matrix H8, C4 and D1-D3.
//! The negotiation cases follow ws's own tests (`test/permessage-deflate.test.js`,
//! `test/extension.test.js`); independent implementations are miniz_oxide (both directions) and
//! zlib-rs's inflater held to a strict window.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use miniz_oxide::deflate::core::CompressorOxide;
use miniz_oxide::{DataFormat, MZFlush, MZStatus};
use poco_websocket_core::deflate::extensions::{self, Extension, Param};
use poco_websocket_core::deflate::negotiation::{self, Direction};
use poco_websocket_core::deflate::{
    Compressor, CompressorSettings, DeflateError, DeflateOptions, Decompressor, NegotiationError, Params, WindowBits,
    TRAILER,
};
use poco_websocket_core::Role;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Counts this thread's live heap bytes, so a test can bound what one call allocates.
struct CountingAllocator;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + delta);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            account(layout.size() as isize);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        account(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            account(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The most this thread's heap grew above its level at the start while `run` ran.
fn peak_heap_growth<T>(run: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    let result = run();
    (result, (PEAK.with(Cell::get) - start).max(0) as usize)
}

const HELLO: &[u8] = &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
const HELLO_AGAIN: &[u8] = &[0xf2, 0x00, 0x11, 0x00, 0x00];
const UNLIMITED: usize = usize::MAX;

fn settings(window_bits: u8, no_context_takeover: bool) -> CompressorSettings {
    CompressorSettings::new(Direction { window_bits, no_context_takeover }, &DeflateOptions::default())
}

fn decompressor(no_context_takeover: bool) -> Decompressor {
    Decompressor::new(Direction { window_bits: 15, no_context_takeover })
}

fn inflate(decompressor: &mut Decompressor, payload: &[u8]) -> Result<Vec<u8>, DeflateError> {
    decompressor.decompress([payload], UNLIMITED)
}

/// Text that compresses like chat or JSON traffic.
fn text(len: usize, seed: u32) -> Vec<u8> {
    let words = ["alpha", "beta", "gamma", "delta", "{\"id\":", "\"name\":", "\"value\":", "true", "null", "websocket"];
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        out.extend_from_slice(words[(state % words.len() as u32) as usize].as_bytes());
        out.push(if state & 0x100 == 0 { b' ' } else { b',' });
        if state & 0xf000 == 0 {
            out.extend_from_slice(&(state % 100_000).to_string().into_bytes());
        }
    }
    out.truncate(len);
    out
}

/// Incompressible bytes.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// An independent inflater: miniz_oxide, on a message of ours completed by the trailer and a
/// final empty stored block (the stream otherwise never ends).
fn miniz_inflate(message: &[u8]) -> Vec<u8> {
    let mut stream = message.to_vec();
    stream.extend_from_slice(&TRAILER);
    stream.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    miniz_oxide::inflate::decompress_to_vec(&stream).expect("miniz_oxide inflates our output")
}

/// An independent compressor keeping its context across messages: miniz_oxide with sync
/// flushes, the trailer removed (§7.2.1).
struct MinizSender(Box<CompressorOxide>);

impl MinizSender {
    fn new() -> Self {
        let mut compressor = Box::<CompressorOxide>::default();
        compressor.set_format_and_level(DataFormat::Raw, 6);
        MinizSender(compressor)
    }

    fn send(&mut self, message: &[u8]) -> Vec<u8> {
        let mut out = vec![0; message.len() * 2 + 64];
        let result = miniz_oxide::deflate::stream::deflate(&mut self.0, message, &mut out, MZFlush::Sync);
        assert_eq!(result.status, Ok(MZStatus::Ok));
        assert_eq!(result.bytes_consumed, message.len());
        out.truncate(result.bytes_written);
        assert!(out.ends_with(&TRAILER));
        out.truncate(out.len() - TRAILER.len());
        out
    }
}

/// zlib-rs's inflater held to a `window_bits` window: a distance beyond it is a data error. Our
/// decompressor always uses 15 bits, so this is what proves the compressor honours its window.
fn strict_inflate(window_bits: u8, messages: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut inflate = zlib_rs::Inflate::new(false, window_bits);
    messages
        .iter()
        .map(|message| {
            let mut input = message.clone();
            input.extend_from_slice(&TRAILER);
            let mut out = vec![0; 4 << 20];
            let before = inflate.total_out();
            let status = inflate.decompress(&input, &mut out, zlib_rs::InflateFlush::SyncFlush);
            assert!(
                matches!(status, Ok(zlib_rs::Status::Ok)),
                "a {window_bits}-bit inflater refused the stream: {status:?} {:?}",
                inflate.error_message()
            );
            out.truncate((inflate.total_out() - before) as usize);
            out
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// RFC 7692 §7.2.3: the examples

#[test]
fn hello_compresses_to_the_rfc_bytes_and_again_with_a_back_reference() {
    // §7.2.3.1 and §7.2.3.2.
    let mut compressor = Compressor::new(settings(15, false));
    assert_eq!(compressor.compress(b"Hello").unwrap(), HELLO);
    assert_eq!(compressor.compress(b"Hello").unwrap(), HELLO_AGAIN, "§7.2.3.2: the second refers to the first");
}

#[test]
fn without_context_takeover_every_hello_is_the_first() {
    // §7.2.3.2: "If the "agreed parameters" contain the "client_no_context_takeover" …, the
    // payload of the second message will be the same as the first".
    let mut compressor = Compressor::new(settings(15, true));
    assert_eq!(compressor.compress(b"Hello").unwrap(), HELLO);
    assert_eq!(compressor.compress(b"Hello").unwrap(), HELLO);
}

#[test]
fn the_rfc_hello_payloads_inflate() {
    let mut receiver = decompressor(false);
    // §7.2.3.1, unfragmented, then the §7.2.3.2 back-reference into it.
    assert_eq!(inflate(&mut receiver, HELLO).unwrap(), b"Hello");
    assert_eq!(inflate(&mut receiver, HELLO_AGAIN).unwrap(), b"Hello");
    // §7.2.3.1, fragmented: 0x41 0x03 0xf2 0x48 0xcd, then 0x80 0x04 0xc9 0xc9 0x07 0x00.
    let mut receiver = decompressor(false);
    assert_eq!(receiver.decompress([&HELLO[..3], &HELLO[3..]], UNLIMITED).unwrap(), b"Hello");
    // §7.2.3.3: a DEFLATE block with no compression.
    let stored = [0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00];
    assert_eq!(inflate(&mut decompressor(false), &stored).unwrap(), b"Hello");
    // §7.2.3.4: a block with BFINAL set, followed here by one more byte.
    let final_block = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let mut receiver = decompressor(false);
    assert_eq!(inflate(&mut receiver, &final_block).unwrap(), b"Hello");
    assert_eq!(inflate(&mut receiver, HELLO).unwrap(), b"Hello", "a new stream starts after a final block");
    // §7.2.3.5: two DEFLATE blocks in one message.
    let two_blocks = [0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(inflate(&mut decompressor(false), &two_blocks).unwrap(), b"Hello");
}

#[test]
fn an_empty_fragment_and_an_empty_message() {
    // §7.2.3.6: a sender that flushed "Hello" in full (trailer kept) ends the message with an
    // empty fragment holding only the start of the next empty stored block, 0x00.
    let mut flushed = HELLO.to_vec();
    flushed.extend_from_slice(&TRAILER);
    assert_eq!(decompressor(false).decompress([&flushed[..], &[0x00]], UNLIMITED).unwrap(), b"Hello");
    // An empty message compresses to that single 0x00, with and without earlier context, and
    // leaves the context usable.
    let mut compressor = Compressor::new(settings(15, false));
    assert_eq!(compressor.compress(b"").unwrap(), [0x00]);
    assert_eq!(compressor.compress(b"Hello").unwrap(), HELLO);
    assert_eq!(compressor.compress(b"").unwrap(), [0x00]);
    assert_eq!(compressor.compress(b"Hello").unwrap(), HELLO_AGAIN);
    let mut receiver = decompressor(false);
    for (payload, message) in [(&[0x00][..], &b""[..]), (HELLO, b"Hello"), (&[0x00], b""), (HELLO_AGAIN, b"Hello")] {
        assert_eq!(inflate(&mut receiver, payload).unwrap(), message);
    }
    // A compressed frame with an empty payload is the trailer alone: an empty message.
    assert_eq!(inflate(&mut decompressor(false), &[]).unwrap(), b"");
    assert_eq!(decompressor(false).decompress(std::iter::empty::<&[u8]>(), UNLIMITED).unwrap(), b"");
}

// ---------------------------------------------------------------------------------------------
// Round trips and interop

#[test]
fn round_trips_at_every_window_and_takeover() {
    let messages: Vec<Vec<u8>> = vec![
        text(1024, 1),
        text(1024, 1),
        b"Hello".to_vec(),
        Vec::new(),
        noise(3000, 7),
        text(200_000, 2),
        text(70_000, 3),
    ];
    for window_bits in 8..=15 {
        for no_context_takeover in [false, true] {
            let mut sender = Compressor::new(settings(window_bits, no_context_takeover));
            let mut receiver = decompressor(no_context_takeover);
            let sent: Vec<Vec<u8>> = messages.iter().map(|m| sender.compress(m).unwrap()).collect();
            for (message, compressed) in messages.iter().zip(&sent) {
                assert_eq!(&inflate(&mut receiver, compressed).unwrap(), message, "{window_bits} bits");
            }
            // The compressor stays inside the agreed window (8 bits: zlib deflates with 9, whose
            // distances still fit in 256 bytes).
            assert_eq!(strict_inflate(window_bits, &sent), messages, "{window_bits} bits, strict window");
            if no_context_takeover {
                for (message, compressed) in messages.iter().zip(&sent) {
                    assert_eq!(&miniz_inflate(compressed), message, "stands alone at {window_bits} bits");
                }
            } else {
                // With takeover the messages are one stream, each ended by its sync flush.
                let stream = sent.join(&TRAILER[..]);
                assert_eq!(miniz_inflate(&stream), messages.concat(), "one stream at {window_bits} bits");
            }
        }
    }
}

#[test]
fn round_trips_at_every_level_and_mem_level() {
    let message = text(20_000, 9);
    for level in 0..=9 {
        for mem_level in 1..=9 {
            let options = DeflateOptions { level, mem_level, ..DeflateOptions::default() };
            let mut sender = Compressor::new(CompressorSettings::new(
                Direction { window_bits: 12, no_context_takeover: false },
                &options,
            ));
            let mut receiver = decompressor(false);
            for _ in 0..3 {
                let compressed = sender.compress(&message).unwrap();
                assert_eq!(inflate(&mut receiver, &compressed).unwrap(), message, "level {level}, memLevel {mem_level}");
            }
        }
    }
}

#[test]
fn context_takeover_shrinks_repeated_messages() {
    let message = text(1024, 5);
    let mut keeping = Compressor::new(settings(15, false));
    let mut resetting = Compressor::new(settings(15, true));
    let first = keeping.compress(&message).unwrap();
    let again = keeping.compress(&message).unwrap();
    assert!(again.len() * 4 < first.len(), "{} then {}", first.len(), again.len());
    assert_eq!(resetting.compress(&message).unwrap(), first);
    assert_eq!(resetting.compress(&message).unwrap(), first);
}

#[test]
fn messages_from_an_independent_compressor_inflate_with_context() {
    let mut sender = MinizSender::new();
    let mut receiver = decompressor(false);
    for seed in 0..20 {
        let message = text(500 + seed as usize * 300, seed % 3);
        assert_eq!(inflate(&mut receiver, &sender.send(&message)).unwrap(), message);
    }
    // Whole streams with a final block, one per message (RFC 7692 §7.2.3.4's style).
    let mut receiver = decompressor(false);
    for level in [0, 1, 6, 10] {
        let message = text(10_000, level as u32);
        let stream = miniz_oxide::deflate::compress_to_vec(&message, level);
        assert_eq!(inflate(&mut receiver, &stream).unwrap(), message, "level {level}");
    }
}

#[test]
fn fragments_split_anywhere_inflate_to_the_message() {
    let message = text(5000, 4);
    let compressed = Compressor::new(settings(15, false)).compress(&message).unwrap();
    for split in [0, 1, 2, compressed.len() / 3, compressed.len() - 1, compressed.len()] {
        let (first, rest) = compressed.split_at(split);
        let (second, third) = rest.split_at(rest.len() / 2);
        let mut out = Vec::new();
        let mut receiver = decompressor(false);
        receiver.decompress_fragment(first, false, UNLIMITED, &mut out).unwrap();
        receiver.decompress_fragment(second, false, UNLIMITED, &mut out).unwrap();
        receiver.decompress_fragment(third, true, UNLIMITED, &mut out).unwrap();
        assert_eq!(out, message, "split at {split}");
    }
}

#[test]
fn compress_into_appends_after_what_the_buffer_holds() {
    let mut out = vec![0xaa; 10];
    Compressor::new(settings(15, false)).compress_into(b"Hello", &mut out).unwrap();
    assert_eq!(&out[..10], &[0xaa; 10]);
    assert_eq!(&out[10..], HELLO);
}

#[test]
fn the_peers_no_context_takeover_resets_our_window() {
    // §7.1.1: after a message, a peer without context takeover cannot refer back; a receiver that
    // reset its window reports such a reference as corrupt data.
    let mut receiver = decompressor(true);
    assert_eq!(inflate(&mut receiver, HELLO).unwrap(), b"Hello");
    assert!(matches!(inflate(&mut receiver, HELLO_AGAIN), Err(DeflateError::Corrupt(_))));
    // With takeover the same bytes are the second "Hello".
    let mut receiver = decompressor(false);
    assert_eq!(inflate(&mut receiver, HELLO).unwrap(), b"Hello");
    assert_eq!(inflate(&mut receiver, HELLO_AGAIN).unwrap(), b"Hello");
}

#[test]
fn compressors_and_decompressors_can_move_between_runtime_threads() {
    fn movable<T: Send + 'static>() {}
    movable::<Compressor>();
    movable::<Decompressor>();
    movable::<NegotiationError>();
    movable::<DeflateError>();
}

#[test]
fn threshold_applies_only_without_context_takeover() {
    // ws (lib/sender.js): below `threshold` a message is sent uncompressed only when our own
    // side resets its context per message.
    let keeping = Compressor::new(settings(15, false));
    let resetting = Compressor::new(settings(15, true));
    assert!(keeping.should_compress(1) && keeping.should_compress(0));
    assert!(!resetting.should_compress(1023));
    assert!(resetting.should_compress(1024));
}

// ---------------------------------------------------------------------------------------------
// Shared compressor (uWS SHARED_COMPRESSOR)

#[test]
fn a_shared_compressor_serves_interleaved_sockets_without_context() {
    let first_socket = Compressor::shared(settings(15, false));
    let second_socket = Compressor::shared(settings(15, false));
    assert!(first_socket.settings().no_context_takeover, "shared implies no context takeover");
    let (mut first_socket, mut second_socket) = (first_socket, second_socket);
    let mut first_receiver = decompressor(true);
    let mut second_receiver = decompressor(true);
    for round in 0..5 {
        let a = text(2000, round);
        let b = text(1500, round + 100);
        let sent_a = first_socket.compress(&a).unwrap();
        let sent_b = second_socket.compress(&b).unwrap();
        // Each message is what a fresh compressor makes of it: nothing leaks between sockets.
        assert_eq!(sent_a, Compressor::new(settings(15, true)).compress(&a).unwrap());
        assert_eq!(sent_b, Compressor::new(settings(15, true)).compress(&b).unwrap());
        assert_eq!(inflate(&mut first_receiver, &sent_a).unwrap(), a);
        assert_eq!(inflate(&mut second_receiver, &sent_b).unwrap(), b);
    }
    // Another thread has its own shared compressor.
    let elsewhere = std::thread::spawn(|| Compressor::shared(settings(15, true)).compress(b"Hello").unwrap());
    assert_eq!(elsewhere.join().unwrap(), HELLO);
}

#[test]
fn a_server_with_a_shared_compressor_negotiates_server_no_context_takeover() {
    let options = DeflateOptions { shared_compressor: true, ..DeflateOptions::default() };
    let params = negotiation::accept(&options, ["permessage-deflate; client_max_window_bits"]).unwrap().unwrap();
    assert!(params.server_no_context_takeover);
    assert_eq!(params.response_header(), "permessage-deflate; server_no_context_takeover");
    assert!(Compressor::for_connection(Role::Server, &params, &options).settings().no_context_takeover);
    let refused = DeflateOptions { server_no_context_takeover: Some(false), ..options };
    assert!(matches!(refused.validate(), Err(NegotiationError::InvalidOptions(_))));
}

// ---------------------------------------------------------------------------------------------
// Decompression bombs and corrupt streams (matrix D1, D3)

#[test]
fn a_bomb_fails_as_too_big_once_past_the_limit_with_bounded_memory() {
    let zeros = vec![0u8; 1 << 20];
    let bomb = Compressor::new(settings(15, true)).compress(&zeros).unwrap();
    assert!(bomb.len() < 2048, "1 MiB of zeros compresses to {} bytes", bomb.len());
    let limit = 64 * 1024;
    let mut receiver = decompressor(false);
    let mut out = Vec::new();
    let (result, growth) = peak_heap_growth(|| receiver.decompress_fragment(&bomb, true, limit, &mut out));
    assert_eq!(result, Err(DeflateError::TooBig { limit }));
    assert!(out.len() <= limit + 1, "{} bytes inflated past a limit of {limit}", out.len());
    // The output (at most limit + 1 bytes, in a buffer grown by doubling) and zlib-rs's inflate
    // state (a 32 KiB window plus tables): nowhere near the 1 MiB the bomb holds.
    assert!(growth < 2 * limit + 64 * 1024, "inflating the bomb grew the heap by {growth} bytes");
    // The connection is failed after this; the decompressor is usable again all the same.
    assert_eq!(inflate(&mut receiver, HELLO).unwrap(), b"Hello");
}

#[test]
fn the_limit_counts_the_whole_message_across_fragments() {
    let message = text(100_000, 8);
    let compressed = Compressor::new(settings(15, false)).compress(&message).unwrap();
    let exact = message.len();
    assert_eq!(decompressor(false).decompress([&compressed[..]], exact).unwrap(), message, "exactly at the limit");
    assert_eq!(decompressor(false).decompress([&compressed[..]], exact - 1), Err(DeflateError::TooBig { limit: exact - 1 }));
    // Split in three: the fragment that crosses the limit fails; the earlier ones did not.
    let third = compressed.len() / 3;
    let limit = 40_000;
    let mut receiver = decompressor(false);
    let mut out = Vec::new();
    let fragments = [&compressed[..third], &compressed[third..2 * third], &compressed[2 * third..]];
    let failure = (0..3).find_map(|i| receiver.decompress_fragment(fragments[i], i == 2, limit, &mut out).err().map(|e| (i, e)));
    assert!(matches!(failure, Some((1 | 2, DeflateError::TooBig { .. }))), "{failure:?}");
    assert!(out.len() <= limit + 1);
}

#[test]
fn corrupt_streams_are_errors_and_the_next_message_starts_clean() {
    let mut receiver = decompressor(false);
    // BTYPE 11 is reserved (RFC 1951 §3.2.3).
    assert!(matches!(inflate(&mut receiver, &[0xff, 0xff, 0xff]), Err(DeflateError::Corrupt(_))));
    assert_eq!(inflate(&mut receiver, HELLO).unwrap(), b"Hello");
    // A stored block whose NLEN is not the complement of LEN.
    assert!(matches!(inflate(&mut receiver, &[0x00, 0x05, 0x00, 0x00, 0x00, b'H']), Err(DeflateError::Corrupt(_))));
    // A back-reference before the start of the stream.
    assert!(matches!(inflate(&mut decompressor(false), HELLO_AGAIN), Err(DeflateError::Corrupt(_))));
    // Random bytes never panic, and never yield more than the limit.
    for seed in 1..200 {
        let junk = noise(64, seed);
        if let Ok(out) = decompressor(false).decompress([&junk[..]], 4096) {
            assert!(out.len() <= 4096);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 6455 §9.1 grammar (matrix H8)

fn param(name: &str, value: Option<&str>) -> Param {
    Param { name: name.into(), value: value.map(Into::into) }
}

fn syntax_error_index(field: &str) -> (usize, bool) {
    match extensions::parse([field]) {
        Err(NegotiationError::Syntax { field: 0, index, end_of_input }) => (index, end_of_input),
        other => panic!("{field:?} parsed as {other:?}"),
    }
}

#[test]
fn extension_lists_parse_as_ws_parses_them() {
    assert_eq!(
        extensions::parse(["foo;bar;baz=1;bar=2"]).unwrap(),
        [Extension {
            name: "foo".into(),
            params: vec![param("bar", None), param("baz", Some("1")), param("bar", Some("2"))]
        }]
    );
    let names: Vec<_> = extensions::parse(["foo,bar;baz,foo;baz"]).unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["foo", "bar", "foo"]);
    // Quoted values, unescaped (RFC 6455 §9.1: they must be tokens once unescaped).
    for (field, value) in [("foo;bar=\"hi\"", "hi"), ("foo;bar=\"\\0\"", "0"), ("foo;bar=\"b\\a\\z\"", "baz")] {
        assert_eq!(extensions::parse([field]).unwrap()[0].params, [param("bar", Some(value))], "{field}");
    }
    // Optional whitespace around `,` and `;`, and (as after Node's trimming) at the ends.
    let spaced = extensions::parse([" \tfoo; bar\t; \tbaz=1\t ;  bar=\"1\"\t\t, \tqux\t ;norf "]).unwrap();
    assert_eq!(spaced[0].params, [param("bar", None), param("baz", Some("1")), param("bar", Some("1"))]);
    assert_eq!(spaced[1], Extension { name: "qux".into(), params: vec![param("norf", None)] });
    // Several fields are one list.
    assert_eq!(extensions::parse(["a", "b; c"]).unwrap().len(), 2);
    // Names are kept as written: `__proto__` and `constructor` are just names.
    let odd = extensions::parse(["__proto__; constructor, hasOwnProperty"]).unwrap();
    assert_eq!(odd[0].name, "__proto__");
    assert_eq!(odd[0].params, [param("constructor", None)]);
}

#[test]
fn malformed_extension_lists_fail_at_the_index_ws_reports() {
    for (field, index) in [
        // Empty names.
        (",", 0),
        ("foo,,", 4),
        ("foo,  ,", 6),
        ("foo;=", 4),
        ("foo; =", 5),
        ("foo;;", 4),
        ("foo; ;", 5),
        ("foo;bar=,", 8),
        ("foo;bar=\"\"", 9),
        // Misplaced whitespace.
        ("f oo", 2),
        ("foo;ba r", 7),
        ("foo;bar =", 8),
        ("foo;bar= ", 8),
        ("foo;bar=ba z", 11),
        // Characters outside tokens.
        ("f@o", 1),
        ("f\\oo", 1),
        ("\"foo\"", 0),
        ("f\"oo\"", 1),
        ("foo;b@r", 5),
        ("foo;b\\ar", 5),
        ("foo;\"bar\"", 4),
        ("foo;b\"ar\"", 5),
        ("foo;bar=b@z", 9),
        ("foo;bar=b\\az ", 9),
        ("foo;bar=\"b@z\"", 10),
        ("foo;bar=\"baz;\"", 12),
        ("foo;bar=b\"az\"", 9),
        ("foo;bar=\"\\\\\"", 10),
        ("foo;bar=\"baz\"qux", 13),
        ("foo;bar=\"baz\" qux", 14),
        ("permessage-deflate\u{e9}", 18),
    ] {
        assert_eq!(syntax_error_index(field), (index, false), "{field:?}");
    }
    for field in ["", "foo, ", "foo;", "foo;bar,", "foo;bar; ", "foo;bar=", "foo;bar=\"baz", "foo;bar=\"1\\"] {
        assert!(syntax_error_index(field).1, "{field:?} ends too early");
    }
    // The field is named in the error.
    assert_eq!(
        extensions::parse(["ok", "bad;"]),
        Err(NegotiationError::Syntax { field: 1, index: 4, end_of_input: true })
    );
}

#[test]
fn hostile_extension_lists_parse_in_one_pass() {
    // Matrix H8: `b`, 32k spaces, `x`: one error at the `x`, found in one pass.
    let spaces = format!("b{}x", " ".repeat(32 * 1024));
    assert_eq!(syntax_error_index(&spaces), (32 * 1024 + 1, false));
    let spaces_then_param = format!("permessage-deflate{};{}x=1", " ".repeat(32 * 1024), "\t".repeat(32 * 1024));
    assert_eq!(extensions::parse([spaces_then_param.as_str()]).unwrap()[0].params, [param("x", Some("1"))]);
    // Many extensions and parameters, and long escaped values: linear, no blow-up.
    let many = "a;b=\"c\",".repeat(20_000) + "z";
    assert_eq!(extensions::parse([many.as_str()]).unwrap().len(), 20_001);
    let escaped = format!("a;b=\"{}\"", "\\x".repeat(50_000));
    assert_eq!(extensions::parse([escaped.as_str()]).unwrap()[0].params[0].value.as_ref().unwrap().len(), 50_000);
    // Thousands of repeated permessage-deflate parameters are refused at the first repeat.
    let repeated = format!("permessage-deflate{}", "; server_no_context_takeover".repeat(5_000));
    assert!(matches!(
        negotiation::accept(&DeflateOptions::default(), [repeated.as_str()]),
        Err(NegotiationError::InvalidParameter(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Negotiation, server side (RFC 7692 §5, §7.1; ws acceptAsServer, matrix H8)

fn answer(options: &DeflateOptions, fields: &[&str]) -> Result<Option<String>, NegotiationError> {
    negotiation::accept(options, fields.iter().copied()).map(|params| params.map(|p| p.response_header()))
}

fn accepted(options: &DeflateOptions, offer: &str) -> String {
    answer(options, &[offer]).unwrap_or_else(|e| panic!("{offer}: {e}")).unwrap_or_else(|| panic!("{offer}: declined"))
}

#[test]
fn the_server_accepts_offers_as_ws_does() {
    let defaults = DeflateOptions::default();
    for (offer, response) in [
        ("permessage-deflate", "permessage-deflate"),
        // ws's client and browsers offer this: a value-less client_max_window_bits is answered
        // with nothing (the client may use 15 bits).
        ("permessage-deflate; client_max_window_bits", "permessage-deflate"),
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11",
        ),
        ("permessage-deflate; server_max_window_bits=\"10\"", "permessage-deflate; server_max_window_bits=10"),
        ("permessage-deflate; server_max_window_bits=8", "permessage-deflate; server_max_window_bits=8"),
        // Unknown extensions are ignored, wherever they are.
        ("x-webkit-deflate-frame, permessage-deflate", "permessage-deflate"),
        ("__proto__, constructor, permessage-deflate", "permessage-deflate"),
    ] {
        assert_eq!(accepted(&defaults, offer), response, "{offer}");
    }
    // Several header fields.
    assert_eq!(
        answer(&defaults, &["foo", "permessage-deflate; client_max_window_bits"]).unwrap().as_deref(),
        Some("permessage-deflate")
    );
    // No permessage-deflate offer: no extension, no error.
    assert_eq!(answer(&defaults, &["x-webkit-deflate-frame"]), Ok(None));
    assert_eq!(answer(&defaults, &[]), Ok(None));
    // ws's "Permessage-Deflate" is another extension (names are compared as written).
    assert_eq!(answer(&defaults, &["Permessage-Deflate"]), Ok(None));
}

#[test]
fn the_server_applies_its_options_as_ws_does() {
    let preferring = DeflateOptions {
        server_no_context_takeover: Some(true),
        client_no_context_takeover: Some(true),
        server_max_window_bits: WindowBits::Max(12),
        client_max_window_bits: WindowBits::Max(11),
        ..DeflateOptions::default()
    };
    assert_eq!(
        accepted(&preferring, "permessage-deflate; server_max_window_bits=14; client_max_window_bits=13"),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11"
    );
    // The first acceptable offer wins; the others are declined by omission.
    let eleven = DeflateOptions { server_max_window_bits: WindowBits::Max(11), ..DeflateOptions::default() };
    assert_eq!(
        accepted(&eleven, "permessage-deflate; server_max_window_bits=10, permessage-deflate"),
        "permessage-deflate; server_max_window_bits=11"
    );
    assert_eq!(accepted(&eleven, "permessage-deflate"), "permessage-deflate; server_max_window_bits=11");
    // client_max_window_bits: imposed where the offer allows it, never above the offered value
    // (RFC 7692 §7.1.2.2; ws would answer 15 here).
    let client_fifteen = DeflateOptions { client_max_window_bits: WindowBits::Max(15), ..DeflateOptions::default() };
    assert_eq!(
        accepted(&client_fifteen, "permessage-deflate; client_max_window_bits=10"),
        "permessage-deflate; client_max_window_bits=10"
    );
    let client_ten = DeflateOptions { client_max_window_bits: WindowBits::Max(10), ..DeflateOptions::default() };
    assert_eq!(
        accepted(&client_ten, "permessage-deflate; client_max_window_bits"),
        "permessage-deflate; client_max_window_bits=10"
    );
    let client_refused = DeflateOptions { client_max_window_bits: WindowBits::Refused, ..DeflateOptions::default() };
    assert_eq!(accepted(&client_refused, "permessage-deflate; client_max_window_bits=10"), "permessage-deflate");
    // Offered client_no_context_takeover is echoed even when the option is false (ws).
    let keep = DeflateOptions { client_no_context_takeover: Some(false), ..DeflateOptions::default() };
    assert_eq!(
        accepted(&keep, "permessage-deflate; client_no_context_takeover"),
        "permessage-deflate; client_no_context_takeover"
    );
}

#[test]
fn the_server_refuses_offers_it_cannot_accept_as_ws_does() {
    for (options, offer) in [
        (
            DeflateOptions { server_no_context_takeover: Some(false), ..DeflateOptions::default() },
            "permessage-deflate; server_no_context_takeover",
        ),
        (
            DeflateOptions { server_max_window_bits: WindowBits::Refused, ..DeflateOptions::default() },
            "permessage-deflate; server_max_window_bits=10",
        ),
        (
            DeflateOptions { server_max_window_bits: WindowBits::Max(11), ..DeflateOptions::default() },
            "permessage-deflate; server_max_window_bits=10",
        ),
        (
            DeflateOptions { client_max_window_bits: WindowBits::Max(10), ..DeflateOptions::default() },
            "permessage-deflate",
        ),
    ] {
        // ws: "None of the extension offers can be accepted", answered with HTTP 400.
        assert_eq!(answer(&options, &[offer]), Err(NegotiationError::NoAcceptableOffer), "{offer}");
    }
}

#[test]
fn invalid_parameters_fail_the_whole_header_as_ws_does() {
    let defaults = DeflateOptions::default();
    for offer in [
        "permessage-deflate; foo",
        "permessage-deflate; __proto__",
        "permessage-deflate; constructor=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; server_no_context_takeover=10",
        "permessage-deflate; client_no_context_takeover=\"x\"",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_max_window_bits=+9",
        "permessage-deflate; server_max_window_bits=0xa",
        "permessage-deflate; server_max_window_bits=1e1",
        "permessage-deflate; server_max_window_bits=99999999999999999999",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; Server_No_Context_Takeover",
        // ws checks every offer before choosing one: a bad second offer fails the first too.
        "permessage-deflate, permessage-deflate; foo",
    ] {
        assert!(matches!(answer(&defaults, &[offer]), Err(NegotiationError::InvalidParameter(_))), "{offer}");
    }
    for offer in ["permessage-deflate;", "permessage-deflate; server_max_window_bits =10", ""] {
        assert!(matches!(answer(&defaults, &[offer]), Err(NegotiationError::Syntax { .. })), "{offer:?}");
    }
    // But an unknown extension's parameters are its own business.
    assert_eq!(answer(&defaults, &["x-foo; whatever=\"1\", permessage-deflate"]).unwrap().as_deref(), Some("permessage-deflate"));
}

// ---------------------------------------------------------------------------------------------
// Negotiation, client side (RFC 7692 §5, §7.1; ws offer / acceptAsClient; matrix C4)

fn verify(options: &DeflateOptions, fields: &[&str]) -> Result<Option<Params>, NegotiationError> {
    negotiation::verify_response(options, fields.iter().copied())
}

#[test]
fn the_client_offers_as_ws_does() {
    assert_eq!(negotiation::offer(&DeflateOptions::default()), "permessage-deflate; client_max_window_bits");
    let everything = DeflateOptions {
        server_no_context_takeover: Some(true),
        client_no_context_takeover: Some(true),
        server_max_window_bits: WindowBits::Max(10),
        client_max_window_bits: WindowBits::Max(11),
        ..DeflateOptions::default()
    };
    assert_eq!(
        negotiation::offer(&everything),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"
    );
    let refusing = DeflateOptions { client_max_window_bits: WindowBits::Refused, ..DeflateOptions::default() };
    assert_eq!(negotiation::offer(&refusing), "permessage-deflate");
    // The offer is valid input for a server.
    assert!(negotiation::accept(&DeflateOptions::default(), [negotiation::offer(&everything).as_str()]).unwrap().is_some());
}

#[test]
fn the_client_accepts_valid_responses() {
    let defaults = DeflateOptions::default();
    assert_eq!(verify(&defaults, &[]), Ok(None), "no field: the server declined");
    assert_eq!(verify(&defaults, &["permessage-deflate"]), Ok(Some(Params::default())));
    assert_eq!(
        verify(
            &defaults,
            &["permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"]
        ),
        Ok(Some(Params {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(10),
            client_max_window_bits: Some(11),
        }))
    );
    // The client keeps to its own offered limits when the response leaves them out.
    let limited = DeflateOptions {
        client_no_context_takeover: Some(true),
        client_max_window_bits: WindowBits::Max(10),
        ..DeflateOptions::default()
    };
    let params = verify(&limited, &["permessage-deflate"]).unwrap().unwrap();
    assert_eq!(params.sending(Role::Client), Direction { window_bits: 10, no_context_takeover: true });
    assert_eq!(verify(&limited, &["permessage-deflate; client_max_window_bits=9"]).unwrap().unwrap().client_max_window_bits, Some(9));
    // A smaller server window than asked for is fine (§7.1.2.1 "the same or smaller").
    let server_ten = DeflateOptions { server_max_window_bits: WindowBits::Max(10), ..DeflateOptions::default() };
    assert_eq!(
        verify(&server_ten, &["permessage-deflate; server_max_window_bits=9"]).unwrap().unwrap().receiving(Role::Client),
        Direction { window_bits: 9, no_context_takeover: false }
    );
    // §7.1.1.1: the server may add server_no_context_takeover unasked.
    assert!(verify(&defaults, &["permessage-deflate; server_no_context_takeover"]).unwrap().unwrap().server_no_context_takeover);
}

#[test]
fn the_client_refuses_invalid_or_unrequested_responses() {
    let defaults = DeflateOptions::default();
    let unsupported = |options: &DeflateOptions, response: &str| {
        assert!(matches!(verify(options, &[response]), Err(NegotiationError::Unsupported(_))), "{response}");
    };
    unsupported(
        &DeflateOptions { client_no_context_takeover: Some(false), ..defaults.clone() },
        "permessage-deflate; client_no_context_takeover",
    );
    let refusing = DeflateOptions { client_max_window_bits: WindowBits::Refused, ..defaults.clone() };
    unsupported(&refusing, "permessage-deflate; client_max_window_bits=10");
    let client_ten = DeflateOptions { client_max_window_bits: WindowBits::Max(10), ..defaults.clone() };
    unsupported(&client_ten, "permessage-deflate; client_max_window_bits=11");
    let server_ten = DeflateOptions { server_max_window_bits: WindowBits::Max(10), ..defaults.clone() };
    unsupported(&server_ten, "permessage-deflate; server_max_window_bits=11");
    unsupported(&server_ten, "permessage-deflate");
    unsupported(&defaults, "permessage-deflate, permessage-deflate");
    // §4.1 / §9.1: an extension the client did not offer.
    assert_eq!(verify(&defaults, &["x-webkit-deflate-frame"]), Err(NegotiationError::NotOffered("x-webkit-deflate-frame".into())));
    assert_eq!(verify(&defaults, &["permessage-deflate", "__proto__"]), Err(NegotiationError::NotOffered("__proto__".into())));
    for response in [
        // A value-less client_max_window_bits is only for offers (§7.1.2.2).
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; foo",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=08",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_no_context_takeover=1",
    ] {
        assert!(matches!(verify(&defaults, &[response]), Err(NegotiationError::InvalidParameter(_))), "{response}");
    }
    for response in ["", "permessage-deflate;", "permessage-deflate; server_max_window_bits=\""] {
        assert!(matches!(verify(&defaults, &[response]), Err(NegotiationError::Syntax { .. })), "{response:?}");
    }
}

#[test]
fn options_are_validated() {
    assert_eq!(DeflateOptions::default().validate(), Ok(()));
    for options in [
        DeflateOptions { server_max_window_bits: WindowBits::Max(7), ..DeflateOptions::default() },
        DeflateOptions { client_max_window_bits: WindowBits::Max(16), ..DeflateOptions::default() },
        DeflateOptions { level: 10, ..DeflateOptions::default() },
        DeflateOptions { mem_level: 0, ..DeflateOptions::default() },
        DeflateOptions { mem_level: 10, ..DeflateOptions::default() },
    ] {
        assert!(matches!(options.validate(), Err(NegotiationError::InvalidOptions(_))), "{options:?}");
    }
    // Out-of-range values never panic in zlib-rs: the compressor clamps them.
    let wild = DeflateOptions { level: 200, mem_level: 0, ..DeflateOptions::default() };
    let mut compressor =
        Compressor::new(CompressorSettings::new(Direction { window_bits: 3, no_context_takeover: false }, &wild));
    assert_eq!(inflate(&mut decompressor(false), &compressor.compress(b"Hello").unwrap()).unwrap(), b"Hello");
}

// ---------------------------------------------------------------------------------------------
// End to end: client offer, server answer, client check, then messages both ways

#[test]
fn negotiated_parameters_carry_messages_both_ways_for_every_combination() {
    let bits = [WindowBits::Unset, WindowBits::Max(8), WindowBits::Max(9), WindowBits::Max(12), WindowBits::Max(15)];
    let takeover = [None, Some(true)];
    let messages = [text(1024, 11), text(1024, 11), noise(600, 3), text(40_000, 12)];
    let mut combinations = 0;
    for server_bits in bits {
        for client_bits in bits {
            for server_reset in takeover {
                for client_reset in takeover {
                    let client_options = DeflateOptions {
                        server_max_window_bits: server_bits,
                        client_max_window_bits: client_bits,
                        server_no_context_takeover: server_reset,
                        client_no_context_takeover: client_reset,
                        ..DeflateOptions::default()
                    };
                    let server_options = DeflateOptions::default();
                    let offer = negotiation::offer(&client_options);
                    let server_params = negotiation::accept(&server_options, [offer.as_str()]).unwrap().unwrap();
                    let response = server_params.response_header();
                    let client_params = negotiation::verify_response(&client_options, [response.as_str()]).unwrap().unwrap();
                    for (sender, receiver, sender_params, receiver_params) in [
                        (Role::Server, Role::Client, &server_params, &client_params),
                        (Role::Client, Role::Server, &client_params, &server_params),
                    ] {
                        assert_eq!(sender_params.sending(sender), receiver_params.receiving(receiver), "{offer} / {response}");
                        let mut compressor = Compressor::for_connection(sender, sender_params, &server_options);
                        let mut decompressor = Decompressor::for_connection(receiver, receiver_params);
                        let mut sent = Vec::new();
                        for message in &messages {
                            let compressed = compressor.compress(message).unwrap();
                            assert_eq!(&inflate(&mut decompressor, &compressed).unwrap(), message, "{offer} / {response}");
                            sent.push(compressed);
                        }
                        let window_bits = sender_params.sending(sender).window_bits;
                        assert_eq!(strict_inflate(window_bits, &sent), messages, "{offer} / {response}");
                    }
                    combinations += 1;
                }
            }
        }
    }
    assert_eq!(combinations, 100);
}
