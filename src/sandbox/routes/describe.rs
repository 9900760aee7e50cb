//! Describe: the global list of types, one type's fields, and basic info.

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{ApiVersion, json};
use crate::sandbox::Shared;
use crate::sandbox::errors::SfError;
use crate::sandbox::objects::ObjectMeta;
use crate::sandbox::relationships::children_of;

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

/// `GET …/sobjects/`.
pub async fn global(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
) -> Response {
    let st = sh.store.read();
    let list: Vec<Value> = st.objects().iter().map(|m| summary(m, &v.0)).collect();
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

/// `GET …/sobjects/{Type}/describe`.
pub async fn object(
    State(sh): State<Arc<Shared>>,
    Extension(v): Extension<ApiVersion>,
    path: Result<Path<Vec<String>>, PathRejection>,
) -> Response {
    let st = sh.store.read();
    let m = match find(st.objects(), path) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let fields: Vec<Value> = m
        .def
        .fields
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "label": f.label,
                "type": f.ftype.describe_name(),
                "nillable": f.nillable,
                "createable": f.createable,
                "updateable": f.updateable,
                "custom": f.name.ends_with("__c"),
                "defaultedOnCreate": m.defaults.iter().any(|(d, _)| *d == f.name) || !f.createable,
                "externalId": m.external_ids.contains(&f.name),
                "idLookup": f.name == "Id" || m.external_ids.contains(&f.name),
                "referenceTo": f.reference_to,
                "relationshipName": f.relationship_name,
            })
        })
        .collect();
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
pub async fn basic(
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
