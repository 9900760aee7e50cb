//! `POST …/ui-api/records`: create with an optional `Idempotency-Key` ("Prevent Record
//! Duplication with Idempotent Record Writes",
//! <https://developer.salesforce.com/docs/atlas.en-us.uiapi.meta/uiapi/ui_api_features_records_idempotent.htm>).
//!
//! The first request with a key stores its answer; a later request with the
//! same key and the same body gets that answer again and creates nothing, so a
//! client can retry a create whose response was lost. The same key with a
//! different body is refused with 400 `IDEMPOTENCY_KEY_REUSED` (Salesforce's
//! behaviour here is not documented in what we read). Keys are kept per
//! sandbox, the newest `MAX_KEYS`; failed creates are stored too, as
//! Salesforce stores "the response of the first mutation".

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::body::parse_object;
use super::{ApiVersion, json};
use crate::sandbox::Shared;
use crate::sandbox::errors::SfError;
use crate::sandbox::faults::FaultConfig;

/// How many idempotency keys are remembered.
const MAX_KEYS: usize = 10_000;

#[derive(Debug, Clone)]
struct Stored {
    body_hash: [u8; 32],
    status: StatusCode,
    body: Value,
}

/// Remembered answers by idempotency key.
#[derive(Debug, Default)]
pub(crate) struct IdempotencyKeys {
    // std Mutex held for check, create and store, so one key creates once.
    // It is taken before the store's lock (never the other way round) and
    // never across an await.
    keys: Mutex<Keys>,
}

#[derive(Debug, Default)]
struct Keys {
    map: HashMap<String, Stored>,
    order: VecDeque<String>,
}

impl Keys {
    fn put(&mut self, key: String, stored: Stored) {
        while self.map.len() >= MAX_KEYS {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
        self.order.push_back(key.clone());
        self.map.insert(key, stored);
    }
}

fn record_json(sh: &Shared, id: &str) -> Value {
    let st = sh.store.read();
    let Some((ti, rec)) = st.record(id) else {
        return Value::Null;
    };
    let Some(meta) = st.meta(ti) else {
        return Value::Null;
    };
    let fields: Map<String, Value> = meta
        .def
        .fields
        .iter()
        .map(|f| {
            let v = rec.get(&f.name).cloned().unwrap_or(Value::Null);
            (f.name.clone(), json!({"displayValue": null, "value": v}))
        })
        .collect();
    let text = |k: &str| rec.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "apiName": meta.def.name,
        "childRelationships": {},
        "fields": fields,
        "id": id,
        "lastModifiedById": text("LastModifiedById"),
        "lastModifiedDate": text("LastModifiedDate"),
        "recordTypeId": null,
        "recordTypeInfo": null,
        "systemModstamp": text("SystemModstamp"),
    })
}

fn create(sh: &Shared, body: &[u8], late: std::time::Duration) -> Result<String, SfError> {
    let input = parse_object(body)?;
    let api_name = input.get("apiName").and_then(Value::as_str).unwrap_or("");
    let fields = match input.get("fields") {
        Some(Value::Object(m)) => m.clone(),
        _ => {
            return Err(SfError::json_parser(
                "The request body must have apiName and fields.",
            ));
        }
    };
    let mut st = sh.store.write();
    let ti = st
        .type_index(api_name)
        .filter(|&ti| st.meta(ti).is_some_and(|m| m.createable))
        .ok_or_else(|| {
            SfError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_TYPE",
                format!("Invalid apiName: {api_name}"),
            )
        })?;
    st.create(ti, &fields, OffsetDateTime::now_utc() - late)
}

/// `POST …/ui-api/records`.
pub(super) async fn create_record(
    State(sh): State<Arc<Shared>>,
    Extension(_v): Extension<ApiVersion>,
    Extension(faults): Extension<FaultConfig>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|h| h.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let body_hash: [u8; 32] = Sha256::digest(&body).into();
    let Some(key) = key else {
        return match create(&sh, &body, faults.late_commit()) {
            Ok(id) => json(StatusCode::CREATED, &record_json(&sh, &id)),
            Err(e) => e.into_response(),
        };
    };
    let mut keys = sh
        .idempotency
        .keys
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(s) = keys.map.get(&key) {
        if s.body_hash != body_hash {
            return SfError::new(
                StatusCode::BAD_REQUEST,
                "IDEMPOTENCY_KEY_REUSED",
                "This idempotency key was already used with a different request body.",
            )
            .into_response();
        }
        return json(s.status, &s.body);
    }
    let (status, answer) = match create(&sh, &body, faults.late_commit()) {
        Ok(id) => (StatusCode::CREATED, record_json(&sh, &id)),
        Err(e) => {
            let v = json!([{"message": e.message, "errorCode": e.code}]);
            (e.status, v)
        }
    };
    keys.put(
        key,
        Stored {
            body_hash,
            status,
            body: answer.clone(),
        },
    );
    drop(keys);
    json(status, &answer)
}
