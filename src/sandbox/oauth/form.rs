//! Request parameters: `application/x-www-form-urlencoded` body plus query string,
//! and HTTP Basic client credentials.
//!
//! Parsed by hand rather than with axum's `Form` extractor so that a wrong or
//! missing `Content-Type` still ends in a Salesforce-shaped OAuth error instead of
//! axum's plain-text 415.

use axum::http::{HeaderMap, header};
use base64::Engine as _;

/// The parameters of one request. Body values win over query values, and the first
/// occurrence of a name wins.
#[derive(Default)]
pub(super) struct Params {
    pairs: Vec<(String, String)>,
}

// Values can be secrets (client_secret, password, tokens): never print them.
impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.pairs.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Params {
    /// Parses the body, then the query string (Salesforce also reads the query).
    pub(super) fn parse(query: Option<&str>, body: &[u8]) -> Self {
        let mut params = Params::default();
        params.extend(body);
        if let Some(query) = query {
            params.extend(query.as_bytes());
        }
        params
    }

    /// A non-empty parameter value.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn extend(&mut self, raw: &[u8]) {
        for pair in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &pair[..0]),
            };
            self.pairs.push((decode(name), decode(value)));
        }
    }
}

/// Percent-decodes one form component (`+` is a space). Malformed escapes are kept
/// literally, as browsers do, rather than rejecting the request.
fn decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(v);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Client credentials from `Authorization: Basic base64(client_id:client_secret)`.
pub(super) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}
