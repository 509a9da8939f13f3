//! RFC 6455 §4: the opening handshake's rules on what the client sends (§4.2.1) and on what the
//! server answers (§4.1). Pure functions over header values; [`crate::handshake`] applies them
//! in order and maps a broken rule to Poco's error codes and ws's HTTP answers.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::http::{Headers, Version};

/// A broken rule of the opening handshake, one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpeningViolation {
    /// §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
    Method(String),
    /// §4.2.1 item 1: HTTP/1.0 cannot upgrade.
    HttpVersion,
    /// §4.2.1 item 2: "A |Host| header field".
    MissingHost,
    /// §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket"".
    Upgrade,
    /// §4.2.1 item 4: "A |Connection| header field that includes the token "Upgrade"".
    Connection,
    /// §4.2.1 item 5: no |Sec-WebSocket-Key|.
    MissingKey,
    /// §4.2.1 item 5: a key that is not base64 of 16 bytes.
    InvalidKey,
    /// §11.3.1: "The |Sec-WebSocket-Key| header field MUST NOT appear more than once".
    DuplicateKey,
    /// §4.2.1 item 6: no |Sec-WebSocket-Version|.
    MissingVersion,
    /// §4.2.1 item 6: "whose value MUST be 13".
    UnsupportedVersion(String),
    /// §4.1 and §11.3.4: |Sec-WebSocket-Protocol| is a list of unique tokens.
    InvalidProtocols,
    /// §4.1 client check 6: the server selected a subprotocol the client did not offer, or an
    /// empty one.
    UnofferedProtocol(String),
    /// §4.1 client check 5: the server answered with an extension the client did not offer.
    UnofferedExtension(String),
    /// RFC 7692 §5 (server side, permessage-deflate enabled): a malformed
    /// |Sec-WebSocket-Extensions| field, or no offer the server can accept.
    Extensions(String),
}

impl fmt::Display for OpeningViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpeningViolation::Method(method) => write!(f, "Invalid HTTP method {method} (RFC 6455 §4.2.1: GET)"),
            OpeningViolation::HttpVersion => write!(f, "Invalid HTTP version (RFC 6455 §4.2.1: HTTP/1.1 or higher)"),
            OpeningViolation::MissingHost => write!(f, "Missing Host header (RFC 6455 §4.2.1)"),
            OpeningViolation::Upgrade => write!(f, "Invalid Upgrade header (RFC 6455 §4.2.1)"),
            OpeningViolation::Connection => write!(f, "Invalid Connection header (RFC 6455 §4.2.1)"),
            OpeningViolation::MissingKey => write!(f, "Missing Sec-WebSocket-Key in handshake request"),
            OpeningViolation::InvalidKey => write!(f, "Invalid Sec-WebSocket-Key header (RFC 6455 §4.2.1: base64 of 16 bytes)"),
            OpeningViolation::DuplicateKey => write!(f, "Duplicated Sec-WebSocket-Key header (RFC 6455 §11.3.1)"),
            OpeningViolation::MissingVersion => write!(f, "Missing Sec-WebSocket-Version in handshake request"),
            OpeningViolation::UnsupportedVersion(version) => write!(f, "Unsupported WebSocket version requested: {version}"),
            OpeningViolation::InvalidProtocols => write!(f, "Invalid Sec-WebSocket-Protocol header (RFC 6455 §4.1)"),
            OpeningViolation::UnofferedProtocol(protocol) => {
                write!(f, "Server sent a subprotocol that was not offered: '{protocol}' (RFC 6455 §4.1)")
            }
            OpeningViolation::Extensions(reason) => write!(f, "{reason} (RFC 7692 §5)"),
            OpeningViolation::UnofferedExtension(extension) => {
                write!(f, "Server sent an extension that was not offered: '{extension}' (RFC 6455 §4.1)")
            }
        }
    }
}

impl std::error::Error for OpeningViolation {}

/// §4.2.1 item 1: the method is GET.
pub fn check_method(method: &str) -> Result<(), OpeningViolation> {
    if method != "GET" {
        return Err(OpeningViolation::Method(method.to_string()));
    }
    Ok(())
}

/// §4.2.1 item 1: HTTP/1.1 or higher.
pub fn check_http_version(version: Version) -> Result<(), OpeningViolation> {
    if version < Version::HTTP_1_1 {
        return Err(OpeningViolation::HttpVersion);
    }
    Ok(())
}

/// §4.2.1 item 2.
pub fn check_host(headers: &Headers) -> Result<(), OpeningViolation> {
    if headers.get("Host").is_none_or(|host| host.trim().is_empty()) {
        return Err(OpeningViolation::MissingHost);
    }
    Ok(())
}

/// §4.2.1 item 3: compared case-insensitively ("WebSocket" is accepted).
pub fn check_upgrade(headers: &Headers) -> Result<(), OpeningViolation> {
    if !headers.get("Upgrade").unwrap_or("").trim().eq_ignore_ascii_case("websocket") {
        return Err(OpeningViolation::Upgrade);
    }
    Ok(())
}

/// §4.2.1 item 4: a token list, so `keep-alive, Upgrade` is accepted.
pub fn check_connection(headers: &Headers) -> Result<(), OpeningViolation> {
    if !headers.has_token("Connection", "upgrade") {
        return Err(OpeningViolation::Connection);
    }
    Ok(())
}

/// §4.2.1 item 5 and §11.3.1: exactly one key, base64 (canonical, padded) of 16 bytes. Returns it
/// trimmed.
pub fn check_key(headers: &Headers) -> Result<&str, OpeningViolation> {
    let mut keys = headers.get_all("Sec-WebSocket-Key");
    let key = keys.next().map(str::trim).ok_or(OpeningViolation::MissingKey)?;
    if keys.next().is_some() {
        return Err(OpeningViolation::DuplicateKey);
    }
    if key.is_empty() {
        return Err(OpeningViolation::MissingKey);
    }
    match STANDARD.decode(key) {
        Ok(bytes) if bytes.len() == 16 => Ok(key),
        _ => Err(OpeningViolation::InvalidKey),
    }
}

/// §4.2.1 item 6: the version is present and 13 (the only one RFC 6455 defines).
pub fn check_version<'a>(headers: &'a Headers, supported: &str) -> Result<&'a str, OpeningViolation> {
    let version = headers.get("Sec-WebSocket-Version").unwrap_or("").trim();
    if version.is_empty() {
        return Err(OpeningViolation::MissingVersion);
    }
    if version != supported {
        return Err(OpeningViolation::UnsupportedVersion(version.to_string()));
    }
    Ok(version)
}

/// §4.1 and §11.3.4: the subprotocols a client offers, in its order: `1#token` over every
/// |Sec-WebSocket-Protocol| field, each token once. Linear in the length of the fields.
pub fn parse_protocols(headers: &Headers) -> Result<Vec<String>, OpeningViolation> {
    let mut protocols: Vec<String> = Vec::new();
    for value in headers.get_all("Sec-WebSocket-Protocol") {
        for element in value.split(',') {
            let token = element.trim_matches([' ', '\t']);
            if !is_token(token) || protocols.iter().any(|seen| seen == token) {
                return Err(OpeningViolation::InvalidProtocols);
            }
            protocols.push(token.to_string());
        }
    }
    Ok(protocols)
}

/// §4.1 client check 6: "If the response includes a |Sec-WebSocket-Protocol| header field and
/// this header field indicates the use of a subprotocol that was not present in the client's
/// handshake … the client MUST _Fail the WebSocket Connection_." Returns the selected one.
pub fn check_selected_protocol(offered: &[String], headers: &Headers) -> Result<Option<String>, OpeningViolation> {
    let mut values = headers.get_all("Sec-WebSocket-Protocol");
    let Some(selected) = values.next().map(|value| value.trim_matches([' ', '\t'])) else {
        return Ok(None);
    };
    if values.next().is_some() || !offered.iter().any(|protocol| protocol == selected) {
        return Err(OpeningViolation::UnofferedProtocol(selected.to_string()));
    }
    Ok(Some(selected.to_string()))
}

/// §4.1 client check 5: "If the response includes a |Sec-WebSocket-Extensions| header field and
/// this header field indicates the use of an extension that was not present in the client's
/// handshake … the client MUST _Fail the WebSocket Connection_." `offered` are extension names.
pub fn check_extensions(offered: &[&str], headers: &Headers) -> Result<(), OpeningViolation> {
    for value in headers.get_all("Sec-WebSocket-Extensions") {
        for extension in value.split(',') {
            let name = extension.split(';').next().unwrap_or("").trim_matches([' ', '\t']);
            if !offered.iter().any(|offer| offer.eq_ignore_ascii_case(name)) {
                return Err(OpeningViolation::UnofferedExtension(name.to_string()));
            }
        }
    }
    Ok(())
}

/// RFC 9110 §5.6.2: `token = 1*tchar`.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
