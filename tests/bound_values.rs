//! Bound `:name` values end to end (gRPC client → sfgate → sandbox org): every
//! value renders as a literal Salesforce accepts, or is refused naming the
//! param, with one violation per fault.

mod common;

use common::{authed, query_request};
use serde_json::json;
use sfgate::pb::*;
use tonic::Code;

/// The BadRequest fields of a refusal (and that it is one).
fn violations(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    common::bad_fields(status)
}

#[tokio::test]
async fn a_value_refused_for_what_it_is_gets_exactly_one_violation() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let before = gw.sandbox.requests().total;
    for (soql, params, field) in [
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = :d",
            json!({"d": {"date": "2024-02-30"}}),
            "params.d.date",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = :d OR CloseDate > :d",
            json!({"d": {"date": "2024-13-01"}}),
            "params.d.date",
        ),
        (
            "SELECT Id FROM Contact WHERE CreatedDate > :t",
            json!({"t": {"datetime": "yesterday"}}),
            "params.t.datetime",
        ),
        (
            "SELECT Id FROM Contact WHERE Phone IN :phones",
            json!({"phones": []}),
            "params.phones",
        ),
        (
            "SELECT Id FROM Contact WHERE Phone = :p",
            json!({"p": {"phone": "1"}}),
            "params.p",
        ),
    ] {
        let err = client
            .execute_soql_query(authed(query_request(soql, params.clone())))
            .await
            .unwrap_err();
        assert_eq!(violations(&err), [field], "{soql} {params}: {err:?}");
    }
    assert_eq!(
        gw.sandbox.requests().total,
        before,
        "refused before any call"
    );
}

/// `t` (UTC) written in every form Salesforce emits or accepts.
fn every_form(t: time::OffsetDateTime) -> Vec<String> {
    use time::UtcOffset;
    use time::macros::offset;
    let at = |off: UtcOffset| t.to_offset(off);
    let ymdhms = |t: time::OffsetDateTime| {
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
    let plus2 = at(offset!(+2));
    let minus530 = at(offset!(-5:30));
    vec![
        format!("{}Z", ymdhms(t)),
        format!("{}.000Z", ymdhms(t)),
        format!("{}.000+0000", ymdhms(t)),
        format!("{}+00:00", ymdhms(t)),
        format!("{}+02:00", ymdhms(plus2)),
        format!("{}.000+0200", ymdhms(plus2)),
        format!("{}-0530", ymdhms(minus530)),
        format!("{}.000000-05:30", ymdhms(minus530)),
    ]
}

#[tokio::test]
async fn a_datetime_param_in_any_salesforce_form_names_the_same_instant() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    // A seeded record's CreatedDate, exactly as Salesforce returns it.
    let page = client
        .execute_soql_query(authed(query_request(
            "SELECT Id, CreatedDate FROM Contact ORDER BY CreatedDate LIMIT 1",
            json!({}),
        )))
        .await
        .expect("query")
        .into_inner();
    let record = &page.records[0];
    let id = common::str_field(record, "Id").unwrap().to_owned();
    let created = common::str_field(record, "CreatedDate").unwrap().to_owned();
    assert!(created.ends_with(".000+0000"), "{created}");
    let t = sfgate::salesforce::datetime::parse_datetime(&created).unwrap();
    let mut forms = every_form(t);
    forms.push(created);
    for form in forms {
        let page = client
            .execute_soql_query(authed(query_request(
                "SELECT Id FROM Contact WHERE Id = :id AND CreatedDate = :t",
                json!({"id": id, "t": {"datetime": form}}),
            )))
            .await
            .unwrap_or_else(|e| panic!("{form}: {e:?}"))
            .into_inner();
        assert_eq!(page.total_size, 1, "{form}");
    }
    // The case: the very form sfgate returns in CreatedDate.
    let page = client
        .execute_soql_query(authed(query_request(
            "SELECT Id FROM Contact WHERE CreatedDate > :t",
            json!({"t": {"datetime": "2020-03-17T21:04:32.000+0000"}}),
        )))
        .await
        .expect("accepted")
        .into_inner();
    assert!(page.total_size > 0);
}

#[tokio::test]
async fn dates_and_datetimes_salesforce_would_not_read_as_sent_are_refused_naming_the_param() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    for (param, field) in [
        (json!({"date": "+2024-05-01"}), "params.v.date"),
        (json!({"date": "2024-02-30"}), "params.v.date"),
        (json!({"date": "2024-05-01T00:00:00Z"}), "params.v.date"),
        (
            json!({"datetime": "2024-05-01T10:00:00"}),
            "params.v.datetime",
        ),
        (
            json!({"datetime": "2024-05-01T10:00:00.0005Z"}),
            "params.v.datetime",
        ),
        (
            json!({"datetime": "+2024-05-01T10:00:00Z"}),
            "params.v.datetime",
        ),
        // Outside the dates Salesforce holds.
        (json!({"date": "1699-12-31"}), "params.v.date"),
        (json!({"date": "4001-01-01"}), "params.v.date"),
        (
            json!({"datetime": "0001-01-01T00:00:00Z"}),
            "params.v.datetime",
        ),
        // Strings with a control character SOQL has no escape for.
        (json!("nul\u{0}"), "params.v"),
        (json!("esc\u{1b}[0m"), "params.v"),
    ] {
        let err = client
            .execute_soql_query(authed(query_request(
                "SELECT Id FROM Opportunity WHERE CloseDate = :v",
                json!({ "v": param }),
            )))
            .await
            .unwrap_err();
        assert_eq!(violations(&err), [field], "{param}");
    }
}

#[tokio::test]
async fn numbers_bind_as_plain_decimals_or_are_refused_naming_the_param() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let id = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Opportunity".into(),
            fields: Some(common::fields(json!({
                "Name": "Tiny", "StageName": "Prospecting", "CloseDate": "2026-12-31", "Amount": 0.01
            }))),
            ..Default::default()
        }))
        .await
        .expect("create")
        .into_inner()
        .id;
    // Numbers Salesforce would read only in positional notation.
    for (n, found) in [
        (json!(1e-7), 1),
        (json!(0.001), 1),
        (json!(0.01), 0),
        (json!(1e-18), 1),
        (json!(-2.5e-10), 1),
    ] {
        let page = client
            .execute_soql_query(authed(query_request(
                "SELECT Id FROM Opportunity WHERE Id = :id AND Amount > :n",
                json!({"id": id, "n": n}),
            )))
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"))
            .into_inner();
        assert_eq!(page.total_size, found, "{n}");
    }
    for n in [json!(1.5e-308), json!(1e-19), json!(1e300), json!(-1e17)] {
        let err = client
            .execute_soql_query(authed(query_request(
                "SELECT Id FROM Opportunity WHERE Amount > :n",
                json!({ "n": n }),
            )))
            .await
            .unwrap_err();
        assert_eq!(violations(&err), ["params.n"], "{n}");
    }
}
