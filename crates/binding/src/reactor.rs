//! The JS-thread engine in Node's event loop: one core [`Reactor`] per JS environment. Its
//! descriptor is watched by a libuv poll handle; an idle handle gives it a turn when work is
//! left over (a connection over its share of a turn, sends made outside a turn), and a timer
//! handle when its next deadline comes. At the end of every turn the JS side gets the batch
//! through a direct call, then what it sent is written: reading, the handlers and writing all
//! run on this thread, with no hand-off.
//!
//! libuv's functions come from the Node executable the addon is loaded into.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use napi::{sys, Env};
use poco_websocket_core::reactor::{Reactor, ReactorHandle};

use crate::pump::PumpShared;

/// libuv's `uv_handle_type` values (uv.h: UV_HANDLE_TYPE_MAP).
const UV_IDLE: c_int = 6;
const UV_POLL: c_int = 8;
const UV_TIMER: c_int = 13;
const UV_READABLE: c_int = 1;
/// Rounds of dispatch and writing in one event-loop callback before the rest waits for the
/// next loop iteration.
const ROUNDS: usize = 4;

extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_handle_set_data(handle: *mut c_void, data: *mut c_void);
    fn uv_handle_get_data(handle: *const c_void) -> *mut c_void;
    fn uv_unref(handle: *mut c_void);
    fn uv_poll_init(event_loop: *mut c_void, handle: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(handle: *mut c_void, events: c_int, callback: extern "C" fn(*mut c_void, c_int, c_int)) -> c_int;
    fn uv_idle_init(event_loop: *mut c_void, handle: *mut c_void) -> c_int;
    fn uv_idle_start(handle: *mut c_void, callback: extern "C" fn(*mut c_void)) -> c_int;
    fn uv_idle_stop(handle: *mut c_void) -> c_int;
    fn uv_timer_init(event_loop: *mut c_void, handle: *mut c_void) -> c_int;
    fn uv_timer_start(handle: *mut c_void, callback: extern "C" fn(*mut c_void), timeout: u64, repeat: u64) -> c_int;
    fn uv_timer_stop(handle: *mut c_void) -> c_int;
}

/// What the pump keeps of the engine: the handle connections are placed with.
pub(crate) struct Engine {
    pub(crate) handle: ReactorHandle,
}

/// The engine's state on the JS thread; leaked, it lives as long as the JS environment.
struct Driven {
    reactor: RefCell<Reactor>,
    pump: Arc<PumpShared>,
    idle: *mut c_void,
    timer: *mut c_void,
    /// Inside one of the engine's callbacks: work found meanwhile is done before it returns.
    busy: Cell<bool>,
    idle_on: Cell<bool>,
    timer_at: Cell<Option<Instant>>,
}

/// Which engine runs plain TCP connections: the JS-thread reactor (`reactor`, the default on
/// Unix) or the runtime threads (`runtime`); env `POCO_WS_ENGINE`.
pub(crate) fn reactor_wanted() -> bool {
    !matches!(std::env::var("POCO_WS_ENGINE").as_deref(), Ok("runtime"))
}

/// The engine of `pump`'s JS environment, started on first use; `None` where it cannot run
/// (the runtime threads then carry every connection).
pub(crate) fn engine(env: &Env, pump: &Arc<PumpShared>) -> Option<ReactorHandle> {
    if !reactor_wanted() {
        return None;
    }
    if let Some(engine) = pump.reactor.get() {
        return Some(engine.handle.clone());
    }
    // SAFETY: on the JS thread (`env` is this call's); the handles are allocated at libuv's own
    // sizes and never freed (the engine lives as long as the environment).
    let handle = unsafe { start(env, pump.clone()) }?;
    let _ = pump.reactor.set(Engine { handle: handle.clone() });
    Some(handle)
}

unsafe fn start(env: &Env, pump: Arc<PumpShared>) -> Option<ReactorHandle> {
    let mut event_loop = std::ptr::null_mut();
    if sys::napi_get_uv_event_loop(env.raw(), &mut event_loop) != sys::Status::napi_ok || event_loop.is_null() {
        return None;
    }
    let event_loop = event_loop.cast::<c_void>();
    let reactor = Reactor::new().ok()?;
    let allocate = |kind| Box::into_raw(vec![0u64; uv_handle_size(kind).div_ceil(8)].into_boxed_slice()).cast::<c_void>();
    let (poll, idle, timer) = (allocate(UV_POLL), allocate(UV_IDLE), allocate(UV_TIMER));
    if uv_poll_init(event_loop, poll, reactor.fd()) != 0 || uv_idle_init(event_loop, idle) != 0 || uv_timer_init(event_loop, timer) != 0 {
        return None;
    }
    let handle = reactor.handle();
    let driven = Box::into_raw(Box::new(Driven {
        reactor: RefCell::new(reactor),
        pump,
        idle,
        timer,
        busy: Cell::new(false),
        idle_on: Cell::new(false),
        timer_at: Cell::new(None),
    }));
    for handle in [poll, idle, timer] {
        uv_handle_set_data(handle, driven.cast());
        // The engine never keeps the process alive by itself: the JS side refs the pump while
        // something waits, as for any socket.
        uv_unref(handle);
    }
    if uv_poll_start(poll, UV_READABLE, on_poll) != 0 {
        return None;
    }
    let address = driven as usize;
    handle.set_local_wake(move || {
        // Called on the JS thread only (the reactor checks): a connection was woken outside a
        // turn, by a send or a setting of the JS side.
        // SAFETY: `address` is the leaked `Driven`, used on its own thread.
        let driven = unsafe { &*(address as *const Driven) };
        if !driven.busy.get() {
            driven.want_idle();
        }
    });
    Some(handle)
}

extern "C" fn on_poll(handle: *mut c_void, _status: c_int, _events: c_int) {
    // SAFETY: the data of the engine's own handles is its leaked `Driven`.
    let driven = unsafe { &*(uv_handle_get_data(handle) as *const Driven) };
    driven.run(true);
}

extern "C" fn on_idle(handle: *mut c_void) {
    // SAFETY: as in `on_poll`.
    let driven = unsafe { &*(uv_handle_get_data(handle) as *const Driven) };
    driven.run(false);
}

extern "C" fn on_timer(handle: *mut c_void) {
    // SAFETY: as in `on_poll`.
    let driven = unsafe { &*(uv_handle_get_data(handle) as *const Driven) };
    driven.timer_at.set(None);
    driven.run(true);
}

impl Driven {
    /// One callback of the event loop: a turn of the reactor (or only its ready connections),
    /// then the batch to JS and what JS sent to the sockets, a few rounds at most.
    fn run(&self, turn: bool) {
        self.busy.set(true);
        self.pump.in_turn.store(true, Ordering::SeqCst);
        {
            let mut reactor = self.reactor.borrow_mut();
            if turn {
                reactor.turn();
            } else {
                reactor.run_ready();
            }
        }
        let mut more = false;
        for _ in 0..ROUNDS {
            if self.pump.has_ready() {
                // SAFETY: on the JS thread, in an event-loop callback, not inside JS.
                unsafe { self.pump.dispatch_now() };
            }
            more = self.reactor.borrow_mut().run_ready();
            if !more && !self.pump.has_ready() {
                break;
            }
        }
        self.pump.in_turn.store(false, Ordering::SeqCst);
        self.busy.set(false);
        if more || self.pump.has_ready() {
            self.want_idle();
        } else if self.idle_on.replace(false) {
            // SAFETY: the engine's own idle handle, on its thread.
            unsafe { uv_idle_stop(self.idle) };
        }
        self.arm_timer();
    }

    fn want_idle(&self) {
        if !self.idle_on.replace(true) {
            // SAFETY: the engine's own idle handle, on its thread.
            unsafe { uv_idle_start(self.idle, on_idle) };
        }
    }

    fn arm_timer(&self) {
        let next = self.reactor.borrow().next_deadline();
        if next == self.timer_at.get() {
            return;
        }
        self.timer_at.set(next);
        // SAFETY: the engine's own timer handle, on its thread.
        unsafe {
            match next {
                // libuv's clock has millisecond steps: round up, so the deadline has passed.
                Some(at) => {
                    let ms = at.saturating_duration_since(Instant::now()).as_micros().div_ceil(1000) as u64;
                    uv_timer_start(self.timer, on_timer, ms, 0);
                }
                None => {
                    uv_timer_stop(self.timer);
                }
            }
        }
    }
}
