//! Checking a create or update body against an sObject type, with the errors a
//! real org gives, in the order it finds them: unknown fields, values of the
//! wrong type, fields that may not be written, required fields, then lookups.

use serde_json::{Map, Value};

use super::errors::SfError;
use super::ids;
use super::objects::ObjectMeta;
use super::schema::{FieldDef, FieldType};

mod coerce;

pub(super) use coerce::coerce;

/// Whether a body creates or updates a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    /// POST, or the insert half of an upsert.
    Create,
    /// PATCH, or the update half of an upsert.
    Update,
}

/// How a lookup value resolves, answered by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target<'a> {
    /// A live record of this type.
    Live(&'a str),
    /// A record of this type in the recycle bin.
    Deleted(&'a str),
    /// No record has this Id; the type its key prefix names, if any.
    Missing(Option<&'a str>),
}

/// A body as parsed and coerced: canonical field names to stored values.
pub(super) type Changes = Vec<(String, Value)>;

/// Checks and coerces `body` for `op` on `meta`. `resolve` says what an Id
/// in a lookup field points at. `current` is the record being updated.
pub(super) fn check<'s>(
    meta: &ObjectMeta,
    body: &Map<String, Value>,
    op: Op,
    current: Option<&Map<String, Value>>,
    resolve: &dyn Fn(&str) -> Target<'s>,
) -> Result<Changes, SfError> {
    let def = &meta.def;
    let mut known: Vec<(&FieldDef, &Value)> = Vec::with_capacity(body.len());
    for (k, v) in body {
        if k == "attributes" {
            continue;
        }
        if k.eq_ignore_ascii_case("Id") {
            return Err(SfError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                "The Id field should not be specified in the sobject data.",
            ));
        }
        match def.field(k) {
            Some(f) => known.push((f, v)),
            None => {
                return Err(SfError::dml(
                    "INVALID_FIELD",
                    format!("No such column '{k}' on sobject of type {}", def.name),
                    Vec::new(),
                ));
            }
        }
    }
    let mut changes: Changes = Vec::with_capacity(known.len());
    for (f, v) in &known {
        changes.push((f.name.clone(), coerce(f, v)?));
    }
    let denied: Vec<String> = known
        .iter()
        .filter(|(f, _)| match op {
            Op::Create => !f.createable,
            Op::Update => !f.updateable,
        })
        .map(|(f, _)| f.name.clone())
        .collect();
    if !denied.is_empty() {
        return Err(SfError::dml(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                denied.join(", ")
            ),
            denied,
        ));
    }
    let given = |f: &FieldDef| changes.iter().find(|(n, _)| *n == f.name).map(|(_, v)| v);
    let missing: Vec<String> = def
        .fields
        .iter()
        .filter(|f| meta.is_required(f))
        .filter(|f| match (given(f), op) {
            (Some(v), _) => v.is_null() || v.as_str() == Some(""),
            (None, Op::Create) => true,
            (None, Op::Update) => {
                current.is_some_and(|c| c.get(&f.name).is_none_or(Value::is_null))
            }
        })
        .map(|f| f.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(SfError::dml(
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
            missing,
        ));
    }
    for (name, v) in &mut changes {
        let Some(f) = def.field(name) else { continue };
        if f.ftype != FieldType::Reference {
            continue;
        }
        let Some(raw) = v.as_str() else { continue };
        if raw.is_empty() {
            *v = Value::Null;
            continue;
        }
        let wrong_type = || {
            SfError::dml(
                "MALFORMED_ID",
                format!("{}: id value of incorrect type: {raw}", f.label),
                vec![f.name.clone()],
            )
        };
        let id = ids::parse(raw).map_err(|_| wrong_type())?;
        let target = resolve(&id);
        let ty = match target {
            Target::Live(t) | Target::Deleted(t) | Target::Missing(Some(t)) => t,
            Target::Missing(None) => return Err(wrong_type()),
        };
        if !f.reference_to.iter().any(|t| t == ty) {
            return Err(wrong_type());
        }
        match target {
            Target::Live(_) => *v = Value::String(id),
            Target::Deleted(_) => {
                return Err(
                    SfError::entity_deleted().with_status(axum::http::StatusCode::BAD_REQUEST)
                );
            }
            Target::Missing(_) => {
                return Err(SfError::dml(
                    "INVALID_CROSS_REFERENCE_KEY",
                    format!("{}: this ID value isn't valid for the user: {raw}", f.label),
                    vec![f.name.clone()],
                ));
            }
        }
    }
    Ok(changes)
}
