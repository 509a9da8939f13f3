//! Helpers shared by the integration tests.
#![allow(dead_code)]

use poco_websocket_core::http::{Headers, RequestHead, Version};

pub fn headers(fields: &[(&str, &str)]) -> Headers {
    Headers(fields.iter().map(|&(n, v)| (n.to_string(), v.to_string())).collect())
}

pub fn request(method: &str, uri: &str, version: Version, fields: &[(&str, &str)]) -> RequestHead {
    RequestHead { method: method.into(), uri: uri.into(), version, headers: headers(fields) }
}
