//! The opaque `page_token`: where the next page starts, bound to its connection, its query
//! and its params, and authenticated with an HMAC so that only tokens this gateway issued
//! are accepted.
//!
//! It wraps where the next page starts ([`PageStart`]: usually Salesforce's
//! `nextRecordsUrl`). When `max_records` cut a Salesforce page short, it names that page
//! (its locator URL, or the query itself for the first page) plus how many of its records
//! were already returned, so no record is skipped or repeated.
//!
//! A token is `base64url(json) "." base64url(mac)`, the MAC being the first 16 bytes of
//! HMAC-SHA256 under the [`PageTokenKey`] over a domain label and the JSON. Without it a
//! caller could write a token whose locator makes the gateway GET any path of the org with
//! the connection's credentials, or whose query runs any SOQL, or relabel another
//! connection's token. The key comes from configuration (`[server] page_token_key_env` /
//! `_file`), so every replica and every restart accepts the others' tokens; without one a
//! key is generated at start, and tokens then work only on the process that issued them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::PageTokenKey;
use crate::salesforce::PageStart;
use crate::status::Violation;

/// The format version, first in every token's JSON.
const VERSION: u8 = 2;
/// What the MAC covers besides the JSON, so the key signs nothing else by accident.
const DOMAIN: &[u8] = b"sfgate page token v2\0";
/// The MAC's length in a token, in bytes (a 128-bit tag).
const MAC_BYTES: usize = 16;
/// The MAC of `json` under `key`, over the domain label first.
fn mac(key: &PageTokenKey, json: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.bytes()).expect("hmac accepts any key length");
    mac.update(DOMAIN);
    mac.update(json);
    mac
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
    pub(crate) r: PageStart,
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

/// A short fingerprint of a bound query (its params already spliced in) and its
/// `include_deleted` flag.
pub(crate) fn fingerprint(soql: &str, all_rows: bool) -> String {
    let digest = Sha256::new()
        .chain_update(soql.as_bytes())
        .chain_update([u8::from(all_rows)])
        .finalize();
    URL_SAFE_NO_PAD.encode(&digest[..12])
}

/// Builds and signs the token for `connection`.
pub(crate) fn encode(
    key: &PageTokenKey,
    connection: &str,
    fingerprint: &str,
    resume: PageStart,
    skip: usize,
) -> String {
    let token = PageToken {
        v: VERSION,
        c: connection.to_owned(),
        h: fingerprint.to_owned(),
        r: resume,
        skip,
    };
    // Serializing plain strings and numbers cannot fail.
    let json = serde_json::to_vec(&token).unwrap_or_default();
    let mac = mac(key, &json).finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&json),
        URL_SAFE_NO_PAD.encode(&mac[..MAC_BYTES])
    )
}

/// Reads a token sent for `connection`; `fingerprint` is that of the request's own
/// query when it repeats one (it must then be the token's query). Only a token this
/// gateway (or one sharing its key) issued is accepted, and its content is read only
/// after its MAC checked out.
pub(crate) fn decode(
    key: &PageTokenKey,
    connection: &str,
    token: &str,
    fingerprint: Option<&str>,
) -> Result<PageToken, Violation> {
    let not_ours = || {
        Violation::new(
            "page_token",
            "is not a page token issued by this gateway (or was issued before a restart \
             without a configured page_token_key): run the query again without it",
        )
    };
    let (json, mac) = token.trim().split_once('.').ok_or_else(not_ours)?;
    let json = URL_SAFE_NO_PAD.decode(json).map_err(|_| not_ours())?;
    let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| not_ours())?;
    if mac.len() != MAC_BYTES {
        return Err(not_ours());
    }
    // Constant time: the time taken says nothing about how much of a guess was right.
    self::mac(key, &json)
        .verify_truncated_left(&mac)
        .map_err(|_| not_ours())?;
    let parsed: PageToken = serde_json::from_slice(&json)
        .ok()
        .filter(|t: &PageToken| t.v == VERSION)
        .ok_or_else(not_ours)?;
    if parsed.c != connection {
        return Err(Violation::new(
            "page_token",
            format!("issued for connection {:?}, not {connection:?}", parsed.c),
        ));
    }
    if fingerprint.is_some_and(|f| f != parsed.h) {
        return Err(Violation::new(
            "page_token",
            "issued for another query or other params: send the same query and params, or none",
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_on_its_own_connection_and_query_only() {
        let key = PageTokenKey::generate();
        let url = "/services/data/v62.0/query/01g000000000001AAA-2000";
        let h = fingerprint("SELECT Id FROM Contact", false);
        let t = encode(&key, "sandbox", &h, PageStart::Locator(url.into()), 3);
        let back = decode(&key, "sandbox", &t, None).unwrap();
        assert_eq!((back.r, back.skip), (PageStart::Locator(url.into()), 3));
        assert!(decode(&key, "sandbox", &t, Some(&h)).is_ok());
        let other = fingerprint("SELECT Id FROM Contact", true);
        assert!(decode(&key, "sandbox", &t, Some(&other)).is_err());
        assert_eq!(
            decode(&key, "other", &t, None).unwrap_err().field,
            "page_token"
        );
        assert!(decode(&key, "sandbox", "garbage!", None).is_err());
        assert!(decode(&key, "sandbox", "", None).is_err());
    }

    #[test]
    fn only_tokens_signed_with_the_key_are_read() {
        let key = PageTokenKey::new(&[7u8; 32]).unwrap();
        let h = fingerprint("SELECT Id FROM Contact", false);
        let t = encode(
            &key,
            "a",
            &h,
            PageStart::Locator("/services/data/v62.0/query/x".into()),
            0,
        );
        // The same key configured elsewhere (a replica, a restart) reads it.
        let same = PageTokenKey::new(&[7u8; 32]).unwrap();
        assert!(decode(&same, "a", &t, None).is_ok());
        // Another key does not, nor does a generated one.
        assert!(decode(&PageTokenKey::new(&[8u8; 32]).unwrap(), "a", &t, None).is_err());
        assert!(decode(&PageTokenKey::generate(), "a", &t, None).is_err());
        // Any change to the content or the MAC is refused.
        let (json, mac) = t.split_once('.').unwrap();
        let relabelled = String::from_utf8(URL_SAFE_NO_PAD.decode(json).unwrap())
            .unwrap()
            .replace("\"c\":\"a\"", "\"c\":\"b\"");
        let forged = format!("{}.{mac}", URL_SAFE_NO_PAD.encode(relabelled));
        assert!(decode(&key, "b", &forged, None).is_err());
        assert!(decode(&key, "a", json, None).is_err(), "without its MAC");
        let short = &mac[..mac.len() - 2];
        assert!(decode(&key, "a", &format!("{json}.{short}"), None).is_err());
        // A version 1 token (unsigned base64 JSON) is refused.
        let v1 = URL_SAFE_NO_PAD
            .encode(r#"{"v":1,"c":"a","h":"x","r":{"u":"/services/data/v62.0/limits"}}"#);
        assert!(decode(&key, "a", &v1, None).is_err());
        // Too short a configured key is refused.
        assert!(PageTokenKey::new(&[1u8; 31]).is_none());
        assert!(!format!("{key:?}").contains('7'));
    }
}
