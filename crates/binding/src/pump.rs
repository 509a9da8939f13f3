//! The one wake-up channel from the runtime to JS.
//!
//! Runtime threads report handles (sockets, servers) that an armed JS caller waits on; the
//! first report after a drain schedules one threadsafe-function call, and JS then drains every
//! id reported meanwhile. So a burst of frames on many connections costs one crossing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Function, Result};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{check_status, sys, Env, Status};
use napi_derive::napi;
use poco_websocket_core::{Connection, Wake};

type OnReady = ThreadsafeFunction<(), (), (), Status, false, true>;

pub struct PumpShared {
    on_ready: OnReady,
    ready: Mutex<Ready>,
    next_id: AtomicU32,
    /// Sockets whose frames `takeMessages` takes, for all of them at once.
    pub(crate) listening: Mutex<HashMap<u32, Listening>>,
    /// Message-level sockets whose turn must be ended after the batch (`endTurn`).
    pub(crate) turn_pending: Mutex<Vec<Arc<Connection>>>,
}

/// A socket the pump takes frames of.
pub(crate) struct Listening {
    pub(crate) connection: Arc<Connection>,
    /// Frame level (Poco's API): frames are taken only while the JS side wants them (set by
    /// `wantFrames`); `None` for message-level sockets, whose frames are always taken.
    pub(crate) wants_frames: Option<Arc<AtomicBool>>,
}

#[derive(Default)]
struct Ready {
    ids: Vec<u32>,
    /// A call to JS is queued and has not drained yet.
    scheduled: bool,
}

#[napi]
pub struct NativePump {
    pub(crate) shared: Arc<PumpShared>,
}

#[napi]
impl NativePump {
    /// `onReady` is called with no arguments whenever `takeMessages()` has ids to hand out. The pump
    /// starts unreferenced: JS calls `ref()` while something waits, so an idle process exits.
    #[napi(constructor)]
    pub fn new(on_ready: Function<(), ()>) -> Result<Self> {
        let on_ready = on_ready.build_threadsafe_function().weak::<true>().callee_handled::<false>().build()?;
        let shared = PumpShared {
            on_ready,
            ready: Mutex::default(),
            next_id: AtomicU32::new(1),
            listening: Mutex::default(),
            turn_pending: Mutex::default(),
        };
        Ok(NativePump { shared: Arc::new(shared) })
    }

    /// Keeps the event loop alive while JS waits for the runtime.
    #[napi(js_name = "ref")]
    pub fn hold(&self, env: Env) -> Result<()> {
        check_status!(unsafe { sys::napi_ref_threadsafe_function(env.raw(), self.shared.on_ready.raw()) })
    }

    #[napi(js_name = "unref")]
    pub fn release(&self, env: Env) -> Result<()> {
        check_status!(unsafe { sys::napi_unref_threadsafe_function(env.raw(), self.shared.on_ready.raw()) })
    }
}

impl PumpShared {
    pub fn next_id(&self) -> u32 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The core-side wake-up for handle `id`.
    pub fn waker(self: &Arc<Self>, id: u32) -> Wake {
        let pump = self.clone();
        Arc::new(move || pump.report(id))
    }

    pub(crate) fn report(&self, id: u32) {
        let mut ready = self.lock();
        ready.ids.push(id);
        let schedule = !std::mem::replace(&mut ready.scheduled, true);
        drop(ready);
        if schedule {
            self.on_ready.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ready> {
        self.ready.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The ids reported since the last call, each once, in the order they were first reported:
    /// one reported again while it is handled goes to the back of the next batch, so every
    /// handle gets its turn (the caller handles every one of them).
    pub(crate) fn take_ready(&self) -> Vec<u32> {
        let mut ready = self.lock();
        ready.scheduled = false;
        let mut ids = std::mem::take(&mut ready.ids);
        drop(ready);
        let mut seen = HashSet::with_capacity(ids.len());
        ids.retain(|id| seen.insert(*id));
        ids
    }
}
