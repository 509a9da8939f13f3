//! Header lists cross the boundary flat, `[name0, value0, name1, value1, …]`, to keep the number
//! of JS objects per request small.

use poco_websocket_core::http::{Headers, Version};

use crate::errors::{invalid_argument, JsError};

pub fn from_flat(flat: Vec<String>) -> Result<Headers, JsError> {
    if !flat.len().is_multiple_of(2) {
        return Err(invalid_argument("header list must hold name/value pairs"));
    }
    let mut fields = Vec::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        // A CR or LF would let a caller inject fields or a body into the head.
        if name.is_empty() || name.contains([':', '\r', '\n']) || value.contains(['\r', '\n']) {
            return Err(invalid_argument(format!("Invalid HTTP header field: {name}")));
        }
        fields.push((name, value));
    }
    Ok(Headers(fields))
}

pub fn to_flat(headers: &Headers) -> Vec<String> {
    headers.0.iter().flat_map(|(name, value)| [name.clone(), value.clone()]).collect()
}

pub fn parse_version(text: &str) -> Result<Version, JsError> {
    Version::parse(text).ok_or_else(|| invalid_argument(format!("Unsupported HTTP version: {text}")))
}
