//! The one wake-up channel from the runtime to JS.
//!
//! Runtime threads report handles (sockets, servers) that an armed JS caller waits on; the
//! first report after a drain schedules one threadsafe-function call, and JS then drains every
//! id reported meanwhile. So a burst of frames on many connections costs one crossing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::ThreadId;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Function, Result};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{check_status, sys, Env, JsValue, Status};
use napi_derive::napi;
use poco_websocket_core::{Connection, Wake};

type OnReady = ThreadsafeFunction<(), (), (), Status, false, true>;

pub struct PumpShared {
    on_ready: OnReady,
    /// The same JS function, for calling it directly from this thread's event-loop callbacks
    /// (the reactor): no hop through the threadsafe function's queue.
    direct: DirectCall,
    /// The JS thread.
    thread: ThreadId,
    /// Set while the reactor's event-loop callback runs: reports from this thread then wait for
    /// its dispatch at the end instead of scheduling one.
    pub(crate) in_turn: AtomicBool,
    /// The JS thread's engine for plain TCP, made on first use (see `reactor.rs`).
    #[cfg(unix)]
    pub(crate) reactor: std::sync::OnceLock<crate::reactor::Engine>,
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
    pub fn new(env: Env, on_ready: Function<(), ()>) -> Result<Self> {
        let direct = DirectCall::new(&env, &on_ready)?;
        let on_ready = on_ready.build_threadsafe_function().weak::<true>().callee_handled::<false>().build()?;
        let shared = PumpShared {
            on_ready,
            direct,
            thread: std::thread::current().id(),
            in_turn: AtomicBool::new(false),
            #[cfg(unix)]
            reactor: std::sync::OnceLock::new(),
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

    /// Where connections made now run once started: the JS thread's reactor where it can run.
    pub(crate) fn placement(self: &Arc<Self>, env: &Env) -> poco_websocket_core::Placement {
        #[cfg(unix)]
        {
            poco_websocket_core::Placement { reactor: crate::reactor::engine(env, self) }
        }
        #[cfg(not(unix))]
        {
            let _ = env;
            poco_websocket_core::Placement::default()
        }
    }

    /// The core-side wake-up for handle `id`.
    pub fn waker(self: &Arc<Self>, id: u32) -> Wake {
        let pump = self.clone();
        Arc::new(move || pump.report(id))
    }

    pub(crate) fn report(&self, id: u32) {
        let mut ready = self.lock();
        ready.ids.push(id);
        if self.in_turn.load(Ordering::SeqCst) && std::thread::current().id() == self.thread {
            return;
        }
        let schedule = !std::mem::replace(&mut ready.scheduled, true);
        drop(ready);
        if schedule {
            self.on_ready.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    /// Whether ids wait to be handed to JS.
    pub(crate) fn has_ready(&self) -> bool {
        !self.lock().ids.is_empty()
    }

    /// Calls the JS side now, from an event-loop callback of the JS thread (microtasks and
    /// `process.nextTick` callbacks run before it returns, as after any I/O callback).
    ///
    /// # Safety
    /// On the JS thread, outside any JS call (not re-entrant).
    pub(crate) unsafe fn dispatch_now(&self) {
        self.direct.call();
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

/// A JS function called straight from native code of the JS thread, with `napi_make_callback`
/// (an async context, so that the callback scope drains microtasks when it closes).
struct DirectCall {
    env: usize,
    function: usize,
    context: usize,
}

impl DirectCall {
    fn new(env: &Env, function: &Function<(), ()>) -> Result<Self> {
        let env_raw = env.raw();
        let mut reference = std::ptr::null_mut();
        let mut context = std::ptr::null_mut();
        // SAFETY: valid env and values of this call; the reference and the context live as long
        // as the pump (one per JS environment, never freed before it goes).
        unsafe {
            check_status!(sys::napi_create_reference(env_raw, function.raw(), 1, &mut reference))?;
            let mut resource = std::ptr::null_mut();
            check_status!(sys::napi_create_object(env_raw, &mut resource))?;
            let mut name = std::ptr::null_mut();
            let text = "poco-websocket";
            check_status!(sys::napi_create_string_utf8(env_raw, text.as_ptr().cast(), text.len() as isize, &mut name))?;
            check_status!(sys::napi_async_init(env_raw, resource, name, &mut context))?;
        }
        Ok(DirectCall { env: env_raw as usize, function: reference as usize, context: context as usize })
    }

    /// # Safety
    /// On the JS thread, from an event-loop callback.
    unsafe fn call(&self) {
        let env = self.env as sys::napi_env;
        let mut scope = std::ptr::null_mut();
        if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
            return;
        }
        let mut function = std::ptr::null_mut();
        let mut global = std::ptr::null_mut();
        if sys::napi_get_reference_value(env, self.function as sys::napi_ref, &mut function) == sys::Status::napi_ok
            && sys::napi_get_global(env, &mut global) == sys::Status::napi_ok
        {
            let mut result = std::ptr::null_mut();
            let status = sys::napi_make_callback(env, self.context as sys::napi_async_context, global, function, 0, std::ptr::null(), &mut result);
            if status == sys::Status::napi_pending_exception {
                // As for any event-loop callback: the process's uncaught exception.
                let mut exception = std::ptr::null_mut();
                if sys::napi_get_and_clear_last_exception(env, &mut exception) == sys::Status::napi_ok {
                    sys::napi_fatal_exception(env, exception);
                }
            }
        }
        sys::napi_close_handle_scope(env, scope);
    }
}
