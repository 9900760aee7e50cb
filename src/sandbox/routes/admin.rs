//! The sandbox's own control routes, outside `/services/`: fault switches,
//! request counts and the API budget. No session is needed: this is a test org.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
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
