//! The opaque `page_token`: where the next page starts, bound to its connection
//! and its query.
//!
//! Usually it wraps Salesforce's `nextRecordsUrl`. When `max_records` cut a
//! Salesforce page short, it names that page (its locator URL, or the query
//! itself for the first page) plus how many of its records were already returned,
//! so no record is skipped or repeated.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::status::Violation;

/// Where the next page comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Resume {
    /// A Salesforce `nextRecordsUrl` (or the URL of a page that was cut short).
    #[serde(rename = "u")]
    Locator(String),
    /// The query's first page, run again (it was cut short).
    #[serde(rename = "q")]
    Query {
        /// The bound SOQL.
        soql: String,
        /// `queryAll`.
        all_rows: bool,
    },
}

/// A decoded page token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PageToken {
    /// Format version, so the token can change shape later.
    v: u8,
    /// The connection the cursor belongs to.
    c: String,
    /// Fingerprint of the query, to refuse a token sent with another query.
    h: String,
    /// Where the next page starts.
    pub(crate) r: Resume,
    /// Records of that page already returned.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) skip: usize,
}

impl PageToken {
    /// The fingerprint of the query the token belongs to.
    pub(crate) fn fingerprint(&self) -> &str {
        &self.h
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A short fingerprint of a bound query and its `include_deleted` flag.
pub(crate) fn fingerprint(soql: &str, all_rows: bool) -> String {
    let digest = Sha256::new()
        .chain_update(soql.as_bytes())
        .chain_update([u8::from(all_rows)])
        .finalize();
    URL_SAFE_NO_PAD.encode(&digest[..12])
}

/// Builds the token for `connection`.
pub(crate) fn encode(connection: &str, fingerprint: &str, resume: Resume, skip: usize) -> String {
    let token = PageToken {
        v: 1,
        c: connection.to_owned(),
        h: fingerprint.to_owned(),
        r: resume,
        skip,
    };
    // Serializing plain strings and numbers cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
}

/// Reads a token sent for `connection`; `fingerprint` is that of the request's own
/// query when it repeats one (it must then be the token's query).
pub(crate) fn decode(
    connection: &str,
    token: &str,
    fingerprint: Option<&str>,
) -> Result<PageToken, Violation> {
    let parsed: PageToken = URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .filter(|t: &PageToken| t.v == 1)
        .ok_or_else(|| Violation::new("page_token", "not a page token issued by this gateway"))?;
    if parsed.c != connection {
        return Err(Violation::new(
            "page_token",
            format!("issued for connection {:?}, not {connection:?}", parsed.c),
        ));
    }
    if fingerprint.is_some_and(|f| f != parsed.h) {
        return Err(Violation::new(
            "page_token",
            "issued for another query: send the same query and params, or none",
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_on_its_own_connection_and_query_only() {
        let url = "/services/data/v62.0/query/01g000000000001AAA-2000";
        let h = fingerprint("SELECT Id FROM Contact", false);
        let t = encode("sandbox", &h, Resume::Locator(url.into()), 3);
        let back = decode("sandbox", &t, None).unwrap();
        assert_eq!((back.r, back.skip), (Resume::Locator(url.into()), 3));
        assert!(decode("sandbox", &t, Some(&h)).is_ok());
        let other = fingerprint("SELECT Id FROM Contact", true);
        assert!(decode("sandbox", &t, Some(&other)).is_err());
        assert_eq!(decode("other", &t, None).unwrap_err().field, "page_token");
        assert!(decode("sandbox", "garbage!", None).is_err());
        assert!(decode("sandbox", "", None).is_err());
    }
}
