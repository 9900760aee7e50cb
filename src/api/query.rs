//! `ExecuteSoqlQuery`: binding, paging and `max_records`.

use serde_json::Value;
use tonic::Status;

use super::page_token::{self, Resume};
use super::{convert, params};
use crate::config::PageTokenKey;
use crate::pb::{ExecuteSoqlQueryRequest, ExecuteSoqlQueryResponse};
use crate::salesforce::{Client, QueryPage};
use crate::status::{self, Context, Reason, Violation};

/// Salesforce's batch size bounds (`Sforce-Query-Options: batchSize`).
const MIN_PAGE: i32 = 200;
const MAX_PAGE: i32 = 2000;

/// Runs the query, or continues it from `page_token`, returning at most `cap`
/// records (the gateway's limit).
pub(crate) async fn run(
    client: &Client,
    req: &ExecuteSoqlQueryRequest,
    cap: usize,
    key: &PageTokenKey,
) -> Result<ExecuteSoqlQueryResponse, Status> {
    let (batch, max) = limits(req, cap)?;
    // Unset `max_records` means one page, but never more than the gateway's cap.
    let most = max.unwrap_or(cap);
    let ctx = Context::new(client.name())
        .query()
        .uri_field(uri_field(req));
    let sf = |e| status::from_salesforce(e, &ctx);
    let bound = if req.query.trim().is_empty() {
        if !req.params.is_empty() {
            return Err(status::invalid_one(Violation::new(
                "params",
                "given without a query",
            )));
        }
        None
    } else {
        let soql = params::bind(&req.query, &req.params, "query", "params")
            .map_err(|v| status::invalid_argument(Reason::InvalidQueryParams, v))?;
        Some(soql)
    };

    // `current` says how to fetch the page being read again, should it be cut short.
    let (fingerprint, mut current, mut skip) = if req.page_token.is_empty() {
        let soql =
            bound.ok_or_else(|| status::invalid_one(Violation::new("query", "is required")))?;
        let fp = page_token::fingerprint(&soql, req.include_deleted);
        let resume = Resume::Query {
            soql,
            all_rows: req.include_deleted,
        };
        (fp, resume, 0)
    } else {
        let fp = bound
            .as_deref()
            .map(|q| page_token::fingerprint(q, req.include_deleted));
        let token = page_token::decode(key, client.name(), &req.page_token, fp.as_deref())
            .map_err(status::invalid_one)?;
        (token.fingerprint().to_owned(), token.r, token.skip)
    };
    let mut page = fetch(client, &current, batch).await.map_err(sf)?;
    let total_size = page.total_size;
    let mut records = Vec::new();
    let next_page_token = loop {
        let room = most - records.len();
        let available = page.records.len().saturating_sub(skip);
        records.extend(page.records.drain(..).skip(skip).take(room));
        if available > room {
            // Cut short: the token names this same page and how far into it we got.
            break Some(page_token::encode(
                key,
                client.name(),
                &fingerprint,
                current,
                skip + room,
            ));
        }
        skip = 0;
        let Some(next) = page.next_records_url.take().filter(|_| !page.done) else {
            break None;
        };
        if max.is_none_or(|m| records.len() >= m) {
            break Some(page_token::encode(
                key,
                client.name(),
                &fingerprint,
                Resume::Locator(next),
                0,
            ));
        }
        current = Resume::Locator(next);
        page = fetch(client, &current, batch).await.map_err(sf)?;
    };
    Ok(ExecuteSoqlQueryResponse {
        records: records
            .into_iter()
            .filter_map(|r| match r {
                Value::Object(m) => Some(convert::json_to_struct(m)),
                _ => None,
            })
            .collect(),
        total_size: i64::try_from(total_size).unwrap_or(i64::MAX),
        done: next_page_token.is_none(),
        next_page_token: next_page_token.unwrap_or_default(),
    })
}

/// The request field that makes up most of the query's URI: `query`, or the bound value
/// `params.<name>` larger than it (a long `IN` list), or `page_token` when continuing.
fn uri_field(req: &ExecuteSoqlQueryRequest) -> String {
    if req.query.trim().is_empty() {
        return "page_token".to_owned();
    }
    largest_input("query", &req.query, "params", &req.params)
}

/// `query_field`, or the `params_field.<name>` whose value (by its encoded size) is larger
/// than the query text and every other value.
pub(crate) fn largest_input(
    query_field: &str,
    query: &str,
    params_field: &str,
    params: &std::collections::HashMap<String, prost_types::Value>,
) -> String {
    use prost::Message;
    let largest = params
        .iter()
        .map(|(name, value)| (value.encoded_len(), name))
        .max();
    match largest {
        Some((size, name)) if size > query.len() => format!("{params_field}.{name}"),
        _ => query_field.to_owned(),
    }
}

/// `page_size` as a batch size and `max_records` as a cap; 0 means unset. A
/// `max_records` over the gateway's `cap` is refused rather than quietly
/// lowered, so a caller never mistakes a short page for the end of its results.
fn limits(
    req: &ExecuteSoqlQueryRequest,
    cap: usize,
) -> Result<(Option<u32>, Option<usize>), Status> {
    let mut violations = Vec::new();
    let batch = match req.page_size {
        0 => None,
        n if (MIN_PAGE..=MAX_PAGE).contains(&n) => u32::try_from(n).ok(),
        _ => {
            violations.push(Violation::new(
                "page_size",
                format!("must be 0 or from {MIN_PAGE} to {MAX_PAGE}"),
            ));
            None
        }
    };
    let max = match usize::try_from(req.max_records) {
        Ok(0) => None,
        Ok(n) if n <= cap => Some(n),
        Ok(_) => {
            violations.push(Violation::new(
                "max_records",
                format!("must be at most {cap} (the gateway's limit per call)"),
            ));
            None
        }
        Err(_) => {
            violations.push(Violation::new("max_records", "must not be negative"));
            None
        }
    };
    if violations.is_empty() {
        Ok((batch, max))
    } else {
        Err(status::invalid_argument(Reason::InvalidPaging, violations))
    }
}

async fn fetch(
    client: &Client,
    from: &Resume,
    batch: Option<u32>,
) -> Result<QueryPage, crate::salesforce::Error> {
    match from {
        Resume::Locator(url) => client.query_more(url, batch).await,
        Resume::Query { soql, all_rows } => client.query(soql, *all_rows, batch).await,
    }
}
