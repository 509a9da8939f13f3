//! The one table of defaults. README.md ("Defaults") mirrors it; change both together.

use std::time::Duration;

/// Largest frame payload a connection accepts (Poco: `INT_MAX`; ws: 100 MiB). Over it the
/// connection fails with 1009 before any of the payload is read.
pub const MAX_PAYLOAD_SIZE: u64 = 100 * 1024 * 1024;
/// Largest message (all fragments together), as ws's `maxPayload`. Over it: 1009.
pub const MAX_MESSAGE_SIZE: u64 = 100 * 1024 * 1024;
/// Most fragments of one message (Autobahn 9.3.1/9.4.1 send 65,536). Over it: 1009.
pub const MAX_FRAGMENTS: u64 = 1 << 17;
/// How long a CLOSE we sent may go unanswered, and a client waits for the server to close TCP
/// after the close handshake (ws: 30 s).
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest HTTP request or response head (request line + headers) we buffer, in bytes.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most header fields in one HTTP head.
pub const MAX_HEADER_COUNT: usize = 100;
/// Largest plain-HTTP request body the server reads (Content-Length), in bytes.
pub const MAX_REQUEST_BODY: usize = 1024 * 1024;
/// Requests waiting for JS to take them before the server answers 503 (Poco's `maxQueued`, 64,
/// counts connections waiting for a thread; here JS drains the queue every tick, so only a burst
/// of connects fills it).
pub const MAX_QUEUED_REQUESTS: usize = 1024;
/// Poco's HTTP timeout (HTTP_DEFAULT_TIMEOUT, HTTPServerParams::getTimeout): handshake and
/// idle keep-alive deadline on both sides.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(60);
/// Poco's receive and send timeouts, inherited from its HTTP layer: a `receiveFrame` that
/// gets no frame for this long rejects with TimeoutException.
pub const RECEIVE_TIMEOUT: Duration = HTTP_TIMEOUT;
pub const SEND_TIMEOUT: Duration = HTTP_TIMEOUT;
/// Size of the per-thread buffer reads land in while a connection has no partial frame: an
/// idle connection holds no read buffer of its own.
pub const READ_SCRATCH: usize = 64 * 1024;
/// Used read buffers a thread keeps for reuse once their frames are released (about one turn's
/// reads across its connections): at most this many × [`READ_SCRATCH`] per thread.
pub const READ_SLABS_KEPT: usize = 16;
/// Most the read buffer grows by at once, so a declared length never drives an allocation.
pub const READ_BUFFER_STEP: usize = 256 * 1024;
/// About how many payload bytes one batch hands to JS (at least one frame, however large).
pub const RECEIVE_BATCH_BYTES: usize = 1024 * 1024;
/// At most about this many bytes of payloads under [`LARGE_PAYLOAD`] go into one batch's shared
/// buffer: kept under glibc's mmap threshold (128 KiB), the buffer comes from reused heap memory
/// instead of fresh pages faulted in for every batch (64 × 1 KiB echo: page faults were ~8 % of
/// the JS thread).
pub const RECEIVE_BATCH_SMALL_BYTES: usize = 96 * 1024;
/// About how many payload bytes one socket hands to JS in one batch before the others have had
/// theirs (fairness across connections; at least one frame).
pub const RECEIVE_SOCKET_BYTES: usize = 256 * 1024;
/// Payloads from this size cross the JS boundary in a buffer of their own, both ways, instead of
/// being copied into the batch's shared buffer.
pub const LARGE_PAYLOAD: usize = 16 * 1024;
/// The message API hands its sends to the runtime at the latest when this many payload bytes
/// wait (else once per batch or microtask). Kept under glibc's mmap threshold (128 KiB): the
/// joined buffer is then reused from the heap instead of being mapped and page-faulted in for
/// every flush (64 × 1 KiB echo: 530k → 765k msg/s).
pub const OUTBOX_FLUSH_BYTES: usize = 64 * 1024;
/// Messages an async iterator of the message API buffers before it pauses reading.
pub const ITERATOR_HIGH_WATER: usize = 64;
/// Tokio worker threads of the Node addon (env `POCO_WS_THREADS` overrides): measured on 2
/// cores, one runtime thread beside the JS thread was fastest (see bench/RESULTS.md).
pub const RUNTIME_THREADS: usize = 1;
/// Reading from the socket pauses while this many received payload bytes wait for JS.
pub const INBOUND_HIGH_WATER: usize = 4 * 1024 * 1024;
/// A send waits for the runtime to flush while more than this many bytes are buffered.
pub const OUTBOUND_HIGH_WATER: usize = 4 * 1024 * 1024;
/// How long a server that answered and closed an HTTP connection keeps reading (and dropping)
/// what the client still sends, so the OS does not reset the connection under the answer.
pub const LINGER_TIMEOUT: Duration = Duration::from_secs(2);
/// Message API keepalive: a PING after this long without traffic from the peer (0: none).
pub const KEEPALIVE_PING_INTERVAL: Duration = Duration::from_secs(30);
/// Message API keepalive: the connection is dropped after this long without anything received
/// from the peer, PONGs included (uWebSockets.js's `idleTimeout` is 120 s too).
pub const KEEPALIVE_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long `close()` lets already-buffered frames drain before the socket is dropped.
pub const CLOSE_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);
/// Poco's `ServerSocket` backlog (`listen(int backlog = 64)`).
pub const SERVER_SOCKET_BACKLOG: i32 = 64;
/// Whether `ServerSocket(address)` and `ServerSocket(port)` set SO_REUSEADDR, as Poco's do
/// (a restarted server can bind while old connections sit in TIME_WAIT). Not on Windows, where
/// SO_REUSEADDR would let another socket bind the port while this one listens (std and tokio
/// leave it off there too).
pub const SERVER_SOCKET_REUSE_ADDRESS: bool = cfg!(unix);
/// permessage-deflate (ws's defaults): messages below this many bytes go uncompressed while our
/// side resets its context per message.
pub const DEFLATE_THRESHOLD: usize = 1024;
/// permessage-deflate zlib compression level (zlib's and Node's default).
pub const DEFLATE_LEVEL: u8 = 6;
/// permessage-deflate zlib memLevel (zlib's and Node's default).
pub const DEFLATE_MEM_LEVEL: u8 = 8;

/// Pub/sub: the longest topic name in bytes (uWS has no bound; a bound keeps a hostile publish
/// or subscribe from pinning memory).
pub const MAX_TOPIC_LENGTH: usize = 1024;
/// Pub/sub: the most topics one socket may subscribe to.
pub const MAX_TOPICS_PER_SOCKET: usize = 1024;
/// Pub/sub: a subscriber owing more than this (when it has no `max_backpressure`) misses
/// publishes until it catches up; each one missed is counted.
pub const PUBLISH_BACKLOG: usize = 16 * 1024 * 1024;
/// A published frame of at least this many bytes is shared by its subscribers (one copy, each
/// socket's writer writes from it); a smaller one is copied into each write buffer, which costs
/// less than keeping a shared piece.
pub const SHARED_FRAME_MIN: usize = 256;
/// Pub/sub: consecutive publishes to one topic with payloads under this many bytes are batched
/// (uWS's 16 KiB): their frames reach each subscriber in one write at the end of the callback
/// batch. Larger (and compressed) publishes go out at once, after the batch before them.
pub const PUBLISH_BATCH_PAYLOAD: usize = 16 * 1024;
/// Pub/sub: a batch of publishes goes out once its frames hold this many bytes, not waiting
/// for the end of the callback batch.
pub const PUBLISH_BATCH_BYTES: usize = 64 * 1024;

/// Redis adapter: channels are this prefix followed by the topic name.
pub const REDIS_PREFIX: &str = "poco-ws:";
/// Redis adapter: the largest payload a publish sends to Redis (over it the publish throws).
/// Redis's own pub/sub output buffer limit for a subscriber is 32 MiB (8 MiB for 60 s): a
/// bound well under it keeps one publish from disconnecting every subscribing node.
pub const MAX_REDIS_PAYLOAD: usize = 1024 * 1024;
/// Redis adapter: publishes waiting for the publisher task may hold at most this many bytes;
/// one that does not fit is counted as lost for the other nodes (local delivery is unaffected).
pub const REDIS_QUEUE_BYTES: usize = 16 * 1024 * 1024;
/// Redis adapter: the first wait before reconnecting; it doubles up to [`REDIS_RECONNECT_MAX`].
pub const REDIS_RECONNECT_MIN: Duration = Duration::from_millis(50);
pub const REDIS_RECONNECT_MAX: Duration = Duration::from_secs(2);
/// Redis adapter: how long one connection attempt (TCP and handshake) may take.
pub const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Redis adapter: the most publishes sent in one pipeline (one round trip).
pub const REDIS_PIPELINE: usize = 256;
