//! Opening upgraded connections: one, or many with bounded concurrency, optionally echoing one
//! message on each before handing it over (the memory-after-traffic figure).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::frame;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const FIRST_ECHO_TIMEOUT: Duration = Duration::from_secs(30);

/// What the upgrade request asks for.
#[derive(Clone, Debug)]
pub struct Upgrade {
    pub path: String,
    /// A Sec-WebSocket-Extensions offer, if any.
    pub extensions: Option<String>,
}

impl Default for Upgrade {
    fn default() -> Self {
        Upgrade { path: "/".into(), extensions: None }
    }
}

/// An upgraded connection: the stream, the 101 response head, and any bytes the server sent
/// after that head.
pub struct Upgraded {
    pub stream: TcpStream,
    pub head: Vec<u8>,
    pub leftover: Vec<u8>,
}

/// Connects and upgrades with a fixed, valid key.
pub async fn connect(addr: &str, upgrade: &Upgrade) -> io::Result<Upgraded> {
    let mut stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    let extensions = upgrade.extensions.as_ref().map(|e| format!("Sec-WebSocket-Extensions: {e}\r\n")).unwrap_or_default();
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extensions}\r\n",
        upgrade.path
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let end = loop {
        let n = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.read(&mut buf))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no handshake response"))??;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed during the handshake"));
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if head.len() > 16 * 1024 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "handshake response too long"));
        }
    };
    let status = head.split(|&b| b == b'\r').next().unwrap_or(&[]);
    if !status.starts_with(b"HTTP/1.1 101") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("expected 101, got: {}", String::from_utf8_lossy(status)),
        ));
    }
    if !head.windows(28).any(|w| w == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "wrong Sec-WebSocket-Accept"));
    }
    let leftover = head.split_off(end);
    Ok(Upgraded { stream, head, leftover })
}

/// Sends one message (a complete client frame whose payload is `size` bytes) and waits for its echo.
async fn echo_once(conn: &mut Upgraded, message: &[u8], size: Option<usize>) -> io::Result<()> {
    let mut counter = size.map_or_else(frame::EchoCounter::any_length, frame::EchoCounter::new);
    let leftover = std::mem::take(&mut conn.leftover);
    let mut done = counter.feed(&leftover)?;
    conn.stream.write_all(message).await?;
    let mut buf = vec![0u8; 64 * 1024];
    while done == 0 {
        let n = tokio::time::timeout(FIRST_ECHO_TIMEOUT, conn.stream.read(&mut buf))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no echo"))??;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection"));
        }
        done = counter.feed(&buf[..n])?;
    }
    Ok(())
}

/// A message to echo once on every connection right after its upgrade.
#[derive(Clone)]
pub struct FirstEcho {
    pub frame: Arc<Vec<u8>>,
    /// The echo's payload length (`None`: any, for a compressed echo).
    pub size: Option<usize>,
}

/// Opens `count` upgraded connections, at most `concurrency` handshakes (and first echoes) at a time.
pub async fn connect_many(
    addr: &str,
    count: usize,
    concurrency: usize,
    upgrade: &Upgrade,
    first_echo: Option<FirstEcho>,
) -> Result<Vec<Upgraded>, String> {
    let sem = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(count);
    for _ in 0..count {
        let permit = sem.clone().acquire_owned().await.unwrap();
        let (addr, upgrade, first_echo) = (addr.to_string(), upgrade.clone(), first_echo.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = connect(&addr, &upgrade).await.map_err(|e| format!("connect: {e}"))?;
            if let Some(m) = first_echo {
                echo_once(&mut conn, &m.frame, m.size).await.map_err(|e| format!("first echo: {e}"))?;
            }
            drop(permit);
            Ok::<_, String>(conn)
        }));
    }
    let mut out = Vec::with_capacity(count);
    for t in tasks {
        out.push(t.await.map_err(|e| e.to_string())??);
    }
    Ok(out)
}
