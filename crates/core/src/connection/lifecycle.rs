//! The connection's lifecycle (RFC 6455 §7): one state, changed under the write buffer's lock so
//! that queueing a CLOSE and recording it happen together.

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Frames flow both ways.
    Open,
    /// Our CLOSE is queued; the peer's has not come (§7.1.2).
    CloseSent,
    /// The peer's CLOSE came; ours is not queued yet.
    CloseReceived,
    /// Both CLOSE frames passed: the close handshake is done and TCP closes, the server's side
    /// first (§7.1.1).
    CloseHandshakeDone,
    /// The connection was failed (§7.1.7) or its transport broke: nothing is sent after the
    /// failing CLOSE.
    Failed,
    /// The caller closed it (Poco's `close()`): every later call fails with InvalidSocketException.
    Closed,
}

/// What a lifecycle change asks of the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing new.
    Stay,
    /// Our CLOSE is out: the peer's must come within the close timeout (§7.1.1, ws: 30 s).
    AwaitPeerClose,
    /// The close handshake is done.
    HandshakeDone,
}

impl Lifecycle {
    /// Our CLOSE was queued.
    pub fn on_close_sent(&mut self) -> Next {
        match *self {
            Lifecycle::Open => {
                *self = Lifecycle::CloseSent;
                Next::AwaitPeerClose
            }
            Lifecycle::CloseReceived => {
                *self = Lifecycle::CloseHandshakeDone;
                Next::HandshakeDone
            }
            _ => Next::Stay,
        }
    }

    /// The peer's CLOSE arrived.
    pub fn on_close_received(&mut self) -> Next {
        match *self {
            Lifecycle::Open => {
                *self = Lifecycle::CloseReceived;
                Next::Stay
            }
            Lifecycle::CloseSent => {
                *self = Lifecycle::CloseHandshakeDone;
                Next::HandshakeDone
            }
            _ => Next::Stay,
        }
    }

    /// A CLOSE of ours may still be sent (none was, and the connection has not failed).
    pub fn may_send_close(self) -> bool {
        matches!(self, Lifecycle::Open | Lifecycle::CloseReceived)
    }

    /// The runtime may still answer a PING (§5.5.2: not once a CLOSE was sent or received).
    pub fn may_answer_ping(self) -> bool {
        self == Lifecycle::Open
    }

    /// §5.5.1: "after sending a Close frame, the endpoint MUST NOT send any more data frames".
    pub fn may_send_data(self) -> bool {
        matches!(self, Lifecycle::Open | Lifecycle::CloseReceived)
    }
}
