//! HTTP authentication on the client handshake (Poco spec §3.4): the `Authorization` value
//! answering a 401's `WWW-Authenticate` challenges, Basic (RFC 7617) and Digest (RFC 7616).

use md5::Md5;
use sha2::{Digest, Sha256};

use poco_websocket_core::auth::{self, Credentials};
use poco_websocket_core::http::{Headers, ResponseHead, Version};

/// A 401 carrying one `WWW-Authenticate` field per challenge, in order.
fn unauthorized(challenges: &[&str]) -> ResponseHead {
    let mut response = ResponseHead::new(Version::HTTP_1_1, 401);
    response.headers = Headers(challenges.iter().map(|c| ("WWW-Authenticate".to_string(), c.to_string())).collect());
    response
}

fn credentials(username: &str, password: &str) -> Credentials {
    Credentials { username: username.into(), password: password.into() }
}

fn answer(credentials: &Credentials, challenges: &[&str], method: &str, uri: &str) -> Option<String> {
    auth::authorization(credentials, &unauthorized(challenges), method, uri)
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

/// The parameters of a `Digest …` value, names lower-cased; panics on another scheme.
fn digest_params(header: &str) -> Vec<(String, String)> {
    let params = header.strip_prefix("Digest ").unwrap_or_else(|| panic!("not a Digest answer: {header}"));
    auth::parse_params(params).into_iter().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn required<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    param(params, name).unwrap_or_else(|| panic!("no {name} in {params:?}"))
}

/// RFC 7616 §3.4.1 computed independently: `session` adds `:nonce:cnonce` to HA1 (-sess),
/// `qop` selects the RFC 7616 form (with nc/cnonce) over the RFC 2069 form.
#[allow(clippy::too_many_arguments)]
fn expected_response(
    hash: fn(&str) -> String,
    session: bool,
    user: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str)>,
) -> String {
    let mut ha1 = hash(&format!("{user}:{realm}:{password}"));
    if session {
        let (_, cnonce) = qop.expect("-sess needs a cnonce");
        ha1 = hash(&format!("{ha1}:{nonce}:{cnonce}"));
    }
    let ha2 = hash(&format!("{method}:{uri}"));
    match qop {
        Some((nc, cnonce)) => hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")),
        None => hash(&format!("{ha1}:{nonce}:{ha2}")),
    }
}

fn is_cnonce(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What a qop=auth Digest answer must hold.
struct Expected<'a> {
    hash: fn(&str) -> String,
    session: bool,
    algorithm: &'a str,
    user: &'a str,
    password: &'a str,
    realm: &'a str,
    uri: &'a str,
    nonce: &'a str,
    opaque: Option<&'a str>,
}

impl Default for Expected<'_> {
    fn default() -> Self {
        Expected {
            hash: md5_hex,
            session: false,
            algorithm: "MD5",
            user: "user",
            password: "pass",
            realm: "test",
            uri: "/",
            nonce: "abc123",
            opaque: None,
        }
    }
}

/// Checks a qop=auth Digest answer to a GET field by field and recomputes its `response`;
/// returns the cnonce.
fn check_qop_answer(header: &str, e: &Expected) -> String {
    let params = digest_params(header);
    assert_eq!(required(&params, "username"), e.user);
    assert_eq!(required(&params, "realm"), e.realm);
    assert_eq!(required(&params, "nonce"), e.nonce);
    assert_eq!(required(&params, "uri"), e.uri);
    assert_eq!(required(&params, "algorithm"), e.algorithm);
    assert_eq!(required(&params, "qop"), "auth");
    assert_eq!(required(&params, "nc"), "00000001");
    let cnonce = required(&params, "cnonce");
    assert!(is_cnonce(cnonce), "cnonce {cnonce:?} is not 32 lower-case hex digits");
    assert_eq!(param(&params, "opaque"), e.opaque);
    let qop = Some(("00000001", cnonce));
    let expected = expected_response(e.hash, e.session, e.user, e.realm, e.password, "GET", e.uri, e.nonce, qop);
    assert_eq!(required(&params, "response"), expected, "in {header}");
    cnonce.to_string()
}

// ---------------------------------------------------------------------------------------------
// Basic

#[test]
fn basic_user_pass_is_the_poco_verified_value() {
    let header = answer(&credentials("user", "pass"), &[r#"Basic realm="x""#], "GET", "/");
    assert_eq!(header.as_deref(), Some("Basic dXNlcjpwYXNz"));
}

#[test]
fn basic_scheme_matches_any_case_and_a_bare_scheme() {
    assert_eq!(
        answer(&credentials("user", "pass"), &["basic realm=x"], "GET", "/").as_deref(),
        Some("Basic dXNlcjpwYXNz")
    );
    assert_eq!(answer(&credentials("user", "pass"), &["BASIC"], "GET", "/").as_deref(), Some("Basic dXNlcjpwYXNz"));
}

#[test]
fn basic_keeps_a_colon_in_the_password_and_utf8() {
    // base64("a:b:c") and base64("ü:pw") in UTF-8.
    assert_eq!(answer(&credentials("a", "b:c"), &["Basic"], "GET", "/").as_deref(), Some("Basic YTpiOmM="));
    assert_eq!(answer(&credentials("ü", "pw"), &["Basic"], "GET", "/").as_deref(), Some("Basic w7w6cHc="));
}

// ---------------------------------------------------------------------------------------------
// Digest

#[test]
fn digest_md5_with_qop_auth_and_opaque() {
    let header = answer(
        &credentials("user", "pass"),
        &[r#"Digest realm="test", qop="auth", nonce="abc123", opaque="xyz", algorithm=MD5"#],
        "GET",
        "/chat?room=1",
    )
    .expect("a Digest answer");
    check_qop_answer(&header, &Expected { uri: "/chat?room=1", opaque: Some("xyz"), ..Default::default() });
}

#[test]
fn digest_without_algorithm_defaults_to_md5() {
    let header = answer(&credentials("user", "pass"), &[r#"Digest realm="test", qop="auth", nonce="n1""#], "GET", "/")
        .expect("a Digest answer");
    let params = digest_params(&header);
    assert_eq!(param(&params, "opaque"), None, "no opaque when the challenge has none");
    let cnonce = required(&params, "cnonce");
    let expected =
        expected_response(md5_hex, false, "user", "test", "pass", "GET", "/", "n1", Some(("00000001", cnonce)));
    assert_eq!(required(&params, "response"), expected);
}

#[test]
fn digest_sha256_with_qop_auth() {
    let header = answer(
        &credentials("user", "pass"),
        &[r#"Digest realm="test", qop="auth", nonce="abc123", opaque="xyz", algorithm=SHA-256"#],
        "GET",
        "/ws",
    )
    .expect("a Digest answer");
    let sha256 =
        Expected { hash: sha256_hex, algorithm: "SHA-256", uri: "/ws", opaque: Some("xyz"), ..Default::default() };
    check_qop_answer(&header, &sha256);
    assert_eq!(required(&digest_params(&header), "response").len(), 64);
}

#[test]
fn digest_md5_sess() {
    let header = answer(
        &credentials("user", "pass"),
        &[r#"Digest realm="test", qop="auth", nonce="abc123", opaque="xyz", algorithm=MD5-sess"#],
        "GET",
        "/ws",
    )
    .expect("a Digest answer");
    let sess = Expected { session: true, algorithm: "MD5-sess", uri: "/ws", opaque: Some("xyz"), ..Default::default() };
    check_qop_answer(&header, &sess);
    // The session form really differs from plain MD5 with the same cnonce.
    let params = digest_params(&header);
    let cnonce = required(&params, "cnonce");
    let plain =
        expected_response(md5_hex, false, "user", "test", "pass", "GET", "/ws", "abc123", Some(("00000001", cnonce)));
    assert_ne!(required(&params, "response"), plain);
}

#[test]
fn digest_sha256_sess() {
    let header = answer(
        &credentials("user", "pass"),
        &[r#"Digest realm="test", qop="auth", nonce="abc123", algorithm=SHA-256-sess"#],
        "GET",
        "/ws",
    )
    .expect("a Digest answer");
    let sess =
        Expected { hash: sha256_hex, session: true, algorithm: "SHA-256-sess", uri: "/ws", ..Default::default() };
    check_qop_answer(&header, &sess);
}

#[test]
fn digest_without_qop_uses_the_rfc_2069_form() {
    let header =
        answer(&credentials("user", "pass"), &[r#"Digest realm="test", nonce="abc123", opaque="xyz""#], "GET", "/ws")
            .expect("a Digest answer");
    let params = digest_params(&header);
    for absent in ["qop", "nc", "cnonce"] {
        assert_eq!(param(&params, absent), None, "{absent} must not be sent without qop: {header}");
    }
    assert_eq!(required(&params, "username"), "user");
    assert_eq!(required(&params, "realm"), "test");
    assert_eq!(required(&params, "nonce"), "abc123");
    assert_eq!(required(&params, "uri"), "/ws");
    assert_eq!(required(&params, "opaque"), "xyz");
    let expected = md5_hex(&format!("{}:abc123:{}", md5_hex("user:test:pass"), md5_hex("GET:/ws")));
    assert_eq!(required(&params, "response"), expected);
}

#[test]
fn digest_picks_auth_from_a_qop_list() {
    let header =
        answer(&credentials("user", "pass"), &[r#"Digest realm="r", qop="auth-int, auth", nonce="n""#], "GET", "/")
            .expect("a Digest answer");
    check_qop_answer(&header, &Expected { realm: "r", nonce: "n", ..Default::default() });
}

/// RFC 7616 §3.9.1 values. First the reference computation is checked against the RFC's own
/// answers (with the RFC's cnonce), then the produced answers with their fresh cnonce.
#[test]
fn digest_rfc7616_example_values() {
    const REALM: &str = "http-auth@example.org";
    const URI: &str = "/dir/index.html";
    const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const OPAQUE: &str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
    const RFC_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    let rfc = |hash| {
        expected_response(
            hash,
            false,
            "Mufasa",
            REALM,
            "Circle of Life",
            "GET",
            URI,
            NONCE,
            Some(("00000001", RFC_CNONCE)),
        )
    };
    assert_eq!(rfc(md5_hex), "8ca523f5e9506fed4657c9700eebdbec");
    assert_eq!(rfc(sha256_hex), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");

    let mufasa = credentials("Mufasa", "Circle of Life");
    for (algorithm, hash) in [("MD5", md5_hex as fn(&str) -> String), ("SHA-256", sha256_hex)] {
        let challenge = format!(
            r#"Digest realm="{REALM}", qop="auth, auth-int", algorithm={algorithm}, nonce="{NONCE}", opaque="{OPAQUE}""#
        );
        let header = answer(&mufasa, &[&challenge], "GET", URI).expect("a Digest answer");
        let mufasa = Expected {
            hash,
            algorithm,
            user: "Mufasa",
            password: "Circle of Life",
            realm: REALM,
            uri: URI,
            nonce: NONCE,
            opaque: Some(OPAQUE),
            ..Default::default()
        };
        check_qop_answer(&header, &mufasa);
    }
}

#[test]
fn digest_cnonce_is_fresh_on_every_call() {
    let challenge = [r#"Digest realm="test", qop="auth", nonce="abc123""#];
    let first = answer(&credentials("user", "pass"), &challenge, "GET", "/").unwrap();
    let second = answer(&credentials("user", "pass"), &challenge, "GET", "/").unwrap();
    let (first, second) = (digest_params(&first), digest_params(&second));
    let (a, b) = (required(&first, "cnonce"), required(&second, "cnonce"));
    assert!(is_cnonce(a) && is_cnonce(b));
    assert_ne!(a, b, "two answers share a cnonce");
    assert_ne!(required(&first, "response"), required(&second, "response"));
}

#[test]
fn digest_username_with_a_quote_is_escaped_but_hashed_raw() {
    let header =
        answer(&credentials(r#"we"ird\user"#, "pw"), &[r#"Digest realm="r", qop="auth", nonce="n""#], "GET", "/")
            .expect("a Digest answer");
    assert!(header.contains(r#"username="we\"ird\\user""#), "username not escaped: {header}");
    check_qop_answer(
        &header,
        &Expected { user: r#"we"ird\user"#, password: "pw", realm: "r", nonce: "n", ..Default::default() },
    );
}

#[test]
fn digest_without_a_nonce_is_not_answered() {
    assert_eq!(answer(&credentials("user", "pass"), &[r#"Digest realm="test", qop="auth""#], "GET", "/"), None);
}

// ---------------------------------------------------------------------------------------------
// Choosing among challenges

#[test]
fn unknown_schemes_are_not_answered() {
    assert_eq!(answer(&credentials("user", "pass"), &["Negotiate abc"], "GET", "/"), None);
    assert_eq!(answer(&credentials("user", "pass"), &["Bearer realm=\"x\"", "Negotiate"], "GET", "/"), None);
    assert_eq!(answer(&credentials("user", "pass"), &[], "GET", "/"), None);
}

#[test]
fn other_fields_are_ignored() {
    let mut response = ResponseHead::new(Version::HTTP_1_1, 401);
    response.headers = Headers(vec![
        ("Proxy-Authenticate".into(), "Basic realm=\"proxy\"".into()),
        ("X-WWW-Authenticate".into(), "Basic realm=\"x\"".into()),
    ]);
    assert_eq!(auth::authorization(&credentials("user", "pass"), &response, "GET", "/"), None);
    // The field name itself matches case-insensitively.
    response.headers.0.push(("www-authenticate".into(), "Basic realm=\"x\"".into()));
    assert_eq!(
        auth::authorization(&credentials("user", "pass"), &response, "GET", "/").as_deref(),
        Some("Basic dXNlcjpwYXNz")
    );
}

#[test]
fn the_first_known_scheme_wins() {
    let user = credentials("user", "pass");
    let digest = r#"Digest realm="test", qop="auth", nonce="abc123""#;
    let basic = r#"Basic realm="x""#;

    let header = answer(&user, &["Negotiate abc", basic, digest], "GET", "/").unwrap();
    assert_eq!(header, "Basic dXNlcjpwYXNz");

    let header = answer(&user, &["Negotiate abc", digest, basic], "GET", "/").unwrap();
    assert!(header.starts_with("Digest "), "{header}");
    check_qop_answer(&header, &Expected::default());
}

#[test]
fn an_unsupported_algorithm_skips_that_field() {
    let user = credentials("user", "pass");
    let unsupported = r#"Digest realm="test", qop="auth", nonce="abc123", algorithm=SHA-512-256"#;
    assert_eq!(answer(&user, &[unsupported], "GET", "/"), None);
    assert_eq!(answer(&user, &[r#"Digest realm="t", nonce="n", algorithm=SHA-1"#], "GET", "/"), None);
    assert_eq!(answer(&user, &[unsupported, r#"Basic realm="x""#], "GET", "/").as_deref(), Some("Basic dXNlcjpwYXNz"));

    let sha = r#"Digest realm="test", qop="auth", nonce="n2", algorithm=sha-256"#;
    let header = answer(&user, &[unsupported, sha], "GET", "/").unwrap();
    let params = digest_params(&header);
    assert_eq!(required(&params, "nonce"), "n2");
    let cnonce = required(&params, "cnonce");
    let expected =
        expected_response(sha256_hex, false, "user", "test", "pass", "GET", "/", "n2", Some(("00000001", cnonce)));
    assert_eq!(required(&params, "response"), expected);
}

// ---------------------------------------------------------------------------------------------
// parse_params

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|&(n, v)| (n.to_string(), v.to_string())).collect()
}

#[test]
fn parse_params_quoted_escaped_and_unquoted_values() {
    let parsed =
        auth::parse_params(r#"realm="say \"hi\", then \\ go", qop="auth,auth-int", algorithm=MD5, stale=FALSE"#);
    assert_eq!(
        parsed,
        pairs(&[
            ("realm", r#"say "hi", then \ go"#),
            ("qop", "auth,auth-int"),
            ("algorithm", "MD5"),
            ("stale", "FALSE"),
        ])
    );
}

#[test]
fn parse_params_tolerates_spacing_and_empty_values() {
    let parsed = auth::parse_params(r#"  a = 1 ,b="",c=x  ,  d = "two words""#);
    assert_eq!(parsed, pairs(&[("a", "1"), ("b", ""), ("c", "x"), ("d", "two words")]));
    assert_eq!(auth::parse_params(""), Vec::<(String, String)>::new());
    assert_eq!(auth::parse_params("   "), Vec::<(String, String)>::new());
}

#[test]
fn parse_params_reads_what_the_digest_answer_writes() {
    let parsed = auth::parse_params(
        r#"username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", algorithm=MD5, response="8ca523f5e9506fed4657c9700eebdbec", qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
    );
    assert_eq!(
        parsed,
        pairs(&[
            ("username", "Mufasa"),
            ("realm", "http-auth@example.org"),
            ("nonce", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"),
            ("uri", "/dir/index.html"),
            ("algorithm", "MD5"),
            ("response", "8ca523f5e9506fed4657c9700eebdbec"),
            ("qop", "auth"),
            ("nc", "00000001"),
            ("cnonce", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
            ("opaque", "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"),
        ])
    );
}

#[test]
fn credentials_are_empty_only_when_both_parts_are() {
    assert!(Credentials::default().is_empty());
    assert!(credentials("", "").is_empty());
    assert!(!credentials("user", "").is_empty());
    assert!(!credentials("", "pass").is_empty());
}
