//! `query` and `queryAll`: the HTTP side of SOQL, with paging by locator.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::composite::RawQuery;
use super::{ApiVersion, json};
use crate::sandbox::Shared;
use crate::sandbox::errors::SfError;
use crate::sandbox::ids;
use crate::sandbox::soql;
use crate::sandbox::visibility::Visible;

/// Default and bounds of `Sforce-Query-Options: batchSize=N`.
const DEFAULT_BATCH: usize = 2000;
const MIN_BATCH: usize = 200;

/// One open query: all its rows, paged out by offset.
#[derive(Debug)]
struct Cursor {
    rows: Arc<Vec<Value>>,
    total: u64,
    batch: usize,
}

/// Open query locators, at most `max` of them; the oldest is evicted first.
#[derive(Debug)]
pub(crate) struct Cursors {
    // std Mutex: held for a map insert or lookup only, never across an await.
    open: Mutex<(HashMap<String, Cursor>, VecDeque<String>)>,
    next: AtomicU64,
    max: usize,
}

impl Cursors {
    /// Room for `max` open locators.
    pub(crate) fn new(max: usize) -> Cursors {
        Cursors {
            open: Mutex::new((HashMap::new(), VecDeque::new())),
            next: AtomicU64::new(1),
            max: max.max(1),
        }
    }

    fn open(&self, cursor: Cursor) -> String {
        let locator = ids::mint("01g", self.next.fetch_add(1, Ordering::Relaxed));
        let mut g = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (map, order) = &mut *g;
        while map.len() >= self.max {
            match order.pop_front() {
                Some(old) => {
                    map.remove(&old);
                }
                None => break,
            }
        }
        map.insert(locator.clone(), cursor);
        order.push_back(locator.clone());
        locator
    }

    fn get(&self, locator: &str) -> Option<(Arc<Vec<Value>>, u64, usize)> {
        let g = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        g.0.get(locator).map(|c| (c.rows.clone(), c.total, c.batch))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    total_size: u64,
    done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_records_url: Option<String>,
    records: &'a [Value],
}

fn batch_size(headers: &HeaderMap) -> usize {
    headers
        .get("sforce-query-options")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.split(',')
                .filter_map(|kv| kv.trim().strip_prefix("batchSize="))
                .find_map(|n| n.trim().parse::<usize>().ok())
        })
        .map_or(DEFAULT_BATCH, |n| n.clamp(MIN_BATCH, DEFAULT_BATCH))
}

fn page(
    version: &str,
    locator: &str,
    rows: &[Value],
    total: u64,
    from: usize,
    batch: usize,
) -> Response {
    let end = from.saturating_add(batch).min(rows.len());
    let slice = rows.get(from..end).unwrap_or(&[]);
    let next =
        (end < rows.len()).then(|| format!("/services/data/v{version}/query/{locator}-{end}"));
    json(
        StatusCode::OK,
        &Page {
            total_size: total,
            done: next.is_none(),
            next_records_url: next,
            records: slice,
        },
    )
}

fn run(
    sh: &Shared,
    version: &str,
    headers: &HeaderMap,
    q: Option<String>,
    all_rows: bool,
) -> Result<Response, SfError> {
    let Some(soql) = q else {
        return Err(SfError::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED_QUERY",
            "A query string has to be specified",
        ));
    };
    if soql.trim().is_empty() {
        return Err(SfError::new(
            StatusCode::BAD_REQUEST,
            "MALFORMED_QUERY",
            "SOQL statements cannot be empty or null",
        ));
    }
    let out = {
        let st = sh.store.read();
        let visible = Visible {
            org: &*st,
            faults: sh.faults.get(),
        };
        soql::execute(
            &soql,
            &visible,
            all_rows,
            OffsetDateTime::now_utc(),
            version,
        )
    }
    .map_err(|e| SfError::new(StatusCode::BAD_REQUEST, e.error_code, e.message))?;
    // An aggregate query has no locator: all its rows (at most 2,000) at once.
    let batch = if out.single_batch {
        out.rows.len().max(1)
    } else {
        batch_size(headers)
    };
    if out.rows.len() <= batch {
        return Ok(page(version, "", &out.rows, out.total_size, 0, batch));
    }
    let rows = Arc::new(out.rows);
    let locator = sh.cursors.open(Cursor {
        rows: rows.clone(),
        total: out.total_size,
        batch,
    });
    Ok(page(version, &locator, &rows, out.total_size, 0, batch))
}

/// The `q` parameter. Read from the request itself rather than through the
/// `HeaderMap`/`Query` extractors: the first clones every header, and this is
/// the hottest route. A Composite subrequest whose query string is too long
/// for a URI carries it on the side ([`RawQuery`]).
fn q_param(req: &Request) -> Option<String> {
    if let Some(RawQuery(raw)) = req.extensions().get::<RawQuery>() {
        return url::form_urlencoded::parse(raw.as_bytes())
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v.into_owned());
    }
    Query::<HashMap<String, String>>::try_from_uri(req.uri())
        .ok()
        .and_then(|Query(mut m)| m.remove("q"))
}

/// `GET …/query?q=`.
pub(super) async fn query(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    req: Request,
) -> Response {
    run(&sh, &v.0, req.headers(), q_param(&req), false).unwrap_or_else(IntoResponse::into_response)
}

/// `GET …/queryAll?q=`: deleted records included.
pub(super) async fn query_all(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    req: Request,
) -> Response {
    run(&sh, &v.0, req.headers(), q_param(&req), true).unwrap_or_else(IntoResponse::into_response)
}

/// `GET …/query/{locator}-{offset}`: the next page.
pub(super) async fn more(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    path: Result<Path<Vec<String>>, PathRejection>,
) -> Response {
    let invalid = || {
        SfError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY_LOCATOR",
            "invalid query locator",
        )
        .into_response()
    };
    let Ok(Path(segs)) = path else {
        return invalid();
    };
    let Some((locator, offset)) = segs.get(1).and_then(|s| s.rsplit_once('-')) else {
        return invalid();
    };
    let Ok(offset) = offset.parse::<usize>() else {
        return invalid();
    };
    match sh.cursors.get(locator) {
        Some((rows, total, batch)) if offset <= rows.len() => {
            page(&v.0, locator, &rows, total, offset, batch)
        }
        _ => invalid(),
    }
}
