//! The HTTP side: routes, the per-request guard (version, auth, limits,
//! faults) and the Salesforce-shaped fallbacks.

mod admin;
mod body;
mod collections;
mod composite;
mod conditional;
mod describe;
mod edge;
mod query;
mod record;
mod sobjects;
mod topics;
mod uiapi;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde::Serialize;

use super::Shared;
use super::counters::RouteKind;
use super::errors::{SfError, json};
use super::faults::{FaultConfig, chance};
use super::oauth::AuthFailure;
use super::visibility;

pub(super) use query::Cursors;
pub(super) use uiapi::IdempotencyKeys;

/// The API version of a request (`"58.0"`), put in its extensions by the guard.
#[derive(Debug, Clone)]
pub(super) struct ApiVersion(pub Arc<str>);

/// Marks a response whose connection must be closed without sending it.
/// `Sandbox::serve` honours it; a router served another way sends a bare 500.
#[derive(Debug, Clone, Copy)]
pub(super) struct DropConnection;

fn dropped() -> Response {
    let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    r.extensions_mut().insert(DropConnection);
    r
}

/// Registers `path` and `path/`: Salesforce accepts both and clients send both.
fn both(r: Router<Arc<Shared>>, path: &str, mr: MethodRouter<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(path, mr.clone()).route(&format!("{path}/"), mr)
}

/// Everything the org serves.
pub(super) fn router(shared: Arc<Shared>, instance_url: String) -> Router {
    const V: &str = "/services/data/{version}";
    let max_body = shared.max_body_bytes;
    // What a Composite subrequest reaches: the same handlers, behind the
    // per-subrequest checks instead of the per-request guard.
    let subrequests = api_routes()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(from_fn_with_state(shared.clone(), composite::sub_guard))
        .with_state(shared.clone());
    let api = both(
        api_routes(),
        &format!("{V}/composite"),
        get(composite::resources)
            .post(composite::run)
            .layer(axum::Extension(composite::Subrouter(subrequests))),
    );
    let api = api
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(from_fn_with_state(shared.clone(), guard))
        .with_state(shared.clone());
    Router::new()
        .route("/services/data", get(versions))
        .route("/services/data/", get(versions))
        .with_state(shared.clone())
        .merge(api)
        .merge(shared.auth.router(instance_url))
        .merge(admin::router(shared.clone()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(shared, count))
        // Outermost: the edge refuses an over-long request before anything counts it.
        .layer(axum::middleware::from_fn(edge::limits))
}

/// The REST API's routes under `/services/data/vXX.X/`, without the checks
/// around them; `/composite` itself is added by [`router`] (a subrequest
/// cannot be a Composite request).
fn api_routes() -> Router<Arc<Shared>> {
    const V: &str = "/services/data/{version}";
    let mut api = Router::new();
    api = both(api, &format!("{V}/sobjects"), get(describe::global));
    api = both(
        api,
        &format!("{V}/sobjects/{{sobject}}"),
        get(describe::basic).post(sobjects::create),
    );
    api = both(
        api,
        &format!("{V}/sobjects/{{sobject}}/describe"),
        get(describe::object),
    );
    api = both(
        api,
        &format!("{V}/sobjects/{{sobject}}/{{id}}"),
        get(sobjects::read)
            .patch(sobjects::update)
            .delete(sobjects::delete)
            .post(sobjects::post_override),
    );
    api = both(
        api,
        &format!("{V}/sobjects/{{sobject}}/{{field}}/{{value}}"),
        get(sobjects::read_by_external).patch(sobjects::upsert),
    );
    api = both(api, &format!("{V}/query"), get(query::query));
    api = both(api, &format!("{V}/queryAll"), get(query::query_all));
    api = both(api, &format!("{V}/query/{{locator}}"), get(query::more));
    api = both(api, &format!("{V}/queryAll/{{locator}}"), get(query::more));
    api = both(api, &format!("{V}/limits"), get(limits));
    api = both(
        api,
        &format!("{V}/connect/records/{{id}}/topics"),
        get(topics::list).post(topics::assign),
    );
    api = both(
        api,
        &format!("{V}/ui-api/records"),
        axum::routing::post(uiapi::create_record),
    );
    api = both(
        api,
        &format!("{V}/composite/sobjects"),
        axum::routing::post(collections::create)
            .patch(collections::update)
            .delete(collections::delete),
    );
    api = both(
        api,
        &format!("{V}/composite/sobjects/{{sobject}}"),
        get(collections::retrieve).post(collections::retrieve_by_body),
    );
    api = both(
        api,
        &format!("{V}/composite/sobjects/{{sobject}}/{{field}}"),
        axum::routing::patch(collections::upsert),
    );
    both(api, V, get(resources))
}

/// Counts every request by route kind and tags it with the kind.
async fn count(State(sh): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    let kind = RouteKind::classify(req.method(), req.uri().path());
    if kind != RouteKind::Admin {
        sh.counters.count(kind);
    }
    req.extensions_mut().insert(kind);
    next.run(req).await
}

/// The checks every `/services/data/vXX.X/…` request passes, in Salesforce's
/// order: a known version, the concurrency ceiling, a valid session, the
/// daily budget; then the injected faults around the handler.
async fn guard(State(sh): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let Some(version) = path.split('/').nth(3).and_then(|v| sh.version(v)) else {
        return SfError::not_found().into_response();
    };
    let kind = req
        .extensions()
        .get::<RouteKind>()
        .copied()
        .unwrap_or(RouteKind::Other);
    // Lock and after-commit faults hit writes only; a GET of connect topics is a read.
    let write = kind.is_write() && req.method() != Method::GET;
    // A batch draws its lock faults per record or subrequest (collections, composite).
    let lockable = write && !kind.is_batch();
    let faults = sh.faults.get();
    // Held until the response is built (or the connection dropped), so the
    // in-flight count and its peak cover the whole request.
    let (_in_flight, now) = sh.counters.enter();
    if let Err(e) = admit(&sh, &req, &faults, now) {
        return with_limit_info(&sh, e.into_response());
    }
    let latency = faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if chance(faults.drop_before_rate) {
        return dropped();
    }
    if chance(faults.html_error_rate) {
        // A proxy or maintenance page: no JSON body, no Sforce-Limit-Info.
        let status = StatusCode::from_u16(faults.html_error_status)
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return edge::html_error(status);
    }
    if chance(faults.unavailable_rate) {
        return with_limit_info(&sh, unavailable().into_response());
    }
    if lockable && chance(faults.lock_row_rate) {
        return with_limit_info(&sh, lock_row(&faults, path).into_response());
    }
    if hidden_sobject(&faults, path) {
        return with_limit_info(&sh, SfError::not_found().into_response());
    }
    let origin = change_origin(&version, &req);
    req.extensions_mut().insert(ApiVersion(version));
    req.extensions_mut().insert(faults);
    // Every request but a Composite one shares the transaction gate; a
    // Composite request takes it itself, alone when it is all-or-none, so
    // that no other write lands between its subrequests (see `composite`).
    let gate = if kind == RouteKind::Composite {
        None
    } else {
        Some(sh.txn.read().await)
    };
    let resp = crate::sandbox::cdc::with_origin(origin, next.run(req)).await;
    drop(gate);
    if write && resp.status().is_success() && chance(faults.drop_after_commit_rate) {
        return dropped();
    }
    with_limit_info(&sh, resp)
}

/// The `changeOrigin` of the changes a request makes: `com/salesforce/api/rest/58.0`,
/// with `;client=<name>` when `Sforce-Call-Options` names a client.
fn change_origin(version: &str, req: &Request) -> String {
    let client = req
        .headers()
        .get("sforce-call-options")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.split(',')
                .find_map(|o| o.trim().strip_prefix("client="))
                .map(str::trim)
        })
        .filter(|c| !c.is_empty());
    match client {
        Some(c) => format!("com/salesforce/api/rest/{version};client={c}"),
        None => format!("com/salesforce/api/rest/{version}"),
    }
}

/// The concurrency ceiling, the session and the daily budget.
fn admit(sh: &Shared, req: &Request, faults: &FaultConfig, in_flight: u64) -> Result<(), SfError> {
    if faults.max_concurrent > 0 && in_flight > faults.max_concurrent {
        return Err(SfError::concurrent_requests_exceeded());
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    sh.auth
        .authenticate(auth)
        .map_err(|failure| match failure {
            AuthFailure::BadHeader => SfError::new(
                StatusCode::UNAUTHORIZED,
                "INVALID_AUTH_HEADER",
                "INVALID_HEADER_TYPE",
            ),
            AuthFailure::InvalidSession => SfError::new(
                StatusCode::UNAUTHORIZED,
                "INVALID_SESSION_ID",
                "Session expired or invalid",
            ),
        })?;
    if !sh.usage.spend() {
        return Err(SfError::total_requests_exceeded());
    }
    Ok(())
}

/// The injected 503.
fn unavailable() -> SfError {
    SfError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVER_UNAVAILABLE",
        "Server is temporarily unavailable, please try again later",
    )
}

/// The injected `UNABLE_TO_LOCK_ROW` of a single-record request at `path`.
fn lock_row(faults: &FaultConfig, path: &str) -> SfError {
    // Name the record when the path has one, as the real message does.
    let record = path
        .split('/')
        .nth(6)
        .filter(|id| crate::sandbox::ids::parse(id).is_ok());
    lock_row_on(faults, record)
}

/// The injected `UNABLE_TO_LOCK_ROW` for `record` (when known), with the
/// configured status.
fn lock_row_on(faults: &FaultConfig, record: Option<&str>) -> SfError {
    let message = match record {
        Some(id) => format!("unable to obtain exclusive access to this record or 1 records: {id}"),
        None => "unable to obtain exclusive access to this record".to_owned(),
    };
    let status = StatusCode::from_u16(faults.lock_row_status).unwrap_or(StatusCode::BAD_REQUEST);
    SfError::dml("UNABLE_TO_LOCK_ROW", message, Vec::new()).with_status(status)
}

/// Whether `path` is `…/sobjects/{Type}…` of an sObject the user cannot see:
/// it does not exist for them.
fn hidden_sobject(faults: &FaultConfig, path: &str) -> bool {
    let mut segments = path.split('/').skip(4);
    segments.next() == Some("sobjects")
        && segments
            .next()
            .is_some_and(|ty| visibility::hidden(faults, ty))
}

fn with_limit_info(sh: &Shared, mut resp: Response) -> Response {
    let (used, limit) = sh.usage.get();
    if let Ok(v) = HeaderValue::from_str(&format!("api-usage={used}/{limit}")) {
        resp.headers_mut().insert("sforce-limit-info", v);
    }
    resp
}

async fn not_found() -> Response {
    SfError::not_found().into_response()
}

async fn method_not_allowed(method: Method) -> Response {
    SfError::method_not_allowed(method.as_str(), "GET, HEAD, POST, PATCH, DELETE").into_response()
}

#[derive(Serialize)]
struct VersionEntry {
    label: String,
    url: String,
    version: String,
}

/// `GET /services/data/`: no session needed, not counted against the budget.
async fn versions(State(sh): State<Arc<Shared>>) -> Response {
    let list: Vec<VersionEntry> = sh
        .versions
        .iter()
        .map(|&(major, _)| {
            let idx = i64::from(major) - 50;
            let season = ["Winter", "Spring", "Summer"][idx.rem_euclid(3) as usize];
            let year = 21 + idx.div_euclid(3);
            VersionEntry {
                label: format!("{season} '{year:02}"),
                url: format!("/services/data/v{major}.0"),
                version: format!("{major}.0"),
            }
        })
        .collect();
    json(StatusCode::OK, &list)
}

/// `GET /services/data/vXX.X`: the resources of a version.
async fn resources(axum::Extension(v): axum::Extension<ApiVersion>) -> Response {
    let base = format!("/services/data/v{}", v.0);
    let mut m = serde_json::Map::new();
    for name in [
        "sobjects",
        "query",
        "queryAll",
        "limits",
        "connect",
        "composite",
    ] {
        m.insert(name.to_owned(), format!("{base}/{name}").into());
    }
    json(StatusCode::OK, &m)
}

/// `GET …/limits`.
async fn limits(State(sh): State<Arc<Shared>>) -> Response {
    let (used, max) = sh.usage.get();
    let body = serde_json::json!({
        "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
        "DailyApiRequests": {"Max": max, "Remaining": max.saturating_sub(used)},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DataStorageMB": {"Max": 1024, "Remaining": 1024},
        "SingleEmail": {"Max": 5000, "Remaining": 5000},
    });
    json(StatusCode::OK, &body)
}
