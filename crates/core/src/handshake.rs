//! Opening handshake (RFC 6455 §4): the rules of [`crate::protocol::opening`] applied in order,
//! with Poco's codes and messages (`WebSocket::accept`, `connect`, `completeHandshake`, Poco spec
//! §3) and ws's HTTP answers. Pure: the I/O is in [`crate::server`] and [`crate::client`].

use tungstenite::handshake::{client::generate_key, derive_accept_key};

use crate::deflate::{self, negotiation, DeflateOptions, Params};
use crate::error::{Error, ErrorCode};
use crate::http::{RequestHead, ResponseHead};
use crate::protocol::opening::{self, OpeningViolation};

pub const WEBSOCKET_VERSION: &str = "13";

/// A Sec-WebSocket-Key: 16 bytes from a CSPRNG, base64 (§4.1; fresh per call, Poco #2993).
pub fn create_key() -> String {
    generate_key()
}

/// base64(SHA-1(key + GUID)) (§1.3, §4.2.2).
pub fn compute_accept(key: &str) -> String {
    derive_accept_key(key.as_bytes())
}

/// An upgrade request that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// The Sec-WebSocket-Key, trimmed.
    pub key: String,
    /// The subprotocols offered, in the client's order (empty when lenient).
    pub protocols: Vec<String>,
}

/// How a refused upgrade is answered over HTTP, as ws answers it, and the Poco error code a
/// `WebSocket.accept` rejects with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    /// ws's wording, sent as the body.
    pub message: &'static str,
    pub code: ErrorCode,
    /// §4.4: a version the server does not speak is answered with the one it does.
    pub supported_version: Option<&'static str>,
}

/// The one mapping of a broken opening-handshake rule to Poco's code and ws's HTTP answer.
pub fn rejection(violation: &OpeningViolation) -> Rejection {
    let (status, message, code) = match violation {
        OpeningViolation::Method(_) => (405, "Invalid HTTP method", ErrorCode::NoHandshake),
        OpeningViolation::HttpVersion => (400, "Invalid HTTP version", ErrorCode::NoHandshake),
        OpeningViolation::MissingHost => (400, "Missing Host header", ErrorCode::NoHandshake),
        OpeningViolation::Upgrade => (400, "Invalid Upgrade header", ErrorCode::NoHandshake),
        OpeningViolation::Connection => (400, "Invalid Connection header", ErrorCode::NoHandshake),
        OpeningViolation::MissingKey | OpeningViolation::InvalidKey | OpeningViolation::DuplicateKey => {
            (400, "Missing or invalid Sec-WebSocket-Key header", ErrorCode::HandshakeNoKey)
        }
        OpeningViolation::MissingVersion => (400, "Missing or invalid Sec-WebSocket-Version header", ErrorCode::HandshakeNoVersion),
        OpeningViolation::UnsupportedVersion(_) => {
            (400, "Missing or invalid Sec-WebSocket-Version header", ErrorCode::HandshakeUnsupportedVersion)
        }
        OpeningViolation::InvalidProtocols => (400, "Invalid Sec-WebSocket-Protocol header", ErrorCode::NoHandshake),
        OpeningViolation::Extensions(_) => {
            (400, "Invalid or unacceptable Sec-WebSocket-Extensions header", ErrorCode::NoHandshake)
        }
        OpeningViolation::UnofferedProtocol(_) | OpeningViolation::UnofferedExtension(_) => {
            (400, "Invalid handshake response", ErrorCode::HandshakeAccept)
        }
    };
    let supported_version = matches!(violation, OpeningViolation::MissingVersion | OpeningViolation::UnsupportedVersion(_))
        .then_some(WEBSOCKET_VERSION);
    Rejection { status, message, code, supported_version }
}

/// The `WebSocketException` a broken rule gives: Poco's message where Poco has the check, else
/// the rule's own.
pub fn to_error(violation: &OpeningViolation) -> Error {
    let message = match violation {
        OpeningViolation::Upgrade | OpeningViolation::Connection => "No WebSocket handshake".to_string(),
        other => other.to_string(),
    };
    Error::websocket(rejection(violation).code, message)
}

/// Server side, RFC 6455 §4.2.1 in its order: method, HTTP version, Host, Upgrade, Connection,
/// key, version, then the subprotocols offered.
pub fn check_request(request: &RequestHead) -> Result<Upgrade, OpeningViolation> {
    let headers = &request.headers;
    opening::check_method(&request.method)?;
    opening::check_http_version(request.version)?;
    opening::check_host(headers)?;
    opening::check_upgrade(headers)?;
    opening::check_connection(headers)?;
    let key = opening::check_key(headers)?.to_string();
    opening::check_version(headers, WEBSOCKET_VERSION)?;
    let protocols = opening::parse_protocols(headers)?;
    Ok(Upgrade { key, protocols })
}

/// Server side, RFC 7692 §5: with permessage-deflate enabled (`options`), the first acceptable
/// offer among the request's `Sec-WebSocket-Extensions` fields; ws's 400 when a field is
/// malformed or no offer fits. Without options the field is not even parsed (as ws).
pub fn negotiate_deflate(request: &RequestHead, options: Option<&DeflateOptions>) -> Result<Option<Params>, OpeningViolation> {
    let Some(options) = options else { return Ok(None) };
    negotiation::accept(options, deflate::extensions::fields(&request.headers))
        .map_err(|error| OpeningViolation::Extensions(error.to_string()))
}

/// [`check_request`], then [`negotiate_deflate`]: every reason a server refuses the request
/// before its own hooks run, and what was negotiated.
pub fn check_request_with(
    request: &RequestHead,
    deflate: Option<&DeflateOptions>,
) -> Result<(Upgrade, Option<Params>), OpeningViolation> {
    let upgrade = check_request(request)?;
    let params = negotiate_deflate(request, deflate)?;
    Ok((upgrade, params))
}

/// Server side with strict checks off: Poco's `WebSocket::accept`, in its order (Connection and
/// Upgrade, version, key present); method, HTTP version, Host and the key's form are not checked.
pub fn check_request_lenient(request: &RequestHead) -> Result<Upgrade, OpeningViolation> {
    let headers = &request.headers;
    opening::check_connection(headers).and_then(|()| opening::check_upgrade(headers))?;
    opening::check_version(headers, WEBSOCKET_VERSION)?;
    let key = headers.get("Sec-WebSocket-Key").unwrap_or("").trim();
    if key.is_empty() {
        return Err(OpeningViolation::MissingKey);
    }
    Ok(Upgrade { key: key.to_string(), protocols: Vec::new() })
}

/// Server side: validates `request` (strictly, or as Poco does) and turns `response` (which may
/// already carry the handler's own fields) into the 101 answer (§4.2.2).
pub fn accept(request: &RequestHead, response: &mut ResponseHead, strict: bool) -> Result<Upgrade, Error> {
    let checked = if strict { check_request(request) } else { check_request_lenient(request) };
    let upgrade = checked.map_err(|violation| to_error(&violation))?;
    response.version = request.version;
    response.status = 101;
    response.reason = "Switching Protocols".into();
    response.headers.set("Connection", "Upgrade");
    response.headers.set("Upgrade", "websocket");
    response.headers.set("Sec-WebSocket-Accept", compute_accept(&upgrade.key));
    Ok(upgrade)
}

/// [`accept`] with permessage-deflate negotiated when `deflate` has options: the accepted offer
/// is answered in `response` (RFC 7692 §5) and returned.
pub fn accept_with(
    request: &RequestHead,
    response: &mut ResponseHead,
    strict: bool,
    deflate: Option<&DeflateOptions>,
) -> Result<(Upgrade, Option<Params>), Error> {
    let upgrade = accept(request, response, strict)?;
    let params = negotiate_deflate(request, deflate).map_err(|violation| to_error(&violation))?;
    if let Some(params) = &params {
        response.headers.set("Sec-WebSocket-Extensions", params.response_header());
    }
    Ok((upgrade, params))
}

/// Client side: offers permessage-deflate with `options` (RFC 7692 §5; ws's default offer is
/// `permessage-deflate; client_max_window_bits`).
pub fn offer_deflate(request: &mut RequestHead, options: &DeflateOptions) {
    request.headers.set("Sec-WebSocket-Extensions", negotiation::offer(options));
}

/// Client side, after [`verify_response`]: what the server accepted of the offer (`None`: it
/// declined, or nothing was offered, where [`verify_response`]'s strict checks police the
/// field); a response the client cannot use fails the handshake (RFC 7692 §5).
pub fn verify_deflate(response: &ResponseHead, options: Option<&DeflateOptions>) -> Result<Option<Params>, Error> {
    let Some(options) = options else { return Ok(None) };
    negotiation::verify_response(options, deflate::extensions::fields(&response.headers))
        .map_err(|error| Error::websocket(ErrorCode::HandshakeAccept, error.to_string()))
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
/// (§4.1, the client's validation of the server's response). Strict, also §4.1 checks 5 and 6:
/// no extension and no subprotocol the request did not offer.
pub fn verify_response(request: &RequestHead, response: &ResponseHead, key: &str, strict: bool) -> Result<(), Error> {
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
    if strict {
        let offered = opening::parse_protocols(&request.headers).unwrap_or_default();
        opening::check_selected_protocol(&offered, headers).map_err(|violation| to_error(&violation))?;
        // RFC 6455 §9.1: the field's grammar first, then the names in it.
        deflate::extensions::parse(deflate::extensions::fields(headers))
            .map_err(|error| Error::websocket(ErrorCode::HandshakeAccept, error.to_string()))?;
        let offered = deflate::extensions::parse(deflate::extensions::fields(&request.headers)).unwrap_or_default();
        let offered: Vec<&str> = offered.iter().map(|extension| extension.name.as_str()).collect();
        opening::check_extensions(&offered, headers).map_err(|violation| to_error(&violation))?;
    }
    Ok(())
}
