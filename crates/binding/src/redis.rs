//! `NativeRedis`: a WebSocketServer's Redis adapter (the core's [`RedisAdapter`]). A publish is
//! one call that delivers locally and queues for the other nodes; what they publish reaches the
//! subscribers inside the core, with no JS. State changes reach JS through a weak threadsafe
//! function: the adapter never keeps the process alive by itself, and `close` releases it.

use std::sync::Arc;

use napi::bindgen_prelude::{FnArgs, Function, Uint8Array};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;
use napi_derive::napi;
use poco_websocket_core::topics::Topics;
use poco_websocket_core::defaults;
use poco_websocket_core::redis::{RedisAdapter, RedisOptions, RedisState};

use crate::errors::{invalid_argument, to_js, JsError};
use crate::topics::{message_flags, note_batched, NativeTopics};

/// Channels are this prefix and the topic, unless the server's `redis.prefix` says otherwise.
#[napi]
pub const REDIS_PREFIX: &str = defaults::REDIS_PREFIX;
/// The largest message a publish through Redis may carry, in bytes.
#[napi]
pub const MAX_REDIS_PAYLOAD: u32 = defaults::MAX_REDIS_PAYLOAD as u32;

/// `(state, cause)`: 'up', or 'down' with the cause.
type StateArgs = FnArgs<(String, Option<String>)>;
type OnState = ThreadsafeFunction<StateArgs, (), StateArgs, Status, false, true>;

/// The adapter's counters since it started.
#[napi(object)]
pub struct RedisCounters {
    /// Publishes Redis accepted.
    pub sent: f64,
    /// Publishes the other nodes missed: Redis was down, or the queue to it full.
    pub lost: f64,
    /// Messages of other nodes delivered here.
    pub received: f64,
    /// Messages on this prefix that no node wrote, ignored.
    pub malformed: f64,
}

#[napi]
pub struct NativeRedis {
    adapter: RedisAdapter,
    /// The server's topics, for the batches the local deliveries leave.
    topics: Arc<Topics>,
}

#[napi]
impl NativeRedis {
    /// Starts connecting to `url` in the background; throws for an unusable URL or prefix.
    #[napi(constructor)]
    pub fn new(topics: &NativeTopics, url: String, prefix: String, on_state: Function<FnArgs<(String, Option<String>)>, ()>) -> Result<Self, JsError> {
        let on_state: OnState = on_state
            .build_threadsafe_function()
            .weak::<true>()
            .callee_handled::<false>()
            .build()
            .map_err(|e| invalid_argument(e.reason))?;
        let report = move |state: RedisState| {
            let args = match state {
                RedisState::Up => ("up".to_string(), None),
                RedisState::Down(cause) => ("down".to_string(), Some(cause)),
            };
            on_state.call(args.into(), ThreadsafeFunctionCallMode::NonBlocking);
        };
        let runtime = napi::bindgen_prelude::within_runtime_if_available(tokio::runtime::Handle::try_current)
            .map_err(|e| invalid_argument(format!("No runtime for the Redis adapter: {e}")))?;
        let options = RedisOptions { url, prefix };
        let adapter = RedisAdapter::start(options, topics.topics.clone(), report, &runtime).map_err(to_js)?;
        Ok(NativeRedis { adapter, topics: topics.topics.clone() })
    }

    /// Publishes to the local subscribers of `topic` but socket `except`, and to every other
    /// node's (`compress` where they negotiated permessage-deflate); throws for a bad topic or a
    /// payload over `MAX_REDIS_PAYLOAD`.
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
        let audience = self.adapter.publish(&topic, flags, &payload, except).map_err(to_js)?;
        note_batched(&self.topics);
        Ok(audience as u32)
    }

    /// This server's id on Redis (hex).
    #[napi(getter)]
    pub fn node_id(&self) -> String {
        self.adapter.node_id()
    }

    #[napi]
    pub fn stats(&self) -> RedisCounters {
        let stats = self.adapter.stats();
        RedisCounters { sent: stats.sent as f64, lost: stats.lost as f64, received: stats.received as f64, malformed: stats.malformed as f64 }
    }

    /// Stops the adapter: its connections close and its callback is released.
    #[napi]
    pub fn close(&self) {
        self.adapter.close();
    }
}
