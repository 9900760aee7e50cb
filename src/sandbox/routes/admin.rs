//! The sandbox's own control routes, outside `/services/`: fault switches,
//! request counts, the API budget, the event bus, undelete and metadata changes.
//! No session is needed: this is a test org.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::json;
use crate::sandbox::Shared;
use crate::sandbox::cdc::EventBusSettings;
use crate::sandbox::errors::SfError;
use crate::sandbox::faults::FaultConfig;

/// `/__sandbox/…`.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/__sandbox/faults",
            get(get_faults).put(put_faults).delete(clear_faults),
        )
        .route("/__sandbox/requests", get(requests))
        .route("/__sandbox/reset-counts", post(reset_counts))
        .route("/__sandbox/usage", get(usage))
        .route("/__sandbox/reset-usage", post(reset_usage))
        .route(
            "/__sandbox/event-bus",
            get(get_event_bus).put(put_event_bus),
        )
        .route("/__sandbox/event-bus/drop-streams", post(drop_streams))
        .route("/__sandbox/undelete/{id}", post(undelete))
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

/// The event bus's settings (`EventBusSettings` as camelCase JSON), the newest replay id
/// (hex) and the open Subscribe streams.
async fn get_event_bus(State(sh): State<Arc<Shared>>) -> Response {
    let bus = &sh.bus;
    let mut body = serde_json::to_value(bus.settings()).unwrap_or_default();
    let latest: String = bus
        .latest_replay_id()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    body["latestReplayId"] = json!(latest);
    body["retainedEvents"] = json!(bus.retained());
    body["openStreams"] = json!(bus.open_streams());
    json(StatusCode::OK, &body)
}

/// Changes the settings given; the rest stay as they are. An unknown object in
/// `entities` is 400 `INVALID_TYPE` and changes nothing.
async fn put_event_bus(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let settings = match serde_json::from_slice::<EventBusSettings>(&body) {
        Ok(s) => s,
        Err(e) => return SfError::from_serde(&e).into_response(),
    };
    match sh.bus.apply(&settings) {
        Ok(()) => get_event_bus(State(sh)).await,
        Err(problem) => {
            SfError::new(StatusCode::BAD_REQUEST, "INVALID_TYPE", problem).into_response()
        }
    }
}

async fn drop_streams(State(sh): State<Arc<Shared>>) -> Response {
    sh.bus.drop_streams();
    StatusCode::NO_CONTENT.into_response()
}

/// Restores a record from the recycle bin (see `Sandbox::undelete`).
async fn undelete(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let Ok(id18) = crate::sandbox::ids::parse(&id) else {
        return SfError::not_found().into_response();
    };
    match sh
        .store
        .write()
        .undelete(&id18, time::OffsetDateTime::now_utc())
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
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
