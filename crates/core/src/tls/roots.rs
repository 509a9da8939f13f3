//! The default trust store: Mozilla's roots (webpki-roots) plus the system store where present.

use std::sync::OnceLock;

use rustls::RootCertStore;

/// Built once per process: reading the system store costs a few milliseconds.
pub(super) fn default_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        // A missing or partly unreadable system store is not an error: the bundled roots remain.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        roots
    })
}
