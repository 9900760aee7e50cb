//! Values on the trigger path: bound `where` params refused with one violation
//! per fault.

use serde_json::json;
use sfgate::pb::*;
use tonic::Code;
use tonic_types::StatusExt;

use crate::common::{self, authed, value};
use crate::support::*;

fn where_trigger(condition: &str, params: serde_json::Value) -> SubscribeRequest {
    let serde_json::Value::Object(map) = params else {
        panic!("params must be an object")
    };
    request(
        subscribe_request::Trigger::NewObject(NewObjectTrigger {
            sobject: "Contact".into(),
            r#where: condition.into(),
            params: map.into_iter().map(|(k, v)| (k, value(v))).collect(),
            fields: vec![],
        }),
        None,
    )
}

#[tokio::test]
async fn a_where_param_refused_for_its_value_gets_exactly_one_violation() {
    let gw = common::start_custom(sandbox(), |gw, _, _| gw.triggers = fast()).await;
    let mut client = triggers(&gw).await;
    for (condition, params, field) in [
        (
            "Birthdate = :d",
            json!({"d": {"date": "2024-02-30"}}),
            "new_object.params.d.date",
        ),
        (
            "CreatedDate > :t OR LastModifiedDate > :t",
            json!({"t": {"datetime": "soon"}}),
            "new_object.params.t.datetime",
        ),
        (
            "LastName IN :names",
            json!({"names": []}),
            "new_object.params.names",
        ),
    ] {
        let err = client
            .subscribe(authed(where_trigger(condition, params.clone())))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
        let fields: Vec<String> = err
            .get_details_bad_request()
            .expect("BadRequest")
            .field_violations
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, [field], "{condition} {params}");
    }
}

/// `created` (Salesforce's `…000+0000`) in other forms Salesforce writes or accepts.
fn forms_of(created: &str) -> Vec<String> {
    let t = sfgate::salesforce::datetime::parse_datetime(created).expect("salesforce form");
    let plus2 = t.to_offset(time::macros::offset!(+2));
    let hms = |t: time::OffsetDateTime| {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    };
    vec![
        created.to_owned(),
        format!("{}Z", hms(t)),
        format!("{}.000Z", hms(t)),
        format!("{}+00:00", hms(t)),
        format!("{}+02:00", hms(plus2)),
        format!("{}.000+0200", hms(plus2)),
    ]
}

#[tokio::test]
async fn since_datetime_and_where_params_take_every_salesforce_datetime_form() {
    let gw = start(fast()).await;
    let mut sf = gw.client().await;
    let mut client = triggers(&gw).await;
    let tag = tag("Forms");
    let id = create(&mut sf, &tag).await;
    let page = sf
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: "SELECT CreatedDate FROM Contact WHERE Id = :id".into(),
            params: [("id".to_owned(), value(json!(id)))].into(),
            ..Default::default()
        }))
        .await
        .expect("query")
        .into_inner();
    let created = common::str_field(&page.records[0], "CreatedDate")
        .unwrap()
        .to_owned();
    for form in forms_of(&created) {
        // Replaying from the record's own CreatedDate, in this form, delivers it.
        let start = Some(subscribe_request::Start::SinceDatetime(form.clone()));
        let mut stream = subscribe(&mut client, request(tagged(&tag), start)).await;
        let event = next_event(&mut stream, std::time::Duration::from_secs(20)).await;
        assert_eq!(event.record_id, id, "since_datetime {form}");
        // A where param in this form selects it too.
        let req = SubscribeRequest {
            start: Some(subscribe_request::Start::SinceDatetime(created.clone())),
            ..where_trigger(
                "LastName = :tag AND CreatedDate = :t",
                json!({"tag": tag, "t": {"datetime": form}}),
            )
        };
        let mut stream = subscribe(&mut client, req).await;
        let event = next_event(&mut stream, std::time::Duration::from_secs(20)).await;
        assert_eq!(event.record_id, id, "where param {form}");
    }
    for (start, field) in [
        (
            subscribe_request::Start::SinceDatetime("2024-05-01 10:00:00".into()),
            "since_datetime",
        ),
        (
            subscribe_request::Start::SinceDatetime("1699-12-31T23:59:59Z".into()),
            "since_datetime",
        ),
        (
            subscribe_request::Start::Since(prost_types::Timestamp {
                seconds: -10_000_000_000,
                nanos: 0,
            }),
            "since",
        ),
    ] {
        let err = client
            .subscribe(authed(request(tagged(&tag), Some(start))))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            err.get_details_bad_request().unwrap().field_violations[0].field,
            field
        );
    }
}

#[tokio::test]
async fn trigger_events_carry_decimals_exactly_as_salesforce_holds_them() {
    use prost_types::value::Kind;
    let gw = start(fast()).await;
    let mut sf = gw.client().await;
    let mut client = triggers(&gw).await;
    let tag = tag("Deal");
    let trigger = subscribe_request::Trigger::NewObject(NewObjectTrigger {
        sobject: "Opportunity".into(),
        r#where: "Name = :tag".into(),
        params: [("tag".to_owned(), value(json!(tag)))].into(),
        fields: vec!["Amount".into()],
    });
    let mut stream = subscribe(&mut client, request(trigger, None)).await;
    for (amount, want) in [
        (
            json!("1234567890123456.78"),
            Kind::StringValue("1234567890123456.78".into()),
        ),
        (
            json!("123456789012345.67"),
            Kind::NumberValue(123_456_789_012_345.67),
        ),
        (json!(0.1), Kind::NumberValue(0.1)),
    ] {
        sf.create_object(authed(CreateObjectRequest {
            sobject: "Opportunity".into(),
            fields: Some(common::fields(json!({
                "Name": tag, "StageName": "Prospecting", "CloseDate": "2026-12-31", "Amount": amount
            }))),
            ..Default::default()
        }))
        .await
        .expect("create");
        let event = next_event(&mut stream, std::time::Duration::from_secs(20)).await;
        let record = event.record.expect("record");
        assert_eq!(record.fields["Amount"].kind, Some(want), "{amount}");
    }
}
