//! The HTTP/1.1 listener behind `HTTPServer`: it reads requests, hands them to the caller in
//! batches, and writes the caller's answer, which is either a plain response or an upgrade.
//! With a server TLS context it is Poco's `HTTPServer` on a `SecureServerSocket`: every
//! connection starts with a TLS handshake. It accepts on a socket bound beforehand (see
//! [`crate::listener`]), as Poco's `HTTPServer` on a `ServerSocket`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::time::timeout;

use crate::connection::{Connection, ConnectionConfig, Placement, Starter, Wake};
use crate::protocol::Role;
use crate::defaults;
use crate::error::Error;
use crate::handshake;
use crate::http::{self, HeadError, HeadLimits, RequestHead, ResponseHead};
use crate::listener::Listener;
use crate::stream::Stream;
use crate::tls;

/// `HTTPServerParams` as far as the listener uses them.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Deadline for reading a request (head and body) and for an idle keep-alive connection.
    pub timeout: Duration,
    pub keep_alive: bool,
    /// Sent as the `Server` field when set.
    pub server_name: Option<String>,
    pub head_limits: HeadLimits,
    pub max_body: usize,
    /// Requests waiting for the caller beyond this many are answered 503 (Poco's `maxQueued`).
    pub max_queued: usize,
    /// A server TLS context: the listener speaks TLS only (wss).
    pub tls: Option<tls::Context>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            timeout: defaults::HTTP_TIMEOUT,
            keep_alive: true,
            server_name: None,
            head_limits: HeadLimits::default(),
            max_body: defaults::MAX_REQUEST_BODY,
            max_queued: defaults::MAX_QUEUED_REQUESTS,
            tls: None,
        }
    }
}

pub struct Server {
    shared: Arc<ServerShared>,
    local_addr: SocketAddr,
}

struct ServerShared {
    options: ServerOptions,
    wake: Wake,
    queue: Mutex<VecDeque<IncomingRequest>>,
    armed: AtomicBool,
    stop: watch::Sender<bool>,
    /// The accept loop ended and closed the listening socket: the port is free again.
    listener_closed: AtomicBool,
}

/// One request waiting for the caller's answer. Dropping it unanswered closes the connection.
pub struct IncomingRequest {
    pub head: RequestHead,
    pub body: Vec<u8>,
    pub peer: SocketAddr,
    pub local: SocketAddr,
    /// The request came over TLS (Poco's `HTTPServerRequest::secure()`).
    pub secure: bool,
    reply: Option<oneshot::Sender<Reply>>,
}

enum Reply {
    Respond { head: ResponseHead, body: Vec<u8> },
    Upgrade { head: ResponseHead, starter: Starter },
}

impl IncomingRequest {
    pub fn is_answered(&self) -> bool {
        self.reply.is_none()
    }

    /// Answers with a plain response; `Date`, `Server` and `Connection` are added when absent.
    pub fn respond(&mut self, head: ResponseHead, body: Vec<u8>) -> Result<(), Error> {
        let reply = self.take_reply()?;
        let _ = reply.send(Reply::Respond { head, body });
        Ok(())
    }

    /// Poco's `WebSocket(request, response)`: validates the upgrade; on success sends the 101
    /// (with whatever fields `response` already carries) and returns the server-side
    /// connection. On failure nothing is sent and the request can still be answered.
    pub fn upgrade(&mut self, response: ResponseHead, wake: Wake) -> Result<Connection, Error> {
        self.upgrade_with(response, ConnectionConfig::default(), wake)
    }

    /// [`upgrade`](Self::upgrade) with the connection's settings.
    pub fn upgrade_with(&mut self, response: ResponseHead, config: ConnectionConfig, wake: Wake) -> Result<Connection, Error> {
        self.upgrade_placed(response, config, wake, Placement::default())
    }

    /// [`upgrade_with`](Self::upgrade_with), saying where the connection runs once started.
    pub fn upgrade_placed(
        &mut self,
        mut response: ResponseHead,
        config: ConnectionConfig,
        wake: Wake,
        placement: Placement,
    ) -> Result<Connection, Error> {
        if self.is_answered() {
            return Err(already_answered());
        }
        let (_, deflate) = handshake::accept_with(&self.head, &mut response, config.strict, config.deflate.as_ref())?;
        let (connection, starter) = Connection::negotiated(Role::Server, config, wake, placement, deflate);
        if let Err(Reply::Upgrade { starter, .. }) = self.take_reply()?.send(Reply::Upgrade { head: response, starter }) {
            starter.fail(Error::ConnectionReset(0));
        }
        Ok(connection)
    }

    fn take_reply(&mut self) -> Result<oneshot::Sender<Reply>, Error> {
        self.reply.take().ok_or_else(already_answered)
    }
}

fn already_answered() -> Error {
    Error::InvalidAccess("The response has already been sent".into())
}

impl Server {
    /// Binds `host:port` (port 0 picks a free one) as `ServerSocket(address)` does and starts
    /// accepting. Must be called on a tokio runtime.
    pub async fn bind(host: &str, port: u16, options: ServerOptions, wake: Wake) -> Result<Server, Error> {
        let mut listener = Listener::open(host, port, defaults::SERVER_SOCKET_BACKLOG)?;
        Server::serve(listener.take()?, options, wake)
    }

    /// Starts accepting on a socket that is already listening (a `ServerSocket` taken over with
    /// [`Listener::take`]). Must be called on a tokio runtime.
    pub fn serve(listener: std::net::TcpListener, options: ServerOptions, wake: Wake) -> Result<Server, Error> {
        let listener = TcpListener::from_std(listener)?;
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(ServerShared {
            options,
            wake,
            queue: Mutex::default(),
            armed: AtomicBool::new(false),
            stop,
            listener_closed: AtomicBool::new(false),
        });
        tokio::spawn(accept_loop(listener, shared.clone(), stopped));
        Ok(Server { shared, local_addr })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Everything that arrived since the last call.
    pub fn take_requests(&self) -> Vec<IncomingRequest> {
        self.shared.queue.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect()
    }

    /// Asks for a wake-up when a request arrives or the server stops; returns `true` instead
    /// when one is already there.
    pub fn arm(&self) -> bool {
        self.shared.armed.store(true, Ordering::SeqCst);
        if self.is_stopped() || !self.shared.queue.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
            self.shared.armed.store(false, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// True once the server was stopped and its listening socket is closed (the port can be
    /// bound again).
    pub fn is_stopped(&self) -> bool {
        *self.shared.stop.borrow() && self.shared.listener_closed.load(Ordering::SeqCst)
    }

    /// Stops accepting and closes idle connections. Upgraded connections and requests being
    /// handled go on (Poco's `HTTPServer::stop`). The listening socket closes soon after, on the
    /// runtime; [`is_stopped`](Self::is_stopped) and a wake-up tell when.
    pub fn stop(&self) {
        self.shared.stop.send_replace(true);
        self.shared.wake_if_armed();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

impl ServerShared {
    /// Queues a request for the caller; `false` when the queue is full.
    fn push(&self, request: IncomingRequest) -> bool {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if queue.len() >= self.options.max_queued {
            return false;
        }
        queue.push_back(request);
        drop(queue);
        self.wake_if_armed();
        true
    }

    fn wake_if_armed(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            (self.wake)();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<ServerShared>, mut stopped: watch::Receiver<bool>) {
    accept_until_stopped(&listener, &shared, &mut stopped).await;
    drop(listener);
    shared.listener_closed.store(true, Ordering::SeqCst);
    shared.wake_if_armed();
}

async fn accept_until_stopped(listener: &TcpListener, shared: &Arc<ServerShared>, stopped: &mut watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(serve_connection(stream, peer, shared.clone(), stopped.clone()));
                }
                // Out of file descriptors and the like: back off and keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<ServerShared>,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = tcp.set_nodelay(true);
    let Ok(local) = tcp.local_addr() else { return };
    let options = &shared.options;
    let mut stream = match &options.tls {
        None => Stream::Plain(tcp),
        Some(context) => {
            let accepted = tokio::select! {
                _ = stopped.changed() => return,
                accepted = timeout(options.timeout, tls::accept(context, tcp)) => accepted,
            };
            match accepted {
                Ok(Ok(tls::Accepted::Secure(tls))) => Stream::tls(*tls, &peer.to_string()),
                // nginx's courtesy: a plain HTTP request gets a plain answer saying why.
                Ok(Ok(tls::Accepted::PlainText(tcp))) => {
                    let mut head = ResponseHead::new(http::Version::HTTP_1_1, 400);
                    head.reason = "The plain HTTP request was sent to HTTPS port".into();
                    return reject_with(Stream::Plain(tcp), head, options).await;
                }
                // A failed handshake (unknown CA, no client certificate, …) or a silent client
                // concerns that connection only.
                Ok(Err(_)) | Err(_) => return,
            }
        }
    };
    let secure = stream.is_secure();
    let mut buf = BytesMut::new();
    loop {
        let read = tokio::select! {
            _ = stopped.changed() => return,
            read = timeout(options.timeout, read_request(&mut stream, &mut buf, options)) => read,
        };
        let (head, body) = match read {
            Ok(Ok(request)) => request,
            Ok(Err(Rejection::Closed)) => return,
            Ok(Err(Rejection::Status(status))) => return reject(stream, status, options).await,
            Err(_elapsed) if buf.is_empty() => return,
            Err(_elapsed) => return reject(stream, 408, options).await,
        };
        let keep_alive = options.keep_alive && head.keep_alive();
        let version = head.version;
        let (reply, answer) = oneshot::channel();
        if !shared.push(IncomingRequest { head, body, peer, local, secure, reply: Some(reply) }) {
            return reject(stream, 503, options).await;
        }
        match answer.await {
            Err(_) => return,
            Ok(Reply::Respond { mut head, body }) => {
                head.version = version;
                let keep_alive = keep_alive
                    && !head.headers.has_token("Connection", "close")
                    && head.headers.has("Content-Length");
                finish(&mut head, options);
                if !head.headers.has("Connection") {
                    head.headers.set("Connection", if keep_alive { "Keep-Alive" } else { "Close" });
                }
                let mut bytes = head.encode();
                bytes.extend_from_slice(&body);
                if stream.write_all(&bytes).await.is_err() || !keep_alive {
                    return linger_close(stream).await;
                }
            }
            Ok(Reply::Upgrade { mut head, starter }) => {
                finish(&mut head, options);
                match stream.write_all(&head.encode()).await {
                    Ok(()) => stream.start(starter, buf),
                    Err(error) => starter.fail(error.into()),
                }
                return;
            }
        }
    }
}

enum Rejection {
    /// The peer closed between requests.
    Closed,
    /// Answer with this status and close.
    Status(u16),
}

async fn read_request(
    stream: &mut Stream,
    buf: &mut BytesMut,
    options: &ServerOptions,
) -> Result<(RequestHead, Vec<u8>), Rejection> {
    let head = match http::read_request_head(stream, buf, options.head_limits).await {
        Ok(head) => head,
        Err(HeadError::Closed | HeadError::Io(_)) => return Err(Rejection::Closed),
        Err(HeadError::TooLarge) => return Err(Rejection::Status(431)),
        Err(HeadError::Truncated | HeadError::Malformed(_)) => return Err(Rejection::Status(400)),
    };
    // Request bodies are read by Content-Length only; chunked uploads are declined.
    if head.headers.has("Transfer-Encoding") {
        return Err(Rejection::Status(501));
    }
    let length = match head.headers.get("Content-Length").map(|v| v.parse::<usize>()) {
        None => 0,
        Some(Ok(length)) => length,
        Some(Err(_)) => return Err(Rejection::Status(400)),
    };
    if length > options.max_body {
        return Err(Rejection::Status(413));
    }
    let body = http::read_body(stream, buf, length).await.map_err(|_| Rejection::Closed)?;
    Ok((head, body))
}

/// Answers a request the caller never saw (malformed, too large, too slow) and closes.
async fn reject(stream: Stream, status: u16, options: &ServerOptions) {
    reject_with(stream, ResponseHead::new(http::Version::HTTP_1_1, status), options).await
}

async fn reject_with(mut stream: Stream, mut head: ResponseHead, options: &ServerOptions) {
    head.headers.set("Content-Length", "0");
    head.headers.set("Connection", "Close");
    finish(&mut head, options);
    let _ = stream.write_all(&head.encode()).await;
    linger_close(stream).await;
}

/// Sends FIN, then reads and drops what the client still sends (bounded), so that closing with
/// unread input does not make the OS send RST and destroy the answer before the client reads it.
async fn linger_close(mut stream: Stream) {
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
    let _ = timeout(defaults::LINGER_TIMEOUT, drain).await;
}

/// Fields the server adds to every response, as Poco's `HTTPServerConnection` does.
fn finish(head: &mut ResponseHead, options: &ServerOptions) {
    if !head.headers.has("Date") {
        head.headers.0.insert(0, ("Date".into(), http::date_now()));
    }
    if let Some(name) = &options.server_name {
        if !head.headers.has("Server") {
            head.headers.set("Server", name.clone());
        }
    }
}
