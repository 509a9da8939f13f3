//! A connection's transport carried by the caller instead of a socket: bytes come in through
//! [`BridgeHandle::push`] and go out through [`BridgeHandle::take`]. It serves sockets whose
//! descriptor cannot move into the engine (Node's TLS sockets, Windows): the caller moves the
//! bytes between this and its own socket, the engine does everything else.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::connection::Wake;

/// Output waiting beyond this many bytes holds the engine's writes back (the caller's socket
/// is slow), as a socket's send buffer would.
pub const OUTPUT_LIMIT: usize = 1 << 20;
/// Input waiting beyond this many bytes asks the caller to stop reading its socket.
pub const INPUT_LIMIT: usize = 1 << 20;

#[derive(Default)]
struct State {
    input: BytesMut,
    input_ended: bool,
    reader: Option<Waker>,
    output: BytesMut,
    /// The engine is done writing (shutdown or dropped): nothing more will be output.
    output_ended: bool,
    writer: Option<Waker>,
    /// The caller waits for output or for room for input.
    armed: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Wake,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes an armed caller; called with the lock released.
    fn notify(&self, armed: bool) {
        if armed {
            (self.wake)();
        }
    }
}

/// The engine's end: the stream the connection's driver reads and writes.
pub struct BridgeStream {
    shared: Arc<Shared>,
}

/// The caller's end.
pub struct BridgeHandle {
    shared: Arc<Shared>,
}

/// A bridge whose caller is woken through `wake` once armed ([`BridgeHandle::arm`]).
pub fn pair(wake: Wake) -> (BridgeStream, BridgeHandle) {
    let shared = Arc::new(Shared { state: Mutex::default(), wake });
    (BridgeStream { shared: shared.clone() }, BridgeHandle { shared })
}

impl BridgeHandle {
    /// Bytes read from the caller's socket. False: over [`INPUT_LIMIT`], stop reading until woken.
    pub fn push(&self, bytes: &[u8]) -> bool {
        let mut state = self.shared.lock();
        state.input.extend_from_slice(bytes);
        let room = state.input.len() < INPUT_LIMIT;
        let reader = state.reader.take();
        drop(state);
        if let Some(reader) = reader {
            reader.wake();
        }
        room
    }

    /// The caller's socket ended (or failed): the engine sees the end of input.
    pub fn end(&self) {
        let reader = {
            let mut state = self.shared.lock();
            state.input_ended = true;
            state.reader.take()
        };
        if let Some(reader) = reader {
            reader.wake();
        }
    }

    /// Everything output since the last call (empty when nothing waits).
    pub fn take(&self) -> Bytes {
        let (bytes, writer) = {
            let mut state = self.shared.lock();
            (state.output.split().freeze(), state.writer.take())
        };
        if let Some(writer) = writer {
            writer.wake();
        }
        bytes
    }

    /// The engine wrote its last byte and the caller took it: end the caller's socket.
    pub fn finished(&self) -> bool {
        let state = self.shared.lock();
        state.output_ended && state.output.is_empty()
    }

    /// Whether the caller may read its socket again.
    pub fn wants_input(&self) -> bool {
        self.shared.lock().input.len() < INPUT_LIMIT
    }

    /// True when output waits, the output ended or input has room; otherwise arms one wake-up.
    pub fn arm(&self) -> bool {
        let mut state = self.shared.lock();
        let ready = !state.output.is_empty() || state.output_ended;
        state.armed = !ready;
        ready
    }
}

impl AsyncRead for BridgeStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let shared = &self.shared;
        let mut state = shared.lock();
        if state.input.is_empty() {
            if state.input_ended {
                return Poll::Ready(Ok(()));
            }
            state.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let was_full = state.input.len() >= INPUT_LIMIT;
        let n = state.input.len().min(buf.remaining());
        buf.put_slice(&state.input[..n]);
        state.input.advance(n);
        // The caller stopped reading at the limit: room again.
        let armed = was_full && state.input.len() < INPUT_LIMIT && std::mem::take(&mut state.armed);
        drop(state);
        shared.notify(armed);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for BridgeStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        let shared = &self.shared;
        let mut state = shared.lock();
        if state.output.len() >= OUTPUT_LIMIT {
            state.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        // Only up to the limit, as a socket's send buffer takes part of a large write.
        let n = bytes.len().min(OUTPUT_LIMIT - state.output.len());
        state.output.extend_from_slice(&bytes[..n]);
        let armed = std::mem::take(&mut state.armed);
        drop(state);
        shared.notify(armed);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.end_output();
        Poll::Ready(Ok(()))
    }
}

impl BridgeStream {
    fn end_output(&self) {
        let armed = {
            let mut state = self.shared.lock();
            state.output_ended = true;
            std::mem::take(&mut state.armed)
        };
        self.shared.notify(armed);
    }
}

impl Drop for BridgeStream {
    fn drop(&mut self) {
        self.end_output();
    }
}
