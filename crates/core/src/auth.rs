//! Answering an HTTP 401 challenge, as Poco's `HTTPCredentials::authenticate` does: the first
//! `WWW-Authenticate` field with a scheme we know decides. Basic (RFC 7617) and Digest
//! (RFC 7616: MD5 and SHA-256, with or without `-sess`, qop `auth`).

use base64::Engine as _;
use md5::Md5;
use sha2::{Digest, Sha256};

use crate::http::ResponseHead;

/// A user name and password (Poco's `HTTPCredentials`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl Credentials {
    /// Poco's `empty()`: both parts empty, so a 401 is not answered.
    pub fn is_empty(&self) -> bool {
        self.username.is_empty() && self.password.is_empty()
    }
}

/// The `Authorization` value answering `response`'s challenge for a request of `method` on
/// `uri`; `None` when no field names a scheme we support.
pub fn authorization(credentials: &Credentials, response: &ResponseHead, method: &str, uri: &str) -> Option<String> {
    response
        .headers
        .0
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("WWW-Authenticate"))
        .find_map(|(_, challenge)| answer(credentials, challenge, method, uri))
}

fn answer(credentials: &Credentials, challenge: &str, method: &str, uri: &str) -> Option<String> {
    let (scheme, params) = challenge.trim().split_once(' ').unwrap_or((challenge.trim(), ""));
    if scheme.eq_ignore_ascii_case("Basic") {
        let pair = format!("{}:{}", credentials.username, credentials.password);
        return Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)));
    }
    if scheme.eq_ignore_ascii_case("Digest") {
        return digest(credentials, &parse_params(params), method, uri);
    }
    None
}

/// RFC 7616 §3.4: the response to a Digest challenge, with a fresh client nonce.
fn digest(credentials: &Credentials, params: &[(String, String)], method: &str, uri: &str) -> Option<String> {
    let param = |name: &str| params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let realm = param("realm").unwrap_or("");
    let nonce = param("nonce")?;
    let algorithm = param("algorithm").unwrap_or("MD5");
    let (hash, session): (fn(&str) -> String, bool) = match algorithm.to_ascii_uppercase().as_str() {
        "MD5" => (md5_hex, false),
        "MD5-SESS" => (md5_hex, true),
        "SHA-256" => (sha256_hex, false),
        "SHA-256-SESS" => (sha256_hex, true),
        _ => return None,
    };
    let offers_auth = param("qop").is_some_and(|qop| qop.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth")));
    let cnonce = hex(&rand::random::<[u8; 16]>());
    let nc = "00000001";
    let mut ha1 = hash(&format!("{}:{realm}:{}", credentials.username, credentials.password));
    if session {
        ha1 = hash(&format!("{ha1}:{nonce}:{cnonce}"));
    }
    let ha2 = hash(&format!("{method}:{uri}"));
    let response = if offers_auth {
        hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
    } else {
        hash(&format!("{ha1}:{nonce}:{ha2}"))
    };
    let mut header = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", algorithm={algorithm}, response=\"{response}\"",
        quote(&credentials.username),
        quote(realm),
        quote(nonce),
        quote(uri),
    );
    if offers_auth {
        header.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
    }
    if let Some(opaque) = param("opaque") {
        header.push_str(&format!(", opaque=\"{}\"", quote(opaque)));
    }
    Some(header)
}

/// `name=value` pairs of a challenge, values optionally quoted (RFC 9110 §11.2 auth-param).
pub fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq].trim().trim_start_matches(',').trim().to_string();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => text.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => text.push(c),
                }
            }
            value = text;
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        params.push((name, value));
    }
    params
}

fn quote(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn md5_hex(text: &str) -> String {
    hex(&Md5::digest(text.as_bytes()))
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
