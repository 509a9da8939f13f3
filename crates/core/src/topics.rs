//! Pub/sub topics (uWS's and Bun's `subscribe`/`publish`): which server connections subscribe to
//! which topic, and a publish that encodes its frame once and appends it to every subscriber's
//! write buffer, with no call back into the caller per subscriber.
//!
//! Batching (as uWS drains its topic tree once per loop iteration): consecutive small publishes
//! to one topic ([`Topics::publish_batched`]) wait in one buffer of frames until [`Topics::flush`]
//! (the binding calls it when the JS side hands over its sends, at the end of every callback
//! batch), then reach each subscriber in one write, straight to its socket when nothing waits
//! there. Anything else done to the topics (another topic's publish, a large or compressed one,
//! subscribe, unsubscribe) flushes the batch first, so the order of calls is the order on the
//! wire.
//!
//! Guarantees: publishes reach each subscriber in publish order (one lock, appends in turn); a
//! subscriber owing more than its `max_backpressure` (dropped, as for a send) or
//! [`defaults::PUBLISH_BACKLOG`] (skipped) misses the publishes and they are counted in
//! `dropped`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};

use crate::connection::{Connection, Publication, SharedCompression};
use crate::defaults;
use crate::error::Error;
use crate::frame;

/// One socket: its connection and the id the caller knows it by.
type Subscriber = (u32, Arc<Connection>);

#[derive(Default)]
struct Inner {
    /// Subscribers in the order they subscribed.
    topics: HashMap<Box<str>, Vec<Subscriber>>,
    by_socket: HashMap<u32, HashSet<Box<str>>>,
    dropped: u64,
    batch: Option<Batch>,
}

/// Small publishes to one topic not yet handed to its subscribers.
struct Batch {
    topic: Box<str>,
    /// Their frames, back to back.
    frames: BytesMut,
    /// Where each frame ends in `frames`, and the socket it skips (`ws.publish`'s sender).
    ends: Vec<(usize, Option<u32>)>,
}

/// The topics of one server (or one JS environment).
#[derive(Default)]
pub struct Topics {
    inner: Mutex<Inner>,
}

/// What a publish (or a flush) did: deliveries, one per message and subscriber.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    pub delivered: usize,
    /// Deliveries missed by subscribers that were too far behind (or closing).
    pub dropped: usize,
}

impl std::ops::AddAssign for Published {
    fn add_assign(&mut self, other: Published) {
        self.delivered += other.delivered;
        self.dropped += other.dropped;
    }
}

/// A topic name must be 1 to [`defaults::MAX_TOPIC_LENGTH`] bytes.
pub fn check_topic(topic: &str) -> Result<(), Error> {
    if topic.is_empty() || topic.len() > defaults::MAX_TOPIC_LENGTH {
        return Err(Error::InvalidArgument(format!(
            "A topic name must be 1 to {} bytes long (got {})",
            defaults::MAX_TOPIC_LENGTH,
            topic.len()
        )));
    }
    Ok(())
}

impl Topics {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Subscribes socket `id`; false when it already was. Publishes made before it are not
    /// for it.
    pub fn subscribe(&self, id: u32, connection: &Arc<Connection>, topic: &str) -> Result<bool, Error> {
        check_topic(topic)?;
        let mut inner = self.lock();
        inner.flush();
        let mine = inner.by_socket.entry(id).or_default();
        if mine.contains(topic) {
            return Ok(false);
        }
        if mine.len() >= defaults::MAX_TOPICS_PER_SOCKET {
            return Err(Error::InvalidArgument(format!(
                "A socket may subscribe to at most {} topics",
                defaults::MAX_TOPICS_PER_SOCKET
            )));
        }
        mine.insert(topic.into());
        inner.topics.entry(topic.into()).or_default().push((id, connection.clone()));
        Ok(true)
    }

    /// Unsubscribes socket `id`; false when it was not subscribed. Publishes made before it
    /// still reach the socket.
    pub fn unsubscribe(&self, id: u32, topic: &str) -> bool {
        let mut inner = self.lock();
        inner.flush();
        let removed = inner.by_socket.get_mut(&id).is_some_and(|mine| mine.remove(topic));
        if removed {
            remove_subscriber(&mut inner.topics, topic, id);
        }
        removed
    }

    /// A socket that closed leaves every topic.
    pub fn unsubscribe_all(&self, id: u32) {
        let mut inner = self.lock();
        inner.flush();
        if let Some(mine) = inner.by_socket.remove(&id) {
            for topic in mine {
                remove_subscriber(&mut inner.topics, &topic, id);
            }
        }
    }

    pub fn is_subscribed(&self, id: u32, topic: &str) -> bool {
        self.lock().by_socket.get(&id).is_some_and(|mine| mine.contains(topic))
    }

    /// Socket `id`'s topics, sorted.
    pub fn topics_of(&self, id: u32) -> Vec<String> {
        let mut topics: Vec<String> = self.lock().by_socket.get(&id).map(|mine| mine.iter().map(|t| t.to_string()).collect()).unwrap_or_default();
        topics.sort();
        topics
    }

    pub fn subscriber_count(&self, topic: &str) -> usize {
        self.lock().topics.get(topic).map_or(0, Vec::len)
    }

    /// Publishes missed by slow subscribers since the start.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Sends one frame (`flags`: FIN, opcode) to every subscriber of `topic` but `except`, at
    /// once (with the batch waiting before it). RSV1 in `flags` asks for compression:
    /// subscribers that negotiated permessage-deflate get it compressed by their writers, once
    /// for all that reset their context per message (see [`Connection::send_published`]).
    pub fn publish(&self, topic: &str, flags: u8, payload: &[u8], except: Option<u32>) -> Result<Published, Error> {
        check_topic(topic)?;
        let mut inner = self.lock();
        let mut published = inner.add(topic, flags, payload, except).1;
        published += inner.flush();
        Ok(published)
    }

    /// [`publish`](Self::publish), batched: a small uncompressed message waits for the next
    /// [`flush`](Self::flush) (or the next call that must go after it). Returns the number of
    /// subscribers it is for.
    pub fn publish_batched(&self, topic: &str, flags: u8, payload: &[u8], except: Option<u32>) -> Result<usize, Error> {
        check_topic(topic)?;
        Ok(self.lock().add(topic, flags, payload, except).0)
    }

    /// Hands the waiting batch of publishes to its subscribers.
    pub fn flush(&self) -> Published {
        self.lock().flush()
    }
}

impl Inner {
    /// Takes one publish: the subscribers it is for, and what was delivered meanwhile.
    fn add(&mut self, topic: &str, flags: u8, payload: &[u8], except: Option<u32>) -> (usize, Published) {
        let Some(subscribers) = self.topics.get(topic) else { return (0, Published::default()) };
        let sender_subscribed = except.is_some_and(|id| self.by_socket.get(&id).is_some_and(|mine| mine.contains(topic)));
        let audience = subscribers.len() - usize::from(sender_subscribed);
        if audience == 0 {
            return (0, Published::default());
        }
        let batched = flags & frame::FLAG_RSV1 == 0 && payload.len() < defaults::PUBLISH_BATCH_PAYLOAD;
        let mut published = Published::default();
        if !batched || self.batch.as_ref().is_some_and(|batch| *batch.topic != *topic) {
            published += self.flush();
        }
        if !batched {
            published += self.deliver(topic, flags, payload, except);
            return (audience, published);
        }
        let batch = self.batch.get_or_insert_with(|| Batch { topic: topic.into(), frames: BytesMut::new(), ends: Vec::new() });
        frame::encode(flags, payload, None, &mut batch.frames);
        batch.ends.push((batch.frames.len(), except));
        if batch.frames.len() >= defaults::PUBLISH_BATCH_BYTES {
            published += self.flush();
        }
        (audience, published)
    }

    /// The batch to its topic's subscribers: all its frames in one piece, or (when some skip
    /// their sender) the runs of frames each subscriber gets.
    fn flush(&mut self) -> Published {
        let Some(Batch { topic, frames, ends }) = self.batch.take() else { return Published::default() };
        let frames = frames.freeze();
        let mut published = Published::default();
        let skipping = ends.iter().any(|(_, except)| except.is_some());
        for (id, connection) in self.topics.get(&topic).into_iter().flatten() {
            let (runs, count) = if skipping { runs_for(&frames, &ends, *id) } else { (vec![frames.clone()], ends.len()) };
            if count == 0 {
                continue;
            }
            if connection.send_frames_shared(&runs, defaults::PUBLISH_BACKLOG) {
                published.delivered += count;
            } else {
                published.dropped += count;
            }
        }
        self.dropped += published.dropped as u64;
        published
    }

    /// One publish to every subscriber at once: the header encoded once, the whole frame shared
    /// when that beats copying it into each write buffer, compressed by the writers.
    fn deliver(&mut self, topic: &str, flags: u8, payload: &[u8], except: Option<u32>) -> Published {
        let (header, header_len) = frame::header(flags & !frame::FLAG_RSV1, payload.len(), None);
        let header = &header[..header_len];
        let compress = (flags & frame::FLAG_RSV1 != 0).then(|| SharedCompression::new(Bytes::copy_from_slice(payload)));
        let whole = (payload.len() >= defaults::SHARED_FRAME_MIN).then(|| Bytes::from([header, payload].concat()));
        let publication = Publication { header, payload, whole: whole.as_ref(), compress: compress.as_ref() };
        let mut published = Published::default();
        for (id, connection) in self.topics.get(topic).into_iter().flatten() {
            if Some(*id) == except {
                continue;
            }
            if connection.send_published(&publication, defaults::PUBLISH_BACKLOG) {
                published.delivered += 1;
            } else {
                published.dropped += 1;
            }
        }
        self.dropped += published.dropped as u64;
        published
    }
}

/// The parts of `frames` subscriber `id` gets (every frame that does not skip it, adjacent ones
/// joined), and how many frames they hold.
fn runs_for(frames: &Bytes, ends: &[(usize, Option<u32>)], id: u32) -> (Vec<Bytes>, usize) {
    let mut runs = Vec::new();
    let (mut count, mut run_start, mut start) = (0, None, 0);
    for &(end, except) in ends {
        if except == Some(id) {
            if let Some(from) = run_start.take() {
                runs.push(frames.slice(from..start));
            }
        } else {
            run_start.get_or_insert(start);
            count += 1;
        }
        start = end;
    }
    if let Some(from) = run_start {
        runs.push(frames.slice(from..start));
    }
    (runs, count)
}

fn remove_subscriber(topics: &mut HashMap<Box<str>, Vec<Subscriber>>, topic: &str, id: u32) {
    if let Some(subscribers) = topics.get_mut(topic) {
        subscribers.retain(|(other, _)| *other != id);
        if subscribers.is_empty() {
            topics.remove(topic);
        }
    }
}
