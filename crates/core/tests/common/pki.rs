//! A throwaway PKI made at test time (nothing secret is committed): a CA, leaf certificates for
//! localhost and 127.0.0.1 (valid, expired, for another host), a client certificate, and a
//! second CA nobody trusts.

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

pub struct Pki {
    pub ca: String,
    /// Issued by a CA that is not `ca`.
    pub stranger_ca: String,
    pub server: Leaf,
    pub expired: Leaf,
    pub wrong_host: Leaf,
    pub client: Leaf,
    /// Valid for localhost, signed by `stranger_ca`.
    pub untrusted: Leaf,
}

/// A certificate and its private key, PEM.
pub struct Leaf {
    pub certificate: String,
    pub key: String,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(issuer: &CertifiedIssuer<'static, KeyPair>, names: &[&str], purpose: ExtendedKeyUsagePurpose, expired: bool) -> Leaf {
    let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![purpose];
    if expired {
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let certificate = params.signed_by(&key, issuer).unwrap();
    Leaf { certificate: certificate.pem(), key: key.serialize_pem() }
}

impl Pki {
    pub fn new() -> Pki {
        use ExtendedKeyUsagePurpose::{ClientAuth, ServerAuth};
        let root = ca("poco-websocket test CA");
        let stranger = ca("poco-websocket stranger CA");
        let local = ["localhost", "127.0.0.1", "::1"];
        Pki {
            ca: root.pem(),
            stranger_ca: stranger.pem(),
            server: leaf(&root, &local, ServerAuth, false),
            expired: leaf(&root, &local, ServerAuth, true),
            wrong_host: leaf(&root, &["example.com"], ServerAuth, false),
            client: leaf(&root, &["client.test"], ClientAuth, false),
            untrusted: leaf(&stranger, &local, ServerAuth, false),
        }
    }
}
