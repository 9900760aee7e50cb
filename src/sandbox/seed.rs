//! Seed files: custom objects, extra fields and records loaded at start.
//!
//! The format is JSON:
//!
//! ```json
//! {
//!   "objects": [
//!     { "name": "Invoice__c", "label": "Invoice", "labelPlural": "Invoices",
//!       "fields": [
//!         { "name": "Amount__c", "type": "currency", "label": "Amount" },
//!         { "name": "Account__c", "type": "reference", "referenceTo": ["Account"],
//!           "relationshipName": "Account__r", "required": true },
//!         { "name": "External_Id__c", "type": "string", "externalId": true }
//!       ] },
//!     { "name": "Account",
//!       "fields": [ { "name": "External_Id__c", "type": "string", "externalId": true } ] }
//!   ],
//!   "records": [
//!     { "type": "Account", "ref": "acme", "fields": { "Name": "Acme" } },
//!     { "type": "Invoice__c", "fields": { "Account__c": "@acme", "Amount__c": 12.5 } }
//!   ]
//! }
//! ```
//!
//! - An object whose `name` ends in `__c` is a new custom object. It gets the
//!   system fields, `OwnerId` and a `Name` (set to the Id when left out), and
//!   the next free key prefix: `a00`, `a01`, … in file order.
//! - An object naming a standard type (`Account`) adds custom fields to it.
//! - Field `type` is a describe type name: `string`, `textarea`, `email`,
//!   `phone`, `url`, `picklist`, `multipicklist`, `boolean`, `int`, `double`,
//!   `currency`, `percent`, `date`, `datetime` or `reference`. `label` defaults
//!   to the name, `required` to false, `externalId` to false; `referenceTo`
//!   lists the types a `reference` may point to, `relationshipName` defaults to
//!   the name with `__c` replaced by `__r`.
//! - Sizes, as a custom field declares them in Setup, checked on every write and
//!   reported by describe: `length` for text (default 255; `textarea` 255,
//!   `email` 80, `phone` 40, `multipicklist` 4099; a long text area is a
//!   `textarea` with a `length` up to 131072), `digits` for `int` (default 9),
//!   `precision` and `scale` for `double` (default 18, 0), `currency` and
//!   `percent` (default 18, 2). A picklist lists its `values` (the first marked
//!   by `default` is the default) and may be `restricted`: then any other value
//!   is `INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`.
//! - `validationRules` on an object activate [validation rules](super::validation):
//!   `{"name", "errorCondition" (a SOQL WHERE condition), "errorMessage",
//!   "errorDisplayField" (optional)}`. A condition the query engine refuses
//!   fails the load.
//! - Records are created in order through the same checks as the REST API. A
//!   string value `"@ref"` is replaced by the Id of the earlier record whose
//!   `ref` is `ref`.
//! - `"changeDataCapture": ["Contact", "Invoice__c"]` selects exactly these objects for
//!   Change Data Capture (see [`super::cdc`]); left out, every standard object is selected
//!   and no custom one. Several seeds' lists add up.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::objects::{self, ObjectMeta, TOPIC_TARGETS};
use super::schema::{FieldAttrs, FieldType, ObjectDef, PicklistValue};
use super::store::State;
use super::validation::ValidationRule;

/// A parsed seed file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Custom objects to add, or standard objects to extend.
    #[serde(default)]
    pub objects: Vec<SeedObject>,
    /// Records to create, in order.
    #[serde(default)]
    pub records: Vec<SeedRecord>,
    /// The objects selected for Change Data Capture (`changeDataCapture`); when no seed
    /// names any, every standard object is.
    #[serde(default, rename = "changeDataCapture")]
    pub change_data_capture: Option<Vec<String>>,
}

/// One object in a seed file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedObject {
    /// `Name__c` for a new custom object, or a standard object's name.
    pub name: String,
    /// Singular label; defaults to the name without `__c`.
    pub label: Option<String>,
    /// Plural label; defaults to the label plus `s`.
    pub label_plural: Option<String>,
    /// Fields to add.
    #[serde(default)]
    pub fields: Vec<SeedField>,
    /// Validation rules to activate (see [`super::validation`]).
    #[serde(default)]
    pub validation_rules: Vec<ValidationRule>,
}

/// One field in a seed file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedField {
    /// API name, ending in `__c`.
    pub name: String,
    /// Describe type name.
    #[serde(rename = "type")]
    pub ftype: String,
    /// Label; defaults to the name.
    pub label: Option<String>,
    /// Whether a create must set it.
    #[serde(default)]
    pub required: bool,
    /// Whether it is an external id (an upsert key).
    #[serde(default)]
    pub external_id: bool,
    /// For references, the types it may point to.
    #[serde(default)]
    pub reference_to: Vec<String>,
    /// For references, the SOQL relationship name.
    pub relationship_name: Option<String>,
    /// Text: the most characters a value may hold.
    pub length: Option<u32>,
    /// `int`: the most digits.
    pub digits: Option<u32>,
    /// Numbers: digits in all.
    pub precision: Option<u32>,
    /// Numbers: digits after the point.
    pub scale: Option<u32>,
    /// Picklists: the values, in order.
    #[serde(default)]
    pub values: Vec<String>,
    /// Picklists: the value a create without the field gets.
    pub default: Option<String>,
    /// Picklists: whether other values are refused.
    #[serde(default)]
    pub restricted: bool,
}

/// One record in a seed file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRecord {
    /// The sObject type.
    #[serde(rename = "type")]
    pub sobject: String,
    /// A name later records use as `"@name"` to point at this one.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// Field values, as in a create body.
    pub fields: Map<String, Value>,
}

/// Why a seed could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("cannot read seed file {path}")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a seed in the documented format.
    #[error("seed file is not valid: {0}")]
    Format(#[from] serde_json::Error),
    /// An object or field definition is wrong.
    #[error("seed object {object}: {problem}")]
    Object {
        /// The object named.
        object: String,
        /// What is wrong.
        problem: String,
    },
    /// A record was refused as the REST API would refuse it.
    #[error("seed record {index} ({sobject}): {error}")]
    Record {
        /// Its position in `records`, from 0.
        index: usize,
        /// Its type.
        sobject: String,
        /// The Salesforce error.
        error: super::errors::SfError,
    },
}

fn field_type(name: &str) -> Option<FieldType> {
    use FieldType as T;
    Some(match name {
        "string" => T::String,
        "textarea" => T::TextArea,
        "email" => T::Email,
        "phone" => T::Phone,
        "url" => T::Url,
        "picklist" => T::Picklist,
        "multipicklist" => T::MultiPicklist,
        "percent" => T::Percent,
        "boolean" => T::Boolean,
        "int" => T::Int,
        "double" => T::Double,
        "currency" => T::Currency,
        "date" => T::Date,
        "datetime" => T::DateTime,
        "reference" => T::Reference,
        _ => return None,
    })
}

fn bad(object: &str, problem: String) -> SeedError {
    SeedError::Object {
        object: object.to_owned(),
        problem,
    }
}

/// Adds the seed's objects and fields to the standard ones.
pub fn apply_objects(
    objs: &mut Vec<ObjectMeta>,
    seed: &Seed,
    user_id: &str,
) -> Result<(), SeedError> {
    let mut next_prefix = 0u32;
    for so in &seed.objects {
        let ti = match objs
            .iter()
            .position(|o| o.def.name.eq_ignore_ascii_case(&so.name))
        {
            Some(ti) => ti,
            None if so.name.ends_with("__c") && so.name.len() > 3 => {
                let prefix = format!("a{next_prefix:02}");
                next_prefix += 1;
                objs.push(custom_object(so, prefix, user_id));
                objs.len() - 1
            }
            None => {
                return Err(bad(
                    &so.name,
                    "is neither a standard object nor a `__c` name".into(),
                ));
            }
        };
        for sf in &so.fields {
            if !sf.name.ends_with("__c") {
                return Err(bad(&so.name, format!("field {} must end in __c", sf.name)));
            }
            if objs[ti].def.field(&sf.name).is_some() {
                return Err(bad(
                    &so.name,
                    format!("field {} is declared twice", sf.name),
                ));
            }
            let ftype = field_type(&sf.ftype).ok_or_else(|| {
                bad(
                    &so.name,
                    format!("field {} has unknown type {}", sf.name, sf.ftype),
                )
            })?;
            let mut f = objects::field(&sf.name, sf.label.as_deref().unwrap_or(&sf.name), ftype);
            f.nillable = !sf.required;
            f.attrs = attrs(sf, ftype).map_err(|problem| bad(&so.name, problem))?;
            if let Some(default) = &sf.default {
                objs[ti]
                    .defaults
                    .push((sf.name.clone(), Value::String(default.clone())));
            }
            if ftype == FieldType::Reference {
                if sf.reference_to.is_empty() {
                    return Err(bad(
                        &so.name,
                        format!("reference {} needs referenceTo", sf.name),
                    ));
                }
                f.reference_to = sf.reference_to.clone();
                f.relationship_name = Some(
                    sf.relationship_name
                        .clone()
                        .unwrap_or_else(|| format!("{}__r", sf.name.trim_end_matches("__c"))),
                );
            }
            objs[ti].def.fields.push(f);
            if sf.external_id {
                objs[ti].external_ids.push(sf.name.clone());
            }
        }
        objs[ti]
            .validation_rules
            .extend(so.validation_rules.iter().cloned());
    }
    // Custom objects can be tagged with topics and be what a task is about.
    let customs: Vec<String> = objs
        .iter()
        .filter(|o| o.def.custom)
        .map(|o| o.def.name.clone())
        .collect();
    for o in objs.iter_mut() {
        for f in &mut o.def.fields {
            let polymorphic = (o.def.name == "TopicAssignment" && f.name == "EntityId")
                || (o.def.name == "Task" && f.name == "WhatId");
            if polymorphic {
                f.reference_to.extend(customs.iter().cloned());
            }
        }
    }
    let names: Vec<String> = objs.iter().map(|o| o.def.name.clone()).collect();
    for o in objs.iter() {
        for f in &o.def.fields {
            if let Some(t) = f.reference_to.iter().find(|t| !names.contains(t)) {
                return Err(bad(
                    &o.def.name,
                    format!("field {} refers to unknown type {t}", f.name),
                ));
            }
        }
    }
    debug_assert!(TOPIC_TARGETS.iter().all(|t| names.iter().any(|n| n == t)));
    Ok(())
}

/// A seed field's sizes and values, with Setup's defaults for what it leaves out.
fn attrs(sf: &SeedField, ftype: FieldType) -> Result<FieldAttrs, String> {
    use FieldType as T;
    let name = &sf.name;
    let text_default = match ftype {
        T::String | T::TextArea | T::Url | T::Picklist => Some(255),
        T::Email => Some(80),
        T::Phone => Some(40),
        T::MultiPicklist => Some(4099),
        _ => None,
    };
    let decimal_default = match ftype {
        T::Double => Some((18, 0)),
        T::Currency | T::Percent => Some((18, 2)),
        _ => None,
    };
    let mut attrs = FieldAttrs::default();
    match (text_default, sf.length) {
        (Some(d), None) => attrs.length = d,
        (Some(_), Some(n)) if (1..=131_072).contains(&n) => attrs.length = n,
        (_, Some(n)) => {
            return Err(format!(
                "field {name}: length {n} does not apply or is out of range"
            ));
        }
        (None, None) => {}
    }
    match (ftype, sf.digits) {
        (T::Int, d) => attrs.digits = d.unwrap_or(9).min(9),
        (_, Some(_)) => return Err(format!("field {name}: digits apply to int fields only")),
        _ => {}
    }
    match (decimal_default, sf.precision, sf.scale) {
        (Some((p, s)), precision, scale) => {
            let (p, s) = (precision.unwrap_or(p), scale.unwrap_or(s));
            if !(1..=18).contains(&p) || s > p {
                return Err(format!(
                    "field {name}: precision must be 1 to 18 and scale at most the precision"
                ));
            }
            (attrs.precision, attrs.scale) = (p, s);
        }
        (None, None, None) => {}
        _ => {
            return Err(format!(
                "field {name}: precision and scale apply to numbers only"
            ));
        }
    }
    let pick = matches!(ftype, T::Picklist | T::MultiPicklist);
    if !pick && (!sf.values.is_empty() || sf.restricted || sf.default.is_some()) {
        return Err(format!("field {name}: values apply to picklists only"));
    }
    if let Some(d) = sf.default.as_ref().filter(|d| !sf.values.contains(d)) {
        return Err(format!(
            "field {name}: default {d:?} is not one of its values"
        ));
    }
    attrs.restricted = sf.restricted;
    attrs.picklist = sf
        .values
        .iter()
        .map(|v| PicklistValue {
            value: v.clone(),
            default: sf.default.as_ref() == Some(v),
        })
        .collect();
    Ok(attrs)
}

fn custom_object(so: &SeedObject, prefix: String, user_id: &str) -> ObjectMeta {
    let mut base = objects::standard(user_id)
        .into_iter()
        .find(|o| o.def.name == "Account")
        .map(|o| o.def.fields)
        .unwrap_or_default();
    // Keep the system fields and OwnerId, then a nillable Name.
    base.retain(|f| !f.createable || f.name == "OwnerId");
    // A custom object's Name is text of 80 characters.
    base.push(objects::sized(
        objects::field(
            "Name",
            &format!("{} Name", so.label.as_deref().unwrap_or("Record")),
            FieldType::String,
        ),
        FieldAttrs::text(80),
    ));
    let label = so
        .label
        .clone()
        .unwrap_or_else(|| so.name.trim_end_matches("__c").replace('_', " "));
    ObjectMeta {
        def: ObjectDef {
            name: so.name.clone(),
            label_plural: so
                .label_plural
                .clone()
                .unwrap_or_else(|| format!("{label}s")),
            label,
            key_prefix: prefix,
            custom: true,
            fields: base,
        },
        defaults: vec![("OwnerId".to_owned(), Value::String(user_id.to_owned()))],
        external_ids: Vec::new(),
        createable: true,
        updateable: true,
        deletable: true,
        validation_rules: Vec::new(),
    }
}

/// Checks every validation rule's condition against the finished schema.
pub fn check_rules(state: &State) -> Result<(), SeedError> {
    for meta in state.objects() {
        for rule in &meta.validation_rules {
            rule.check(&meta.def.name, state).map_err(|e| {
                bad(
                    &meta.def.name,
                    format!(
                        "validation rule {}: errorCondition is not a SOQL condition: {}",
                        rule.name, e.message
                    ),
                )
            })?;
        }
    }
    Ok(())
}

/// Creates the seed's records, resolving `"@ref"` values.
pub fn load_records(
    state: &mut State,
    records: &[SeedRecord],
    now: time::OffsetDateTime,
) -> Result<(), SeedError> {
    let mut refs: HashMap<String, String> = HashMap::new();
    for (index, r) in records.iter().enumerate() {
        let fail = |error| SeedError::Record {
            index,
            sobject: r.sobject.clone(),
            error,
        };
        let ti = state
            .type_index(&r.sobject)
            .ok_or_else(|| fail(super::errors::SfError::not_found()))?;
        let mut body = r.fields.clone();
        for v in body.values_mut() {
            if let Some(name) = v.as_str().and_then(|s| s.strip_prefix('@'))
                && let Some(id) = refs.get(name)
            {
                *v = Value::String(id.clone());
            }
        }
        let id = state.create(ti, &body, now).map_err(fail)?;
        if let Some(name) = &r.reference {
            refs.insert(name.clone(), id);
        }
    }
    Ok(())
}
