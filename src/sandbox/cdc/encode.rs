//! An event's Avro payload: the `ChangeEventHeader`, then the record's fields.
//!
//! The body follows Salesforce's rules for Pub/Sub API change events
//! (<https://developer.salesforce.com/docs/atlas.en-us.change_data_capture.meta/change_data_capture/cdc_event_fields_body.htm>):
//! CREATE and UNDELETE carry every field (null where empty); UPDATE carries the changed
//! fields and null for the rest, with `changedFields` (always including `LastModifiedDate`)
//! and `nulledFields` as bitmaps ([`super::bitmap`]); DELETE and the GAP_ types carry only
//! the header. `diffFields` is always empty: the sandbox sends whole values. A value the
//! schema cannot hold (an `int` beyond 32 bits) makes the event a GAP_ event, as Salesforce
//! sends one when it cannot generate an event's details.

use apache_avro::types::Value as Avro;
use serde_json::Value;

use super::ChangeType;
use super::bitmap;
use super::capture::Op;
use super::log::Event;
use super::schema::{CHANGE_TYPES, EventSchema, Kind, Slot};
use crate::sandbox::values::{parse_date, parse_datetime};

/// The event as schemaless Avro binary under `schema`.
pub fn payload(schema: &EventSchema, event: &Event, commit_user: &str) -> Vec<u8> {
    let written =
        value(schema, event, event.change_type, commit_user).and_then(|v| write(schema, v));
    match written {
        Ok(bytes) => bytes,
        Err(problem) => {
            tracing::warn!(
                entity = %schema.entity,
                record = %event.change.id,
                %problem,
                "sandbox change event sent as a gap event"
            );
            let gap = event.change_type.gap();
            value(schema, event, gap, commit_user)
                .and_then(|v| write(schema, v))
                // A header-only event always fits its schema.
                .unwrap_or_default()
        }
    }
}

fn write(schema: &EventSchema, v: Avro) -> Result<Vec<u8>, String> {
    apache_avro::writer::datum::GenericDatumWriter::builder(&schema.avro)
        .build()
        .and_then(|w| w.write_value_to_vec(v))
        .map_err(|e| e.to_string())
}

fn strings(items: impl IntoIterator<Item = String>) -> Avro {
    Avro::Array(items.into_iter().map(Avro::String).collect())
}

/// The bitmap elements of a set of field names: `0x…` over the top-level fields, then
/// `<p>-0x…` per compound field with members in the set.
fn bitmaps(schema: &EventSchema, names: &[String]) -> Vec<String> {
    let has = |n: &str| names.iter().any(|c| c == n);
    let mut top = Vec::new();
    let mut nested = Vec::new();
    for (i, slot) in schema.slots.iter().enumerate() {
        let position = i + 1;
        match slot {
            Slot::Field { name, .. } if has(name) => top.push(position),
            Slot::Field { .. } => {}
            Slot::Compound { components, .. } => {
                let bits = components
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.source.as_deref().is_some_and(has))
                    .map(|(j, _)| j);
                if let Some(hex) = bitmap::hex(bits) {
                    nested.push(format!("{position}-{hex}"));
                }
            }
        }
    }
    bitmap::hex(top).into_iter().chain(nested).collect()
}

fn null() -> Avro {
    Avro::Union(0, Box::new(Avro::Null))
}

fn some(v: Avro) -> Avro {
    Avro::Union(1, Box::new(v))
}

/// One stored value as the Avro type of its field.
fn convert(kind: Kind, field: &str, v: &Value) -> Result<Avro, String> {
    let wrong = || format!("{field}: {v} is not a {kind:?}");
    Ok(match kind {
        Kind::Text => match v {
            Value::String(s) => Avro::String(s.clone()),
            other => Avro::String(other.to_string()),
        },
        Kind::Boolean => Avro::Boolean(v.as_bool().ok_or_else(wrong)?),
        Kind::Int => Avro::Int(
            v.as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(wrong)?,
        ),
        Kind::Double => Avro::Double(v.as_f64().ok_or_else(wrong)?),
        Kind::Date => {
            let date = v.as_str().and_then(parse_date).ok_or_else(wrong)?;
            Avro::Long(date.midnight().assume_utc().unix_timestamp() * 1000)
        }
        Kind::DateTime => {
            let t = v.as_str().and_then(parse_datetime).ok_or_else(wrong)?;
            Avro::Long(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).map_err(|_| wrong())?)
        }
    })
}

fn value(
    schema: &EventSchema,
    event: &Event,
    change_type: ChangeType,
    commit_user: &str,
) -> Result<Avro, String> {
    let change = &event.change;
    let detailed = !change_type.is_gap() && change.op != Op::Delete;
    let (changed, nulled) = if detailed && change.op == Op::Update {
        (
            bitmaps(schema, &change.changed),
            bitmaps(schema, &change.nulled),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let symbol = change_type.symbol();
    let index = CHANGE_TYPES.iter().position(|s| *s == symbol).unwrap_or(0);
    let header = Avro::Record(vec![
        ("entityName".into(), Avro::String(schema.entity.clone())),
        ("recordIds".into(), strings([change.id.clone()])),
        (
            "changeType".into(),
            Avro::Enum(u32::try_from(index).unwrap_or(0), symbol.to_owned()),
        ),
        (
            "changeOrigin".into(),
            Avro::String(change.origin.to_string()),
        ),
        (
            "transactionKey".into(),
            Avro::String(event.transaction_key.to_string()),
        ),
        ("sequenceNumber".into(), Avro::Int(event.sequence_number)),
        ("commitTimestamp".into(), Avro::Long(event.commit_ms)),
        ("commitNumber".into(), Avro::Long(event.commit_number)),
        ("commitUser".into(), Avro::String(commit_user.to_owned())),
        ("nulledFields".into(), strings(nulled)),
        ("diffFields".into(), strings([])),
        ("changedFields".into(), strings(changed)),
    ]);
    let mut fields = Vec::with_capacity(schema.slots.len() + 1);
    fields.push(("ChangeEventHeader".to_owned(), header));
    let get = |name: &str| change.values.get(name).filter(|v| detailed && !v.is_null());
    for slot in &schema.slots {
        let v = match slot {
            Slot::Field { name, kind } => match get(name) {
                Some(v) => some(convert(*kind, name, v)?),
                None => null(),
            },
            Slot::Compound { components, .. } => {
                let mut parts = Vec::with_capacity(components.len());
                let mut any = false;
                for c in components {
                    let part = match c.source.as_deref().and_then(get) {
                        Some(v) => {
                            any = true;
                            some(convert(c.kind, c.name, v)?)
                        }
                        None => null(),
                    };
                    parts.push((c.name.to_owned(), part));
                }
                if any {
                    some(Avro::Record(parts))
                } else {
                    null()
                }
            }
        };
        fields.push((slot.name().to_owned(), v));
    }
    Ok(Avro::Record(fields))
}
