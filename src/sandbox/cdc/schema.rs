//! The Avro schema of an object's change events, built from the object's fields.
//!
//! Shape, as Salesforce describes it for Pub/Sub API subscribers
//! (<https://developer.salesforce.com/docs/atlas.en-us.change_data_capture.meta/change_data_capture/cdc_message_structure.htm>,
//! <https://developer.salesforce.com/docs/platform/change-data-capture/guide/cdc-subscribe-compound-fields.html>):
//! a record `<Object>ChangeEvent` (`<Name>__ChangeEvent` for a custom object `Name__c`) in
//! namespace `com.sforce.eventbus` whose first field is the `ChangeEventHeader` record, then
//! every field of the object as a nullable union `["null", T]` with default null, in describe
//! order. Change events carry no `Id`, `IsDeleted` or `SystemModstamp` (the record Id is in
//! the header's `recordIds`). Compound fields are nested records: a person's name is `Name`
//! (`Salutation`, `FirstName`, `LastName`, `MiddleName`, `InformalName`, `Suffix`, replacing
//! those fields and the computed full name), an address is `BillingAddress`, `MailingAddress`
//! and so on (`Street`, `City`, `State`, `PostalCode`, `Country`, `StateCode`, `CountryCode`,
//! `Latitude`, `Longitude`, `GeocodeAccuracy`, replacing `BillingStreet`, …), at the place of
//! its first component. Components the sandbox's object lacks are in the schema and always
//! null, as unpopulated fields are in a real org. Dates and datetimes are `long` epoch
//! milliseconds (a date at 00:00 UTC), as the Pub/Sub API sends them
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_streaming.meta/api_streaming/cdc_event_diff_pubsub_cometd.htm>).
//!
//! The schema id is the first 16 bytes of the SHA-256 of the schema's Avro parsing canonical
//! form, base64url without padding: 22 characters, like Salesforce's ids (Salesforce does not
//! say how it computes its fingerprint).

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::sandbox::schema::{FieldType, ObjectDef};

/// The Avro namespace of every change event schema.
pub const NAMESPACE: &str = "com.sforce.eventbus";

/// The `ChangeType` enum's symbols, in schema order.
pub const CHANGE_TYPES: [&str; 9] = [
    "CREATE",
    "UPDATE",
    "DELETE",
    "UNDELETE",
    "GAP_CREATE",
    "GAP_UPDATE",
    "GAP_DELETE",
    "GAP_UNDELETE",
    "GAP_OVERFLOW",
];

/// The Avro type a value is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `string`: text, picklists, Ids, lookups.
    Text,
    /// `boolean`.
    Boolean,
    /// `int`: 32-bit whole numbers.
    Int,
    /// `double`: numbers, currency, percent, coordinates.
    Double,
    /// `long`: epoch milliseconds of the date at 00:00 UTC.
    Date,
    /// `long`: epoch milliseconds.
    DateTime,
}

impl Kind {
    fn of(ftype: FieldType) -> Kind {
        match ftype {
            FieldType::Boolean => Kind::Boolean,
            FieldType::Int => Kind::Int,
            FieldType::Double | FieldType::Currency | FieldType::Percent => Kind::Double,
            FieldType::Date => Kind::Date,
            FieldType::DateTime => Kind::DateTime,
            FieldType::Id
            | FieldType::Reference
            | FieldType::String
            | FieldType::TextArea
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url
            | FieldType::Picklist
            | FieldType::MultiPicklist => Kind::Text,
        }
    }

    fn avro(self) -> &'static str {
        match self {
            Kind::Text => "string",
            Kind::Boolean => "boolean",
            Kind::Int => "int",
            Kind::Double => "double",
            Kind::Date | Kind::DateTime => "long",
        }
    }
}

/// One component of a compound field.
#[derive(Debug, Clone)]
pub struct Component {
    /// Its name inside the compound (`Street`, `LastName`).
    pub name: &'static str,
    /// The object's field that holds it (`BillingStreet`), if the object has one.
    pub source: Option<String>,
    /// Its Avro type.
    pub kind: Kind,
}

/// One top-level field of the event after the header.
#[derive(Debug, Clone)]
pub enum Slot {
    /// A field of the object, under its own name.
    Field {
        /// The field's API name.
        name: String,
        /// Its Avro type.
        kind: Kind,
    },
    /// A compound field: a nested record.
    Compound {
        /// The compound field's name (`Name`, `BillingAddress`).
        name: String,
        /// The nested record's type name (`Name`, `Address`).
        record: &'static str,
        /// Its components, in schema order.
        components: Vec<Component>,
    },
}

impl Slot {
    /// The field's name in the event.
    pub fn name(&self) -> &str {
        match self {
            Slot::Field { name, .. } | Slot::Compound { name, .. } => name,
        }
    }
}

/// The change event schema of one object.
#[derive(Debug)]
pub struct EventSchema {
    /// The object's API name (`Contact`), the header's `entityName`.
    pub entity: String,
    /// Its change event channel (`/data/ContactChangeEvent`).
    pub topic: String,
    /// The schema's fingerprint (GetSchema's `schema_id`).
    pub id: String,
    /// The schema as JSON, as GetSchema returns it.
    pub json: String,
    /// The fields after the header; slot `i` is Avro field `i + 1`.
    pub slots: Vec<Slot>,
    /// The parsed schema, for writing payloads.
    pub avro: apache_avro::Schema,
}

const NAME_PARTS: [&str; 6] = [
    "Salutation",
    "FirstName",
    "LastName",
    "MiddleName",
    "InformalName",
    "Suffix",
];

const ADDRESS_PARTS: [(&str, Kind); 10] = [
    ("Street", Kind::Text),
    ("City", Kind::Text),
    ("State", Kind::Text),
    ("PostalCode", Kind::Text),
    ("Country", Kind::Text),
    ("StateCode", Kind::Text),
    ("CountryCode", Kind::Text),
    ("Latitude", Kind::Double),
    ("Longitude", Kind::Double),
    ("GeocodeAccuracy", Kind::Text),
];

const ADDRESS_PREFIXES: [&str; 5] = ["Billing", "Shipping", "Mailing", "Other", ""];

/// Fields a change event never carries.
const LEFT_OUT: [&str; 3] = ["Id", "IsDeleted", "SystemModstamp"];

/// The change event's name: `ContactChangeEvent`, or `Invoice__ChangeEvent` for `Invoice__c`.
pub fn event_name(entity: &str) -> String {
    match entity.strip_suffix("__c") {
        Some(base) => format!("{base}__ChangeEvent"),
        None => format!("{entity}ChangeEvent"),
    }
}

/// Whether the object has a person's name: `FirstName`/`LastName` and a computed `Name`.
fn has_person_name(def: &ObjectDef) -> bool {
    def.field("LastName").is_some() && def.field("Name").is_some_and(|f| !f.createable)
}

/// The compound a standard field belongs to, as (compound name, record type).
fn compound_of(def: &ObjectDef, field: &str) -> Option<(String, &'static str)> {
    if field.ends_with("__c") {
        return None;
    }
    if has_person_name(def) && (field == "Name" || NAME_PARTS.contains(&field)) {
        return Some(("Name".to_owned(), "Name"));
    }
    ADDRESS_PREFIXES.iter().find_map(|prefix| {
        let part = field.strip_prefix(prefix)?;
        ADDRESS_PARTS
            .iter()
            .any(|(p, _)| *p == part)
            .then(|| (format!("{prefix}Address"), "Address"))
    })
}

fn slots(def: &ObjectDef) -> Vec<Slot> {
    let mut slots: Vec<Slot> = Vec::new();
    for f in &def.fields {
        if LEFT_OUT.contains(&f.name.as_str()) {
            continue;
        }
        let Some((name, record)) = compound_of(def, &f.name) else {
            slots.push(Slot::Field {
                name: f.name.clone(),
                kind: Kind::of(f.ftype),
            });
            continue;
        };
        if slots.iter().any(|s| s.name() == name) {
            continue;
        }
        let prefix = name.strip_suffix("Address").unwrap_or("");
        let components = if record == "Name" {
            NAME_PARTS
                .iter()
                .map(|part| Component {
                    name: part,
                    source: def.field(part).map(|f| f.name.clone()),
                    kind: Kind::Text,
                })
                .collect()
        } else {
            ADDRESS_PARTS
                .iter()
                .map(|(part, kind)| Component {
                    name: part,
                    source: def
                        .field(&format!("{prefix}{part}"))
                        .map(|f| f.name.clone()),
                    kind: *kind,
                })
                .collect()
        };
        slots.push(Slot::Compound {
            name,
            record,
            components,
        });
    }
    slots
}

fn nullable(t: Value) -> Value {
    json!(["null", t])
}

fn header() -> Value {
    let strings = json!({"type": "array", "items": "string"});
    json!({
        "name": "ChangeEventHeader",
        "type": {
            "type": "record",
            "name": "ChangeEventHeader",
            "namespace": NAMESPACE,
            "fields": [
                {"name": "entityName", "type": "string"},
                {"name": "recordIds", "type": strings},
                {"name": "changeType", "type": {
                    "type": "enum", "name": "ChangeType", "namespace": NAMESPACE,
                    "symbols": CHANGE_TYPES,
                }},
                {"name": "changeOrigin", "type": "string"},
                {"name": "transactionKey", "type": "string"},
                {"name": "sequenceNumber", "type": "int"},
                {"name": "commitTimestamp", "type": "long"},
                {"name": "commitNumber", "type": "long"},
                {"name": "commitUser", "type": "string"},
                {"name": "nulledFields", "type": strings},
                {"name": "diffFields", "type": strings},
                {"name": "changedFields", "type": strings},
            ],
        },
    })
}

fn to_json(def: &ObjectDef, slots: &[Slot]) -> Value {
    let mut fields = vec![header()];
    let mut defined: Vec<&str> = Vec::new();
    for slot in slots {
        let t = match slot {
            Slot::Field { kind, .. } => Value::from(kind.avro()),
            // A named type is defined once; later uses refer to it by name, as Salesforce's
            // schemas do for an object's second address.
            Slot::Compound { record, .. } if defined.contains(record) => Value::from(*record),
            Slot::Compound {
                record, components, ..
            } => {
                defined.push(record);
                let parts: Vec<Value> = components
                    .iter()
                    .map(|c| json!({"name": c.name, "type": nullable(c.kind.avro().into()), "default": null}))
                    .collect();
                json!({"type": "record", "name": record, "namespace": NAMESPACE, "fields": parts})
            }
        };
        fields.push(json!({"name": slot.name(), "type": nullable(t), "default": null}));
    }
    json!({
        "type": "record",
        "name": event_name(&def.name),
        "namespace": NAMESPACE,
        "fields": fields,
    })
}

impl EventSchema {
    /// The schema of `def`'s change events.
    pub fn build(def: &ObjectDef) -> Result<EventSchema, apache_avro::Error> {
        let slots = slots(def);
        let json = to_json(def, &slots).to_string();
        let avro = apache_avro::Schema::parse_str(&json)?;
        let digest = Sha256::digest(avro.canonical_form().as_bytes());
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
        Ok(EventSchema {
            entity: def.name.clone(),
            topic: format!("/data/{}", event_name(&def.name)),
            id,
            json,
            slots,
            avro,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::objects;

    fn schema_of(name: &str) -> EventSchema {
        let objs = objects::standard("005000000000001AAA");
        let meta = objs.iter().find(|o| o.def.name == name).unwrap();
        EventSchema::build(&meta.def).unwrap()
    }

    #[test]
    fn a_contact_event_starts_with_the_header_and_nests_its_name() {
        let s = schema_of("Contact");
        assert_eq!(s.topic, "/data/ContactChangeEvent");
        assert_eq!(s.id.len(), 22);
        let v: Value = serde_json::from_str(&s.json).unwrap();
        assert_eq!(v["name"], "ContactChangeEvent");
        assert_eq!(v["namespace"], NAMESPACE);
        let names: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names[0], "ChangeEventHeader");
        for gone in ["Id", "IsDeleted", "SystemModstamp", "FirstName", "LastName"] {
            assert!(!names.contains(&gone), "{gone} in {names:?}");
        }
        assert_eq!(names.iter().filter(|n| **n == "Name").count(), 1);
        assert!(names.contains(&"MailingAddress"), "{names:?}");
        assert!(names.contains(&"CreatedDate"), "{names:?}");
        let name = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "Name")
            .unwrap();
        assert_eq!(name["type"][1]["type"], "record");
        assert_eq!(name["type"][1]["fields"][2]["name"], "LastName");
    }

    #[test]
    fn a_second_address_refers_to_the_first_by_name() {
        let mut objs = objects::standard("005000000000001AAA");
        let account = objs.iter_mut().find(|o| o.def.name == "Account").unwrap();
        account.def.fields.push(objects::field(
            "ShippingCity",
            "Shipping City",
            FieldType::String,
        ));
        let s = EventSchema::build(&account.def).unwrap();
        let v: Value = serde_json::from_str(&s.json).unwrap();
        let field = |n: &str| {
            v["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == n)
                .unwrap()
                .clone()
        };
        assert_eq!(field("BillingAddress")["type"][1]["name"], "Address");
        assert_eq!(field("ShippingAddress")["type"][1], "Address");
    }

    #[test]
    fn custom_objects_are_named_like_salesforce_names_them() {
        assert_eq!(event_name("Invoice__c"), "Invoice__ChangeEvent");
        assert_eq!(event_name("Lead"), "LeadChangeEvent");
    }

    #[test]
    fn schema_ids_are_stable_and_differ_per_object() {
        assert_eq!(schema_of("Lead").id, schema_of("Lead").id);
        assert_ne!(schema_of("Lead").id, schema_of("Contact").id);
    }
}
