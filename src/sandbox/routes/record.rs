//! A record as the REST API shows it, and the create result.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Value, json};

use super::json;
use crate::sandbox::errors::SfError;
use crate::sandbox::schema::{FieldDef, ObjectDef};
use crate::sandbox::soql::Record;

/// A record as the REST API shows it: `attributes`, then the fields (all of
/// them, or `only` these, then `Id` if they leave it out).
pub(super) struct RecordJson<'a> {
    /// The record's type.
    pub def: &'a ObjectDef,
    /// The record as stored.
    pub rec: &'a Record,
    /// The API version of the request (`"62.0"`), for `attributes.url`.
    pub version: &'a str,
    /// The fields asked for (`fields=`), or all of them.
    pub only: Option<Vec<&'a FieldDef>>,
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let id = self.rec.get("Id").and_then(Value::as_str).unwrap_or("");
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "attributes",
            &json!({
                "type": self.def.name,
                "url": format!("/services/data/v{}/sobjects/{}/{id}", self.version, self.def.name),
            }),
        )?;
        let fields: Vec<&FieldDef> = match &self.only {
            Some(list) => list.clone(),
            None => self.def.fields.iter().collect(),
        };
        for f in &fields {
            m.serialize_entry(&f.name, self.rec.get(&f.name).unwrap_or(&Value::Null))?;
        }
        if self.only.is_some() && !fields.iter().any(|f| f.name == "Id") {
            m.serialize_entry("Id", id)?;
        }
        m.end()
    }
}

/// The fields `names` (as a `fields=` list gives them) of `def`, or 400
/// `INVALID_FIELD` naming the first unknown one.
pub(super) fn pick<'a, 'n>(
    def: &'a ObjectDef,
    names: impl IntoIterator<Item = &'n str>,
) -> Result<Vec<&'a FieldDef>, SfError> {
    names
        .into_iter()
        .map(|n| {
            let n = n.trim();
            def.field(n).ok_or_else(|| {
                SfError::new(
                    StatusCode::BAD_REQUEST,
                    "INVALID_FIELD",
                    format!(
                        "No such column '{n}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                        def.name
                    ),
                )
            })
        })
        .collect()
}

pub(super) fn render(
    def: &ObjectDef,
    rec: &Record,
    version: &str,
    fields: Option<&str>,
) -> Result<Response, SfError> {
    let only = match fields.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(list) => Some(pick(def, list.split(','))?),
    };
    Ok(json(
        StatusCode::OK,
        &RecordJson {
            def,
            rec,
            version,
            only,
        },
    ))
}

pub(super) fn created(version: &str, sobject: &str, id: &str, upsert: bool) -> Response {
    let body = if upsert {
        json!({"id": id, "success": true, "errors": [], "created": true})
    } else {
        json!({"id": id, "success": true, "errors": []})
    };
    let mut resp = json(StatusCode::CREATED, &body);
    if let Ok(loc) = HeaderValue::from_str(&format!(
        "/services/data/v{version}/sobjects/{sobject}/{id}"
    )) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}
