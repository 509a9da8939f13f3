//! `NativeTopics`: one WebSocketServer's pub/sub topics. A publish is one call: the core encodes
//! the frame once and appends it to every subscriber's write buffer, with no JS per subscriber.
//! Small publishes are batched ([`Topics::publish_batched`]): the topics with a batch are noted
//! here, per JS thread, and flushed when the JS side hands over its sends ([`flush_publishes`]).

use std::cell::RefCell;
use std::sync::Arc;

use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;
use poco_websocket_core::frame::{FLAG_FIN, FLAG_RSV1, OP_BINARY, OP_TEXT};
use poco_websocket_core::topics::Topics;

use crate::errors::{to_js, JsError};
use crate::socket::NativeWebSocket;

#[napi]
pub struct NativeTopics {
    pub(crate) topics: Arc<Topics>,
}

thread_local! {
    /// Topics of this JS thread with publishes waiting for [`flush_publishes`].
    static BATCHED: RefCell<Vec<Arc<Topics>>> = const { RefCell::new(Vec::new()) };
}

/// `topics` has a batch of publishes: flushed with the JS side's next sends.
pub(crate) fn note_batched(topics: &Arc<Topics>) {
    BATCHED.with_borrow_mut(|batched| {
        if !batched.iter().any(|known| Arc::ptr_eq(known, topics)) {
            batched.push(topics.clone());
        }
    });
}

/// Hands every batch of publishes made on this thread to its subscribers: before the sends the
/// JS side made after them, and at the end of every callback batch.
pub(crate) fn flush_publishes() {
    let batched = BATCHED.with_borrow_mut(std::mem::take);
    for topics in batched {
        topics.flush();
    }
}

#[napi]
impl NativeTopics {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        NativeTopics { topics: Arc::default() }
    }

    /// False when the socket already was subscribed; throws for a bad topic or too many.
    #[napi]
    pub fn subscribe(&self, socket: &NativeWebSocket, topic: String) -> Result<bool, JsError> {
        self.topics.subscribe(socket.id(), &socket.connection, &topic).map_err(to_js)
    }

    #[napi]
    pub fn unsubscribe(&self, id: u32, topic: String) -> bool {
        self.topics.unsubscribe(id, &topic)
    }

    #[napi]
    pub fn unsubscribe_all(&self, id: u32) {
        self.topics.unsubscribe_all(id)
    }

    #[napi]
    pub fn is_subscribed(&self, id: u32, topic: String) -> bool {
        self.topics.is_subscribed(id, &topic)
    }

    #[napi]
    pub fn topics_of(&self, id: u32) -> Vec<String> {
        self.topics.topics_of(id)
    }

    #[napi]
    pub fn subscriber_count(&self, topic: String) -> u32 {
        self.topics.subscriber_count(&topic) as u32
    }

    /// Publishes missed by slow subscribers since the server started.
    #[napi(getter)]
    pub fn dropped(&self) -> f64 {
        self.topics.dropped() as f64
    }

    /// Sends `payload` as one text or binary message to every subscriber of `topic` but
    /// socket `except`; `compress` where they negotiated permessage-deflate. Returns the
    /// subscribers it is for; a small one goes out with the next [`flush_publishes`].
    #[napi]
    pub fn publish(
        &self,
        topic: String,
        payload: Uint8Array,
        binary: bool,
        except: Option<u32>,
        compress: Option<bool>,
    ) -> Result<u32, JsError> {
        let flags = message_flags(binary, compress);
        let audience = self.topics.publish_batched(&topic, flags, &payload, except).map_err(to_js)?;
        note_batched(&self.topics);
        Ok(audience as u32)
    }
}

/// A publish's frame flags: one whole text or binary message, RSV1 asking for compression.
pub(crate) fn message_flags(binary: bool, compress: Option<bool>) -> u8 {
    let compress = if compress == Some(true) { FLAG_RSV1 } else { 0 };
    FLAG_FIN | compress | if binary { OP_BINARY } else { OP_TEXT }
}
