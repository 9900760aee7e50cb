//! The trigger's queries: a window of the feed between two positions, and the
//! probe run before a stream starts. Their text and their pages are
//! [`crate::salesforce::soql`]'s; what is the trigger's here is which records it reads and
//! how a record becomes an event.

use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;

use super::cursor::{self, Position};
use super::source::SourceKind;
use super::{Event, Trigger};
use crate::salesforce::datetime::parse_datetime;
use crate::salesforce::{Client, Error, soql};

/// The records with `after < (CreatedDate, Id) <= upto`, in that order, every page read.
///
/// The query selects whole seconds `CreatedDate >= after.t AND <= upto.t` and the
/// exact bounds are applied here, so the bound never depends on how Salesforce
/// compares Ids as text; the sort is ours for the same reason.
pub(crate) async fn window(
    client: &Client,
    trigger: &Trigger,
    fp: &str,
    after: &Position,
    upto: &Position,
) -> Result<Vec<Arc<Event>>, Error> {
    let soql = window_soql(trigger, after.time(), upto.time());
    let mut events: Vec<Arc<Event>> = Vec::new();
    client
        .for_each_record(&soql, |record| {
            if let Some(event) = event(trigger, fp, record)
                && &event.position > after
                && &event.position <= upto
            {
                events.push(Arc::new(event));
            }
        })
        .await?;
    events.sort_by(|a, b| a.position.cmp(&b.position));
    events.dedup_by(|a, b| a.position == b.position);
    Ok(events)
}

/// The query of [`window`]: [`soql::created_between`], whose length does not depend on the
/// bounds, so the probe can check that every poll's query fits.
fn window_soql(trigger: &Trigger, after: OffsetDateTime, upto: OffsetDateTime) -> String {
    let (sobject, fields) = (&trigger.sobject, &trigger.fields);
    soql::created_between(sobject, fields, &trigger.condition, after, upto)
}

/// Runs the trigger's query over the records created in the second `at`, and
/// returns the greatest Id among them. A bad sObject, field or condition fails here,
/// before a stream starts; the Id lets "now" exclude records that already exist.
pub(crate) async fn probe(
    client: &Client,
    trigger: &Trigger,
    at: OffsetDateTime,
) -> Result<Option<String>, Error> {
    // A poll's query is longer than the probe's: one that cannot be sent would fail every
    // poll, after the stream had started. Refuse the trigger now instead.
    client.check_query_uri(&window_soql(trigger, at, at), false)?;
    let soql = soql::created_at(&trigger.sobject, &trigger.fields, &trigger.condition, at);
    let mut max: Option<String> = None;
    client
        .for_each_record(&soql, |r| {
            if let Some(id) = r.get("Id").and_then(Value::as_str)
                && max.as_deref().is_none_or(|m| id > m)
            {
                max = Some(id.to_owned());
            }
        })
        .await?;
    Ok(max)
}

/// One record as an event, or `None` (logged) if it lacks a usable Id or CreatedDate.
fn event(trigger: &Trigger, fp: &str, record: Value) -> Option<Event> {
    let Value::Object(mut record) = record else {
        return None;
    };
    strip_attributes(&mut record);
    let id = record.get("Id").and_then(Value::as_str).map(str::to_owned);
    let created = record
        .get("CreatedDate")
        .and_then(Value::as_str)
        .and_then(parse_datetime);
    let (Some(id), Some(created)) = (id, created) else {
        tracing::warn!(sobject = %trigger.sobject, "trigger record without a usable Id or CreatedDate; skipped");
        return None;
    };
    let position = Position {
        ms: cursor::unix_ms(created),
        id: id.clone(),
    };
    Some(Event {
        sobject: trigger.sobject.clone(),
        record_id: id,
        created,
        cursor: cursor::encode(fp, SourceKind::Poll, &position),
        record,
        position,
    })
}

/// Removes Salesforce's `attributes` (type and URL) from a record and from
/// the parent records nested in it (`Account.Owner.Name`), so an event's
/// record holds the requested fields only.
fn strip_attributes(record: &mut serde_json::Map<String, Value>) {
    record.remove("attributes");
    for v in record.values_mut() {
        if let Value::Object(parent) = v {
            strip_attributes(parent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_parents_lose_their_attributes_too() {
        let serde_json::Value::Object(mut r) = serde_json::json!({
            "attributes": {"type": "Contact"},
            "Account": {"attributes": {"type": "Account"}, "Name": "Acme",
                        "Owner": {"attributes": {"type": "User"}, "Name": "Una"}},
            "Email": null,
        }) else {
            unreachable!()
        };
        strip_attributes(&mut r);
        assert_eq!(
            Value::Object(r),
            serde_json::json!({"Account": {"Name": "Acme", "Owner": {"Name": "Una"}}, "Email": null})
        );
    }
}
