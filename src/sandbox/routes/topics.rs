//! Connect REST topics on a record: `…/connect/records/{recordId}/topics`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::body::parse_object;
use super::{ApiVersion, json};
use crate::sandbox::Shared;
use crate::sandbox::errors::SfError;
use crate::sandbox::ids;
use crate::sandbox::soql::{DataSource, Record};
use crate::sandbox::store::State as Org;

/// Connect errors carry no `fields`.
fn connect(mut e: SfError) -> SfError {
    e.fields = None;
    e
}

/// The Topic output representation (§4.2): `createdDate` in ISO 8601 with `Z`.
fn topic_json(t: &Record, version: &str) -> Value {
    let text = |k: &str| t.get(k).cloned().unwrap_or(Value::Null);
    let id = t.get("Id").and_then(Value::as_str).unwrap_or("");
    let created = t
        .get("CreatedDate")
        .and_then(Value::as_str)
        .map(|s| s.replace("+0000", "Z"));
    json!({
        "createdDate": created,
        "description": text("Description"),
        "id": id,
        "images": {
            "coloredIconUrl": "/img/topic/topic_colored.png",
            "iconUrl": "/img/topic/topic.png",
        },
        "isBeingDeleted": false,
        "name": text("Name"),
        "nonLocalizedName": text("Name"),
        "talkingAbout": text("TalkingAbout"),
        "url": format!("/services/data/v{version}/connect/topics/{id}"),
    })
}

/// The record a Connect path names: its Id, if live and of a type topics are enabled for.
fn entity(st: &Org, raw: &str) -> Result<String, SfError> {
    let id = ids::parse(raw).map_err(|_| SfError::not_found())?;
    let (ti, rec) = st.record(&id).ok_or_else(SfError::not_found)?;
    if rec.get("IsDeleted") == Some(&Value::Bool(true)) {
        return Err(connect(SfError::entity_deleted()));
    }
    let ty = st.meta(ti).map(|m| m.def.name.as_str()).unwrap_or("");
    let enabled = st
        .type_index("TopicAssignment")
        .and_then(|ta| st.meta(ta))
        .and_then(|m| m.def.field("EntityId"))
        .is_some_and(|f| f.reference_to.iter().any(|t| t == ty));
    if !enabled {
        return Err(SfError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_CROSS_REFERENCE_KEY",
            format!("Topics aren't enabled for {ty}."),
        ));
    }
    Ok(id)
}

/// `POST …/connect/records/{recordId}/topics` with `{"topicName"}` or
/// `{"topicId"}` (or the same as query parameters): assigns the topic,
/// creating it by name if needed, and answers 201 with the Topic.
pub(super) async fn assign(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    path: Result<Path<Vec<String>>, PathRejection>,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    body: Bytes,
) -> Response {
    let run = || -> Result<Response, SfError> {
        let Ok(Path(segs)) = path else {
            return Err(SfError::not_found());
        };
        let mut input: Map<String, Value> = match params {
            Ok(Query(q)) => q.into_iter().map(|(k, v)| (k, Value::String(v))).collect(),
            Err(_) => Map::new(),
        };
        if !body.iter().all(u8::is_ascii_whitespace) {
            input.extend(parse_object(&body).map_err(connect)?);
        }
        let text = |k: &str| {
            input
                .get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let (name, topic_id) = (text("topicName"), text("topicId"));
        let now = OffsetDateTime::now_utc();
        let mut st = sh.store.write();
        let entity_id = entity(&st, segs.get(1).map_or("", String::as_str))?;
        let topic_ti = st.type_index("Topic").ok_or_else(SfError::not_found)?;
        let assign_ti = st
            .type_index("TopicAssignment")
            .ok_or_else(SfError::not_found)?;
        let topic = match (topic_id, name) {
            (Some(raw), _) => {
                let id = ids::parse(raw).map_err(|_| SfError::not_found())?;
                match st.record(&id) {
                    Some((ti, r))
                        if ti == topic_ti && r.get("IsDeleted") != Some(&Value::Bool(true)) =>
                    {
                        id
                    }
                    _ => return Err(SfError::not_found()),
                }
            }
            (None, Some(name)) => match st.topic_named(name) {
                Some(id) => id.to_owned(),
                None => {
                    let mut b = Map::new();
                    b.insert("Name".into(), Value::String(name.to_owned()));
                    st.create(topic_ti, &b, now).map_err(connect)?
                }
            },
            (None, None) => {
                return Err(SfError::new(
                    StatusCode::BAD_REQUEST,
                    "INVALID_API_INPUT",
                    "Specify either a topic ID or a topic name.",
                ));
            }
        };
        let mut b = Map::new();
        b.insert("TopicId".into(), Value::String(topic.clone()));
        b.insert("EntityId".into(), Value::String(entity_id));
        st.create(assign_ti, &b, now).map_err(connect)?;
        let t = st
            .record(&topic)
            .map(|(_, r)| topic_json(r, &v.0))
            .unwrap_or(Value::Null);
        Ok(json(StatusCode::CREATED, &t))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// `GET …/connect/records/{recordId}/topics`: the Topic Collection.
pub(super) async fn list(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    path: Result<Path<Vec<String>>, PathRejection>,
) -> Response {
    let run = || -> Result<Response, SfError> {
        let Ok(Path(segs)) = path else {
            return Err(SfError::not_found());
        };
        let raw = segs.get(1).map_or("", String::as_str);
        let st = sh.store.read();
        let entity_id = entity(&st, raw)?;
        let mut topics = Vec::new();
        {
            DataSource::scan(&*st, "TopicAssignment", &mut |r| {
                let live = r.get("IsDeleted") != Some(&Value::Bool(true));
                if live
                    && r.get("EntityId").and_then(Value::as_str) == Some(entity_id.as_str())
                    && let Some(t) = r
                        .get("TopicId")
                        .and_then(Value::as_str)
                        .and_then(|t| st.record(t))
                {
                    topics.push(topic_json(t.1, &v.0));
                }
            });
        }
        Ok(json(
            StatusCode::OK,
            &json!({
                "currentPageUrl": format!("/services/data/v{}/connect/records/{entity_id}/topics", v.0),
                "nextPageUrl": null,
                "topics": topics,
            }),
        ))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}
