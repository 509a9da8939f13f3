//! Pub/sub topics (uWS's and Bun's `subscribe`/`publish`): which server connections subscribe to
//! which topic, and a publish that encodes its frame once and appends it to every subscriber's
//! write buffer, with no call back into the caller per subscriber.
//!
//! Guarantees: publishes on one topic reach each subscriber in publish order (one lock, appends
//! in turn); a subscriber owing more than its `max_backpressure` (dropped, as for a send) or
//! [`defaults::PUBLISH_BACKLOG`] (skipped) misses the publish and it is counted in `dropped`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

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
}

/// The topics of one server (or one JS environment).
#[derive(Default)]
pub struct Topics {
    inner: Mutex<Inner>,
}

/// What one publish did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    pub delivered: usize,
    /// Subscribers that were too far behind (or closing) to take it.
    pub dropped: usize,
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

    /// Subscribes socket `id`; false when it already was.
    pub fn subscribe(&self, id: u32, connection: &Arc<Connection>, topic: &str) -> Result<bool, Error> {
        check_topic(topic)?;
        let mut inner = self.lock();
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

    /// Unsubscribes socket `id`; false when it was not subscribed.
    pub fn unsubscribe(&self, id: u32, topic: &str) -> bool {
        let mut inner = self.lock();
        let removed = inner.by_socket.get_mut(&id).is_some_and(|mine| mine.remove(topic));
        if removed {
            remove_subscriber(&mut inner.topics, topic, id);
        }
        removed
    }

    /// A socket that closed leaves every topic.
    pub fn unsubscribe_all(&self, id: u32) {
        let mut inner = self.lock();
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

    /// Sends one frame (`flags`: FIN, opcode) to every subscriber of `topic` but `except`. The
    /// header is encoded once; the payload is appended to each write buffer. RSV1 in `flags`
    /// asks for compression: subscribers that negotiated permessage-deflate get it compressed
    /// by their writers, once for all that reset their context per message (see
    /// [`Connection::send_published`]).
    pub fn publish(&self, topic: &str, flags: u8, payload: &[u8], except: Option<u32>) -> Result<Published, Error> {
        check_topic(topic)?;
        let (header, header_len) = frame::header(flags & !frame::FLAG_RSV1, payload.len(), None);
        let header = &header[..header_len];
        let mut inner = self.lock();
        let subscribed = inner.topics.contains_key(topic);
        let compress = (subscribed && flags & frame::FLAG_RSV1 != 0).then(|| SharedCompression::new(Bytes::copy_from_slice(payload)));
        // One copy shared by every subscriber, for frames where that beats copying each time.
        let whole = (subscribed && payload.len() >= defaults::SHARED_FRAME_MIN).then(|| Bytes::from([header, payload].concat()));
        let publication = Publication { header, payload, whole: whole.as_ref(), compress: compress.as_ref() };
        let mut published = Published::default();
        if let Some(subscribers) = inner.topics.get(topic) {
            for (id, connection) in subscribers {
                if Some(*id) == except {
                    continue;
                }
                if connection.send_published(&publication, defaults::PUBLISH_BACKLOG) {
                    published.delivered += 1;
                } else {
                    published.dropped += 1;
                }
            }
        }
        inner.dropped += published.dropped as u64;
        Ok(published)
    }
}

fn remove_subscriber(topics: &mut HashMap<Box<str>, Vec<Subscriber>>, topic: &str, id: u32) {
    if let Some(subscribers) = topics.get_mut(topic) {
        subscribers.retain(|(other, _)| *other != id);
        if subscribers.is_empty() {
            topics.remove(topic);
        }
    }
}
