//! The standard objects the sandbox org has, and what the store needs to know
//! about each beyond its describe (defaults, external ids, allowed operations).

use serde_json::Value;

use super::schema::{FieldAttrs, FieldDef, FieldType, ObjectDef, PicklistValue};
use super::validation::ValidationRule;

mod standard;

pub use standard::standard;

/// An sObject type as the store keeps it.
#[derive(Debug, Clone)]
pub struct ObjectMeta {
    /// What describe and the SOQL engine see.
    pub def: ObjectDef,
    /// Values a create fills in when the body leaves the field out.
    pub defaults: Vec<(String, Value)>,
    /// Fields marked as external ids (upsert keys), canonical names.
    pub external_ids: Vec<String>,
    /// Whether the REST API may create, update and delete records of this type.
    pub createable: bool,
    /// Whether records may be updated (TopicAssignment may not).
    pub updateable: bool,
    /// Whether records may be deleted.
    pub deletable: bool,
    /// The org's validation rules on this type, checked on every save.
    pub validation_rules: Vec<ValidationRule>,
}

impl ObjectMeta {
    /// Whether `name` is a createable field that a create must supply: not
    /// nillable and without a default.
    pub fn is_required(&self, f: &FieldDef) -> bool {
        f.createable
            && !f.nillable
            && f.ftype != FieldType::Boolean
            && !self.defaults.iter().any(|(d, _)| d == &f.name)
    }
}

/// A field with the usual flags (nillable, createable, updateable) and no sizes;
/// give it its sizes with [`sized`] or [`picklist`].
pub fn field(name: &str, label: &str, ftype: FieldType) -> FieldDef {
    let attrs = match ftype {
        // Ids have 18 characters in every describe.
        FieldType::Id | FieldType::Reference => FieldAttrs::text(18),
        _ => FieldAttrs::default(),
    };
    FieldDef {
        name: name.to_owned(),
        label: label.to_owned(),
        ftype,
        nillable: true,
        createable: true,
        updateable: true,
        reference_to: Vec::new(),
        relationship_name: None,
        attrs,
    }
}

/// `f` with these sizes.
pub fn sized(mut f: FieldDef, attrs: FieldAttrs) -> FieldDef {
    f.attrs = attrs;
    f
}

/// `f` as a picklist of `values` (`default` marked as the default), of at most
/// `length` characters, restricted or not.
pub fn picklist(
    mut f: FieldDef,
    length: u32,
    values: &[&str],
    default: Option<&str>,
    restricted: bool,
) -> FieldDef {
    f.attrs = FieldAttrs {
        length,
        picklist: values
            .iter()
            .map(|v| PicklistValue {
                value: (*v).to_owned(),
                default: Some(*v) == default,
            })
            .collect(),
        restricted,
        ..FieldAttrs::default()
    };
    f
}

fn required(mut f: FieldDef) -> FieldDef {
    f.nillable = false;
    f
}

fn read_only(mut f: FieldDef) -> FieldDef {
    f.createable = false;
    f.updateable = false;
    f
}

/// A lookup field; `rel` is the relationship name SOQL uses to reach the parent.
pub fn reference(name: &str, label: &str, to: &[&str], rel: &str) -> FieldDef {
    FieldDef {
        reference_to: to.iter().map(|s| (*s).to_owned()).collect(),
        relationship_name: Some(rel.to_owned()),
        ..field(name, label, FieldType::Reference)
    }
}

/// The fields every record has, set by the org.
fn system_fields(owned: bool) -> Vec<FieldDef> {
    use FieldType as T;
    let mut v = vec![
        read_only(required(field("Id", "Record ID", T::Id))),
        read_only(required(field("IsDeleted", "Deleted", T::Boolean))),
        read_only(required(field("CreatedDate", "Created Date", T::DateTime))),
        read_only(required(reference(
            "CreatedById",
            "Created By ID",
            &["User"],
            "CreatedBy",
        ))),
        read_only(required(field(
            "LastModifiedDate",
            "Last Modified Date",
            T::DateTime,
        ))),
        read_only(required(reference(
            "LastModifiedById",
            "Last Modified By ID",
            &["User"],
            "LastModifiedBy",
        ))),
        read_only(required(field(
            "SystemModstamp",
            "System Modstamp",
            T::DateTime,
        ))),
    ];
    if owned {
        v.push(required(reference(
            "OwnerId",
            "Owner ID",
            &["User"],
            "Owner",
        )));
    }
    v
}

struct Spec {
    name: &'static str,
    label: &'static str,
    plural: &'static str,
    prefix: &'static str,
    owned: bool,
    fields: Vec<FieldDef>,
    defaults: Vec<(&'static str, Value)>,
}

fn build(spec: Spec, user_id: &str) -> ObjectMeta {
    let mut fields = system_fields(spec.owned);
    fields.extend(spec.fields);
    let mut defaults: Vec<(String, Value)> = spec
        .defaults
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    if spec.owned {
        defaults.push(("OwnerId".to_owned(), Value::String(user_id.to_owned())));
    }
    ObjectMeta {
        def: ObjectDef {
            name: spec.name.to_owned(),
            label: spec.label.to_owned(),
            label_plural: spec.plural.to_owned(),
            key_prefix: spec.prefix.to_owned(),
            custom: false,
            fields,
        },
        defaults,
        external_ids: Vec::new(),
        createable: true,
        updateable: true,
        deletable: true,
        validation_rules: Vec::new(),
    }
}

/// The types a Task's `WhatId` and a TopicAssignment's `EntityId` may point to,
/// before custom objects are added.
pub const TOPIC_TARGETS: &[&str] = &["Account", "Contact", "Lead", "Opportunity", "Case", "Task"];

fn create_only(mut f: FieldDef) -> FieldDef {
    f.updateable = false;
    f
}
