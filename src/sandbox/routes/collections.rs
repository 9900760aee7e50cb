//! sObject Collections (`/composite/sobjects`): up to 200 records created,
//! updated, upserted or deleted, or up to 2,000 read, in one request that
//! counts as one API call.
//!
//! What Salesforce documents
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm>
//! and its create, update, upsert, delete and retrieve pages):
//! - `POST composite/sobjects` creates, `PATCH` updates (each record with an
//!   `id`), `PATCH composite/sobjects/{Type}/{ExtIdField}` upserts by external
//!   Id (results add `created`), `DELETE composite/sobjects?ids=…&allOrNone=…`
//!   deletes, `GET composite/sobjects/{Type}?ids=…&fields=…` and `POST
//!   composite/sobjects/{Type}` with `{"ids","fields"}` read ("up to 2,000
//!   records"; an Id that is invalid or not readable gives `null`).
//! - Every record of a create, update or upsert carries `attributes.type`; a
//!   create must not set `id`. "The list can contain up to 200 objects";
//!   objects of several types are "processed as chunks" of consecutive types,
//!   "up to 10 chunks".
//! - A request that "isn't well formed" gets 400; a well-formed one 200 with
//!   one result per record, in request order: `{"id","success","errors"}`,
//!   each error `{"statusCode","message","fields"}`.
//! - `allOrNone` (default false; in the body, or for a delete the query
//!   string): when true, one failure rolls back every record and the others
//!   report `ALL_OR_NONE_OPERATION_ROLLED_BACK`; inside an all-or-none
//!   Composite request it is true whatever the collection says
//!   (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_allornone.htm>).
//!
//! Each record goes through the same checks as a single-record call (the
//! store's DML validation: field metadata, required fields, restricted
//! picklists, lookups, validation rules, topic rules) and fails with the same
//! error code, message and fields. Where Salesforce's collection answer for a
//! record is known to differ it follows Salesforce: an Id that is malformed or
//! of another type is `MALFORMED_ID` `malformed id <Id>` with no fields (a
//! real org's collection answer, seen in third-party captures). An injected
//! `UNABLE_TO_LOCK_ROW` (`lockRowRate`) is drawn per record.
//!
//! Choices where Salesforce's answer is not documented in what we read:
//! - More than 200 records (or Ids): 400 `EXCEEDED_ID_LIMIT` `record limit
//!   reached. cannot submit more than 200 records into this call` (the text
//!   real orgs send, reported in restforce#726 and django-salesforce#328);
//!   more than 2,000 Ids to read, the same with 2000.
//! - More than 10 chunks: 400 `EXCEEDED_MAX_TYPES_LIMIT` with the message
//!   Salesforce's DML engine gives (`Cannot have more than 10 chunks in a single
//!   operation. Please rearrange the data to reduce chunking.`).
//! - A body without a `records` array, a record that is not an object, or a
//!   non-boolean `allOrNone`: 400 `JSON_PARSER_ERROR`. A record without
//!   `attributes.type`, or of a type that does not exist (or, for an upsert,
//!   of another type than the URL's): 400 `INVALID_TYPE`. An empty `records`
//!   list: 200 `[]`.
//! - An update record without `id`: `MISSING_ARGUMENT` `Id not specified in an
//!   update call`; an upsert record without a value for the external-Id field:
//!   `MISSING_ARGUMENT` `<Field> not specified` (both as the Bulk API words them);
//!   several records matching: `DUPLICATE_EXTERNAL_ID` `<Label>: more than one
//!   record found for external id field: [<Ids>]`; the same value twice in one
//!   request: `DUPLICATE_VALUE` `Duplicate external id specified: <value>` on
//!   both (as Apex's upsert reports them).
//! - A read without `ids` or `fields`: 400 `MISSING_ARGUMENT`.
//! - A failed result has no `id` (as in Salesforce's examples), and no
//!   `created` for an upsert.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::body::JsonObject;
use super::record::{RecordJson, pick};
use super::sobjects::{Upserted, createable, deletable, external_field, updateable, upsert_by};
use super::{ApiVersion, json, lock_row_on};
use crate::sandbox::Shared;
use crate::sandbox::errors::SfError;
use crate::sandbox::faults::{FaultConfig, chance};
use crate::sandbox::ids;
use crate::sandbox::store::{Located, State as Org};
use crate::sandbox::visibility;

/// Most records a create, update, upsert or delete may carry.
pub(super) const MAX_RECORDS: usize = 200;
/// Most Ids a read may carry.
pub(super) const MAX_READ: usize = 2_000;
/// Most chunks (runs of records of one type) a create or update may have.
pub(super) const MAX_CHUNKS: usize = 10;

/// On a collection subrequest of an all-or-none Composite request: the
/// collection is all-or-none whatever its body says.
#[derive(Debug, Clone, Copy)]
pub(super) struct ForcedAllOrNone;

/// On a collection response in which some record failed (what an
/// all-or-none Composite request treats as a failed subrequest).
#[derive(Debug, Clone, Copy)]
pub(super) struct SomeRecordFailed;

/// One record's result.
#[derive(Debug, Serialize)]
struct Outcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    success: bool,
    errors: Vec<ItemError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<bool>,
}

/// One error of a record, as collections shape it (`statusCode`, not `errorCode`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemError {
    status_code: &'static str,
    message: String,
    fields: Vec<String>,
}

impl From<SfError> for ItemError {
    fn from(e: SfError) -> Self {
        ItemError {
            status_code: e.code,
            message: e.message,
            fields: e.fields.unwrap_or_default(),
        }
    }
}

/// What a record's operation did: its Id, and for an upsert whether it was created.
type Done = (String, Option<bool>);

fn rolled_back() -> ItemError {
    ItemError {
        status_code: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        message: "Record rolled back because not all records were valid and the request was using AllOrNone header".to_owned(),
        fields: Vec::new(),
    }
}

fn bad_request(code: &'static str, message: impl Into<String>) -> SfError {
    SfError::new(StatusCode::BAD_REQUEST, code, message)
}

fn too_many(limit: usize) -> SfError {
    bad_request(
        "EXCEEDED_ID_LIMIT",
        format!("record limit reached. cannot submit more than {limit} records into this call"),
    )
}

fn malformed_id(raw: &str) -> SfError {
    SfError::dml("MALFORMED_ID", format!("malformed id {raw}"), Vec::new())
}

/// A create, update or upsert body: `allOrNone` and the records.
struct Batch {
    all_or_none: bool,
    records: Vec<Map<String, Value>>,
}

fn parse_batch(body: Result<JsonObject, SfError>) -> Result<Batch, SfError> {
    let mut body = body?.0;
    let all_or_none = match body.remove("allOrNone") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => {
            return Err(SfError::json_parser(
                "Cannot deserialize value of type `boolean` for allOrNone",
            ));
        }
    };
    let records = match body.remove("records") {
        Some(Value::Array(list)) => list,
        None | Some(Value::Null) => {
            return Err(SfError::json_parser(
                "The request body must have a records array",
            ));
        }
        Some(_) => {
            return Err(SfError::json_parser(
                "Cannot deserialize records: expected an array of sObjects",
            ));
        }
    };
    if records.len() > MAX_RECORDS {
        return Err(too_many(MAX_RECORDS));
    }
    let records = records
        .into_iter()
        .map(|r| match r {
            Value::Object(m) => Ok(m),
            _ => Err(SfError::json_parser(
                "Cannot deserialize instance of SObject: each record must be a JSON object",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Batch {
        all_or_none,
        records,
    })
}

/// The type index of every record, from `attributes.type`.
fn record_types(
    st: &Org,
    faults: &FaultConfig,
    records: &[Map<String, Value>],
) -> Result<Vec<usize>, SfError> {
    records
        .iter()
        .map(|r| {
            let name = r
                .get("attributes")
                .and_then(|a| a.get("type"))
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    bad_request(
                        "INVALID_TYPE",
                        "Missing entity type information. sObject requires a separate 'type' field be sent.",
                    )
                })?;
            st.type_index(name)
                .filter(|_| !visibility::hidden(faults, name))
                .ok_or_else(|| {
                    bad_request(
                        "INVALID_TYPE",
                        format!("sObject type '{name}' is not supported."),
                    )
                })
        })
        .collect()
}

/// 400 past [`MAX_CHUNKS`] runs of one type.
fn check_chunks(types: &[usize]) -> Result<(), SfError> {
    let chunks = types.windows(2).filter(|w| w[0] != w[1]).count() + usize::from(!types.is_empty());
    if chunks > MAX_CHUNKS {
        return Err(bad_request(
            "EXCEEDED_MAX_TYPES_LIMIT",
            "Cannot have more than 10 chunks in a single operation. Please rearrange the data to reduce chunking.",
        ));
    }
    Ok(())
}

/// Runs `op` on every record in order, all-or-none or each on its own, and
/// answers the results (200, marked [`SomeRecordFailed`] when one failed).
fn run<T>(
    st: &mut Org,
    all_or_none: bool,
    items: &[T],
    mut op: impl FnMut(&mut Org, &T) -> Result<Done, SfError>,
) -> Response {
    let savepoint = all_or_none.then(|| st.savepoint());
    let results: Vec<Result<Done, SfError>> = items.iter().map(|item| op(st, item)).collect();
    let failed = results.iter().any(Result::is_err);
    match savepoint {
        Some(sp) if failed => st.rollback(sp),
        Some(sp) => st.release(sp),
        None => {}
    }
    let outcomes: Vec<Outcome> = results
        .into_iter()
        .map(|r| match r {
            Ok(_) if all_or_none && failed => Outcome {
                id: None,
                success: false,
                errors: vec![rolled_back()],
                created: None,
            },
            Ok((id, created)) => Outcome {
                id: Some(id),
                success: true,
                errors: Vec::new(),
                created,
            },
            Err(e) => Outcome {
                id: None,
                success: false,
                errors: vec![e.into()],
                created: None,
            },
        })
        .collect();
    let mut resp = json(StatusCode::OK, &outcomes);
    if failed {
        resp.extensions_mut().insert(SomeRecordFailed);
    }
    resp
}

fn all_or_none(batch: bool, forced: Option<Extension<ForcedAllOrNone>>) -> bool {
    batch || forced.is_some()
}

fn answer(r: Result<Response, SfError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

/// The injected `UNABLE_TO_LOCK_ROW`, drawn for one record.
fn lock_fault(faults: &FaultConfig, record: Option<&str>) -> Result<(), SfError> {
    if chance(faults.lock_row_rate) {
        return Err(lock_row_on(faults, record));
    }
    Ok(())
}

/// Where an Id of type `ti` leads, with a collection's errors for the rest.
fn live(st: &Org, ti: usize, raw: &str) -> Result<(String, usize), SfError> {
    match st.locate(ti, raw) {
        Located::NotThisType => Err(malformed_id(raw)),
        Located::Missing(_) => Err(SfError::invalid_cross_reference()),
        Located::Deleted(_) => Err(SfError::entity_deleted()),
        Located::Live(id, pos) => Ok((id, pos)),
    }
}

/// `POST …/composite/sobjects`: creates.
pub(super) async fn create(
    State(sh): State<Arc<Shared>>,
    Extension(faults): Extension<FaultConfig>,
    forced: Option<Extension<ForcedAllOrNone>>,
    body: Result<JsonObject, SfError>,
) -> Response {
    answer((|| {
        let batch = parse_batch(body)?;
        sh.counters.count_collection_records(batch.records.len());
        let now = OffsetDateTime::now_utc();
        let mut st = sh.store.write();
        let types = record_types(&st, &faults, &batch.records)?;
        check_chunks(&types)?;
        let items: Vec<(usize, &Map<String, Value>)> =
            types.into_iter().zip(&batch.records).collect();
        Ok(run(
            &mut st,
            all_or_none(batch.all_or_none, forced),
            &items,
            |st, &(ti, record)| {
                lock_fault(&faults, None)?;
                createable(st, ti)?;
                let id = st.create(ti, record, now - faults.late_commit())?;
                Ok((id, None))
            },
        ))
    })())
}

/// `PATCH …/composite/sobjects`: updates, each record naming its `id`.
pub(super) async fn update(
    State(sh): State<Arc<Shared>>,
    Extension(faults): Extension<FaultConfig>,
    forced: Option<Extension<ForcedAllOrNone>>,
    body: Result<JsonObject, SfError>,
) -> Response {
    answer((|| {
        let batch = parse_batch(body)?;
        sh.counters.count_collection_records(batch.records.len());
        let now = OffsetDateTime::now_utc();
        let mut st = sh.store.write();
        let types = record_types(&st, &faults, &batch.records)?;
        check_chunks(&types)?;
        let items: Vec<(usize, &Map<String, Value>)> =
            types.into_iter().zip(&batch.records).collect();
        Ok(run(
            &mut st,
            all_or_none(batch.all_or_none, forced),
            &items,
            |st, &(ti, record)| {
                let mut body = record.clone();
                let key = body.keys().find(|k| k.eq_ignore_ascii_case("id")).cloned();
                let raw = match key.and_then(|k| body.remove(&k)) {
                    Some(Value::String(s)) if !s.is_empty() => s,
                    Some(Value::Null) | None => {
                        return Err(SfError::dml(
                            "MISSING_ARGUMENT",
                            "Id not specified in an update call",
                            Vec::new(),
                        ));
                    }
                    Some(other) => return Err(malformed_id(&other.to_string())),
                };
                lock_fault(&faults, ids::parse(&raw).ok().as_deref())?;
                updateable(st, ti)?;
                let (id, pos) = live(st, ti, &raw)?;
                st.update(ti, pos, &body, now)?;
                Ok((id, None))
            },
        ))
    })())
}

/// `PATCH …/composite/sobjects/{Type}/{ExtIdField}`: upserts by external Id.
pub(super) async fn upsert(
    State(sh): State<Arc<Shared>>,
    Extension(faults): Extension<FaultConfig>,
    forced: Option<Extension<ForcedAllOrNone>>,
    path: Result<Path<Vec<String>>, PathRejection>,
    body: Result<JsonObject, SfError>,
) -> Response {
    answer((|| {
        let segs = path.map(|Path(v)| v).map_err(|_| SfError::not_found())?;
        let (sobject, field) = match segs.as_slice() {
            [_, s, f] => (s.as_str(), f.as_str()),
            _ => return Err(SfError::not_found()),
        };
        let now = OffsetDateTime::now_utc();
        let mut st = sh.store.write();
        let ti = st
            .type_index(sobject)
            .filter(|_| !visibility::hidden(&faults, sobject))
            .ok_or_else(SfError::not_found)?;
        let field = external_field(&st, ti, field)?;
        let batch = parse_batch(body)?;
        sh.counters.count_collection_records(batch.records.len());
        let types = record_types(&st, &faults, &batch.records)?;
        if let Some(other) = types.iter().find(|&&t| t != ti) {
            let name = |t: usize| st.meta(t).map(|m| m.def.name.clone()).unwrap_or_default();
            return Err(bad_request(
                "INVALID_TYPE",
                format!(
                    "Record type {} does not match the sObject type {} of the request",
                    name(*other),
                    name(ti)
                ),
            ));
        }
        let label = st
            .meta(ti)
            .and_then(|m| m.def.field(&field))
            .map_or_else(|| field.clone(), |f| f.label.clone());
        // The external-Id value of each record, as text (how the URL of a
        // single upsert carries it).
        let values: Vec<Option<String>> = batch
            .records
            .iter()
            .map(|r| {
                let v = r
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&field))
                    .map(|(_, v)| v);
                match v {
                    Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    Some(Value::Bool(b)) => Some(b.to_string()),
                    _ => None,
                }
            })
            .collect();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for v in values.iter().flatten() {
            *seen.entry(v.as_str()).or_default() += 1;
        }
        let items: Vec<(&Map<String, Value>, Option<&String>)> = batch
            .records
            .iter()
            .zip(values.iter().map(Option::as_ref))
            .collect();
        Ok(run(
            &mut st,
            all_or_none(batch.all_or_none, forced),
            &items,
            |st, &(record, value)| {
                let Some(value) = value else {
                    return Err(SfError::dml(
                        "MISSING_ARGUMENT",
                        format!("{field} not specified"),
                        Vec::new(),
                    ));
                };
                if seen.get(value.as_str()).copied().unwrap_or(0) > 1 {
                    return Err(SfError::dml(
                        "DUPLICATE_VALUE",
                        format!("Duplicate external id specified: {value}"),
                        vec![field.clone()],
                    ));
                }
                lock_fault(&faults, None)?;
                let created_at = now - faults.late_commit();
                match upsert_by(st, ti, &field, value, record, now, created_at)? {
                    Upserted::Created(id) => Ok((id, Some(true))),
                    Upserted::Updated(id) => Ok((id, Some(false))),
                    Upserted::Multiple(ids) => Err(SfError::dml(
                        "DUPLICATE_EXTERNAL_ID",
                        format!(
                            "{label}: more than one record found for external id field: [{}]",
                            ids.join(", ")
                        ),
                        vec![field.clone()],
                    )),
                }
            },
        ))
    })())
}

/// `DELETE …/composite/sobjects?ids=…&allOrNone=…`.
pub(super) async fn delete(
    State(sh): State<Arc<Shared>>,
    Extension(faults): Extension<FaultConfig>,
    forced: Option<Extension<ForcedAllOrNone>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    answer((|| {
        let q = query.map(|Query(q)| q).unwrap_or_default();
        let list: Vec<&str> = q
            .get("ids")
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if list.is_empty() {
            return Err(bad_request(
                "MISSING_ARGUMENT",
                "ids: the Ids of the records to delete are required",
            ));
        }
        if list.len() > MAX_RECORDS {
            return Err(too_many(MAX_RECORDS));
        }
        sh.counters.count_collection_records(list.len());
        let flag = q
            .get("allOrNone")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let now = OffsetDateTime::now_utc();
        let mut st = sh.store.write();
        Ok(run(&mut st, all_or_none(flag, forced), &list, |st, raw| {
            let ti = ids::parse(raw)
                .ok()
                .and_then(|id| {
                    st.objects()
                        .iter()
                        .position(|o| id.starts_with(o.def.key_prefix.as_str()))
                })
                .ok_or_else(|| malformed_id(raw))?;
            if st
                .meta(ti)
                .is_some_and(|m| visibility::hidden(&faults, &m.def.name))
            {
                return Err(SfError::not_found());
            }
            lock_fault(&faults, ids::parse(raw).ok().as_deref())?;
            deletable(st, ti)?;
            let (id, pos) = live(st, ti, raw)?;
            st.delete(ti, pos, now);
            Ok((id, None))
        }))
    })())
}

/// Reads `ids` of `sobject` with `fields`: a record or `null` per Id, in order.
fn read(
    sh: &Shared,
    version: &str,
    faults: &FaultConfig,
    sobject: &str,
    ids_in: &[String],
    fields: &[String],
) -> Result<Response, SfError> {
    if ids_in.is_empty() {
        return Err(bad_request(
            "MISSING_ARGUMENT",
            "ids: the Ids of the records to read are required",
        ));
    }
    if fields.is_empty() {
        return Err(bad_request(
            "MISSING_ARGUMENT",
            "fields: the fields to read are required",
        ));
    }
    if ids_in.len() > MAX_READ {
        return Err(too_many(MAX_READ));
    }
    sh.counters.count_collection_records(ids_in.len());
    let st = sh.store.read();
    let ti = st
        .type_index(sobject)
        .filter(|_| !visibility::hidden(faults, sobject))
        .ok_or_else(SfError::not_found)?;
    let meta = st.meta(ti).ok_or_else(SfError::not_found)?;
    let only = pick(&meta.def, fields.iter().map(String::as_str))?;
    let records: Vec<Option<RecordJson<'_>>> = ids_in
        .iter()
        .map(|raw| match st.locate(ti, raw) {
            Located::Live(_, pos) => st.at(ti, pos).map(|rec| RecordJson {
                def: &meta.def,
                rec,
                version,
                only: Some(only.clone()),
            }),
            _ => None,
        })
        .collect();
    Ok(json(StatusCode::OK, &records))
}

fn split_list(s: Option<&String>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

fn sobject_of(path: Result<Path<Vec<String>>, PathRejection>) -> Result<String, SfError> {
    match path {
        Ok(Path(segs)) => segs.get(1).cloned().ok_or_else(SfError::not_found),
        Err(_) => Err(SfError::not_found()),
    }
}

/// `GET …/composite/sobjects/{Type}?ids=…&fields=…`.
pub(super) async fn retrieve(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    Extension(faults): Extension<FaultConfig>,
    path: Result<Path<Vec<String>>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    answer((|| {
        let sobject = sobject_of(path)?;
        let q = query.map(|Query(q)| q).unwrap_or_default();
        read(
            &sh,
            &v.0,
            &faults,
            &sobject,
            &split_list(q.get("ids")),
            &split_list(q.get("fields")),
        )
    })())
}

/// `POST …/composite/sobjects/{Type}` with `{"ids": [...], "fields": [...]}`.
pub(super) async fn retrieve_by_body(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    Extension(faults): Extension<FaultConfig>,
    path: Result<Path<Vec<String>>, PathRejection>,
    body: Result<JsonObject, SfError>,
) -> Response {
    answer((|| {
        let sobject = sobject_of(path)?;
        let body = body?.0;
        let list = |key: &str| -> Result<Vec<String>, SfError> {
            match body.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_owned).ok_or_else(|| {
                            SfError::json_parser(format!("{key}: expected an array of strings"))
                        })
                    })
                    .collect(),
                Some(_) => Err(SfError::json_parser(format!(
                    "{key}: expected an array of strings"
                ))),
            }
        };
        read(
            &sh,
            &v.0,
            &faults,
            &sobject,
            &list("ids")?,
            &list("fields")?,
        )
    })())
}
