//! Describe: the global list of types, one type's fields, and basic info.
//! The global list and a type's describe honour `If-Modified-Since` (304 with
//! no body while the metadata is unchanged; see `conditional` and
//! `sandbox::metadata_clock`).

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::conditional::not_modified;
use super::{ApiVersion, json};
use crate::sandbox::Shared;
use crate::sandbox::errors::SfError;
use crate::sandbox::faults::FaultConfig;
use crate::sandbox::objects::ObjectMeta;
use crate::sandbox::relationships::children_of;
use crate::sandbox::schema::{FieldDef, FieldType};
use crate::sandbox::visibility;

fn summary(m: &ObjectMeta, version: &str) -> Value {
    let d = &m.def;
    let base = format!("/services/data/v{version}/sobjects/{}", d.name);
    json!({
        "activateable": false,
        "createable": m.createable,
        "custom": d.custom,
        "customSetting": false,
        "deletable": m.deletable,
        "deprecatedAndHidden": false,
        "feedEnabled": false,
        "keyPrefix": d.key_prefix,
        "label": d.label,
        "labelPlural": d.label_plural,
        "layoutable": true,
        "mergeable": false,
        "mruEnabled": false,
        "name": d.name,
        "queryable": true,
        "replicateable": true,
        "retrieveable": true,
        "searchable": true,
        "triggerable": true,
        "undeletable": m.deletable,
        "updateable": m.updateable,
        "urls": {
            "sobject": base,
            "describe": format!("{base}/describe"),
            "rowTemplate": format!("{base}/{{ID}}"),
        },
    })
}

/// `GET …/sobjects/`: 304 when `If-Modified-Since` is no earlier than the
/// last change to any sObject's metadata
/// (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/describe_global_with_ifmodified_header.htm>).
pub(super) async fn global(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    Extension(faults): Extension<FaultConfig>,
    headers: HeaderMap,
) -> Response {
    sh.metadata
        .observe_visibility(faults.hide_topics, time::OffsetDateTime::now_utc());
    if let Some(resp) = not_modified(&headers, sh.metadata.latest()) {
        return resp;
    }
    let st = sh.store.read();
    let list: Vec<Value> = st
        .objects()
        .iter()
        .filter(|m| !visibility::hidden(&faults, &m.def.name))
        .map(|m| summary(m, &v.0))
        .collect();
    json(
        StatusCode::OK,
        &json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list}),
    )
}

fn find(
    objects: &[ObjectMeta],
    path: Result<Path<Vec<String>>, PathRejection>,
) -> Result<&ObjectMeta, SfError> {
    let Ok(Path(segs)) = path else {
        return Err(SfError::not_found());
    };
    let name = segs.get(1).map_or("", String::as_str);
    objects
        .iter()
        .find(|m| m.def.name.eq_ignore_ascii_case(name))
        .ok_or_else(SfError::not_found)
}

/// The SOAP type describe names for a field type.
fn soap_type(t: FieldType) -> &'static str {
    use FieldType as T;
    match t {
        T::Id | T::Reference => "tns:ID",
        T::Boolean => "xsd:boolean",
        T::Int => "xsd:int",
        T::Double | T::Currency | T::Percent => "xsd:double",
        T::Date => "xsd:date",
        T::DateTime => "xsd:dateTime",
        T::String | T::TextArea | T::Email | T::Phone | T::Url | T::Picklist | T::MultiPicklist => {
            "xsd:string"
        }
    }
}

/// One entry of describe's `fields`, with the sizes and values every write is
/// checked against (`length`, `digits`, `precision`, `scale`,
/// `picklistValues`, `restrictedPicklist`), shaped as the Field Result of
/// `describeSObjects()`
/// (<https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm>).
fn field(m: &ObjectMeta, f: &FieldDef) -> Value {
    let a = &f.attrs;
    let default = m
        .defaults
        .iter()
        .find(|(d, _)| *d == f.name)
        .map(|(_, v)| v);
    let picklist: Vec<Value> = a
        .picklist
        .iter()
        .map(|p| {
            json!({
                "active": true,
                "defaultValue": p.default,
                "label": p.value,
                "validFor": null,
                "value": p.value,
            })
        })
        .collect();
    let filterable = !matches!(f.ftype, FieldType::TextArea) || a.length <= 255;
    json!({
        "name": f.name,
        "label": f.label,
        "type": f.ftype.describe_name(),
        "soapType": soap_type(f.ftype),
        "length": a.length,
        // Salesforce reports three bytes per character.
        "byteLength": a.length * 3,
        "digits": a.digits,
        "precision": a.precision,
        "scale": a.scale,
        "picklistValues": picklist,
        "restrictedPicklist": a.restricted,
        "nillable": f.nillable,
        "createable": f.createable,
        "updateable": f.updateable,
        "custom": f.name.ends_with("__c"),
        "defaultedOnCreate": default.is_some() || !f.createable || f.ftype == FieldType::Boolean,
        "defaultValue": default,
        "externalId": m.external_ids.contains(&f.name),
        "idLookup": f.name == "Id" || m.external_ids.contains(&f.name),
        "unique": false,
        "nameField": f.name == "Name",
        "calculated": false,
        "autoNumber": f.name == "CaseNumber",
        "caseSensitive": false,
        "filterable": filterable,
        "sortable": filterable && f.ftype != FieldType::MultiPicklist,
        "groupable": filterable && !matches!(f.ftype, FieldType::Double | FieldType::Currency | FieldType::Percent | FieldType::DateTime | FieldType::MultiPicklist),
        "referenceTo": f.reference_to,
        "relationshipName": f.relationship_name,
    })
}

/// `GET …/sobjects/{Type}/describe`: 304 when `If-Modified-Since` is no
/// earlier than the last change to the type's metadata
/// (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/sobject_describe_with_ifmodified_header.htm>).
pub(super) async fn object(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    Extension(faults): Extension<FaultConfig>,
    headers: HeaderMap,
    path: Result<Path<Vec<String>>, PathRejection>,
) -> Response {
    let st = sh.store.read();
    let m = match find(st.objects(), path) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    sh.metadata
        .observe_visibility(faults.hide_topics, time::OffsetDateTime::now_utc());
    if let Some(resp) = not_modified(&headers, sh.metadata.of(&m.def.name)) {
        return resp;
    }
    let fields: Vec<Value> = m.def.fields.iter().map(|f| field(m, f)).collect();
    let mut body = summary(m, &v.0);
    if let Value::Object(o) = &mut body {
        o.insert("fields".into(), Value::Array(fields));
        o.insert(
            "childRelationships".into(),
            child_relationships(st.objects(), &m.def.name),
        );
        o.insert("recordTypeInfos".into(), Value::Array(Vec::new()));
    }
    json(StatusCode::OK, &body)
}

/// The describe's `childRelationships`: one entry per relationship name
/// subqueries can use (see `sandbox::relationships`).
fn child_relationships(objects: &[ObjectMeta], parent: &str) -> Value {
    let list = children_of(objects.iter().map(|o| &o.def), parent)
        .into_iter()
        .map(|c| {
            json!({
                "cascadeDelete": false,
                "childSObject": c.child,
                "deprecatedAndHidden": false,
                "field": c.field,
                "junctionIdListNames": [],
                "junctionReferenceTo": [],
                "relationshipName": c.name,
                "restrictedDelete": false,
            })
        })
        .collect();
    Value::Array(list)
}

/// `GET …/sobjects/{Type}`: basic information.
pub(super) async fn basic(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    path: Result<Path<Vec<String>>, PathRejection>,
) -> Response {
    let st = sh.store.read();
    match find(st.objects(), path) {
        Ok(m) => json(
            StatusCode::OK,
            &json!({"objectDescribe": summary(m, &v.0), "recentItems": []}),
        ),
        Err(e) => e.into_response(),
    }
}
