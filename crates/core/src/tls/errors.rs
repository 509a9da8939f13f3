//! TLS failures as Poco's NetSSL exceptions, each message naming the reason: a certificate we
//! did not accept is a `CertificateValidationException` ("Unacceptable certificate from HOST:
//! REASON", as Poco words it), anything else in the handshake an `SSLException`, and the peer
//! closing mid-handshake an `SSLConnectionUnexpectedlyClosedException`.

use std::io;
use std::time::{Duration, SystemTime};

use rustls::{AlertDescription, CertificateError};

use crate::error::Error;

/// A failed handshake or TLS read, from tokio-rustls's `io::Error`; `peer` names the other end.
pub(crate) fn from_io(error: io::Error, peer: &str) -> Error {
    if let Some(tls) = error.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        return from_rustls(tls, peer);
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof => {
            Error::SslClosed(format!("{peer} closed the connection during the TLS handshake"))
        }
        _ => error.into(),
    }
}

pub(crate) fn from_rustls(error: &rustls::Error, peer: &str) -> Error {
    match error {
        rustls::Error::InvalidCertificate(reason) => {
            Error::CertificateValidation(format!("Unacceptable certificate from {peer}: {}", certificate_reason(reason)))
        }
        rustls::Error::NoCertificatesPresented => {
            Error::CertificateValidation(format!("{peer} sent no certificate, and one is required"))
        }
        rustls::Error::AlertReceived(alert) => Error::Ssl(alert_reason(*alert, peer)),
        rustls::Error::InvalidMessage(_) => {
            Error::Ssl(format!("{peer} did not answer with TLS (not a TLS port, or plain ws:// there?)"))
        }
        other => Error::Ssl(format!("TLS handshake with {peer} failed: {other}")),
    }
}

fn certificate_reason(error: &CertificateError) -> String {
    match error {
        CertificateError::UnknownIssuer => "unknown issuer (the chain does not lead to a trusted CA)".into(),
        CertificateError::NotValidForName => "hostname mismatch".into(),
        CertificateError::NotValidForNameContext { expected, presented } => format!(
            "hostname mismatch: the certificate is for {}, not {}",
            presented.iter().map(|name| presented_name(name)).collect::<Vec<_>>().join(", "),
            expected.to_str()
        ),
        CertificateError::Expired => "certificate expired".into(),
        CertificateError::ExpiredContext { not_after, .. } => {
            format!("certificate expired (not valid after {})", http_date(not_after.as_secs()))
        }
        CertificateError::NotValidYet => "certificate not yet valid".into(),
        CertificateError::NotValidYetContext { not_before, .. } => {
            format!("certificate not yet valid (not valid before {})", http_date(not_before.as_secs()))
        }
        CertificateError::Revoked => "certificate revoked".into(),
        CertificateError::BadSignature => "bad certificate signature".into(),
        CertificateError::BadEncoding => "malformed certificate".into(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "certificate not valid for this purpose (extended key usage)".into()
        }
        other => format!("{other:?}"),
    }
}

/// webpki reports the certificate's names in Debug form (`DnsName("a.example")`,
/// `IpAddress(127.0.0.1)`); the message shows the names alone.
fn presented_name(name: &str) -> &str {
    let inner = name.split_once('(').and_then(|(_, rest)| rest.strip_suffix(')')).unwrap_or(name);
    inner.trim_matches('"')
}

fn alert_reason(alert: AlertDescription, peer: &str) -> String {
    let what = match alert {
        AlertDescription::CertificateRequired => "requires a client certificate",
        AlertDescription::UnknownCA => "does not trust our certificate's issuer",
        AlertDescription::BadCertificate
        | AlertDescription::UnsupportedCertificate
        | AlertDescription::CertificateUnknown => "rejected our certificate",
        AlertDescription::CertificateExpired => "rejected our certificate as expired",
        AlertDescription::CertificateRevoked => "rejected our certificate as revoked",
        AlertDescription::ProtocolVersion => "supports no TLS version we offer",
        AlertDescription::HandshakeFailure => "refused the handshake (no common cipher or protocol)",
        AlertDescription::UnrecognisedName => "does not serve this host name (SNI)",
        _ => "ended the TLS connection",
    };
    format!("{peer} {what} (TLS alert {alert:?})")
}

fn http_date(unix_seconds: u64) -> String {
    httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(unix_seconds))
}
