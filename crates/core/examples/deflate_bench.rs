//! permessage-deflate cost with the zlib-rs backend: heap and resident memory of one compressor
//! and one decompressor per window bits / memLevel setting, and the throughput of compressing
//! and inflating 1 KiB text messages (chat/JSON-like) per takeover mode.
//!
//! cargo run --release -p poco-websocket-core --example deflate_bench
//!
//! Measured on the project's 2 shared cores (zlib-rs 0.6.9; noisy, ±30%): a compressor holds
//! 134 KiB at 9 bits/memLevel 1 up to 371 KiB at 15/8 (zlib-rs's hash table is a fixed 128 KiB;
//! C zlib 1.2.13 needs 8 KiB and 261 KiB), a decompressor 46 KiB whatever the window (19 KiB
//! resident). Level 6, 15 bits, context takeover: 43k msg/s compressed, 363k inflated (C zlib:
//! 32k and 220k); level 1: 320k and 613k. Hence zlib-rs, memLevel exposed, and the shared
//! compressor for servers with many sockets.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use poco_websocket_core::deflate::{Compressor, CompressorSettings, Decompressor, DeflateOptions, Direction};

struct CountingAllocator;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(pointer, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const MESSAGE_LEN: usize = 1024;
const INSTANCES: usize = 200;

fn main() {
    let messages: Vec<Vec<u8>> = (0..64).map(|seed| text(MESSAGE_LEN, seed)).collect();
    println!("memory per instance, after one {MESSAGE_LEN}-byte message (mean of {INSTANCES}):");
    println!("{:>11} {:>9} {:>15} {:>15}", "window bits", "memLevel", "compressor", "decompressor");
    // uWS's DEDICATED_COMPRESSOR_3KB … _256KB pairs, then memLevel alone at 15 bits.
    let settings = [(9, 1), (9, 2), (10, 3), (11, 4), (12, 5), (13, 6), (14, 7), (15, 8), (15, 1), (15, 9), (9, 8)];
    for (window_bits, mem_level) in settings {
        let (heap, resident) = memory_of(|| {
            let mut compressor = Compressor::new(compressor_settings(window_bits, mem_level, false));
            compressor.compress(&messages[0]).unwrap();
            compressor
        });
        let compressed = Compressor::new(compressor_settings(window_bits, mem_level, false)).compress(&messages[0]).unwrap();
        let (inflate_heap, inflate_resident) = memory_of(|| {
            let mut decompressor = Decompressor::new(Direction { window_bits, no_context_takeover: false });
            decompressor.decompress([&compressed[..]], usize::MAX).unwrap();
            decompressor
        });
        println!(
            "{window_bits:>11} {mem_level:>9} {:>6} KiB heap {:>4} KiB RSS | {:>4} KiB heap {:>4} KiB RSS",
            heap / 1024,
            resident / 1024,
            inflate_heap / 1024,
            inflate_resident / 1024
        );
    }

    println!("\nthroughput, {MESSAGE_LEN}-byte text messages, compress then inflate (one core):");
    for (label, window_bits, mem_level, level, no_context_takeover, shared) in [
        ("takeover, 15 bits, memLevel 8, level 6", 15, 8, 6, false, false),
        ("takeover, 15 bits, memLevel 8, level 1", 15, 8, 1, false, false),
        ("takeover, 9 bits, memLevel 1, level 6", 9, 1, 6, false, false),
        ("no takeover, 15 bits, memLevel 8, level 6", 15, 8, 6, true, false),
        ("no takeover, 15 bits, memLevel 8, level 1", 15, 8, 1, true, false),
        ("no takeover, 9 bits, memLevel 1, level 6", 9, 1, 6, true, false),
        ("shared, 15 bits, memLevel 8, level 6", 15, 8, 6, true, true),
    ] {
        let settings = CompressorSettings { level, ..compressor_settings(window_bits, mem_level, no_context_takeover) };
        let mut compressor = if shared { Compressor::shared(settings) } else { Compressor::new(settings) };
        let mut decompressor = Decompressor::new(Direction { window_bits, no_context_takeover });
        let (mut compressed_bytes, mut count) = (0usize, 0usize);
        let (mut compress_time, mut inflate_time) = (Duration::ZERO, Duration::ZERO);
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            for message in &messages {
                let started = Instant::now();
                let compressed = compressor.compress(message).unwrap();
                let compressed_at = Instant::now();
                let inflated = decompressor.decompress([&compressed[..]], usize::MAX).unwrap();
                inflate_time += compressed_at.elapsed();
                compress_time += compressed_at - started;
                compressed_bytes += compressed.len();
                count += 1;
                black_box(inflated);
            }
        }
        let per_second = |time: Duration| count as f64 / time.as_secs_f64();
        println!(
            "{label:<42} ratio {:.2}  compress {:>7.0} msg/s ({:>4.0} MB/s)  inflate {:>7.0} msg/s ({:>4.0} MB/s)  both {:>7.0} msg/s",
            compressed_bytes as f64 / (count * MESSAGE_LEN) as f64,
            per_second(compress_time),
            per_second(compress_time) * MESSAGE_LEN as f64 / 1e6,
            per_second(inflate_time),
            per_second(inflate_time) * MESSAGE_LEN as f64 / 1e6,
            per_second(compress_time + inflate_time),
        );
    }
}

fn compressor_settings(window_bits: u8, mem_level: u8, no_context_takeover: bool) -> CompressorSettings {
    let options = DeflateOptions { mem_level, ..DeflateOptions::default() };
    CompressorSettings::new(Direction { window_bits, no_context_takeover }, &options)
}

/// Mean heap bytes and resident bytes per instance while `INSTANCES` of them are alive.
fn memory_of<T>(make: impl Fn() -> T) -> (usize, usize) {
    let heap_before = LIVE.load(Ordering::Relaxed);
    let resident_before = resident_bytes();
    let instances: Vec<T> = (0..INSTANCES).map(|_| make()).collect();
    let heap = (LIVE.load(Ordering::Relaxed) - heap_before).max(0) as usize / INSTANCES;
    let resident = resident_bytes().saturating_sub(resident_before) / INSTANCES;
    drop(instances);
    (heap, resident)
}

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

fn text(len: usize, seed: u32) -> Vec<u8> {
    let words = ["\"user\":", "\"message\":", "\"id\":", "hello", "world", "chat", "room", "true", "false", "null"];
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(7);
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        out.extend_from_slice(words[(state % words.len() as u32) as usize].as_bytes());
        out.push(b' ');
        if state & 0x300 == 0 {
            out.extend_from_slice((state % 1_000_000).to_string().as_bytes());
        }
    }
    out.truncate(len);
    out
}
