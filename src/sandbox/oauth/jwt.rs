//! The JWT bearer grant: reading the configured key and checking an assertion.
//!
//! Salesforce verifies the assertion with the X.509 certificate uploaded to the
//! connected app. The sandbox takes that certificate, or a bare public key, and
//! reads it with a minimal DER walk rather than a full X.509 parser: only the
//! SubjectPublicKeyInfo is needed, and this keeps the dependency list unchanged.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::OAuthConfig;
use super::errors::OAuthError;

/// The `grant_type` of the JWT bearer flow.
pub(super) const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The `aud` values Salesforce accepts; the sandbox also accepts its own URL.
const AUDIENCES: [&str; 2] = [
    "https://login.salesforce.com",
    "https://test.salesforce.com",
];

/// How far past `exp` an assertion is still accepted: Salesforce allows about 3 minutes of
/// clock skew ("OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration",
/// <https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_jwt_flow.htm&type=5>).
const EXP_SKEW_SECS: u64 = 180;

/// DER of the rsaEncryption OID 1.2.840.113549.1.1.1 (contents only).
const RSA_ENCRYPTION_OID: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Reads an RSA key from PEM text holding a `CERTIFICATE`, `PUBLIC KEY` (SPKI) or
/// `RSA PUBLIC KEY` (PKCS#1) block; `None` if there is none or it is not RSA.
pub(super) fn load_key(pem: &str) -> Option<DecodingKey> {
    let rsa_der = if let Some(der) = pem_block(pem, "CERTIFICATE") {
        rsa_key_from_spki(spki_from_certificate(&der)?)?.to_vec()
    } else if let Some(der) = pem_block(pem, "PUBLIC KEY") {
        rsa_key_from_spki(&der)?.to_vec()
    } else {
        pem_block(pem, "RSA PUBLIC KEY")?
    };
    // An RSAPublicKey is SEQUENCE { modulus INTEGER, publicExponent INTEGER }:
    // check the shape now so a bad key is reported at startup, not per request.
    let (0x30, fields, _) = tlv(&rsa_der)? else {
        return None;
    };
    let (0x02, _, rest) = tlv(fields)? else {
        return None;
    };
    let (0x02, _, _) = tlv(rest)? else {
        return None;
    };
    Some(DecodingKey::from_rsa_der(&rsa_der))
}

/// Checks an assertion: RS256 signature, then `iss`, `aud`, `exp`, `sub`.
pub(super) fn verify(
    assertion: &str,
    key: Option<&DecodingKey>,
    config: &OAuthConfig,
    instance_url: &str,
) -> Result<(), OAuthError> {
    let key = key.ok_or(OAuthError::InvalidAssertion)?;
    // jsonwebtoken checks only the header's alg and the signature here; the claims
    // are checked below because `exp` may be a string, which it does not accept.
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Value>(assertion, key, &validation)
        .map_err(|_| OAuthError::InvalidAssertion)?
        .claims;

    if claims.get("iss").and_then(Value::as_str) != Some(config.client_id.as_str()) {
        return Err(OAuthError::InvalidClientId);
    }
    let aud_ok = |aud: &str| {
        let aud = aud.trim_end_matches('/');
        AUDIENCES.contains(&aud) || aud == instance_url
    };
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud_ok(aud),
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(aud_ok),
        _ => false,
    };
    if !audience_ok {
        return Err(OAuthError::AudienceInvalid);
    }
    let exp = claims
        .get("exp")
        .and_then(epoch_seconds)
        .ok_or(OAuthError::InvalidAssertion)?;
    if now_secs() > exp.saturating_add(EXP_SKEW_SECS) {
        return Err(OAuthError::ExpiredAssertion);
    }
    let sub = claims.get("sub").and_then(Value::as_str);
    if !sub.is_some_and(|s| s.eq_ignore_ascii_case(&config.username)) {
        return Err(OAuthError::NotApproved);
    }
    Ok(())
}

/// `exp` as a number or, as Salesforce's own example sends it, a string.
fn epoch_seconds(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            // Whole seconds only matter; a fractional exp is truncated.
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The DER inside the first `-----BEGIN {label}-----` block.
fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let len = pem.get(start..)?.find(&end)?;
    let body: String = pem
        .get(start..start + len)?
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Certificate ::= SEQUENCE { tbsCertificate, … }; TBSCertificate ::= SEQUENCE {
/// [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject,
/// subjectPublicKeyInfo, … } (RFC 5280 §4.1). Returns the whole SPKI element.
fn spki_from_certificate(der: &[u8]) -> Option<&[u8]> {
    let (0x30, cert, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    if let Some((0xa0, _, after_version)) = tlv(rest) {
        rest = after_version;
    }
    // serialNumber, signature, issuer, validity, subject
    for _ in 0..5 {
        rest = tlv(rest)?.2;
    }
    let element_len = rest.len() - tlv(rest)?.2.len();
    rest.get(..element_len)
}

/// SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }; returns
/// the RSAPublicKey DER inside the bit string if the algorithm is rsaEncryption.
fn rsa_key_from_spki(der: &[u8]) -> Option<&[u8]> {
    let (0x30, spki, _) = tlv(der)? else {
        return None;
    };
    let (0x30, algorithm, after_algorithm) = tlv(spki)? else {
        return None;
    };
    let (0x06, oid, _) = tlv(algorithm)? else {
        return None;
    };
    if oid != RSA_ENCRYPTION_OID {
        return None;
    }
    let (0x03, bits, _) = tlv(after_algorithm)? else {
        return None;
    };
    // First byte: unused bits in the last byte, always 0 for a key.
    match bits.split_first()? {
        (0, key) => Some(key),
        _ => None,
    }
}

/// One DER element: (tag, contents, what follows). `None` on truncated input or a
/// length form DER does not allow.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(count)?;
        let len = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        (usize::try_from(len).ok()?, rest)
    };
    let (contents, rest) = rest.split_at_checked(len)?;
    Some((tag, contents, rest))
}
