//! Checking a create or update body against an sObject type, with the errors a
//! real org gives, in the order it finds them: unknown fields, values of the
//! wrong type, fields that may not be written, required fields, then lookups.

use serde_json::{Map, Value};

use super::errors::SfError;
use super::ids;
use super::objects::ObjectMeta;
use super::schema::{FieldDef, FieldType};
use super::values;

/// Whether a body creates or updates a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// POST, or the insert half of an upsert.
    Create,
    /// PATCH, or the update half of an upsert.
    Update,
}

/// How a lookup value resolves, answered by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// A live record of this type.
    Live(&'a str),
    /// A record of this type in the recycle bin.
    Deleted(&'a str),
    /// No record has this Id; the type its key prefix names, if any.
    Missing(Option<&'a str>),
}

/// A body as parsed and coerced: canonical field names to stored values.
pub type Changes = Vec<(String, Value)>;

/// The Jackson token name Salesforce quotes for a JSON value.
fn token(v: &Value) -> &'static str {
    match v {
        Value::Null => "VALUE_NULL",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Number(n) if n.is_f64() => "VALUE_NUMBER_FLOAT",
        Value::Number(_) => "VALUE_NUMBER_INT",
        Value::String(_) => "VALUE_STRING",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

fn type_error(java_type: &str, v: &Value) -> SfError {
    let shown = match v {
        Value::String(s) => s.clone(),
        Value::Array(_) => "[".to_owned(),
        Value::Object(_) => "{".to_owned(),
        other => other.to_string(),
    };
    SfError::json_parser(format!(
        "Cannot deserialize instance of {java_type} from {} value {shown} or request may be missing a required field",
        token(v)
    ))
}

/// Coerces one JSON value to what a field of type `f` stores, as Salesforce's
/// JSON reader does (scalars become text; numeric text becomes a number).
pub fn coerce(f: &FieldDef, v: &Value) -> Result<Value, SfError> {
    use FieldType as T;
    if v.is_null() {
        return Ok(Value::Null);
    }
    match f.ftype {
        T::String
        | T::TextArea
        | T::Phone
        | T::Url
        | T::Picklist
        | T::MultiPicklist
        | T::Email
        | T::Id
        | T::Reference => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Bool(_) | Value::Number(_) => v.to_string(),
                _ => return Err(type_error("string", v)),
            };
            if f.ftype == T::Email && !s.is_empty() && !looks_like_email(&s) {
                return Err(SfError::dml(
                    "INVALID_EMAIL_ADDRESS",
                    format!("{}: invalid email address: {s}", f.label),
                    vec![f.name.clone()],
                ));
            }
            Ok(Value::String(s))
        }
        T::Boolean => match v {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(type_error("boolean", v)),
        },
        T::Int => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| type_error("int", v)),
            _ => Err(type_error("int", v)),
        },
        T::Double | T::Currency => match v {
            Value::Number(_) => Ok(v.clone()),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| type_error("double", v)),
            _ => Err(type_error("double", v)),
        },
        T::Date => match v {
            Value::String(s) => values::parse_date(s.get(..10).unwrap_or(s))
                .filter(|_| s.len() == 10 || values::parse_datetime(s).is_some())
                .map(|d| Value::String(values::format_date(d)))
                .ok_or_else(|| type_error("date", v)),
            _ => Err(type_error("date", v)),
        },
        T::DateTime => match v {
            Value::String(s) => values::parse_datetime(s)
                .map(|t| Value::String(values::format_datetime(t)))
                .ok_or_else(|| type_error("datetime", v)),
            _ => Err(type_error("datetime", v)),
        },
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// Checks and coerces `body` for `op` on `meta`. `resolve` says what an Id
/// in a lookup field points at. `current` is the record being updated.
pub fn check<'s>(
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
