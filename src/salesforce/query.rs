//! SOQL: `query`, `queryAll` and following `nextRecordsUrl`.

use http::Method;
use serde::Deserialize;
use serde_json::Value;

use super::client::{ApiPath, ApiRequest};
use super::{Client, Error};

/// One page of query results.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage {
    /// Rows matching the whole query, not just this page.
    pub total_size: u64,
    /// Whether this is the last page.
    pub done: bool,
    /// The path of the next page (`/services/data/vXX.X/query/01g…-2000`) when not `done`.
    #[serde(default)]
    pub next_records_url: Option<String>,
    /// The rows, each with its `attributes` object, as Salesforce sent them.
    pub records: Vec<Value>,
}

const NEXT_RECORDS_PREFIX: &str = "/services/data/";

// === impl Client ===

impl Client {
    /// Runs `soql` (`queryAll` when `all_rows`, which includes deleted and archived rows).
    /// `batch_size` asks for pages of that many rows (Salesforce honours 200..=2000, and may
    /// return fewer).
    pub async fn query(
        &self,
        soql: &str,
        all_rows: bool,
        batch_size: Option<u32>,
    ) -> Result<QueryPage, Error> {
        let resource = if all_rows { "queryAll" } else { "query" };
        self.send(ApiRequest {
            method: Method::GET,
            path: ApiPath::Data(&[resource]),
            query: &[("q", soql)],
            body: None,
            batch_size,
            done_on_retry: None,
            idempotency_key: None,
        })
        .await?
        .json()
    }

    /// Fetches the page at `next_records_url`, which must be a path under `/services/data/`
    /// of this connection's instance, as Salesforce returns it. Absolute URLs and anything
    /// that could leave that path are refused, so a caller-supplied page token can't send our
    /// bearer token elsewhere.
    pub async fn query_more(
        &self,
        next_records_url: &str,
        batch_size: Option<u32>,
    ) -> Result<QueryPage, Error> {
        check_next_records_url(next_records_url)?;
        self.send(ApiRequest {
            method: Method::GET,
            path: ApiPath::Checked(next_records_url),
            query: &[],
            body: None,
            batch_size,
            done_on_retry: None,
            idempotency_key: None,
        })
        .await?
        .json()
    }
}

/// Accepts `/services/data/<segments>` where each segment is non-empty, made of
/// `[A-Za-z0-9._-]`, and not `.` or `..`: no scheme, host, query, escapes or traversal.
fn check_next_records_url(path: &str) -> Result<(), Error> {
    let refuse = |reason| {
        Err(Error::InvalidArgument {
            name: "next_records_url",
            reason,
        })
    };
    let Some(rest) = path.strip_prefix(NEXT_RECORDS_PREFIX) else {
        return refuse("must be a path under /services/data/");
    };
    if path.len() > 2000 {
        return refuse("is too long");
    }
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    if !rest.split('/').all(segment_ok) {
        return refuse("must be a plain path under /services/data/");
    }
    Ok(())
}

/// Escapes `value` for use inside a single-quoted SOQL string literal: `\` first, then `'`
/// (the two characters SOQL reserves).
pub fn escape_soql_string(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "\\'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_records_urls_from_salesforce_are_accepted() {
        for ok in [
            "/services/data/v62.0/query/01gRO0000016PIAYA2-500",
            "/services/data/v56.0/query/01gD0000002HU6KIAW-2000",
        ] {
            assert!(check_next_records_url(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn foreign_or_tricky_next_records_urls_are_refused() {
        for bad in [
            "https://evil.example/services/data/v62.0/query/x",
            "//evil.example/services/data/v62.0/query/x",
            "/services/data/../../evil",
            "/services/data/v62.0/%2e%2e/x",
            "/services/data/v62.0/query/x?y=1",
            "/services/data/v62.0/query/x#y",
            "/services/data//evil.example",
            "/services/data/v62.0\\..\\x",
            "/services/apexrest/x",
            "services/data/v62.0/query/x",
            "",
        ] {
            let err = check_next_records_url(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidArgument {
                        name: "next_records_url",
                        ..
                    }
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn soql_strings_escape_backslash_before_quote() {
        assert_eq!(escape_soql_string(r"O'Brien"), r"O\'Brien");
        assert_eq!(escape_soql_string(r"a\'b"), r"a\\\'b");
        assert_eq!(escape_soql_string("plain"), "plain");
    }

    #[test]
    fn query_pages_parse_with_and_without_next_records_url() {
        let page: QueryPage = serde_json::from_str(
            r#"{"totalSize":3222,"done":false,"nextRecordsUrl":"/services/data/v56.0/query/01gRO0000016PIAYA2-500",
                "records":[{"attributes":{"type":"Contact","url":"/services/data/v56.0/sobjects/Contact/003RO0000035WQgYAM"},"Id":"003RO0000035WQgYAM"}]}"#,
        )
        .unwrap();
        assert_eq!(page.total_size, 3222);
        assert!(!page.done);
        assert_eq!(page.records[0]["Id"], "003RO0000035WQgYAM");
        let page: QueryPage =
            serde_json::from_str(r#"{"done":true,"totalSize":0,"records":[]}"#).unwrap();
        assert_eq!(page.next_records_url, None);
    }
}
