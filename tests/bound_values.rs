//! Bound `:name` values end to end (gRPC client → sfgate → sandbox org): every
//! value renders as a literal Salesforce accepts, or is refused naming the
//! param, with one violation per fault.

mod common;

use common::{authed, value};
use serde_json::json;
use sfgate::pb::*;
use tonic::Code;
use tonic_types::StatusExt;

/// The BadRequest fields of a refusal (and that it is one).
fn violations(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

fn query(soql: &str, params: serde_json::Value) -> ExecuteSoqlQueryRequest {
    let serde_json::Value::Object(map) = params else {
        panic!("params must be an object")
    };
    ExecuteSoqlQueryRequest {
        query: soql.into(),
        params: map.into_iter().map(|(k, v)| (k, value(v))).collect(),
        ..Default::default()
    }
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
            .execute_soql_query(authed(query(soql, params.clone())))
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
