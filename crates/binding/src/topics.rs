//! `NativeTopics`: one WebSocketServer's pub/sub topics. A publish is one call: the core encodes
//! the frame once and appends it to every subscriber's write buffer, with no JS per subscriber.

use std::sync::Arc;

use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;
use poco_websocket_core::frame::{FLAG_FIN, FLAG_RSV1, OP_BINARY, OP_TEXT};
use poco_websocket_core::topics::{Published, Topics};

use crate::errors::{to_js, JsError};
use crate::socket::NativeWebSocket;

#[napi]
pub struct NativeTopics {
    pub(crate) topics: Arc<Topics>,
}

/// What one publish did (to the local subscribers).
#[napi(object)]
pub struct PublishResult {
    pub delivered: u32,
    /// Subscribers too far behind (or closing) to take it.
    pub dropped: u32,
}

impl From<Published> for PublishResult {
    fn from(published: Published) -> Self {
        PublishResult { delivered: published.delivered as u32, dropped: published.dropped as u32 }
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
    /// socket `except`; `compress` where they negotiated permessage-deflate.
    #[napi]
    pub fn publish(
        &self,
        topic: String,
        payload: Uint8Array,
        binary: bool,
        except: Option<u32>,
        compress: Option<bool>,
    ) -> Result<PublishResult, JsError> {
        let flags = message_flags(binary, compress);
        self.topics.publish(&topic, flags, &payload, except).map(PublishResult::from).map_err(to_js)
    }
}

/// A publish's frame flags: one whole text or binary message, RSV1 asking for compression.
pub(crate) fn message_flags(binary: bool, compress: Option<bool>) -> u8 {
    let compress = if compress == Some(true) { FLAG_RSV1 } else { 0 };
    FLAG_FIN | compress | if binary { OP_BINARY } else { OP_TEXT }
}
