//! Attaching to Node's own HTTP servers (ws's `server`/`noServer`): Node read the upgrade
//! request; `checkUpgrade` validates it with the core's rules, and `adoptUpgrade` takes the TCP
//! connection over by duplicating its descriptor, so the engine runs it like one it accepted.

use bytes::BytesMut;
use napi::bindgen_prelude::{Buffer, Env, PromiseRaw};
use napi_derive::napi;
use poco_websocket_core::http::{RequestHead, ResponseHead, Version};
use poco_websocket_core::{adopt, bridge, handshake, Connection, Placement};
use std::sync::Arc;

use crate::bridge::NativeBridge;
use crate::config::{self, WebSocketConfig};
use crate::errors::{invalid_argument, spawn_promise, to_js, JsError};
use crate::headers;
use crate::pump::{NativePump, PumpShared};
use crate::server::UpgradeRejection;
use crate::socket::NativeWebSocket;

/// What `checkUpgrade` found: why the upgrade is refused, or the subprotocols offered and the
/// `Sec-WebSocket-Extensions` value the 101 will carry ('' for none).
#[napi(object)]
pub struct UpgradeCheck {
    pub rejection: Option<UpgradeRejection>,
    pub protocols: Vec<String>,
    pub extensions: String,
}

fn request_head(method: String, uri: String, version: String, header_list: Vec<String>) -> Result<RequestHead, JsError> {
    // Node gives "1.1" (`IncomingMessage.httpVersion`).
    let version = Version::parse(&format!("HTTP/{version}")).unwrap_or(Version::HTTP_1_0);
    Ok(RequestHead { method, uri, version, headers: headers::from_flat(header_list)? })
}

/// RFC 6455 §4.2.1 on a request another server read (`header_list` is Node's `rawHeaders`),
/// and RFC 7692 §5 with `options`' permessage-deflate.
#[napi]
pub fn check_upgrade(
    method: String,
    uri: String,
    version: String,
    header_list: Vec<String>,
    options: Option<WebSocketConfig>,
) -> Result<UpgradeCheck, JsError> {
    let head = request_head(method, uri, version, header_list)?;
    let config = config::apply(Default::default(), &options.unwrap_or_default());
    Ok(match handshake::check_request_with(&head, config.deflate.as_ref()) {
        Ok((upgrade, deflate)) => UpgradeCheck {
            rejection: None,
            protocols: upgrade.protocols,
            extensions: deflate.map(|params| params.response_header()).unwrap_or_default(),
        },
        Err(violation) => UpgradeCheck {
            rejection: Some(UpgradeRejection::from(&violation)),
            protocols: Vec::new(),
            extensions: String::new(),
        },
    })
}

/// The upgrade Node read, checked by the core: the connection, what starts it, and its pump id.
struct Upgrade {
    connection: Connection,
    adopted: adopt::Adopted,
    id: u32,
}

/// What both ways of taking a Node socket over share: the core validates the request and
/// prepares the 101 with `response_list`'s extra fields.
fn upgrade(
    pump: &Arc<PumpShared>,
    request: (String, String, String, Vec<String>),
    response_list: Vec<String>,
    options: Option<WebSocketConfig>,
    placement: Placement,
) -> Result<Upgrade, JsError> {
    let (method, uri, version, request_list) = request;
    let head = request_head(method, uri, version, request_list)?;
    let response = ResponseHead { headers: headers::from_flat(response_list)?, ..ResponseHead::new(head.version, 101) };
    let id = pump.next_id();
    let config = config::apply(Default::default(), &options.unwrap_or_default());
    let (connection, adopted) = adopt::upgrade(&head, response, config, pump.waker(id), placement).map_err(to_js)?;
    Ok(Upgrade { connection, adopted, id })
}

/// Takes over the connection on descriptor `fd` (still owned by Node, which must destroy its
/// socket right after): validates the request, answers 101 with `response_list`'s extra fields
/// and starts the connection with `buffered` (what Node read past the request). Resolves once
/// the 101 is written.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn adopt_upgrade<'env>(
    env: &'env Env,
    pump: &NativePump,
    fd: i32,
    method: String,
    uri: String,
    version: String,
    request_list: Vec<String>,
    response_list: Vec<String>,
    buffered: Buffer,
    options: Option<WebSocketConfig>,
) -> Result<PromiseRaw<'env, NativeWebSocket>, JsError> {
    let socket = duplicate(fd)?;
    let pump = &pump.shared;
    let Upgrade { connection, adopted, id } =
        upgrade(pump, (method, uri, version, request_list), response_list, options, pump.placement(env))?;
    let buffered = BytesMut::from(&buffered[..]);
    spawn_promise(env, async move {
        adopted.start(socket, buffered).await;
        Ok(NativeWebSocket::new(connection, id))
    })
}

/// [`adopt_upgrade`] for a Node socket whose descriptor cannot move: the connection runs over a
/// [`NativeBridge`] whose bytes JS moves to and from the socket. Resolves once the 101 is queued.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn bridge_upgrade<'env>(
    env: &'env Env,
    pump: &NativePump,
    method: String,
    uri: String,
    version: String,
    request_list: Vec<String>,
    response_list: Vec<String>,
    buffered: Buffer,
    options: Option<WebSocketConfig>,
) -> Result<PromiseRaw<'env, NativeBridge>, JsError> {
    let pump = &pump.shared;
    // The runtime threads carry it: the reactor drives only sockets of its own.
    let Upgrade { connection, adopted, id } =
        upgrade(pump, (method, uri, version, request_list), response_list, options, Placement::default())?;
    let bridge_id = pump.next_id();
    let (stream, handle) = bridge::pair(pump.waker(bridge_id));
    let buffered = BytesMut::from(&buffered[..]);
    spawn_promise(env, async move {
        adopted.start_stream(stream, buffered).await;
        Ok(NativeBridge { handle, socket: Some(NativeWebSocket::new(connection, id)), id: bridge_id })
    })
}

#[cfg(unix)]
fn duplicate(fd: i32) -> Result<std::net::TcpStream, JsError> {
    use std::os::fd::{AsRawFd, BorrowedFd};
    if fd < 0 {
        return Err(invalid_argument("The socket has no descriptor"));
    }
    // SAFETY: the descriptor belongs to a live Node socket for the length of this call.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let owned = borrowed.try_clone_to_owned().map_err(|e| invalid_argument(format!("Cannot take the socket over: {e}")))?;
    let socket = std::net::TcpStream::from(owned);
    // Only a TCP stream socket may be adopted (a pipe or a UNIX socket would fail later).
    socket.peer_addr().map_err(|e| invalid_argument(format!("Not a connected TCP socket: {e}")))?;
    debug_assert!(socket.as_raw_fd() != fd);
    Ok(socket)
}

#[cfg(not(unix))]
fn duplicate(_fd: i32) -> Result<std::net::TcpStream, JsError> {
    Err(invalid_argument("Taking a Node socket over needs a Unix descriptor"))
}
