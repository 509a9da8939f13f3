//! Poco's `Context`: the role, the peer verification mode, our certificate and key, and the CAs
//! we trust, built once into a rustls config that every connection of the context shares.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};

use super::roots::default_roots;
use super::verify::AcceptAnyServerCert;
use crate::error::Error;

/// Poco's `Context::VerificationMode`, with Poco's meaning for each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationMode {
    /// Client: the server's certificate is not checked. Server: no client certificate is asked for.
    None,
    /// Client: chain, hostname and dates are verified (Poco's default). Server: a client
    /// certificate is asked for when a CA is configured, and verified when one is sent.
    Relaxed,
    /// Client: as `Relaxed`. Server: a valid client certificate is required.
    Strict,
    /// As `Relaxed` (TLS 1.3 has no renegotiation that could ask again).
    Once,
}

/// The lowest protocol version a context accepts (from Poco's `Context::Usage`). rustls speaks
/// TLS 1.2 and 1.3 only; Poco's TLSv1/TLSv1.1 usages mean "1.2 or higher" here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinProtocol {
    Tls12,
    Tls13,
}

/// What a context is built from; PEM text throughout (the JS layer reads the files).
#[derive(Debug, Clone)]
pub struct ContextOptions {
    pub server: bool,
    pub min_protocol: MinProtocol,
    pub verification: VerificationMode,
    /// Our certificate chain, leaf first; may also hold the private key (as Poco allows).
    pub certificate: Option<Vec<u8>>,
    /// Our private key (PKCS#8, PKCS#1 or SEC1); may also hold the certificate chain.
    pub private_key: Option<Vec<u8>>,
    /// Certificates of the CAs we trust, PEM, any number per blob.
    pub ca: Vec<Vec<u8>>,
    /// Also trust the default roots (Mozilla's plus the system store). A client with no `ca`
    /// always uses them.
    pub load_default_cas: bool,
}

impl Default for ContextOptions {
    fn default() -> Self {
        ContextOptions {
            server: false,
            min_protocol: MinProtocol::Tls12,
            verification: VerificationMode::Relaxed,
            certificate: None,
            private_key: None,
            ca: Vec::new(),
            load_default_cas: false,
        }
    }
}

/// A built context: cheap to clone, shared by every connection that uses it.
#[derive(Clone)]
pub enum Context {
    Client(Arc<ClientConfig>),
    Server(Arc<ServerConfig>),
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_server() { "Context(server)" } else { "Context(client)" })
    }
}

impl Context {
    /// Builds the rustls config; every problem with the options is an `SSLContextException`.
    pub fn new(options: &ContextOptions) -> Result<Context, Error> {
        let provider = Arc::new(ring::default_provider());
        let identity = identity(options)?;
        if options.server {
            server_config(options, provider, identity).map(|c| Context::Server(Arc::new(c)))
        } else {
            client_config(options, provider, identity).map(|c| Context::Client(Arc::new(c)))
        }
    }

    pub fn is_server(&self) -> bool {
        matches!(self, Context::Server(_))
    }

    pub(super) fn client_config(&self) -> Result<&Arc<ClientConfig>, Error> {
        match self {
            Context::Client(config) => Ok(config),
            Context::Server(_) => Err(Error::SslContext("A server Context cannot be used by a client".into())),
        }
    }

    pub(super) fn server_config(&self) -> Result<&Arc<ServerConfig>, Error> {
        match self {
            Context::Server(config) => Ok(config),
            Context::Client(_) => Err(Error::SslContext("A client Context cannot be used by a server".into())),
        }
    }
}

type Identity = Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>;

fn context_error(message: impl Into<String>) -> Error {
    Error::SslContext(message.into())
}

fn versions(min: MinProtocol) -> &'static [&'static SupportedProtocolVersion] {
    static TLS13_ONLY: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    match min {
        MinProtocol::Tls12 => rustls::ALL_VERSIONS,
        MinProtocol::Tls13 => &TLS13_ONLY,
    }
}

fn client_config(options: &ContextOptions, provider: Arc<CryptoProvider>, identity: Identity) -> Result<ClientConfig, Error> {
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions(options.min_protocol))
        .map_err(|e| context_error(e.to_string()))?;
    let builder = if options.verification == VerificationMode::None {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert(provider)))
    } else {
        let roots = trusted(options, options.ca.is_empty())?;
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| context_error(format!("Cannot build the certificate verifier: {e}")))?;
        builder.with_webpki_verifier(verifier)
    };
    match identity {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| context_error(format!("Cannot use the certificate and private key: {e}"))),
        None => Ok(builder.with_no_client_auth()),
    }
}

fn server_config(options: &ContextOptions, provider: Arc<CryptoProvider>, identity: Identity) -> Result<ServerConfig, Error> {
    let Some((chain, key)) = identity else {
        return Err(context_error("A server Context needs a certificate and a private key"));
    };
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions(options.min_protocol))
        .map_err(|e| context_error(e.to_string()))?;
    let has_ca = !options.ca.is_empty() || options.load_default_cas;
    let builder = match options.verification {
        VerificationMode::None => builder.with_no_client_auth(),
        VerificationMode::Relaxed | VerificationMode::Once if !has_ca => builder.with_no_client_auth(),
        VerificationMode::Strict if !has_ca => {
            return Err(context_error("VERIFY_STRICT on a server needs a CA to verify client certificates"))
        }
        mode => {
            let roots = Arc::new(trusted(options, false)?);
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
            let verifier = if mode == VerificationMode::Strict { verifier } else { verifier.allow_unauthenticated() };
            let verifier = verifier.build().map_err(|e| context_error(format!("Cannot build the client verifier: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    builder
        .with_single_cert(chain, key)
        .map_err(|e| context_error(format!("Cannot use the certificate and private key: {e}")))
}

/// The CAs in `options.ca`, plus the default roots when asked for (or when `defaults` is true).
fn trusted(options: &ContextOptions, defaults: bool) -> Result<RootCertStore, Error> {
    let mut roots = if defaults || options.load_default_cas { default_roots().clone() } else { RootCertStore::empty() };
    for pem in &options.ca {
        let certificates = certificates(pem)?;
        if certificates.is_empty() {
            return Err(context_error("No CA certificate found in the CA PEM"));
        }
        for certificate in certificates {
            roots.add(certificate).map_err(|e| context_error(format!("Invalid CA certificate: {e}")))?;
        }
    }
    Ok(roots)
}

/// Our certificate chain and key. As in Poco, either PEM may hold both.
fn identity(options: &ContextOptions) -> Result<Identity, Error> {
    let (certificate, key) = match (&options.certificate, &options.private_key) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        (Some(both), None) | (None, Some(both)) => (both, both),
    };
    let chain = certificates(certificate)?;
    if chain.is_empty() {
        return Err(context_error("No certificate found in the certificate PEM"));
    }
    let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => context_error("No private key found in the private key PEM"),
        e => context_error(format!("Invalid private key PEM: {e}")),
    })?;
    Ok(Some((chain, key)))
}

fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| context_error(format!("Invalid certificate PEM: {e}")))
}
