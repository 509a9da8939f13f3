//! RFC 7692 §5 and §7.1: negotiating permessage-deflate in the opening handshake, with ws's
//! decisions (`lib/permessage-deflate.js` `offer`, `acceptAsServer`, `acceptAsClient`,
//! `normalizeParams`; `lib/websocket-server.js`; `lib/websocket.js`) where the RFC leaves a choice.
//!
//! Server: every permessage-deflate offer is checked before one is chosen, so one malformed
//! offer fails the whole header even after an acceptable one, and no acceptable offer fails it
//! too: ws answers both with HTTP 400. The first acceptable offer wins (RFC 7692 §5: the server
//! "accepts" one offer and declines the others by leaving them out of its response).
//!
//! Client: the response may name only permessage-deflate, once, with parameters valid in a
//! response and within what the offer allowed; anything else fails the connection (RFC 7692 §5,
//! RFC 6455 §9.1, hostile-input matrix C4).

use super::error::NegotiationError;
use super::extensions::{self, Extension, Param};
use super::options::{DeflateOptions, WindowBits, MAX_WINDOW_BITS, MIN_WINDOW_BITS};
use super::EXTENSION_NAME;
use crate::protocol::Role;

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The parameters both ends apply once negotiation succeeded (RFC 7692 §7.1). On the server they
/// are exactly its response; on the client they also hold the client's own offered limits, which
/// bind it even when the response leaves them out (§7.1.1.2, §7.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    /// `None`: the server may use a 15-bit window.
    pub server_max_window_bits: Option<u8>,
    /// `None`: the client may use a 15-bit window.
    pub client_max_window_bits: Option<u8>,
}

/// How the messages one end sends are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Direction {
    /// The LZ77 window the sender may use, 8 to 15 (RFC 7692 §7.1.2).
    pub window_bits: u8,
    /// The sender resets its context after every message (RFC 7692 §7.1.1).
    pub no_context_takeover: bool,
}

impl Params {
    /// How `role` compresses what it sends.
    pub fn sending(&self, role: Role) -> Direction {
        match role {
            Role::Server => self.server_direction(),
            Role::Client => self.client_direction(),
        }
    }

    /// How the peer of `role` compresses what `role` receives.
    pub fn receiving(&self, role: Role) -> Direction {
        match role {
            Role::Server => self.client_direction(),
            Role::Client => self.server_direction(),
        }
    }

    fn server_direction(&self) -> Direction {
        Direction {
            window_bits: self.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS),
            no_context_takeover: self.server_no_context_takeover,
        }
    }

    fn client_direction(&self) -> Direction {
        Direction {
            window_bits: self.client_max_window_bits.unwrap_or(MAX_WINDOW_BITS),
            no_context_takeover: self.client_no_context_takeover,
        }
    }

    /// The server's `Sec-WebSocket-Extensions` response value for these parameters.
    pub fn response_header(&self) -> String {
        let mut value = String::from(EXTENSION_NAME);
        if self.server_no_context_takeover {
            value.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            value.push_str("; client_no_context_takeover");
        }
        if let Some(bits) = self.server_max_window_bits {
            value.push_str(&format!("; server_max_window_bits={bits}"));
        }
        if let Some(bits) = self.client_max_window_bits {
            value.push_str(&format!("; client_max_window_bits={bits}"));
        }
        value
    }
}

/// Server side: negotiates from the request's `Sec-WebSocket-Extensions` field values.
/// `Ok(None)`: no permessage-deflate offer (other extensions are ignored). An error means ws's
/// HTTP 400 "Invalid or unacceptable Sec-WebSocket-Extensions header". Call it only when
/// compression is enabled: ws does not even parse the field otherwise.
pub fn accept<'a>(
    options: &DeflateOptions,
    fields: impl IntoIterator<Item = &'a str>,
) -> Result<Option<Params>, NegotiationError> {
    accept_offers(options, &extensions::parse(fields)?)
}

/// Server side, from parsed extensions: see [`accept`].
pub fn accept_offers(options: &DeflateOptions, extensions: &[Extension]) -> Result<Option<Params>, NegotiationError> {
    let offers = extensions
        .iter()
        .filter(|extension| extension.name == EXTENSION_NAME)
        .map(|extension| read_params(&extension.params, Role::Client))
        .collect::<Result<Vec<_>, _>>()?;
    if offers.is_empty() {
        return Ok(None);
    }
    let offer = offers.iter().find(|offer| acceptable(options, offer)).ok_or(NegotiationError::NoAcceptableOffer)?;
    Ok(Some(answer(options, offer)))
}

/// Client side: the `Sec-WebSocket-Extensions` value of the request (ws's default options give
/// `permessage-deflate; client_max_window_bits`).
pub fn offer(options: &DeflateOptions) -> String {
    let mut value = String::from(EXTENSION_NAME);
    if options.server_no_context_takeover == Some(true) {
        value.push_str("; server_no_context_takeover");
    }
    if options.client_no_context_takeover == Some(true) {
        value.push_str("; client_no_context_takeover");
    }
    if let WindowBits::Max(bits) = options.server_max_window_bits {
        value.push_str(&format!("; server_max_window_bits={bits}"));
    }
    match options.client_max_window_bits {
        WindowBits::Unset => value.push_str("; client_max_window_bits"),
        WindowBits::Max(bits) => value.push_str(&format!("; client_max_window_bits={bits}")),
        WindowBits::Refused => {}
    }
    value
}

/// Client side: checks the response to [`offer`]`(options)`. `Ok(None)`: the response has no
/// `Sec-WebSocket-Extensions` field, so the server declined. Any error fails the connection.
/// (A client that offered nothing must fail on any such field: RFC 6455 §4.1, ws.)
pub fn verify_response<'a>(
    options: &DeflateOptions,
    fields: impl IntoIterator<Item = &'a str>,
) -> Result<Option<Params>, NegotiationError> {
    let mut fields = fields.into_iter().peekable();
    if fields.peek().is_none() {
        return Ok(None);
    }
    let extensions = extensions::parse(fields)?;
    if let Some(other) = extensions.iter().find(|extension| extension.name != EXTENSION_NAME) {
        return Err(NegotiationError::NotOffered(other.name.clone()));
    }
    // The RFC 6455 §9.1 response lists the extensions in use; one extension cannot be in use twice.
    let [accepted] = extensions.as_slice() else {
        return Err(NegotiationError::Unsupported("permessage-deflate accepted more than once".into()));
    };
    let response = read_params(&accepted.params, Role::Server)?;
    check_response(options, &response).map(Some)
}

/// The parameters of one offer or response, checked against RFC 7692 §7.1.
#[derive(Debug, Default)]
struct Stated {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: ClientWindow,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ClientWindow {
    #[default]
    Absent,
    /// §7.1.2.2: in an offer, "This parameter has no value or a decimal integer value".
    Supported,
    Max(u8),
}

/// RFC 7692 §5: an offer (from a client) or a response (from a server) is invalid if it "contains
/// an extension parameter not defined for use in" it, "an extension parameter with an invalid
/// value", or "multiple extension parameters with the same name".
fn read_params(params: &[Param], from: Role) -> Result<Stated, NegotiationError> {
    let mut stated = Stated::default();
    for (i, param) in params.iter().enumerate() {
        let name = param.name.as_str();
        if params[..i].iter().any(|earlier| earlier.name == name) {
            return Err(invalid(format!("\"{name}\" appears more than once")));
        }
        let value = param.value.as_deref();
        match name {
            SERVER_NO_CONTEXT_TAKEOVER | CLIENT_NO_CONTEXT_TAKEOVER => {
                // §7.1.1.1, §7.1.1.2: "This extension parameter has no value."
                if let Some(value) = value {
                    return Err(invalid(format!("\"{name}\" takes no value, got \"{value}\"")));
                }
                if name == SERVER_NO_CONTEXT_TAKEOVER {
                    stated.server_no_context_takeover = true;
                } else {
                    stated.client_no_context_takeover = true;
                }
            }
            // §7.1.2.1: "This parameter has a decimal integer value without leading zeroes
            // between 8 to 15, inclusive".
            SERVER_MAX_WINDOW_BITS => stated.server_max_window_bits = Some(window_bits(name, value)?),
            // §7.1.2.2: value-less only in an offer; a response "MUST have a value".
            CLIENT_MAX_WINDOW_BITS => {
                stated.client_max_window_bits = match (value, from) {
                    (None, Role::Client) => ClientWindow::Supported,
                    (value, _) => ClientWindow::Max(window_bits(name, value)?),
                }
            }
            unknown => return Err(invalid(format!("unknown parameter \"{unknown}\""))),
        }
    }
    Ok(stated)
}

/// A window-bits value as RFC 7692 writes it: 8 to 15 in decimal, no sign, no leading zero.
/// (ws converts with `+value`, which also takes `010`, `0xa` or `1e1`: refused here.)
fn window_bits(name: &str, value: Option<&str>) -> Result<u8, NegotiationError> {
    let value = value.ok_or_else(|| invalid(format!("\"{name}\" needs a value")))?;
    match value.parse::<u8>() {
        Ok(bits) if (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&bits) && !value.starts_with(['0', '+']) => Ok(bits),
        _ => Err(invalid(format!("\"{name}\" must be 8 to 15, got \"{value}\""))),
    }
}

fn invalid(message: String) -> NegotiationError {
    NegotiationError::InvalidParameter(message)
}

/// ws's `acceptAsServer` filter: the offer is declined when it asks for what the server refuses.
fn acceptable(options: &DeflateOptions, offer: &Stated) -> bool {
    // §7.1.1.1: the client forbids the server's context takeover; the server may refuse that.
    if offer.server_no_context_takeover && options.server_no_context_takeover == Some(false) {
        return false;
    }
    // §7.1.2.1: the server must answer with a window no larger than the offered one.
    if let Some(offered) = offer.server_max_window_bits {
        match options.server_max_window_bits {
            WindowBits::Refused => return false,
            WindowBits::Max(bits) if bits > offered => return false,
            _ => {}
        }
    }
    // §7.1.2.2: the server may limit the client's window only if the offer allows it.
    !(matches!(options.client_max_window_bits, WindowBits::Max(_)) && offer.client_max_window_bits == ClientWindow::Absent)
}

/// ws's `acceptAsServer` response to an acceptable offer.
fn answer(options: &DeflateOptions, offer: &Stated) -> Params {
    Params {
        server_no_context_takeover: offer.server_no_context_takeover || options.server_always_resets(),
        // §7.1.1.2: the server may impose it, and echoes it when offered.
        client_no_context_takeover: offer.client_no_context_takeover || options.client_no_context_takeover == Some(true),
        // §7.1.2.1: "the same or smaller value as the offer", or a limit of its own even when
        // the offer has none.
        server_max_window_bits: match options.server_max_window_bits {
            WindowBits::Max(bits) => Some(bits),
            WindowBits::Unset | WindowBits::Refused => offer.server_max_window_bits,
        },
        client_max_window_bits: match (options.client_max_window_bits, offer.client_max_window_bits) {
            // §7.1.2.2: "a value equal to or smaller than the received value". ws answers with
            // its own number even when it is larger, which a ws client then rejects: the
            // smaller of the two is answered here.
            (WindowBits::Max(bits), ClientWindow::Max(offered)) => Some(bits.min(offered)),
            (WindowBits::Max(bits), _) => Some(bits),
            (WindowBits::Unset, ClientWindow::Max(offered)) => Some(offered),
            _ => None,
        },
    }
}

/// ws's `acceptAsClient`, and the checks it leaves out that RFC 7692 requires of a client.
fn check_response(options: &DeflateOptions, response: &Stated) -> Result<Params, NegotiationError> {
    // §7.1.1.2: the server may impose it; ws refuses it when the client was told to.
    if response.client_no_context_takeover && options.client_no_context_takeover == Some(false) {
        return Err(NegotiationError::Unsupported("unexpected parameter \"client_no_context_takeover\"".into()));
    }
    // §7.1.2.2: a response may limit the client's window only if the offer allowed it, and
    // (ws) not above the client's own limit.
    let client_max_window_bits = match (response.client_max_window_bits, options.client_max_window_bits) {
        (ClientWindow::Max(_), WindowBits::Refused) => {
            return Err(NegotiationError::Unsupported("unexpected parameter \"client_max_window_bits\"".into()))
        }
        (ClientWindow::Max(bits), WindowBits::Max(limit)) if bits > limit => {
            return Err(NegotiationError::Unsupported(format!(
                "client_max_window_bits={bits} is larger than the offered {limit}"
            )))
        }
        (ClientWindow::Max(bits), _) => Some(bits),
        // The client keeps to its own offered limit (§7.1.2.2: "the client is not going to use
        // an LZ77 sliding window size greater than" it).
        (_, WindowBits::Max(limit)) => Some(limit),
        _ => None,
    };
    // §7.1.2.1: the server accepts a limit on its window "with the same or smaller value as the
    // offer". ws does not check this; a larger window than the client asked for is refused here.
    if let WindowBits::Max(limit) = options.server_max_window_bits {
        let bits = response.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS);
        if bits > limit {
            return Err(NegotiationError::Unsupported(format!(
                "the server's window of {bits} bits is larger than the offered {limit}"
            )));
        }
    }
    Ok(Params {
        server_no_context_takeover: response.server_no_context_takeover,
        // §7.1.1.2: offering it is a promise the client keeps even if the response omits it.
        client_no_context_takeover: response.client_no_context_takeover
            || options.client_no_context_takeover == Some(true),
        server_max_window_bits: response.server_max_window_bits,
        client_max_window_bits,
    })
}
