//! RFC 6455 §9.1, the `Sec-WebSocket-Extensions` grammar:
//!
//! ```text
//! Sec-WebSocket-Extensions = extension-list
//! extension-list = 1#extension
//! extension = extension-token *( ";" extension-param )
//! extension-param = token [ "=" (token | quoted-string) ]
//!     ;When using the quoted-string syntax variant, the value
//!     ;after quoted-string unescaping MUST conform to the
//!     ;'token' ABNF.
//! ```
//!
//! One pass over the bytes, no backtracking: time is linear in the field's length whatever it
//! holds (hostile-input matrix H8). Where the grammar leaves room, the parser accepts what ws's
//! `extension.parse` accepts (after Node has trimmed the field): whitespace around `,` and `;`
//! and at either end, none around `=`, no empty list elements, names compared as written.

use super::error::NegotiationError;
use crate::http::Headers;

pub const FIELD_NAME: &str = "Sec-WebSocket-Extensions";

/// One element of the list: an extension offered (by a client) or accepted (by a server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    pub params: Vec<Param>,
}

/// An extension parameter; `value` is unquoted and unescaped, `None` when the parameter has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: Option<String>,
}

/// The values of every `Sec-WebSocket-Extensions` field of a head, in order.
pub fn fields(headers: &Headers) -> impl Iterator<Item = &str> {
    headers.0.iter().filter(|(name, _)| name.eq_ignore_ascii_case(FIELD_NAME)).map(|(_, value)| value.as_str())
}

/// Parses every field into one list, in order: several fields mean the same as one field holding
/// their values joined by commas (RFC 7230 §3.2.2).
pub fn parse<'a>(fields: impl IntoIterator<Item = &'a str>) -> Result<Vec<Extension>, NegotiationError> {
    let mut extensions = Vec::new();
    for (field, value) in fields.into_iter().enumerate() {
        Cursor { bytes: value.as_bytes(), index: 0, field }.extension_list(&mut extensions)?;
    }
    Ok(extensions)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    index: usize,
    field: usize,
}

impl Cursor<'_> {
    fn extension_list(&mut self, out: &mut Vec<Extension>) -> Result<(), NegotiationError> {
        self.skip_whitespace();
        loop {
            out.push(self.extension()?);
            if self.at_end() {
                return Ok(());
            }
            self.expect(b',')?;
            self.skip_whitespace();
        }
    }

    fn extension(&mut self) -> Result<Extension, NegotiationError> {
        let name = self.token()?;
        let mut params = Vec::new();
        self.skip_whitespace();
        while self.eat(b';') {
            self.skip_whitespace();
            let name = self.token()?;
            let value = if self.eat(b'=') { Some(self.value()?) } else { None };
            params.push(Param { name, value });
            self.skip_whitespace();
        }
        Ok(Extension { name, params })
    }

    /// `token | quoted-string`, the quoted form holding token characters once unescaped.
    fn value(&mut self) -> Result<String, NegotiationError> {
        if !self.eat(b'"') {
            return self.token();
        }
        let mut value = String::new();
        loop {
            match self.next()? {
                b'"' if !value.is_empty() => return Ok(value),
                b'\\' => {
                    let escaped = self.next()?;
                    if !is_token_char(escaped) {
                        return Err(self.error_before());
                    }
                    value.push(escaped as char);
                }
                byte if is_token_char(byte) => value.push(byte as char),
                _ => return Err(self.error_before()),
            }
        }
    }

    fn token(&mut self) -> Result<String, NegotiationError> {
        let start = self.index;
        while self.bytes.get(self.index).is_some_and(|&byte| is_token_char(byte)) {
            self.index += 1;
        }
        if self.index == start {
            return Err(self.error_here());
        }
        // Token characters are ASCII, so the slice is valid UTF-8.
        Ok(String::from_utf8_lossy(&self.bytes[start..self.index]).into_owned())
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.bytes.get(self.index), Some(b' ' | b'\t')) {
            self.index += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.bytes.get(self.index) == Some(&byte);
        self.index += usize::from(found);
        found
    }

    fn expect(&mut self, byte: u8) -> Result<(), NegotiationError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    fn next(&mut self) -> Result<u8, NegotiationError> {
        let byte = *self.bytes.get(self.index).ok_or_else(|| self.error_here())?;
        self.index += 1;
        Ok(byte)
    }

    fn at_end(&self) -> bool {
        self.index == self.bytes.len()
    }

    fn error_here(&self) -> NegotiationError {
        NegotiationError::Syntax { field: self.field, index: self.index, end_of_input: self.at_end() }
    }

    /// For the byte `next` just consumed.
    fn error_before(&self) -> NegotiationError {
        NegotiationError::Syntax { field: self.field, index: self.index - 1, end_of_input: false }
    }
}

/// RFC 7230 §3.2.6 `tchar` (RFC 2616's token, which RFC 6455 cites, allows the same set).
fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}
