//! Composite (`POST /composite`): up to 25 subrequests in one request that
//! counts as one API call, later ones referring to earlier results.
//!
//! What Salesforce documents
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm>,
//! <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/requests_composite.htm>,
//! <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/responses_composite.htm>):
//! - The body is `{"allOrNone", "collateSubrequests", "compositeRequest":
//!   [{"method", "url", "referenceId", "body", "httpHeaders"}]}`; `method` is
//!   one of `GET`, `POST`, `PUT`, `PATCH`, `DELETE` (case-sensitive); the
//!   `referenceId` starts with a letter or digit and has only letters, digits
//!   and underscores; `httpHeaders` may not set `Accept`, `Authorization` or
//!   `Content-Type` ("the top-level request fails and returns an HTTP 400").
//! - At most 25 subrequests, of which at most 5 are queries or sObject
//!   Collections requests.
//! - "The entire series of requests counts as a single call toward your API
//!   limits." Subrequests run in order (the sandbox never collates; the result
//!   is the same as collation's for independent subrequests).
//! - `@{referenceId.path}` references (see [`refs`]).
//! - The answer is always 200, `{"compositeResponse": [{"body",
//!   "httpHeaders", "httpStatusCode", "referenceId"}]}`, one item per
//!   subrequest in order, with no `Content-Length` among the headers.
//! - `allOrNone: true`: the whole request is one transaction; when a
//!   subrequest fails it is rolled back and "all other subrequests return the
//!   400 HTTP status code", `[{"errorCode":"PROCESSING_HALTED","message":"The
//!   transaction was rolled back since another operation in the same
//!   transaction failed."}]` (the message as real orgs send it). An sObject
//!   Collections subrequest is then all-or-none too, and one failed record
//!   fails it. `allOrNone: false`: "the remaining subrequests that don't
//!   depend on the failed subrequest are executed"; a dependent one fails
//!   with its reference's `PROCESSING_HALTED`.
//!
//! Each subrequest is routed in-process through the org's own routes, so it
//! behaves exactly as the same call sent alone (errors, field checks, query
//! paging), and a query of any length fits in its `url` (a direct GET whose
//! URI passes 16,384 bytes is refused with 414; Salesforce names `/composite`
//! as the way round). A subrequest passes none of the per-request checks again
//! (session, budget, latency, 503, dropped connections: the Composite request
//! as a whole passes them once); it does get the visibility rules and, for a
//! single-record write, an injected `UNABLE_TO_LOCK_ROW`. An all-or-none
//! request holds the sandbox's transaction gate alone while it runs, so no
//! other request sees or writes into it half-done.
//!
//! Choices where Salesforce's answer is not documented in what we read: more
//! than 25 subrequests (or 5 queries and collections) is 400 `LIMIT_EXCEEDED`;
//! a malformed subrequest (missing or ill-typed `method`, `url` or
//! `referenceId`) 400 `JSON_PARSER_ERROR`; an unknown method, a bad or repeated
//! `referenceId` or a forbidden header 400 `INVALID_INPUT`; a subrequest to a
//! resource the sandbox does not serve there (`/composite` itself included) is
//! answered inside the response, 404 `NOT_FOUND`. A subresponse's
//! `httpHeaders` carry `Location` when the call sends one.

pub(super) mod refs;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::body::JsonObject;
use super::collections::{ForcedAllOrNone, SomeRecordFailed};
use super::{ApiVersion, hidden_sobject, json, lock_row};
use crate::sandbox::Shared;
use crate::sandbox::counters::RouteKind;
use crate::sandbox::errors::SfError;
use crate::sandbox::faults::{FaultConfig, chance};
use crate::sandbox::store::Savepoint;

/// Most subrequests in one Composite request.
pub(super) const MAX_SUBREQUESTS: usize = 25;
/// Most of them that may be queries or sObject Collections requests.
pub(super) const MAX_QUERIES_AND_COLLECTIONS: usize = 5;

/// The routes a subrequest reaches (the org's own, behind [`sub_guard`]).
#[derive(Debug, Clone)]
pub(super) struct Subrouter(pub Router);

/// On a subrequest whose query string is too long for a URI (over 65,534
/// bytes, the `http` crate's limit): the query string, for the handler to read.
#[derive(Debug, Clone)]
pub(super) struct RawQuery(pub String);

const ROLLED_BACK: &str =
    "The transaction was rolled back since another operation in the same transaction failed.";

fn bad_input(message: impl Into<String>) -> SfError {
    SfError::new(StatusCode::BAD_REQUEST, "INVALID_INPUT", message)
}

/// One subrequest as sent.
#[derive(Debug)]
struct Sub {
    method: Method,
    url: String,
    reference_id: String,
    body: Option<Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// The request, checked: nothing runs unless all of it is well formed.
#[derive(Debug)]
struct Plan {
    all_or_none: bool,
    subs: Vec<Sub>,
}

fn flag(body: &Map<String, Value>, key: &str) -> Result<bool, SfError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(SfError::json_parser(format!(
            "Cannot deserialize value of type `boolean` for {key}"
        ))),
    }
}

fn text<'a>(sub: &'a Map<String, Value>, key: &str, i: usize) -> Result<&'a str, SfError> {
    match sub.get(key) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(SfError::json_parser(format!(
            "compositeRequest[{i}]: {key} is required"
        ))),
        Some(_) => Err(SfError::json_parser(format!(
            "compositeRequest[{i}]: {key} must be a string"
        ))),
    }
}

/// Whether `url` is a query or an sObject Collections request.
fn is_query_or_collection(url: &str) -> bool {
    let path = url.split('?').next().unwrap_or("");
    let mut segs = path.split('/').filter(|s| !s.is_empty()).skip(3);
    matches!(
        (segs.next(), segs.next()),
        (Some("query" | "queryAll"), _) | (Some("composite"), Some("sobjects"))
    )
}

fn parse(body: Result<JsonObject, SfError>) -> Result<Plan, SfError> {
    let body = body?.0;
    let all_or_none = flag(&body, "allOrNone")?;
    flag(&body, "collateSubrequests")?;
    let list = match body.get("compositeRequest") {
        Some(Value::Array(list)) => list,
        None | Some(Value::Null) => {
            return Err(SfError::json_parser("compositeRequest is required"));
        }
        Some(_) => {
            return Err(SfError::json_parser(
                "compositeRequest must be an array of subrequests",
            ));
        }
    };
    if list.len() > MAX_SUBREQUESTS {
        return Err(SfError::new(
            StatusCode::BAD_REQUEST,
            "LIMIT_EXCEEDED",
            format!(
                "A Composite request can have at most {MAX_SUBREQUESTS} subrequests; this one has {}",
                list.len()
            ),
        ));
    }
    let mut subs: Vec<Sub> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let Value::Object(sub) = item else {
            return Err(SfError::json_parser(format!(
                "compositeRequest[{i}] must be an object"
            )));
        };
        let method = match text(sub, "method", i)? {
            m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE") => {
                Method::from_bytes(m.as_bytes()).map_err(|_| bad_input("invalid method"))?
            }
            other => {
                return Err(bad_input(format!(
                    "compositeRequest[{i}]: method '{other}' is not one of GET, POST, PUT, PATCH, DELETE"
                )));
            }
        };
        let url = text(sub, "url", i)?.to_owned();
        let reference_id = text(sub, "referenceId", i)?.to_owned();
        let well_formed = reference_id
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && reference_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !well_formed {
            return Err(bad_input(format!(
                "compositeRequest[{i}]: the referenceId '{reference_id}' must start with a letter or a number and contain only letters, numbers and underscores"
            )));
        }
        if subs.iter().any(|s| s.reference_id == reference_id) {
            return Err(bad_input(format!(
                "compositeRequest[{i}]: the referenceId '{reference_id}' is used twice"
            )));
        }
        let headers = match sub.get("httpHeaders") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(h)) => h
                .iter()
                .map(|(k, v)| {
                    let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
                        bad_input(format!("compositeRequest[{i}]: invalid header name '{k}'"))
                    })?;
                    if [header::ACCEPT, header::AUTHORIZATION, header::CONTENT_TYPE]
                        .contains(&name)
                    {
                        return Err(bad_input(format!(
                            "compositeRequest[{i}]: the {k} header is taken from the Composite request and cannot be set on a subrequest"
                        )));
                    }
                    let value = v
                        .as_str()
                        .and_then(|v| HeaderValue::from_str(v).ok())
                        .ok_or_else(|| {
                            bad_input(format!(
                                "compositeRequest[{i}]: the value of header '{k}' must be text"
                            ))
                        })?;
                    Ok((name, value))
                })
                .collect::<Result<_, SfError>>()?,
            Some(_) => {
                return Err(SfError::json_parser(format!(
                    "compositeRequest[{i}]: httpHeaders must be an object"
                )));
            }
        };
        subs.push(Sub {
            method,
            url,
            reference_id,
            body: sub.get("body").filter(|b| !b.is_null()).cloned(),
            headers,
        });
    }
    let heavy = subs
        .iter()
        .filter(|s| is_query_or_collection(&s.url))
        .count();
    if heavy > MAX_QUERIES_AND_COLLECTIONS {
        return Err(SfError::new(
            StatusCode::BAD_REQUEST,
            "LIMIT_EXCEEDED",
            format!(
                "A Composite request can have at most {MAX_QUERIES_AND_COLLECTIONS} query and sObject Collections subrequests; this one has {heavy}"
            ),
        ));
    }
    Ok(Plan { all_or_none, subs })
}

/// One item of `compositeResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    body: Value,
    http_headers: Map<String, Value>,
    http_status_code: u16,
    reference_id: String,
}

impl Item {
    fn error(reference_id: &str, e: &SfError) -> Item {
        Item {
            body: json!([{"errorCode": e.code, "message": e.message}]),
            http_headers: Map::new(),
            http_status_code: e.status.as_u16(),
            reference_id: reference_id.to_owned(),
        }
    }

    fn halted(reference_id: &str) -> Item {
        Item::error(
            reference_id,
            &SfError::new(StatusCode::BAD_REQUEST, "PROCESSING_HALTED", ROLLED_BACK),
        )
    }
}

/// Bytes a URI may not carry as they are, percent-encoded; a `%` not
/// starting an escape is encoded too. Real orgs take a subrequest `url` with
/// spaces and quotes in its query (CumulusCI's sample data sends such).
fn uri_safe(url: &str) -> String {
    let b = url.as_bytes();
    let mut out = String::with_capacity(url.len());
    for (i, &c) in b.iter().enumerate() {
        let escape_start = c == b'%'
            && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        let allowed =
            c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&c) || escape_start;
        if allowed {
            out.push(char::from(c));
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Builds the in-process request of a subrequest.
fn build(sub: &Sub, url: &str, body: Option<&Value>) -> Result<Request, SfError> {
    let url = uri_safe(url);
    let (uri, raw_query) = match url.parse::<Uri>() {
        Ok(uri) => (uri, None),
        // Too long for a URI: the path alone, the query string on the side.
        Err(_) => {
            let (path, query) = url.split_once('?').unwrap_or((&url, ""));
            let uri = path.parse::<Uri>().map_err(|_| SfError::not_found())?;
            (uri, Some(RawQuery(query.to_owned())))
        }
    };
    let bytes = match body {
        Some(b) => serde_json::to_vec(b).unwrap_or_default(),
        None => Vec::new(),
    };
    let mut req = Request::new(Body::from(bytes));
    *req.method_mut() = sub.method.clone();
    *req.uri_mut() = uri;
    req.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (k, v) in &sub.headers {
        req.headers_mut().insert(k.clone(), v.clone());
    }
    if let Some(q) = raw_query {
        req.extensions_mut().insert(q);
    }
    Ok(req)
}

/// Runs one subrequest through `inner`; also whether it failed.
async fn call(
    inner: &Router,
    sub: &Sub,
    mut req: Request,
    faults: FaultConfig,
    aon: bool,
) -> (Item, bool) {
    req.extensions_mut().insert(faults);
    if aon {
        req.extensions_mut().insert(ForcedAllOrNone);
    }
    let resp = match inner.clone().oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = resp.status();
    let some_record_failed = resp.extensions().get::<SomeRecordFailed>().is_some();
    let mut http_headers = Map::new();
    if let Some(loc) = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
    {
        http_headers.insert("Location".to_owned(), Value::String(loc.to_owned()));
    }
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    let failed = !status.is_success() || some_record_failed;
    let item = Item {
        body,
        http_headers,
        http_status_code: status.as_u16(),
        reference_id: sub.reference_id.clone(),
    };
    (item, failed)
}

/// The all-or-none transaction: rolled back unless committed, also when the
/// request is abandoned half-way (its client went away).
struct Txn<'a> {
    sh: &'a Shared,
    sp: Option<Savepoint>,
}

impl<'a> Txn<'a> {
    fn begin(sh: &'a Shared) -> Txn<'a> {
        let sp = sh.store.write().savepoint();
        Txn { sh, sp: Some(sp) }
    }

    fn end(mut self, commit: bool) {
        if let Some(sp) = self.sp.take() {
            let mut st = self.sh.store.write();
            if commit {
                st.release(sp);
            } else {
                st.rollback(sp);
            }
        }
    }
}

impl Drop for Txn<'_> {
    fn drop(&mut self) {
        if let Some(sp) = self.sp.take() {
            self.sh.store.write().rollback(sp);
        }
    }
}

/// `POST …/composite`.
pub(super) async fn run(
    State(sh): State<Arc<Shared>>,
    Extension(faults): Extension<FaultConfig>,
    Extension(Subrouter(inner)): Extension<Subrouter>,
    body: Result<JsonObject, SfError>,
) -> Response {
    let plan = match parse(body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let aon = plan.all_or_none;
    // Declared before the transaction, so it is released after the rollback.
    let (_alone, _shared) = if aon {
        (Some(sh.txn.write().await), None)
    } else {
        (None, Some(sh.txn.read().await))
    };
    let txn = aon.then(|| Txn::begin(&sh));
    let mut done = refs::Done::new();
    let mut items: Vec<Item> = Vec::with_capacity(plan.subs.len());
    let mut failed_at = None;
    for sub in &plan.subs {
        if aon && failed_at.is_some() {
            break;
        }
        let resolved = refs::resolve_text(&sub.url, &done, true).and_then(|url| {
            let body = sub
                .body
                .as_ref()
                .map(|b| refs::resolve_body(b, &done))
                .transpose()?;
            Ok((url, body))
        });
        let (item, failed) = match resolved {
            Err(message) => (
                Item::error(
                    &sub.reference_id,
                    &SfError::new(StatusCode::BAD_REQUEST, "PROCESSING_HALTED", message),
                ),
                true,
            ),
            Ok((url, body)) => match build(sub, &url, body.as_ref()) {
                Err(e) => (Item::error(&sub.reference_id, &e), true),
                Ok(req) => {
                    sh.counters.count_subrequest();
                    call(&inner, sub, req, faults, aon).await
                }
            },
        };
        if failed {
            failed_at.get_or_insert(items.len());
        }
        // Any 2xx body can be referred to (a collection's with some failed
        // records too, when the request is not all-or-none).
        if (200..300).contains(&item.http_status_code) {
            done.insert(sub.reference_id.clone(), item.body.clone());
        }
        items.push(item);
    }
    if let Some(txn) = txn {
        txn.end(failed_at.is_none());
    }
    let items: Vec<Item> = match failed_at {
        Some(f) if aon => {
            let mut kept = items.into_iter().nth(f);
            plan.subs
                .iter()
                .enumerate()
                .map(|(i, s)| match kept.take_if(|_| i == f) {
                    Some(item) => item,
                    None => Item::halted(&s.reference_id),
                })
                .collect()
        }
        _ => items,
    };
    json(StatusCode::OK, &json!({"compositeResponse": items}))
}

/// `GET …/composite`: the composite resources served.
pub(super) async fn resources(Extension(v): Extension<ApiVersion>) -> Response {
    json(
        StatusCode::OK,
        &json!({"sobjects": format!("/services/data/v{}/composite/sobjects", v.0)}),
    )
}

/// The checks a subrequest passes instead of the per-request guard: a served
/// API version, the sObjects the user can see, and (for a single-record
/// write) an injected `UNABLE_TO_LOCK_ROW`, under the Composite request's
/// fault switches.
pub(super) async fn sub_guard(
    State(sh): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let faults = req
        .extensions()
        .get::<FaultConfig>()
        .copied()
        .unwrap_or_else(|| sh.faults.get());
    let path = req.uri().path();
    let Some(version) = path.split('/').nth(3).and_then(|v| sh.version(v)) else {
        return SfError::not_found().into_response();
    };
    if hidden_sobject(&faults, path) {
        return SfError::not_found().into_response();
    }
    let kind = RouteKind::classify(req.method(), path);
    let write = kind.is_write() && !kind.is_batch() && req.method() != Method::GET;
    if write && chance(faults.lock_row_rate) {
        return lock_row(&faults, path).into_response();
    }
    req.extensions_mut().insert(ApiVersion(version));
    req.extensions_mut().insert(faults);
    req.extensions_mut().insert(kind);
    next.run(req).await
}
