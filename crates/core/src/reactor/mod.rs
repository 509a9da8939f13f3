//! The JS-thread engine for plain TCP (Unix): connections driven from the thread that runs the
//! JavaScript handlers, so a message costs no thread switch between reading, the handler and
//! writing (the way uWebSockets runs). The binding watches [`Reactor::fd`] (an epoll or kqueue
//! descriptor) from its event loop and calls [`Reactor::turn`] when it is readable, and
//! [`Reactor::run_ready`] after JavaScript ran; everything else of a connection (decoding,
//! lifecycle, limits) is the same [`crate::connection`] code the runtime threads run.
//!
//! Handshakes, TLS and dialing stay on tokio: a plain TCP connection whose `Connection` was
//! placed here is handed over ([`ReactorHandle::adopt`]) once its handshake is done.

mod stream;
mod timer;

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::future::Future;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::ThreadId;
use std::time::Instant;

use bytes::BytesMut;
use mio::unix::SourceFd;
use mio::{Events, Interest, Token};

use crate::connection::driver::Driver;
use crate::connection::Shared;

use self::stream::ReactorStream;
use self::timer::{ReactorTimer, Timers};

pub(crate) use self::stream::TcpSource;

/// Token of the waker that other threads use to get a turn (new connections, wake-ups).
const WAKE: Token = Token(usize::MAX);

/// One connection driven by the reactor.
struct Entry {
    driver: Driver<ReactorStream, ReactorTimer>,
    waker: Waker,
}

/// The reactor itself: lives on, and is used from, one thread.
pub struct Reactor {
    poll: mio::Poll,
    events: Events,
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
    timers: Timers,
    shared: Arc<Inner>,
}

/// What other threads, and the connections' wakers, share with the reactor.
#[derive(Clone)]
pub struct ReactorHandle(Arc<Inner>);

struct Inner {
    /// Connections handed over and not yet registered.
    inbox: Mutex<Vec<Adoption>>,
    /// Entries whose driver must be polled.
    ready: Mutex<Vec<usize>>,
    waker: mio::Waker,
    /// Set when the waker was used and its event not yet taken (one syscall per batch).
    signaled: AtomicBool,
    thread: ThreadId,
    /// Called when a connection is woken on the reactor's own thread outside a turn, so that
    /// the owner schedules one (the binding: an idle handle of its event loop).
    local_wake: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

pub(crate) struct Adoption {
    pub(crate) shared: Arc<Shared>,
    pub(crate) stream: Arc<mio::net::TcpStream>,
    pub(crate) buffered: BytesMut,
}

impl Reactor {
    /// A reactor for the calling thread.
    pub fn new() -> io::Result<Reactor> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKE)?;
        let shared = Arc::new(Inner {
            inbox: Mutex::default(),
            ready: Mutex::default(),
            waker,
            signaled: AtomicBool::new(false),
            thread: std::thread::current().id(),
            local_wake: OnceLock::new(),
        });
        Ok(Reactor { poll, events: Events::with_capacity(1024), entries: Vec::new(), free: Vec::new(), timers: Timers::default(), shared })
    }

    pub fn handle(&self) -> ReactorHandle {
        ReactorHandle(self.shared.clone())
    }

    /// The descriptor to watch for readability: it is readable whenever a turn has work.
    pub fn fd(&self) -> RawFd {
        self.poll.as_raw_fd()
    }

    /// Connections driven here now.
    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes what the OS reports (without waiting), the connections handed over and the timers
    /// due, then polls every connection that has something to do.
    pub fn turn(&mut self) {
        if self.poll.poll(&mut self.events, Some(std::time::Duration::ZERO)).is_ok() {
            let mut woken = Vec::new();
            for event in self.events.iter() {
                if event.token() == WAKE {
                    self.shared.signaled.store(false, Ordering::SeqCst);
                } else if let Some(Some(entry)) = self.entries.get_mut(event.token().0) {
                    entry.driver.stream_mut().on_event(event);
                    woken.push(event.token().0);
                }
            }
            lock(&self.shared.ready).extend(woken);
        }
        self.adopt_inbox();
        let due = self.timers.take_due(self.timers.tick());
        lock(&self.shared.ready).extend(due);
        // The clock was just read.
        self.poll_ready(false);
    }

    /// Polls the drivers woken so far, each once; what they wake meanwhile waits for the next
    /// call, so one busy connection cannot keep the others (or the event loop) waiting. Returns
    /// whether some are woken already.
    pub fn run_ready(&mut self) -> bool {
        self.poll_ready(true)
    }

    /// [`run_ready`](Self::run_ready), reading the clock first when `tick` and some are woken.
    fn poll_ready(&mut self, tick: bool) -> bool {
        self.adopt_inbox();
        let mut ready = std::mem::take(&mut *lock(&self.shared.ready));
        ready.sort_unstable();
        ready.dedup();
        if tick && !ready.is_empty() {
            self.timers.tick();
        }
        for index in ready {
            self.poll_entry(index);
        }
        !lock(&self.shared.ready).is_empty() || !lock(&self.shared.inbox).is_empty()
    }

    /// When the next timer is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn poll_entry(&mut self, index: usize) {
        let Some(Some(entry)) = self.entries.get_mut(index) else { return };
        let mut cx = Context::from_waker(&entry.waker);
        if let Poll::Ready(()) = std::pin::Pin::new(&mut entry.driver).poll(&mut cx) {
            let entry = self.entries[index].take().expect("the entry just polled");
            let fd = entry.driver.stream().fd();
            let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            self.free.push(index);
        }
    }

    fn adopt_inbox(&mut self) {
        let adopted = std::mem::take(&mut *lock(&self.shared.inbox));
        for Adoption { shared, stream, buffered } in adopted {
            let index = self.free.pop().unwrap_or_else(|| {
                self.entries.push(None);
                self.entries.len() - 1
            });
            let fd = stream.as_raw_fd();
            let interest = Interest::READABLE | Interest::WRITABLE;
            if let Err(error) = self.poll.registry().register(&mut SourceFd(&fd), Token(index), interest) {
                shared.fail_transport(error.into());
                self.free.push(index);
                continue;
            }
            let waker = Waker::from(Arc::new(EntryWaker { inner: self.shared.clone(), index }));
            let timer = self.timers.timer(index);
            let driver = Driver::new(shared, ReactorStream::new(stream), buffered, timer);
            self.entries[index] = Some(Entry { driver, waker });
            lock(&self.shared.ready).push(index);
        }
    }
}

impl ReactorHandle {
    /// Runs `hook` when a connection is woken on the reactor's thread outside a turn.
    pub fn set_local_wake(&self, hook: impl Fn() + Send + Sync + 'static) {
        let _ = self.0.local_wake.set(Box::new(hook));
    }

    /// Hands a connection over (from any thread); it is registered at the next turn.
    pub(crate) fn adopt(&self, adoption: Adoption) {
        lock(&self.0.inbox).push(adoption);
        self.0.signal();
    }
}

impl Inner {
    fn signal(&self) {
        if std::thread::current().id() == self.thread {
            if let Some(hook) = self.local_wake.get() {
                hook();
            }
        } else if !self.signaled.swap(true, Ordering::SeqCst) {
            let _ = self.waker.wake();
        }
    }
}

struct EntryWaker {
    inner: Arc<Inner>,
    index: usize,
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        lock(&self.inner.ready).push(self.index);
        self.inner.signal();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
