//! `ExecuteSoqlQuery`: binding, `max_records`, and page tokens over Salesforce's pages
//! ([`crate::salesforce::Pages`]).

use serde_json::Value;
use tonic::Status;

use super::page_token;
use super::{convert, params};
use crate::config::PageTokenKey;
use crate::pb::{ExecuteSoqlQueryRequest, ExecuteSoqlQueryResponse};
use crate::salesforce::{BatchSize, Client, PageStart};
use crate::status::{self, Context, Reason, Violation};

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

    let (fingerprint, start, mut skip) = if req.page_token.is_empty() {
        let soql =
            bound.ok_or_else(|| status::invalid_one(Violation::new("query", "is required")))?;
        let fp = page_token::fingerprint(&soql, req.include_deleted);
        let start = PageStart::Query {
            soql,
            all_rows: req.include_deleted,
        };
        (fp, start, 0)
    } else {
        let fp = bound
            .as_deref()
            .map(|q| page_token::fingerprint(q, req.include_deleted));
        let token = page_token::decode(key, client.name(), &req.page_token, fp.as_deref())
            .map_err(status::invalid_one)?;
        (token.fingerprint().to_owned(), token.r, token.skip)
    };
    let token =
        |start: PageStart, skip| page_token::encode(key, client.name(), &fingerprint, start, skip);
    let mut pages = client.pages(start, batch).await.map_err(sf)?;
    let total_size = pages.total_size();
    let mut records = Vec::new();
    let next_page_token = loop {
        let room = most - records.len();
        let page = pages.take_records();
        let available = page.len().saturating_sub(skip);
        records.extend(page.into_iter().skip(skip).take(room));
        if available > room {
            // Cut short: the token names this same page and how far into it we got.
            break Some(token(pages.start().clone(), skip + room));
        }
        skip = 0;
        let Some(next) = pages.next_start() else {
            break None;
        };
        if max.is_none_or(|m| records.len() >= m) {
            break Some(token(next, 0));
        }
        pages.next().await.map_err(sf)?;
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
) -> Result<(Option<BatchSize>, Option<usize>), Status> {
    let mut violations = Vec::new();
    let batch = match req.page_size {
        0 => None,
        n => {
            let batch = u32::try_from(n).ok().and_then(BatchSize::new);
            if batch.is_none() {
                violations.push(Violation::new(
                    "page_size",
                    format!("must be 0 or from {} to {}", BatchSize::MIN, BatchSize::MAX),
                ));
            }
            batch
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
