//! Opening handshake (RFC 6455 §4) with the rules, order and messages of Poco's
//! `WebSocket::accept`, `connect` and `completeHandshake` (Poco spec §3).

use tungstenite::handshake::{client::generate_key, derive_accept_key};

use crate::error::{Error, ErrorCode};
use crate::http::{RequestHead, ResponseHead};

pub const WEBSOCKET_VERSION: &str = "13";

/// A Sec-WebSocket-Key: 16 bytes from a CSPRNG, base64 (§4.1; fresh per call, Poco #2993).
pub fn create_key() -> String {
    generate_key()
}

/// base64(SHA-1(key + GUID)) (§1.3, §4.2.2).
pub fn compute_accept(key: &str) -> String {
    derive_accept_key(key.as_bytes())
}

/// Server side: checks an upgrade request the way Poco's `WebSocket::accept` does, in its order,
/// and returns the trimmed key. Method, HTTP version, Host and Origin are not checked (as Poco).
pub fn validate_request(request: &RequestHead) -> Result<String, Error> {
    let headers = &request.headers;
    // §4.2.1 items 3-4: Connection is a token list; Upgrade is compared whole, as in Poco.
    let upgrade = headers.get("Upgrade").unwrap_or("");
    if !headers.has_token("Connection", "upgrade") || !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(Error::websocket(ErrorCode::NoHandshake, "No WebSocket handshake"));
    }
    // §4.2.1 item 6.
    let version = headers.get("Sec-WebSocket-Version").unwrap_or("");
    if version.is_empty() {
        return Err(Error::websocket(
            ErrorCode::HandshakeNoVersion,
            "Missing Sec-WebSocket-Version in handshake request",
        ));
    }
    if version != WEBSOCKET_VERSION {
        return Err(Error::websocket(
            ErrorCode::HandshakeUnsupportedVersion,
            format!("Unsupported WebSocket version requested: {version}"),
        ));
    }
    // §4.2.1 item 5.
    let key = headers.get("Sec-WebSocket-Key").unwrap_or("").trim();
    if key.is_empty() {
        return Err(Error::websocket(ErrorCode::HandshakeNoKey, "Missing Sec-WebSocket-Key in handshake request"));
    }
    Ok(key.to_string())
}

/// Server side: validates `request` and turns `response` (which may already carry the
/// handler's own fields) into the 101 answer (§4.2.2).
pub fn accept(request: &RequestHead, response: &mut ResponseHead) -> Result<(), Error> {
    let key = validate_request(request)?;
    response.version = request.version;
    response.status = 101;
    response.reason = "Switching Protocols".into();
    response.headers.set("Connection", "Upgrade");
    response.headers.set("Upgrade", "websocket");
    response.headers.set("Sec-WebSocket-Accept", compute_accept(&key));
    Ok(())
}

/// The Host field Poco's `HTTPRequest::setHost(host, port)` writes: IPv6 literals in brackets,
/// the port left out when it is 80 or 443.
pub fn host_field(host: &str, port: u16) -> String {
    let host = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
    if port == 80 || port == 443 {
        host
    } else {
        format!("{host}:{port}")
    }
}

/// Client side: adds the upgrade fields to the user's request (§4.1); fields the user set keep
/// their position, as Poco's `request.set` does.
pub fn prepare_request(request: &mut RequestHead, key: &str, host: &str, port: u16) {
    let headers = &mut request.headers;
    headers.set("Connection", "Upgrade");
    headers.set("Upgrade", "websocket");
    headers.set("Sec-WebSocket-Version", WEBSOCKET_VERSION);
    headers.set("Sec-WebSocket-Key", key);
    if !headers.has("Host") {
        headers.set("Host", host_field(host, port));
    }
}

/// Client side: Poco's dispatch on the response status, then `completeHandshake`'s checks
/// (§4.1, the client's validation of the server's response).
pub fn verify_response(response: &ResponseHead, key: &str) -> Result<(), Error> {
    match response.status {
        101 => {}
        401 => return Err(Error::websocket(ErrorCode::Unauthorized, "Not authorized")),
        200 => {
            return Err(Error::websocket(
                ErrorCode::NoHandshake,
                "The server does not understand the WebSocket protocol",
            ))
        }
        _ => {
            let mut message = String::from("Cannot upgrade to WebSocket connection");
            if !response.reason.is_empty() {
                message.push_str(": ");
                message.push_str(&response.reason);
            }
            return Err(Error::websocket(ErrorCode::NoHandshake, message));
        }
    }
    let headers = &response.headers;
    // Token match (RFC), where Poco compares the whole value: README, "Differences from Poco".
    if !headers.has_token("Connection", "upgrade") {
        return Err(Error::websocket(
            ErrorCode::NoHandshake,
            "No Connection: Upgrade header in handshake response",
        ));
    }
    if !headers.get("Upgrade").unwrap_or("").eq_ignore_ascii_case("websocket") {
        return Err(Error::websocket(
            ErrorCode::NoHandshake,
            "No Upgrade: websocket header in handshake response",
        ));
    }
    if headers.get("Sec-WebSocket-Accept") != Some(compute_accept(key).as_str()) {
        return Err(Error::websocket(
            ErrorCode::HandshakeAccept,
            "Invalid or missing Sec-WebSocket-Accept header in handshake response",
        ));
    }
    Ok(())
}
