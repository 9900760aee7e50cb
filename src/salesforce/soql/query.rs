//! Running SOQL: `query`, `queryAll` and following `nextRecordsUrl`, page by page
//! ([`Pages`]) or every record ([`Client::for_each_record`])
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm>).

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::salesforce::request::{ApiPath, ApiRequest};
use crate::salesforce::{Client, Error};

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
        let path = [resource];
        let query = [("q", soql)];
        let request = ApiRequest::new(Method::GET, ApiPath::Data(&path))
            .with_query(&query)
            .with_batch_size(batch_size);
        self.send(request).await?.json()
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
        let request = ApiRequest::new(Method::GET, ApiPath::Checked(next_records_url))
            .with_batch_size(batch_size);
        self.send(request).await?.json()
    }
}

/// The page sizes Salesforce honours (`Sforce-Query-Options: batchSize`): from 200 to 2000
/// records, though a page may hold fewer
/// (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSize(u32);

impl BatchSize {
    /// The smallest batch size Salesforce honours.
    pub const MIN: u32 = 200;
    /// The largest batch size Salesforce honours, and its default.
    pub const MAX: u32 = 2000;

    /// `n` records per page, if Salesforce honours that.
    pub fn new(n: u32) -> Option<BatchSize> {
        (Self::MIN..=Self::MAX).contains(&n).then_some(BatchSize(n))
    }

    /// The number of records.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Where a page of a query's results comes from: the query itself (its first page), or the
/// locator Salesforce gave for a later one (a `nextRecordsUrl`). Serializable, so a caller
/// can be handed a way back to a page (sfgate's page tokens carry it as `{"q": …}` or
/// `{"u": …}`); a locator read back is checked like any `nextRecordsUrl` before it is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageStart {
    /// A Salesforce `nextRecordsUrl`.
    #[serde(rename = "u")]
    Locator(String),
    /// The query's first page.
    #[serde(rename = "q")]
    Query {
        /// The SOQL, its values already bound.
        soql: String,
        /// `queryAll`: deleted and archived rows too.
        all_rows: bool,
    },
}

/// A query's results read page after page, following `nextRecordsUrl` (only ever one this
/// connection's instance gave).
#[derive(Debug)]
pub struct Pages<'c> {
    client: &'c Client,
    batch: Option<BatchSize>,
    /// Where the page in hand came from, to read it again.
    start: PageStart,
    page: QueryPage,
}

impl Pages<'_> {
    /// Where the page in hand came from: fetching it again gives the same records.
    pub fn start(&self) -> &PageStart {
        &self.start
    }

    /// Rows matching the whole query, as the page in hand says.
    pub fn total_size(&self) -> u64 {
        self.page.total_size
    }

    /// The records of the page in hand, taken out of it.
    pub fn take_records(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.page.records)
    }

    /// Where the next page starts, if there is one.
    pub fn next_start(&self) -> Option<PageStart> {
        self.page
            .next_records_url
            .clone()
            .filter(|_| !self.page.done)
            .map(PageStart::Locator)
    }

    /// Moves to the next page; `false` (and nothing fetched) after the last one.
    pub async fn next(&mut self) -> Result<bool, Error> {
        let Some(next) = self.next_start() else {
            return Ok(false);
        };
        self.page = self.client.page(&next, self.batch).await?;
        self.start = next;
        Ok(true)
    }
}

// === impl Pages ===

impl Client {
    /// The page at `start` and, through [`Pages::next`], the ones after it, `batch` records
    /// at a time (Salesforce's default when `None`).
    pub async fn pages(
        &self,
        start: PageStart,
        batch: Option<BatchSize>,
    ) -> Result<Pages<'_>, Error> {
        let page = self.page(&start, batch).await?;
        Ok(Pages {
            client: self,
            batch,
            start,
            page,
        })
    }

    /// Runs `soql` and hands every record of every page to `each`, in Salesforce's order.
    pub async fn for_each_record(
        &self,
        soql: &str,
        mut each: impl FnMut(Value),
    ) -> Result<(), Error> {
        let start = PageStart::Query {
            soql: soql.to_owned(),
            all_rows: false,
        };
        let mut pages = self.pages(start, None).await?;
        loop {
            pages.take_records().into_iter().for_each(&mut each);
            if !pages.next().await? {
                return Ok(());
            }
        }
    }

    async fn page(&self, start: &PageStart, batch: Option<BatchSize>) -> Result<QueryPage, Error> {
        let batch = batch.map(BatchSize::get);
        match start {
            PageStart::Locator(url) => self.query_more(url, batch).await,
            PageStart::Query { soql, all_rows } => self.query(soql, *all_rows, batch).await,
        }
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
