//! JWT bearer grant tests. Keys are made fresh with the `openssl` command line in a
//! temporary directory (never committed); a missing `openssl` fails the tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::AuthServer;
use super::jwt::{self, GRANT_TYPE};
use super::tests::{INSTANCE, assert_success, config, token};

struct Keys {
    private_pem: String,
    other_private_pem: String,
    spki_pem: String,
    pkcs1_pem: String,
    cert_pem: String,
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command line is needed for the JWT tests");
    assert!(
        status.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir: PathBuf =
        std::env::temp_dir().join(format!("sfgate-oauth-jwt-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rsa = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
    openssl(
        &dir,
        &[&["genpkey"][..], &rsa, &["-out", "key.pem"]].concat(),
    );
    openssl(
        &dir,
        &[&["genpkey"][..], &rsa, &["-out", "other.pem"]].concat(),
    );
    openssl(
        &dir,
        &["pkey", "-in", "key.pem", "-pubout", "-out", "spki.pem"],
    );
    openssl(
        &dir,
        &[
            "rsa",
            "-in",
            "key.pem",
            "-RSAPublicKey_out",
            "-out",
            "pkcs1.pem",
        ],
    );
    openssl(
        &dir,
        &[
            "req", "-new", "-x509", "-key", "key.pem", "-days", "30", "-subj", "/CN=test", "-out",
            "cert.pem",
        ],
    );
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("key file");
    let keys = Keys {
        private_pem: read("key.pem"),
        other_private_pem: read("other.pem"),
        spki_pem: read("spki.pem"),
        pkcs1_pem: read("pkcs1.pem"),
        cert_pem: read("cert.pem"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    keys
});

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn server_with(pem: Option<&str>) -> AuthServer {
    let mut config = config();
    config.jwt_public_key_pem = pem.map(str::to_owned);
    AuthServer::new(config)
}

/// Claims as simple-salesforce sends them, with `exp` three minutes ahead.
fn claims() -> Value {
    json!({
        "iss": "sandbox",
        "sub": "dev@sandbox.local",
        "aud": "https://login.salesforce.com",
        "exp": now() + 180,
    })
}

fn sign(claims: &Value, private_pem: &str) -> String {
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("private key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("sign")
}

async fn jwt_grant(server: &AuthServer, assertion: &str) -> super::tests::Reply {
    token(
        server,
        &format!("grant_type={GRANT_TYPE}&assertion={assertion}"),
    )
    .await
}

#[test]
fn loads_certificate_spki_and_pkcs1_keys_but_not_garbage() {
    assert!(jwt::load_key(&KEYS.cert_pem).is_some());
    assert!(jwt::load_key(&KEYS.spki_pem).is_some());
    assert!(jwt::load_key(&KEYS.pkcs1_pem).is_some());
    assert!(jwt::load_key("not a key").is_none());
    assert!(
        jwt::load_key("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").is_none()
    );
    // A private key is not accepted as the verifying key.
    assert!(jwt::load_key(&KEYS.private_pem).is_none());
}

#[tokio::test]
async fn verifies_with_certificate_public_key_and_pkcs1_key() {
    let assertion = sign(&claims(), &KEYS.private_pem);
    for pem in [&KEYS.cert_pem, &KEYS.spki_pem, &KEYS.pkcs1_pem] {
        let server = server_with(Some(pem));
        let reply = jwt_grant(&server, &assertion).await;
        let body = assert_success(&reply, "api", false);
        let access = body["access_token"].as_str().unwrap_or_default();
        assert!(
            server
                .authenticate(Some(&format!("Bearer {access}")))
                .is_ok()
        );
    }
}

#[tokio::test]
async fn accepts_string_exp_other_audiences_and_small_skew() {
    let server = server_with(Some(&KEYS.cert_pem));
    let variants = [
        json!({ "exp": (now() + 180).to_string() }),
        json!({ "exp": now() - 60 }),
        json!({ "aud": "https://test.salesforce.com" }),
        json!({ "sub": "Dev@Sandbox.local" }),
        json!({ "aud": INSTANCE }),
        json!({ "aud": ["https://example.com", "https://login.salesforce.com/"] }),
    ];
    for variant in variants {
        let mut claims = claims();
        if let (Some(c), Some(v)) = (claims.as_object_mut(), variant.as_object()) {
            c.extend(v.clone());
        }
        let reply = jwt_grant(&server, &sign(&claims, &KEYS.private_pem)).await;
        assert_success(&reply, "api", false);
    }
}

#[tokio::test]
async fn rejects_bad_assertions() {
    let server = server_with(Some(&KEYS.cert_pem));
    let with = |patch: Value| {
        let mut claims = claims();
        if let (Some(c), Some(p)) = (claims.as_object_mut(), patch.as_object()) {
            c.extend(p.clone());
        }
        sign(&claims, &KEYS.private_pem)
    };
    let cases = [
        (
            sign(&claims(), &KEYS.other_private_pem),
            "invalid_grant",
            "invalid assertion",
        ),
        ("not.a.jwt".to_owned(), "invalid_grant", "invalid assertion"),
        (
            with(json!({ "aud": "https://evil.example.com" })),
            "invalid_grant",
            "audience is invalid",
        ),
        (
            with(json!({ "aud": null })),
            "invalid_grant",
            "audience is invalid",
        ),
        (
            with(json!({ "iss": "someone-else" })),
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            with(json!({ "exp": now() - 3600 })),
            "invalid_grant",
            "expired authorization code",
        ),
        (
            with(json!({ "exp": (now() - 3600).to_string() })),
            "invalid_grant",
            "expired authorization code",
        ),
        (
            with(json!({ "exp": "soon" })),
            "invalid_grant",
            "invalid assertion",
        ),
        (
            with(json!({ "sub": "nobody@sandbox.local" })),
            "invalid_grant",
            "user hasn't approved this consumer",
        ),
    ];
    for (assertion, error, description) in cases {
        jwt_grant(&server, &assertion)
            .await
            .assert_error(error, description);
    }
    token(&server, &format!("grant_type={GRANT_TYPE}"))
        .await
        .assert_error("invalid_grant", "invalid assertion");
}

#[tokio::test]
async fn rejects_other_algorithms() {
    let server = server_with(Some(&KEYS.cert_pem));
    // HS256 keyed with the public certificate: the classic algorithm confusion.
    let key = EncodingKey::from_secret(KEYS.cert_pem.as_bytes());
    let assertion =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims(), &key).expect("sign");
    jwt_grant(&server, &assertion)
        .await
        .assert_error("invalid_grant", "invalid assertion");
    // alg "none" with an empty signature.
    let b64 = |v: Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let none = format!("{}.{}.", b64(json!({ "alg": "none" })), b64(claims()));
    jwt_grant(&server, &none)
        .await
        .assert_error("invalid_grant", "invalid assertion");
}

#[tokio::test]
async fn without_a_configured_key_every_assertion_fails() {
    let assertion = sign(&claims(), &KEYS.private_pem);
    for pem in [None, Some("garbage")] {
        let server = server_with(pem);
        jwt_grant(&server, &assertion)
            .await
            .assert_error("invalid_grant", "invalid assertion");
    }
}
