//! `fanout`: `subscribers` connections to `/` and one publisher connection to `/publish`. The
//! server publishes every message of the publisher to all subscribers (topic 'bench'); we count
//! the deliveries by frame headers, summed over subscribers, and the server's CPU time over the
//! window (utime + stime of /proc/<pid>/stat).
//!
//! Pacing: the publisher keeps `depth` messages in flight, where a message counts as delivered
//! once the deliveries summed over all subscribers reach a further `subscribers`: a server is
//! never asked to buffer more than about `depth` messages per subscriber.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

use crate::connect::{connect, connect_many, Upgrade};
use crate::{frame, json_str, rate, target, Args, Failure};

/// How long one readiness probe may take to reach every subscriber.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
const PROBE_TRIES: usize = 10;

/// Deliveries summed over subscribers; wakes the publisher once the count reaches `wake_at`.
#[derive(Default)]
struct Deliveries {
    count: AtomicU64,
    wake_at: AtomicU64,
    notify: Notify,
}

impl Deliveries {
    fn add(&self, k: u64) {
        let before = self.count.fetch_add(k, Ordering::SeqCst);
        let wake_at = self.wake_at.load(Ordering::SeqCst);
        if before < wake_at && before + k >= wake_at {
            self.notify.notify_one();
        }
    }

    fn get(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Waits until the count reaches `target` or `limit` passes.
    async fn wait_for(&self, target: u64, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        self.wake_at.store(target, Ordering::SeqCst);
        while self.get() < target {
            if tokio::time::timeout_at(deadline, self.notify.notified()).await.is_err() {
                return;
            }
        }
    }
}

/// The first error of any connection (the rest are only counted).
#[derive(Default)]
struct Errors {
    count: AtomicU64,
    first: Mutex<Option<String>>,
}

impl Errors {
    fn record(&self, what: String) {
        if self.count.fetch_add(1, Ordering::Relaxed) == 0 {
            *self.first.lock().unwrap() = Some(what);
        }
    }
}

/// CPU time (user + system, all threads) of process `pid`, in seconds.
fn cpu_seconds(pid: u32, ticks_per_sec: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces: the state is
    // field 3, utime field 14 and stime field 15 (proc(5)).
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / ticks_per_sec)
}

/// sysconf(_SC_CLK_TCK), the unit of /proc/<pid>/stat times (100 on Linux unless told otherwise).
fn clock_ticks_per_sec() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

pub async fn fanout(args: &Args) -> Result<String, Failure> {
    let addr = target(args)?;
    let subscribers: usize = args.get("subscribers", 10_000)?;
    let size: usize = args.get("size", 32)?;
    let depth: u64 = args.get::<u64>("depth", 32)?.max(1);
    let warmup = args.secs("warmup", 0.5)?;
    let duration = args.secs("duration", 2.0)?;
    let server_pid: u32 = args.get("server-pid", 0)?;
    let concurrency: usize = args.get("concurrency", 128)?;
    let n = subscribers.max(1) as u64;

    let t0 = Instant::now();
    let conns = connect_many(&addr, subscribers, concurrency, &Upgrade::default(), None).await?;
    let publisher = connect(&addr, &Upgrade { path: "/publish".into(), extensions: None })
        .await
        .map_err(|e| format!("publisher: {e}"))?;
    let connect_seconds = t0.elapsed().as_secs_f64();

    let deliveries = Arc::new(Deliveries::default());
    let errors = Arc::new(Errors::default());
    let stop = Arc::new(AtomicBool::new(false));
    // A few messages fit in one read; the buffer stays small because there are many readers.
    let read_buf = (depth as usize * (size + 16)).clamp(4096, 64 * 1024);
    for conn in conns {
        let (deliveries, errors, stop) = (deliveries.clone(), errors.clone(), stop.clone());
        tokio::spawn(async move {
            let mut stream = conn.stream;
            let r: io::Result<()> = async {
                let mut counter = frame::EchoCounter::new(size);
                deliveries.add(counter.feed(&conn.leftover)?);
                let mut buf = vec![0u8; read_buf];
                loop {
                    let got = stream.read(&mut buf).await?;
                    if got == 0 {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed a subscriber"));
                    }
                    let done = counter.feed(&buf[..got])?;
                    if done > 0 {
                        deliveries.add(done);
                    }
                }
            }
            .await;
            if let Err(e) = r {
                if !stop.load(Ordering::Relaxed) {
                    errors.record(format!("subscriber: {e}"));
                }
            }
        });
    }
    let (mut rd, mut wr) = publisher.stream.into_split();
    {
        // The publisher is no subscriber; whatever the server sends it is read and dropped.
        let (errors, stop) = (errors.clone(), stop.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            if !stop.load(Ordering::Relaxed) {
                errors.record("the server closed the publisher".into());
            }
        });
    }

    let message = frame::binary_frame(size);
    // Readiness: the server may subscribe a connection only after its 101, so probe until one
    // message reaches every subscriber.
    let mut ready = false;
    for _ in 0..PROBE_TRIES {
        let before = deliveries.get();
        wr.write_all(&message).await.map_err(|e| format!("publisher: {e}"))?;
        deliveries.wait_for(before + n, PROBE_TIMEOUT).await;
        if deliveries.get() - before >= n {
            ready = true;
            break;
        }
    }
    if !ready {
        let first = errors.first.lock().unwrap().clone();
        return Err(format!(
            "no probe message reached all {subscribers} subscribers ({} errors; first: {})",
            errors.count.load(Ordering::Relaxed),
            first.unwrap_or_default()
        )
        .into());
    }

    let published = Arc::new(AtomicU64::new(0));
    {
        let (deliveries, stop, published) = (deliveries.clone(), stop.clone(), published.clone());
        let errors = errors.clone();
        let batch: Vec<u8> = message.iter().copied().cycle().take(message.len() * depth as usize).collect();
        let flen = message.len();
        tokio::spawn(async move {
            let base = deliveries.get();
            let mut sent: u64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let delivered_messages = (deliveries.get() - base) / n;
                let allowed = (delivered_messages + depth).saturating_sub(sent).min(depth);
                if allowed == 0 {
                    // One more message may go once `sent + 1 - depth` messages are delivered.
                    deliveries.wait_for(base + (sent + 1 - depth) * n, Duration::from_millis(100)).await;
                    continue;
                }
                if let Err(e) = wr.write_all(&batch[..allowed as usize * flen]).await {
                    errors.record(format!("publisher: {e}"));
                    return;
                }
                sent += allowed;
                published.store(sent, Ordering::Relaxed);
            }
        });
    }

    let ticks = clock_ticks_per_sec();
    tokio::time::sleep(warmup).await;
    let (d0, p0, cpu0, w0) = (deliveries.get(), published.load(Ordering::Relaxed), cpu_seconds(server_pid, ticks), Instant::now());
    tokio::time::sleep(duration).await;
    let (d1, p1, cpu1, w1) = (deliveries.get(), published.load(Ordering::Relaxed), cpu_seconds(server_pid, ticks), Instant::now());
    stop.store(true, Ordering::Relaxed);
    let elapsed = w1 - w0;
    let delivered = d1 - d0;
    let error_count = errors.count.load(Ordering::Relaxed);
    let first = errors.first.lock().unwrap().clone();
    if delivered == 0 {
        return Err(format!("nothing delivered ({error_count} errors; first: {})", first.unwrap_or_default()).into());
    }
    let cpu = match (server_pid, cpu0, cpu1) {
        (0, _, _) => "null".to_string(),
        (_, Some(a), Some(b)) => format!("{:.3}", b - a),
        _ => return Err(format!("cannot read /proc/{server_pid}/stat").into()),
    };
    Ok(format!(
        "{{\"mode\":\"fanout\",\"subscribers\":{subscribers},\"size\":{size},\"depth\":{depth},\"connect_seconds\":{connect_seconds:.3},\
         \"seconds\":{:.3},\"published\":{},\"deliveries\":{delivered},\"deliveries_per_sec\":{:.1},\"server_cpu_seconds\":{cpu},\
         \"errors\":{error_count},\"first_error\":{}}}",
        elapsed.as_secs_f64(),
        p1 - p0,
        rate(delivered, elapsed),
        json_str(first.as_deref()),
    ))
}
