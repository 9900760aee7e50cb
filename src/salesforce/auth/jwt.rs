//! The JWT bearer assertion: RS256 with `iss`, `sub`, `aud`, `exp`.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use time::OffsetDateTime;

use crate::salesforce::{AuthError, Secret};

/// How long the assertion is valid. Salesforce allows ~3 minutes of clock skew on top, and
/// simple-salesforce uses the same 3 minutes.
const LIFETIME: time::Duration = time::Duration::minutes(3);

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
}

/// Signs a fresh assertion. The key is parsed on each call: tokens are fetched rarely, and not
/// keeping a parsed key around means one less place a secret lives.
pub(super) fn assertion(
    client_id: &str,
    username: &str,
    private_key_pem: &Secret,
    audience: &str,
    now: OffsetDateTime,
) -> Result<String, AuthError> {
    let key = EncodingKey::from_rsa_pem(private_key_pem.expose().as_bytes())
        .map_err(AuthError::InvalidPrivateKey)?;
    let claims = Claims {
        iss: client_id,
        sub: username,
        aud: audience,
        exp: (now + LIFETIME).unix_timestamp(),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)
        .map_err(AuthError::InvalidPrivateKey)
}

/// Whether `private_key_pem` can sign an assertion: a local, deterministic check (a test
/// signature, sent nowhere), so a configuration with an unusable key is refused at start
/// instead of failing the first call.
pub fn check_private_key(private_key_pem: &Secret) -> Result<(), AuthError> {
    assertion(
        "check",
        "check",
        private_key_pem,
        "https://login.salesforce.com",
        OffsetDateTime::UNIX_EPOCH,
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_that_is_not_pem_is_refused_without_echoing_it() {
        let key = Secret::new(
            "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END RSA PRIVATE KEY-----\n",
        );
        let err = assertion(
            "cid",
            "u@x",
            &key,
            "https://login.salesforce.com",
            OffsetDateTime::now_utc(),
        )
        .unwrap_err();
        assert!(matches!(err, AuthError::InvalidPrivateKey(_)));
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
    }
}
