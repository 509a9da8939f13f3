//! poco-ws-bench: the load generator (and reference echo server) of `npm run bench`.
//!
//! Raw tokio TCP and hand-written RFC 6455 framing, so that it costs far less CPU than the servers
//! it measures: client frames are masked once up front and written by the batch, echoed frames are
//! counted by their headers without copying payloads. Every mode prints one JSON object on stdout.
//!
//! ```text
//! poco-ws-bench echo       --port P [--connections 1] [--size 32] [--depth 1] [--duration 2] [--warmup 0.5]
//!                          [--deflate]   (offer permessage-deflate, send a compressed text message)
//! poco-ws-bench latency    --port P [--size 32] [--duration 2] [--warmup 0.5]
//! poco-ws-bench idle       --port P [--connections 10000] [--concurrency 128] [--hold 300]
//!                          [--echo-bytes 0]   (echo one message of that size per connection first)
//!                          [--deflate-offer O]  (offer permessage-deflate with that value; the first
//!                                                echo, of --echo-bytes or 1024, is compressed text)
//! poco-ws-bench handshakes --port P [--workers 8] [--duration 2] [--warmup 0.5]
//! poco-ws-bench fanout     --port P [--subscribers 10000] [--size 32] [--depth 32] [--duration 2]
//!                          [--warmup 0.5] [--server-pid N] [--concurrency 128]
//! poco-ws-bench serve      [--port 0]
//! common: [--host 127.0.0.1] [--threads 1] (1 = a current-thread runtime, else that many workers)
//! ```
//! A flag without a value (`--deflate`) means `--deflate true`. Exit status 0 with the result,
//! 3 with `{"unavailable": ...}` (the server lacks what the mode needs), 1 on failure, 2 on usage.

mod accept;
mod connect;
mod deflate;
mod fanout;
mod frame;

use connect::{connect, connect_many, FirstEcho, Upgrade};

use std::collections::HashMap;
use std::io;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

const READ_BUF: usize = 256 * 1024;
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a mode produced no result.
pub enum Failure {
    /// The server does not offer what the mode measures (exit status 3, `{"unavailable": ...}`).
    Unavailable(String),
    Error(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Failure::Error(e)
    }
}

impl From<&str> for Failure {
    fn from(e: &str) -> Self {
        Failure::Error(e.to_string())
    }
}

pub struct Args {
    mode: String,
    opts: HashMap<String, String>,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut it = std::env::args().skip(1).peekable();
        let mode = it.next().ok_or("missing mode: echo | latency | idle | handshakes | fanout | serve")?;
        let mut opts = HashMap::new();
        while let Some(key) = it.next() {
            let name = key.strip_prefix("--").ok_or_else(|| format!("unexpected argument {key}"))?;
            let value = match it.peek() {
                Some(next) if !next.starts_with("--") => it.next().unwrap(),
                _ => "true".to_string(),
            };
            opts.insert(name.to_string(), value);
        }
        Ok(Args { mode, opts })
    }

    pub fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.opts.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name}: bad value {v}")),
        }
    }

    pub fn secs(&self, name: &str, default: f64) -> Result<Duration, String> {
        Ok(Duration::from_secs_f64(self.get(name, default)?))
    }
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("poco-ws-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let threads: usize = args.get("threads", 1).unwrap_or(1);
    let rt = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()
    }
    .expect("tokio runtime");
    let result = rt.block_on(async {
        match args.mode.as_str() {
            "echo" => echo(&args).await,
            "latency" => latency(&args).await,
            "idle" => idle(&args).await,
            "handshakes" => handshakes(&args).await,
            "fanout" => fanout::fanout(&args).await,
            "serve" => serve(&args).await,
            m => Err(format!("unknown mode {m}").into()),
        }
    });
    // Connections still open are dropped with the process: no orderly shutdown needed.
    match result {
        Ok(json) => {
            println!("{json}");
            std::process::exit(0)
        }
        Err(Failure::Unavailable(why)) => {
            println!("{{\"mode\":\"{}\",\"unavailable\":{}}}", args.mode, json_str(Some(&why)));
            std::process::exit(3)
        }
        Err(Failure::Error(e)) => {
            eprintln!("poco-ws-bench {}: {e}", args.mode);
            std::process::exit(1)
        }
    }
}

pub fn target(args: &Args) -> Result<String, String> {
    let host: String = args.get("host", "127.0.0.1".to_string())?;
    let port: u16 = args.get("port", 0)?;
    if port == 0 {
        return Err("--port is required".into());
    }
    Ok(if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") })
}

pub fn e2s(e: io::Error) -> String {
    e.to_string()
}

pub fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// `echo`: every connection keeps `depth` messages of `size` bytes in flight; an echoed message
/// is answered by a new one. Counts echoed messages over `duration` after `warmup`.
/// With `--deflate` the message is a compressible text of `size` bytes sent compressed (RSV1), and
/// a server that does not accept the permessage-deflate offer makes the run unavailable.
async fn echo(args: &Args) -> Result<String, Failure> {
    let addr = target(args)?;
    let conns: usize = args.get("connections", 1)?;
    let size: usize = args.get("size", 32)?;
    let depth: usize = args.get::<usize>("depth", 1)?.max(1);
    let warmup = args.secs("warmup", 0.5)?;
    let duration = args.secs("duration", 2.0)?;
    let deflate: bool = args.get("deflate", false)?;

    let (frame, upgrade) = if deflate {
        let compressed = deflate::compress_message(&deflate::compressible_text(size));
        let frame = frame::client_frame_with(frame::FIN | frame::RSV1 | frame::OP_TEXT, &compressed);
        (frame, Upgrade { extensions: Some(deflate::OFFER.into()), ..Upgrade::default() })
    } else {
        (frame::binary_frame(size), Upgrade::default())
    };
    let flen = frame.len();
    let batch: Arc<Vec<u8>> = Arc::new(frame.iter().copied().cycle().take(flen * depth).collect());
    let conns_open = connect_many(&addr, conns, 64, &upgrade, None).await?;
    if deflate && !conns_open.iter().all(|c| deflate::negotiated(&c.head)) {
        return Err(Failure::Unavailable("the server did not accept permessage-deflate".into()));
    }
    let compressed_echoes = Arc::new(AtomicU64::new(0));
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let stop = Arc::new(AtomicBool::new(false));

    for conn in conns_open {
        let leftover = conn.leftover;
        let (mut rd, mut wr) = conn.stream.into_split();
        let credits = Arc::new((AtomicU64::new(0), Notify::new()));
        let (batch, credits_w, stop_w) = (batch.clone(), credits.clone(), stop.clone());
        let (errors_w, first_w) = (errors.clone(), first_error.clone());
        tokio::spawn(async move {
            let r: io::Result<()> = async {
                wr.write_all(&batch).await?;
                loop {
                    let mut k = credits_w.0.swap(0, Ordering::AcqRel) as usize;
                    if k == 0 {
                        credits_w.1.notified().await;
                        continue;
                    }
                    if stop_w.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    while k > 0 {
                        let n = k.min(depth);
                        wr.write_all(&batch[..n * flen]).await?;
                        k -= n;
                    }
                }
            }
            .await;
            if let Err(e) = r {
                if !stop_w.load(Ordering::Relaxed) && errors_w.fetch_add(1, Ordering::Relaxed) == 0 {
                    *first_w.lock().unwrap() = Some(format!("write: {e}"));
                }
            }
        });
        let (counter, stop_r, errors_r, first_r) = (counter.clone(), stop.clone(), errors.clone(), first_error.clone());
        let compressed_r = compressed_echoes.clone();
        tokio::spawn(async move {
            let r: io::Result<()> = async {
                let mut parser = if deflate { frame::EchoCounter::any_length() } else { frame::EchoCounter::new(size) };
                let mut done = parser.feed(&leftover)?;
                let mut compressed_counted = 0;
                let mut buf = vec![0u8; READ_BUF];
                loop {
                    if done > 0 {
                        compressed_r.fetch_add(parser.compressed - compressed_counted, Ordering::Relaxed);
                        compressed_counted = parser.compressed;
                        counter.fetch_add(done, Ordering::Relaxed);
                        credits.0.fetch_add(done, Ordering::AcqRel);
                        credits.1.notify_one();
                    }
                    let n = rd.read(&mut buf).await?;
                    if n == 0 {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection"));
                    }
                    done = parser.feed(&buf[..n])?;
                }
            }
            .await;
            if let Err(e) = r {
                if !stop_r.load(Ordering::Relaxed) && errors_r.fetch_add(1, Ordering::Relaxed) == 0 {
                    *first_r.lock().unwrap() = Some(format!("read: {e}"));
                }
            }
        });
    }

    tokio::time::sleep(warmup).await;
    let (c0, t0) = (counter.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(duration).await;
    let (c1, t1) = (counter.load(Ordering::Relaxed), Instant::now());
    stop.store(true, Ordering::Relaxed);
    let elapsed = t1 - t0;
    let msgs = c1 - c0;
    let errors = errors.load(Ordering::Relaxed);
    let first = first_error.lock().unwrap().clone();
    if msgs == 0 {
        return Err(format!("no message echoed ({errors} errors; first: {})", first.unwrap_or_default()).into());
    }
    // Over the whole run, warmup included: shows whether the server compressed its echoes.
    let (echoes, compressed) = (counter.load(Ordering::Relaxed), compressed_echoes.load(Ordering::Relaxed));
    Ok(format!(
        "{{\"mode\":\"echo\",\"connections\":{conns},\"size\":{size},\"depth\":{depth},\"deflate\":{deflate},\
         \"wire_bytes\":{flen},\"seconds\":{:.3},\"messages\":{msgs},\"msgs_per_sec\":{:.1},\"mb_per_sec\":{:.3},\
         \"echoes\":{echoes},\"compressed_echoes\":{compressed},\"errors\":{errors},\"first_error\":{}}}",
        elapsed.as_secs_f64(),
        rate(msgs, elapsed),
        rate(msgs, elapsed) * size as f64 / 1e6,
        json_str(first.as_deref()),
    ))
}

pub fn json_str(s: Option<&str>) -> String {
    match s {
        None => "null".into(),
        Some(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
    }
}

/// `latency`: one connection, one message in flight; round-trip times over `duration`.
async fn latency(args: &Args) -> Result<String, Failure> {
    let addr = target(args)?;
    let size: usize = args.get("size", 32)?;
    let warmup = args.secs("warmup", 0.5)?;
    let duration = args.secs("duration", 2.0)?;
    let frame = frame::binary_frame(size);
    let conn = connect(&addr, &Upgrade::default()).await.map_err(e2s)?;
    let mut stream = conn.stream;
    if !conn.leftover.is_empty() {
        return Err("unexpected data after the handshake".into());
    }
    let mut parser = frame::EchoCounter::new(size);
    let mut buf = vec![0u8; READ_BUF.max(size + 64)];
    let mut samples: Vec<u64> = Vec::with_capacity(1 << 20);
    let start = Instant::now();
    let mut measuring_since = None;
    loop {
        let now = Instant::now();
        if measuring_since.is_none() && now - start >= warmup {
            measuring_since = Some(now);
        }
        if let Some(t) = measuring_since {
            if now - t >= duration {
                break;
            }
        }
        stream.write_all(&frame).await.map_err(e2s)?;
        let mut done = 0;
        while done == 0 {
            let n = stream.read(&mut buf).await.map_err(e2s)?;
            if n == 0 {
                return Err("server closed the connection".into());
            }
            done = parser.feed(&buf[..n]).map_err(e2s)?;
        }
        if done != 1 {
            return Err(format!("{done} echoes for one message").into());
        }
        if measuring_since.is_some() {
            samples.push(now.elapsed().as_nanos() as u64);
        }
    }
    if samples.is_empty() {
        return Err("no round trip measured".into());
    }
    samples.sort_unstable();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)] as f64 / 1000.0;
    let mean = samples.iter().sum::<u64>() as f64 / samples.len() as f64 / 1000.0;
    Ok(format!(
        "{{\"mode\":\"latency\",\"size\":{size},\"round_trips\":{},\"p50_us\":{:.2},\"p90_us\":{:.2},\"p99_us\":{:.2},\
         \"p999_us\":{:.2},\"max_us\":{:.2},\"mean_us\":{mean:.2}}}",
        samples.len(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(0.999),
        *samples.last().unwrap() as f64 / 1000.0,
    ))
}

/// `idle`: opens `connections` upgraded connections (each echoing one binary message of
/// `echo-bytes` first, if that is not 0), prints a ready line (JSON) and holds them until killed
/// or `hold` seconds pass, then prints the final JSON.
async fn idle(args: &Args) -> Result<String, Failure> {
    let addr = target(args)?;
    let count: usize = args.get("connections", 10_000)?;
    let concurrency: usize = args.get("concurrency", 128)?;
    let hold = args.secs("hold", 300.0)?;
    let mut echo_bytes: usize = args.get("echo-bytes", 0)?;
    let offer: String = args.get("deflate-offer", String::new())?;
    let (first_echo, upgrade) = if offer.is_empty() {
        let first_echo = (echo_bytes > 0).then(|| FirstEcho { frame: Arc::new(frame::binary_frame(echo_bytes)), size: Some(echo_bytes) });
        (first_echo, Upgrade::default())
    } else {
        // Compression state is allocated on first use: one compressed message each way makes it so.
        echo_bytes = echo_bytes.max(1024);
        let compressed = deflate::compress_message(&deflate::compressible_text(echo_bytes));
        let frame = frame::client_frame_with(frame::FIN | frame::RSV1 | frame::OP_TEXT, &compressed);
        (Some(FirstEcho { frame: Arc::new(frame), size: None }), Upgrade { extensions: Some(offer), ..Upgrade::default() })
    };
    let t0 = Instant::now();
    let streams = connect_many(&addr, count, concurrency, &upgrade, first_echo).await?;
    println!(
        "{{\"mode\":\"idle\",\"ready\":true,\"connections\":{},\"echo_bytes\":{echo_bytes},\"seconds\":{:.3}}}",
        streams.len(),
        t0.elapsed().as_secs_f64()
    );
    tokio::time::sleep(hold).await;
    Ok(format!("{{\"mode\":\"idle\",\"done\":true,\"connections\":{}}}", streams.len()))
}

/// `handshakes`: `workers` loops of connect, upgrade, CLOSE 1000 and wait for the server to close
/// TCP; counts completed cycles over `duration` after `warmup`.
async fn handshakes(args: &Args) -> Result<String, Failure> {
    let addr = target(args)?;
    let workers: usize = args.get("workers", 8)?;
    let warmup = args.secs("warmup", 0.5)?;
    let duration = args.secs("duration", 2.0)?;
    let close = Arc::new(frame::client_frame(frame::OP_CLOSE, &1000u16.to_be_bytes()));
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let stop = Arc::new(AtomicBool::new(false));
    for _ in 0..workers {
        let (addr, close, done, errors, first, stop) =
            (addr.clone(), close.clone(), done.clone(), errors.clone(), first_error.clone(), stop.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while !stop.load(Ordering::Relaxed) {
                let r: io::Result<()> = async {
                    let mut s = connect(&addr, &Upgrade::default()).await?.stream;
                    s.write_all(&close).await?;
                    // Read the server's CLOSE and then its FIN: the server closes TCP first (RFC 6455 7.1.1).
                    tokio::time::timeout(CLOSE_TIMEOUT, async {
                        while s.read(&mut buf).await? > 0 {}
                        Ok::<(), io::Error>(())
                    })
                    .await
                    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "server did not close TCP after CLOSE"))??;
                    Ok(())
                }
                .await;
                match r {
                    Ok(()) => {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            *first.lock().unwrap() = Some(e.to_string());
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        });
    }
    tokio::time::sleep(warmup).await;
    let (c0, t0) = (done.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(duration).await;
    let (c1, t1) = (done.load(Ordering::Relaxed), Instant::now());
    stop.store(true, Ordering::Relaxed);
    let errors = errors.load(Ordering::Relaxed);
    let first = first_error.lock().unwrap().clone();
    if c1 == c0 {
        return Err(format!("no handshake completed ({errors} errors; first: {})", first.unwrap_or_default()).into());
    }
    Ok(format!(
        "{{\"mode\":\"handshakes\",\"workers\":{workers},\"seconds\":{:.3},\"handshakes\":{},\"per_sec\":{:.1},\
         \"errors\":{errors},\"first_error\":{}}}",
        (t1 - t0).as_secs_f64(),
        c1 - c0,
        rate(c1 - c0, t1 - t0),
        json_str(first.as_deref()),
    ))
}

/// `serve`: a minimal, fast echo server (for measuring clients). Prints a ready line, then serves
/// until killed.
async fn serve(args: &Args) -> Result<String, Failure> {
    let host: String = args.get("host", "127.0.0.1".to_string())?;
    let port: u16 = args.get("port", 0)?;
    let listener = TcpListener::bind((host.as_str(), port)).await.map_err(e2s)?;
    let port = listener.local_addr().map_err(e2s)?.port();
    println!("{{\"mode\":\"serve\",\"ready\":true,\"port\":{port},\"pid\":{}}}", std::process::id());
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("poco-ws-bench serve: accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        tokio::spawn(async move {
            if let Err(e) = serve_one(stream).await {
                if std::env::var_os("POCO_WS_BENCH_VERBOSE").is_some() {
                    eprintln!("poco-ws-bench serve: {e}");
                }
            }
        });
    }
}

async fn serve_one(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; READ_BUF];
    let mut head = Vec::new();
    let end = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if head.len() > 16 * 1024 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "request head too long"));
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let key = text.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("sec-websocket-key").then(|| value.trim().to_string())
    });
    let Some(key) = key else {
        stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await?;
        return Ok(());
    };
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        accept::accept_key(key.as_bytes())
    );
    stream.write_all(response.as_bytes()).await?;
    let mut echo = frame::EchoTransform::default();
    let mut out = Vec::with_capacity(READ_BUF + 64);
    let mut state = echo.feed(&head[end..], &mut out)?;
    loop {
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if state == frame::Echo::Closed {
            stream.shutdown().await?;
            // Drain until the client's FIN so the kernel never resets under our CLOSE.
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, async { while stream.read(&mut buf).await? > 0 {} io::Result::Ok(()) }).await;
            return Ok(());
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        state = echo.feed(&buf[..n], &mut out)?;
    }
}
