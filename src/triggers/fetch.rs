//! The trigger's queries: a window of the feed between two positions, and the
//! probe run before a stream starts.

use std::sync::Arc;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::cursor::{self, Position};
use super::{Event, Trigger};
use crate::salesforce::{Client, Error};

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
    let mut page = client.query(&soql, false, None).await?;
    loop {
        for record in page.records.drain(..) {
            let Some(event) = event(trigger, fp, record) else {
                continue;
            };
            if &event.position > after && &event.position <= upto {
                events.push(Arc::new(event));
            }
        }
        match page.next_records_url.take().filter(|_| !page.done) {
            Some(next) => page = client.query_more(&next, None).await?,
            None => break,
        }
    }
    events.sort_by(|a, b| a.position.cmp(&b.position));
    events.dedup_by(|a, b| a.position == b.position);
    Ok(events)
}

/// The query of [`window`]. Its length does not depend on the bounds (datetimes always
/// render to the same length), so the probe can check that every poll's query fits.
fn window_soql(trigger: &Trigger, after: OffsetDateTime, upto: OffsetDateTime) -> String {
    format!(
        "SELECT {} FROM {} WHERE {}CreatedDate >= {} AND CreatedDate <= {} ORDER BY CreatedDate, Id",
        select_list(&trigger.fields),
        trigger.sobject,
        condition(&trigger.condition),
        soql_datetime(after),
        soql_datetime(upto),
    )
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
    let soql = format!(
        "SELECT {} FROM {} WHERE {}CreatedDate = {}",
        select_list(&trigger.fields),
        trigger.sobject,
        condition(&trigger.condition),
        soql_datetime(at),
    );
    let mut page = client.query(&soql, false, None).await?;
    let mut max: Option<String> = None;
    loop {
        for r in &page.records {
            if let Some(id) = r.get("Id").and_then(Value::as_str)
                && max.as_deref().is_none_or(|m| id > m)
            {
                max = Some(id.to_owned());
            }
        }
        match page.next_records_url.take().filter(|_| !page.done) {
            Some(next) => page = client.query_more(&next, None).await?,
            None => break,
        }
    }
    Ok(max)
}

/// The fields to select: the requested ones plus `Id` and `CreatedDate`, which
/// position every event.
fn select_list(fields: &[String]) -> String {
    let mut out: Vec<&str> = vec!["Id", "CreatedDate"];
    for f in fields {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(f)) {
            out.push(f);
        }
    }
    out.join(", ")
}

/// The caller's (already bound) condition, parenthesised so its `OR`s stay inside.
fn condition(bound: &str) -> String {
    if bound.trim().is_empty() {
        String::new()
    } else {
        format!("({bound}) AND ")
    }
}

/// One record as an event, or `None` (logged) if it lacks a usable Id or CreatedDate.
fn event(trigger: &Trigger, fp: &str, record: Value) -> Option<Event> {
    let Value::Object(mut record) = record else {
        return None;
    };
    record.remove("attributes");
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
        cursor: cursor::encode(fp, &position),
        record,
        position,
    })
}

/// Salesforce's `2024-05-01T10:00:00.000+0000` (RFC 3339 accepted too).
pub(crate) fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let (head, offset) = s.split_at(s.len().checked_sub(5)?);
    let naive = PrimitiveDateTime::parse(
        head,
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"),
    )
    .ok()?;
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hh: i8 = offset.get(1..3)?.parse().ok()?;
    let mm: i8 = offset.get(3..5)?.parse().ok()?;
    let off = UtcOffset::from_hms(sign * hh, sign * mm, 0).ok()?;
    Some(naive.assume_offset(off))
}

/// A UTC SOQL datetime literal, with milliseconds only when there are any.
/// (The same rendering as `api::params`; repeated here because this module does
/// not depend on the gRPC edge.)
pub(crate) fn soql_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let (y, m, d) = (t.year(), u8::from(t.month()), t.day());
    let (hh, mi, ss, ms) = (t.hour(), t.minute(), t.second(), t.millisecond());
    if ms == 0 {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mi:02}:{ss:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mi:02}:{ss:02}.{ms:03}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn salesforce_datetimes_parse() {
        assert_eq!(
            parse_datetime("2024-05-01T10:00:01.000+0000"),
            Some(datetime!(2024-05-01 10:00:01 UTC))
        );
        assert_eq!(
            parse_datetime("2024-05-01T12:00:01.250+0200"),
            Some(datetime!(2024-05-01 10:00:01.25 UTC))
        );
        assert_eq!(
            parse_datetime("2024-05-01T10:00:01Z"),
            Some(datetime!(2024-05-01 10:00:01 UTC))
        );
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn the_select_list_always_positions_events() {
        assert_eq!(select_list(&[]), "Id, CreatedDate");
        assert_eq!(
            select_list(&["email".into(), "Id".into(), "LastName".into()]),
            "Id, CreatedDate, email, LastName"
        );
        assert_eq!(condition(""), "");
        assert_eq!(condition("A = 1 OR B = 2"), "(A = 1 OR B = 2) AND ");
        assert_eq!(
            soql_datetime(datetime!(2024-05-01 10:00:01.5 UTC)),
            "2024-05-01T10:00:01.500Z"
        );
    }
}
