//! Record routes: create, read, update, delete, and upsert by external Id.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::body::JsonObject;
use super::record::{created, render};
use super::{ApiVersion, json};
use crate::sandbox::Shared;
use crate::sandbox::errors::SfError;
use crate::sandbox::faults::FaultConfig;
use crate::sandbox::schema::ObjectDef;
use crate::sandbox::store::{Located, State as Org};

/// The path segments after the version: `[version, sobject, id…]`.
pub(super) type Segments = Result<Path<Vec<String>>, PathRejection>;

fn segments(p: Segments) -> Result<Vec<String>, SfError> {
    p.map(|Path(v)| v).map_err(|_| SfError::not_found())
}

fn seg(s: &[String], i: usize) -> &str {
    s.get(i).map_or("", String::as_str)
}

pub(super) fn type_of(st: &Org, name: &str) -> Result<usize, SfError> {
    st.type_index(name).ok_or_else(SfError::not_found)
}

/// The type's name if the REST API may create its records; 405 otherwise.
pub(super) fn createable(st: &Org, ti: usize) -> Result<String, SfError> {
    match st.meta(ti) {
        Some(m) if m.createable => Ok(m.def.name.clone()),
        _ => Err(SfError::method_not_allowed("POST", "GET, HEAD")),
    }
}

/// 405 unless the REST API may update the type's records.
pub(super) fn updateable(st: &Org, ti: usize) -> Result<(), SfError> {
    if st.meta(ti).is_some_and(|m| m.updateable) {
        Ok(())
    } else {
        Err(SfError::method_not_allowed("PATCH", "GET, HEAD, DELETE"))
    }
}

/// 405 unless the REST API may delete the type's records.
pub(super) fn deletable(st: &Org, ti: usize) -> Result<(), SfError> {
    if st.meta(ti).is_some_and(|m| m.deletable) {
        Ok(())
    } else {
        Err(SfError::method_not_allowed("DELETE", "GET, HEAD"))
    }
}

/// The GET error for a path segment that is not an Id of this type: Salesforce
/// then reads it as an external-Id field name.
fn no_external_field(raw: &str) -> SfError {
    SfError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("Provided external ID field does not exist or is not accessible: {raw}"),
    )
}

/// The PATCH/DELETE error for an Id that is malformed or of another type.
fn malformed_path_id(def: &ObjectDef, raw: &str) -> SfError {
    SfError::dml(
        "MALFORMED_ID",
        format!("{} ID: id value of incorrect type: {raw}", def.label),
        vec!["Id".to_owned()],
    )
}

fn result<T: IntoResponse>(r: Result<T, SfError>) -> Response {
    r.map_or_else(IntoResponse::into_response, IntoResponse::into_response)
}

/// `POST …/sobjects/{Type}/`.
pub(super) async fn create(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    Extension(faults): Extension<FaultConfig>,
    path: Segments,
    body: Result<JsonObject, SfError>,
) -> Response {
    result((|| {
        let segs = segments(path)?;
        let created_at = OffsetDateTime::now_utc() - faults.late_commit();
        let mut st = sh.store.write();
        let ti = type_of(&st, seg(&segs, 1))?;
        let name = createable(&st, ti)?;
        let id = st.create(ti, &body?.0, created_at)?;
        drop(st);
        Ok(created(&v.0, &name, &id, false))
    })())
}

/// `GET …/sobjects/{Type}/{Id}[?fields=…]`.
pub(super) async fn read(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    path: Segments,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    result((|| {
        let segs = segments(path)?;
        let st = sh.store.read();
        let ti = type_of(&st, seg(&segs, 1))?;
        let raw = seg(&segs, 2);
        let fields = query.ok().and_then(|Query(q)| q.get("fields").cloned());
        match st.locate(ti, raw) {
            Located::NotThisType => Err(no_external_field(raw)),
            Located::Missing(_) => Err(SfError::not_found()),
            Located::Deleted(_) => Err(SfError::entity_deleted()),
            Located::Live(_, pos) => {
                let (Some(meta), Some(rec)) = (st.meta(ti), st.at(ti, pos)) else {
                    return Err(SfError::not_found());
                };
                render(&meta.def, rec, &v.0, fields.as_deref())
            }
        }
    })())
}

/// Finds the live record a PATCH or DELETE path names, with the errors for the rest.
fn target(st: &Org, ti: usize, raw: &str) -> Result<usize, SfError> {
    match st.locate(ti, raw) {
        Located::NotThisType => Err(st
            .meta(ti)
            .map_or_else(SfError::not_found, |m| malformed_path_id(&m.def, raw))),
        Located::Missing(_) => Err(SfError::invalid_cross_reference()),
        Located::Deleted(_) => Err(SfError::entity_deleted()),
        Located::Live(_, pos) => Ok(pos),
    }
}

/// `PATCH …/sobjects/{Type}/{Id}` → 204.
pub(super) async fn update(
    State(sh): State<Arc<Shared>>,
    path: Segments,
    body: Result<JsonObject, SfError>,
) -> Response {
    result((|| {
        let segs = segments(path)?;
        let mut st = sh.store.write();
        let ti = type_of(&st, seg(&segs, 1))?;
        updateable(&st, ti)?;
        let pos = target(&st, ti, seg(&segs, 2))?;
        st.update(ti, pos, &body?.0, OffsetDateTime::now_utc())?;
        Ok(StatusCode::NO_CONTENT)
    })())
}

/// `POST …/sobjects/{Type}/{Id}?_HttpMethod=PATCH`: an update for clients
/// that can't send PATCH (§3.3); any other POST here is 405.
pub(super) async fn post_override(
    state: State<Arc<Shared>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    path: Segments,
    body: Result<JsonObject, SfError>,
) -> Response {
    let patch = query.is_ok_and(|Query(q)| {
        q.get("_HttpMethod")
            .is_some_and(|m| m.eq_ignore_ascii_case("PATCH"))
    });
    if patch {
        update(state, path, body).await
    } else {
        SfError::method_not_allowed("POST", "GET, HEAD, PATCH, DELETE").into_response()
    }
}

/// `DELETE …/sobjects/{Type}/{Id}` → 204.
pub(super) async fn delete(State(sh): State<Arc<Shared>>, path: Segments) -> Response {
    result((|| {
        let segs = segments(path)?;
        let mut st = sh.store.write();
        let ti = type_of(&st, seg(&segs, 1))?;
        deletable(&st, ti)?;
        let pos = target(&st, ti, seg(&segs, 2))?;
        st.delete(ti, pos, OffsetDateTime::now_utc());
        Ok(StatusCode::NO_CONTENT)
    })())
}

/// The canonical external-Id field `field` of type `ti`.
pub(super) fn external_field(st: &Org, ti: usize, field: &str) -> Result<String, SfError> {
    st.meta(ti)
        .and_then(|m| {
            m.external_ids
                .iter()
                .find(|f| f.eq_ignore_ascii_case(field))
        })
        .cloned()
        .ok_or_else(|| no_external_field(field))
}

fn multiple(version: &str, sobject: &str, ids: &[String]) -> Response {
    let urls: Vec<String> = ids
        .iter()
        .map(|id| format!("/services/data/v{version}/sobjects/{sobject}/{id}"))
        .collect();
    json(StatusCode::MULTIPLE_CHOICES, &urls)
}

/// What an upsert by external Id did.
#[derive(Debug)]
pub(super) enum Upserted {
    /// No record had the value: this one was created with it.
    Created(String),
    /// The one record with the value was updated.
    Updated(String),
    /// Several records have the value; nothing was written.
    Multiple(Vec<String>),
}

/// Upserts `body` into type `ti` by the external-Id `field` (canonical)
/// having `value`: the path shared by the single-record and the collection
/// upsert. `body` may carry `field` (it is ignored: `value` wins).
pub(super) fn upsert_by(
    st: &mut Org,
    ti: usize,
    field: &str,
    value: &str,
    body: &Map<String, Value>,
    now: OffsetDateTime,
    created_at: OffsetDateTime,
) -> Result<Upserted, SfError> {
    let mut body = body.clone();
    body.retain(|k, _| !k.eq_ignore_ascii_case(field));
    let matches = st.find_by(ti, field, value);
    match matches.as_slice() {
        [] => {
            body.insert(field.to_owned(), Value::String(value.to_owned()));
            st.create(ti, &body, created_at).map(Upserted::Created)
        }
        [id] => {
            let pos = target(st, ti, id)?;
            st.update(ti, pos, &body, now)?;
            Ok(Upserted::Updated(id.clone()))
        }
        _ => Ok(Upserted::Multiple(matches)),
    }
}

/// `PATCH …/sobjects/{Type}/{ExtField}/{value}`: 201 when created; when
/// updated, 200 with `created:false` from v46.0, 204 before.
pub(super) async fn upsert(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    Extension(faults): Extension<FaultConfig>,
    path: Segments,
    body: Result<JsonObject, SfError>,
) -> Response {
    result((|| {
        let segs = segments(path)?;
        let now = OffsetDateTime::now_utc();
        let mut st = sh.store.write();
        let ti = type_of(&st, seg(&segs, 1))?;
        let field = external_field(&st, ti, seg(&segs, 2))?;
        let name = st.meta(ti).map(|m| m.def.name.clone()).unwrap_or_default();
        let body = body?.0;
        match upsert_by(
            &mut st,
            ti,
            &field,
            seg(&segs, 3),
            &body,
            now,
            now - faults.late_commit(),
        )? {
            Upserted::Created(id) => Ok(created(&v.0, &name, &id, true)),
            Upserted::Updated(id) => {
                let major: u32 =
                    v.0.split('.')
                        .next()
                        .and_then(|m| m.parse().ok())
                        .unwrap_or(0);
                if major >= 46 {
                    Ok(json(
                        StatusCode::OK,
                        &json!({"id": id, "success": true, "errors": [], "created": false}),
                    ))
                } else {
                    Ok(StatusCode::NO_CONTENT.into_response())
                }
            }
            Upserted::Multiple(ids) => Ok(multiple(&v.0, &name, &ids)),
        }
    })())
}

/// `GET …/sobjects/{Type}/{ExtField}/{value}`.
pub(super) async fn read_by_external(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    path: Segments,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    result((|| {
        let segs = segments(path)?;
        let st = sh.store.read();
        let ti = type_of(&st, seg(&segs, 1))?;
        let field = external_field(&st, ti, seg(&segs, 2))?;
        let matches = st.find_by(ti, &field, seg(&segs, 3));
        let Some(meta) = st.meta(ti) else {
            return Err(SfError::not_found());
        };
        match matches.as_slice() {
            [] => Err(SfError::not_found()),
            [id] => {
                let rec = st
                    .record(id)
                    .map(|(_, r)| r)
                    .ok_or_else(SfError::not_found)?;
                let fields = query.ok().and_then(|Query(q)| q.get("fields").cloned());
                render(&meta.def, rec, &v.0, fields.as_deref())
            }
            many => Ok(multiple(&v.0, &meta.def.name, many)),
        }
    })())
}
