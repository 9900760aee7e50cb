//! The sandbox's own control routes, outside `/services/`: fault switches,
//! request counts, the API budget and metadata changes. No session is needed:
//! this is a test org.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::json;
use crate::sandbox::Shared;
use crate::sandbox::errors::SfError;
use crate::sandbox::faults::FaultConfig;

/// `/__sandbox/…`.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/__sandbox/faults",
            get(get_faults).put(put_faults).delete(clear_faults),
        )
        .route("/__sandbox/requests", get(requests))
        .route("/__sandbox/reset-counts", post(reset_counts))
        .route("/__sandbox/usage", get(usage))
        .route("/__sandbox/reset-usage", post(reset_usage))
        .route("/__sandbox/touch-metadata", post(touch_metadata))
        .with_state(shared)
}

async fn get_faults(State(sh): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &sh.faults.get())
}

/// Replaces the switches; fields left out are off.
async fn put_faults(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultConfig>(&body) {
        Ok(f) => {
            sh.faults.set(f);
            json(StatusCode::OK, &f)
        }
        Err(e) => SfError::from_serde(&e).into_response(),
    }
}

async fn clear_faults(State(sh): State<Arc<Shared>>) -> Response {
    sh.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn requests(State(sh): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &sh.counters.snapshot())
}

async fn reset_counts(State(sh): State<Arc<Shared>>) -> Response {
    sh.counters.reset();
    StatusCode::NO_CONTENT.into_response()
}

async fn usage(State(sh): State<Arc<Shared>>) -> Response {
    let (used, limit) = sh.usage.get();
    json(StatusCode::OK, &json!({"used": used, "limit": limit}))
}

async fn reset_usage(State(sh): State<Arc<Shared>>) -> Response {
    sh.usage.reset();
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /__sandbox/touch-metadata[?sobject=Contact]`: the sObject's (or
/// every sObject's) metadata changed now; answers the time recorded.
async fn touch_metadata(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let sobject = q.get("sobject").map(String::as_str);
    let at = sh.metadata.touch(sobject, time::OffsetDateTime::now_utc());
    json(
        StatusCode::OK,
        &json!({"sobject": sobject, "lastModified": crate::sandbox::values::format_datetime(at)}),
    )
}
