//! The Redis adapter: pub/sub topics across processes and machines. A publish through
//! [`RedisAdapter::publish`] is delivered locally by [`Topics`] as before and queued for Redis;
//! what other nodes publish comes back through one PSUBSCRIBE on `prefix*` and goes straight into
//! [`Topics::publish`], so a remote message reaches the subscribers' write buffers without the
//! caller (JS) seeing it. The layout on Redis is [`wire`]'s.
//!
//! Client: redis-rs (`redis` crate, tokio connections) rather than fred. Both reconnect and
//! resubscribe, speak RESP3 and know cluster and sharded pub/sub; what decided is that this
//! adapter needs none of that machinery but wants to see each outage itself (to report it, to
//! count what is lost and to back off its own way), and redis-rs's plain connections make that a
//! short loop ([`supervise`]) with few dependencies, where fred keeps reconnection inside its own
//! client task. Plain PSUBSCRIBE (RESP2) works with every Redis and Valkey; sharded pub/sub
//! (SSUBSCRIBE) would need one subscription per topic and is left for a cluster setup.
//!
//! Faults: while Redis is unreachable (and before the first connection), local delivery goes on;
//! publishes meant for the other nodes are dropped and counted in [`RedisStats::lost`] (Redis
//! pub/sub keeps no history, so nothing could replay them), and the adapter reconnects with a
//! doubling backoff ([`defaults::REDIS_RECONNECT_MIN`] to [`defaults::REDIS_RECONNECT_MAX`]),
//! subscribing again. Each change is reported once through the `on_state` callback.

pub mod wire;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use tokio::sync::{watch, Notify};

use crate::defaults;
use crate::error::Error;
use crate::frame::{FLAG_FIN, FLAG_RSV1, OP_BINARY, OP_TEXT};
use crate::topics::{check_topic, Topics};
use wire::NodeId;

/// Where the adapter connects.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// `redis://[user:password@]host[:port][/db]`.
    pub url: String,
    /// Channels are this prefix followed by the topic ([`defaults::REDIS_PREFIX`] by default).
    pub prefix: String,
}

/// A change of the connection to Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisState {
    /// Connected and subscribed.
    Up,
    /// Unreachable or lost; the cause.
    Down(String),
}

/// Counters since the adapter started.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RedisStats {
    /// Publishes Redis accepted.
    pub sent: u64,
    /// Publishes that never reached Redis (down, or the queue full): the other nodes missed them.
    pub lost: u64,
    /// Messages from other nodes handed to the local subscribers.
    pub received: u64,
    /// Messages on our channels that were not in [`wire`]'s layout, ignored.
    pub malformed: u64,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    lost: AtomicU64,
    received: AtomicU64,
    malformed: AtomicU64,
}

/// One publish waiting for Redis.
struct Outgoing {
    channel: String,
    body: Vec<u8>,
}

/// Publishes waiting for the publisher task, bounded by their bytes.
#[derive(Default)]
struct Queue {
    items: Mutex<VecDeque<Outgoing>>,
    bytes: AtomicUsize,
    ready: Notify,
}

impl Queue {
    fn push(&self, item: Outgoing) -> bool {
        let size = item.body.len();
        if self.bytes.fetch_add(size, Ordering::AcqRel) + size > defaults::REDIS_QUEUE_BYTES {
            self.bytes.fetch_sub(size, Ordering::AcqRel);
            return false;
        }
        self.lock().push_back(item);
        self.ready.notify_one();
        true
    }

    /// Up to `most` items, waiting for at least one.
    async fn take(&self, most: usize) -> Vec<Outgoing> {
        loop {
            let taken: Vec<Outgoing> = {
                let mut items = self.lock();
                let n = items.len().min(most);
                items.drain(..n).collect()
            };
            if !taken.is_empty() {
                let size: usize = taken.iter().map(|item| item.body.len()).sum();
                self.bytes.fetch_sub(size, Ordering::AcqRel);
                return taken;
            }
            self.ready.notified().await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Outgoing>> {
        self.items.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

type OnState = Box<dyn Fn(RedisState) + Send + Sync>;

/// What the supervisor task shares with the adapter.
struct Link {
    client: ::redis::Client,
    prefix: String,
    node: NodeId,
    topics: Arc<Topics>,
    counters: Counters,
    queue: Queue,
    /// Connected and subscribed: publishes are queued only then (else they are lost at once).
    up: AtomicBool,
}

/// One server's connection to Redis. Dropping it (or [`close`](Self::close)) stops the task.
pub struct RedisAdapter {
    link: Arc<Link>,
    stop: watch::Sender<bool>,
}

impl RedisAdapter {
    /// Starts the adapter on `runtime`; it connects in the background. Throws only for an
    /// unusable URL or prefix: Redis being down is a state, reported through `on_state`.
    pub fn start(
        options: RedisOptions,
        topics: Arc<Topics>,
        on_state: impl Fn(RedisState) + Send + Sync + 'static,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Self, Error> {
        let client = ::redis::Client::open(options.url.as_str())
            .map_err(|e| Error::InvalidArgument(format!("Invalid Redis URL {:?}: {e}", options.url)))?;
        if options.prefix.len() > defaults::MAX_TOPIC_LENGTH {
            return Err(Error::InvalidArgument(format!("A Redis prefix must be at most {} bytes long", defaults::MAX_TOPIC_LENGTH)));
        }
        let link = Arc::new(Link {
            client,
            prefix: options.prefix,
            node: rand::random(),
            topics,
            counters: Counters::default(),
            queue: Queue::default(),
            up: AtomicBool::new(false),
        });
        let (stop, stopped) = watch::channel(false);
        // The task owns the callback: it is dropped (a JS callback released) once stopped.
        runtime.spawn(supervise(link.clone(), Box::new(on_state), stopped));
        Ok(RedisAdapter { link, stop })
    }

    /// This server's id on Redis, in hex.
    pub fn node_id(&self) -> String {
        self.link.node.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A publish everywhere: checked ([`check_publish`]), delivered to the local subscribers of
    /// `topic` but `except` as [`Topics::publish_batched`] delivers it (`flags`: FIN, RSV1 to
    /// compress, the opcode), and queued for the other nodes without waiting. What cannot be
    /// queued (Redis down or not connected yet, the queue full, the adapter stopped) is counted
    /// as lost. Returns the local subscribers it is for.
    pub fn publish(&self, topic: &str, flags: u8, payload: &[u8], except: Option<u32>) -> Result<usize, Error> {
        check_publish(topic, payload)?;
        let published = self.link.topics.publish_batched(topic, flags, payload, except)?;
        let (binary, compress) = (flags & 0x0f == OP_BINARY, flags & FLAG_RSV1 != 0);
        let body = wire::encode(&self.link.node, binary, compress, payload);
        let item = Outgoing { channel: wire::channel(&self.link.prefix, topic), body };
        if *self.stop.borrow() || !self.link.up.load(Ordering::Acquire) || !self.link.queue.push(item) {
            self.link.counters.lost.fetch_add(1, Ordering::Relaxed);
        }
        Ok(published)
    }

    pub fn stats(&self) -> RedisStats {
        let c = &self.link.counters;
        RedisStats {
            sent: c.sent.load(Ordering::Relaxed),
            lost: c.lost.load(Ordering::Relaxed),
            received: c.received.load(Ordering::Relaxed),
            malformed: c.malformed.load(Ordering::Relaxed),
        }
    }

    /// Stops the task and closes its connections; later publishes are counted as lost.
    pub fn close(&self) {
        self.stop.send_replace(true);
    }
}

impl Drop for RedisAdapter {
    fn drop(&mut self) {
        self.close();
    }
}

/// What a publish through Redis must satisfy: a valid topic, a payload of at most
/// [`defaults::MAX_REDIS_PAYLOAD`] bytes. Checked before the local delivery too, so that a
/// publish goes everywhere or nowhere.
pub fn check_publish(topic: &str, payload: &[u8]) -> Result<(), Error> {
    check_topic(topic)?;
    if payload.len() > defaults::MAX_REDIS_PAYLOAD {
        return Err(Error::InvalidArgument(format!(
            "A message published through Redis must be at most {} bytes long (got {})",
            defaults::MAX_REDIS_PAYLOAD,
            payload.len()
        )));
    }
    Ok(())
}

/// Connects, serves until the connection fails, backs off, again; until stopped.
async fn supervise(link: Arc<Link>, on_state: OnState, mut stop: watch::Receiver<bool>) {
    let mut backoff = defaults::REDIS_RECONNECT_MIN;
    let mut up = None;
    let mut report = |state: RedisState| {
        let is_up = state == RedisState::Up;
        if up != Some(is_up) {
            up = Some(is_up);
            on_state(state);
        }
    };
    loop {
        let connected = tokio::select! {
            biased;
            _ = stopped(&mut stop) => return,
            connected = connect(&link) => connected,
        };
        let cause = match connected {
            Ok((messages, publisher)) => {
                backoff = defaults::REDIS_RECONNECT_MIN;
                link.up.store(true, Ordering::Release);
                report(RedisState::Up);
                let ended = serve(&link, messages, publisher, &mut stop).await;
                link.up.store(false, Ordering::Release);
                match ended {
                    Some(cause) => cause,
                    None => return,
                }
            }
            Err(cause) => cause,
        };
        report(RedisState::Down(cause));
        // Nothing can reach Redis meanwhile: what is published is lost for the other nodes.
        let wait = tokio::time::sleep(backoff);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                biased;
                _ = stopped(&mut stop) => return,
                _ = &mut wait => break,
                dropped = link.queue.take(usize::MAX) => {
                    link.counters.lost.fetch_add(dropped.len() as u64, Ordering::Relaxed);
                }
            }
        }
        backoff = (backoff * 2).min(defaults::REDIS_RECONNECT_MAX);
    }
}

type Connected = (::redis::aio::PubSubStream, ::redis::aio::MultiplexedConnection);

/// A subscribed connection for what others publish, and one to publish on.
async fn connect(link: &Link) -> Result<Connected, String> {
    let attempt = async {
        let mut pubsub = link.client.get_async_pubsub().await?;
        pubsub.psubscribe(wire::pattern(&link.prefix)).await?;
        let publisher = link.client.get_multiplexed_async_connection().await?;
        Ok::<_, ::redis::RedisError>((pubsub.into_on_message(), publisher))
    };
    match tokio::time::timeout(defaults::REDIS_CONNECT_TIMEOUT, attempt).await {
        Ok(Ok(connected)) => Ok(connected),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("No answer from Redis within {:?}", defaults::REDIS_CONNECT_TIMEOUT)),
    }
}

/// Delivers what arrives and sends what is queued; the cause when a connection fails, `None`
/// when stopped.
async fn serve(
    link: &Link,
    mut messages: ::redis::aio::PubSubStream,
    mut publisher: ::redis::aio::MultiplexedConnection,
    stop: &mut watch::Receiver<bool>,
) -> Option<String> {
    loop {
        tokio::select! {
            biased;
            _ = stopped(stop) => return None,
            message = messages.next() => {
                let Some(message) = message else { return Some(LOST.into()) };
                deliver(link, message.get_channel_name(), message.get_payload_bytes());
                // What has arrived with it goes out as one batch per topic (one write per
                // subscriber), as the publishes of a callback batch do.
                let mut ended = false;
                for _ in 1..REDIS_BURST {
                    match messages.next().now_or_never() {
                        Some(Some(message)) => deliver(link, message.get_channel_name(), message.get_payload_bytes()),
                        Some(None) => {
                            ended = true;
                            break;
                        }
                        None => break,
                    }
                }
                link.topics.flush();
                if ended {
                    return Some(LOST.into());
                }
            }
            batch = link.queue.take(defaults::REDIS_PIPELINE) => {
                let mut pipeline = ::redis::pipe();
                for item in &batch {
                    pipeline.publish(&item.channel, &item.body).ignore();
                }
                let sent = tokio::time::timeout(SEND_TIMEOUT, pipeline.query_async::<()>(&mut publisher)).await;
                let counter = if matches!(sent, Ok(Ok(()))) { &link.counters.sent } else { &link.counters.lost };
                counter.fetch_add(batch.len() as u64, Ordering::Relaxed);
                match sent {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return Some(e.to_string()),
                    Err(_) => return Some("Redis did not answer a publish".into()),
                }
            }
        }
    }
}

/// Resolves once the adapter is stopped (or dropped).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Why serving ended when the subscription stream did.
const LOST: &str = "The connection to Redis was lost";
/// Messages of other nodes taken in one go before they are flushed to the subscribers.
const REDIS_BURST: usize = 256;

/// A pipeline Redis has not answered within this is taken as a lost connection.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Hands a message of another node to the local subscribers (batched: the caller flushes).
fn deliver(link: &Link, channel: &str, bytes: &[u8]) {
    let (Some(topic), Some(message)) = (wire::topic_of(&link.prefix, channel), wire::decode(bytes)) else {
        link.counters.malformed.fetch_add(1, Ordering::Relaxed);
        return;
    };
    if message.origin == link.node {
        return;
    }
    let compress = if message.compress { FLAG_RSV1 } else { 0 };
    let flags = FLAG_FIN | compress | if message.binary { OP_BINARY } else { OP_TEXT };
    if link.topics.publish_batched(topic, flags, message.payload, None).is_ok() {
        link.counters.received.fetch_add(1, Ordering::Relaxed);
    }
}
