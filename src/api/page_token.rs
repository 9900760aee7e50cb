//! The opaque `page_token`: Salesforce's `nextRecordsUrl`, bound to its connection.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::status::Violation;

#[derive(Serialize, Deserialize)]
struct Token {
    /// Format version, so the token can change shape later.
    v: u8,
    /// The connection the cursor belongs to.
    c: String,
    /// Salesforce's `nextRecordsUrl`.
    u: String,
}

/// Wraps a `nextRecordsUrl` of `connection` into an opaque token.
pub(crate) fn encode(connection: &str, next_records_url: &str) -> String {
    let token = Token {
        v: 1,
        c: connection.to_owned(),
        u: next_records_url.to_owned(),
    };
    // Serializing a struct of strings cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
}

/// The `nextRecordsUrl` inside `token`, if it was issued for `connection`.
pub(crate) fn decode(connection: &str, token: &str) -> Result<String, Violation> {
    let parsed: Token = URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .filter(|t: &Token| t.v == 1)
        .ok_or_else(|| Violation::new("page_token", "not a page token issued by this gateway"))?;
    if parsed.c != connection {
        return Err(Violation::new(
            "page_token",
            format!("issued for connection {:?}, not {connection:?}", parsed.c),
        ));
    }
    Ok(parsed.u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_on_its_own_connection_only() {
        let t = encode(
            "sandbox",
            "/services/data/v62.0/query/01g000000000001AAA-2000",
        );
        assert_eq!(
            decode("sandbox", &t).unwrap(),
            "/services/data/v62.0/query/01g000000000001AAA-2000"
        );
        let err = decode("other", &t).unwrap_err();
        assert_eq!(err.field, "page_token");
        assert!(decode("sandbox", "garbage!").is_err());
        assert!(decode("sandbox", "").is_err());
    }
}
