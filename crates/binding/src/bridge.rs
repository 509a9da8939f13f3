//! `NativeBridge`: a connection whose bytes JS carries to and from a Node socket the engine
//! cannot take over (a TLSSocket, Windows). JS pushes what the socket reads, writes what
//! `take` returns, and waits on the pump when `arm` says nothing is ready.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use poco_websocket_core::bridge::BridgeHandle;

use crate::socket::NativeWebSocket;

#[napi]
pub struct NativeBridge {
    pub(crate) handle: BridgeHandle,
    pub(crate) socket: Option<NativeWebSocket>,
    pub(crate) id: u32,
}

#[napi]
impl NativeBridge {
    /// The id the pump reports when output waits or input has room again.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The connection, once (the message API wraps it).
    #[napi]
    pub fn take_socket(&mut self) -> Option<NativeWebSocket> {
        self.socket.take()
    }

    /// Bytes the Node socket read; false: stop reading until the pump reports this bridge.
    #[napi]
    pub fn push(&self, bytes: Buffer) -> bool {
        self.handle.push(&bytes)
    }

    /// The Node socket ended or failed.
    #[napi]
    pub fn end(&self) {
        self.handle.end()
    }

    /// What the engine wrote since the last call, or null.
    #[napi]
    pub fn take(&self) -> Option<Buffer> {
        let bytes = self.handle.take();
        (!bytes.is_empty()).then(|| bytes.to_vec().into())
    }

    /// The engine is done and everything was taken: end the Node socket.
    #[napi(getter)]
    pub fn finished(&self) -> bool {
        self.handle.finished()
    }

    /// Whether the Node socket may be read again.
    #[napi(getter)]
    pub fn wants_input(&self) -> bool {
        self.handle.wants_input()
    }

    /// True when output waits or the engine is done; otherwise arms one report.
    #[napi]
    pub fn arm(&self) -> bool {
        self.handle.arm()
    }
}
