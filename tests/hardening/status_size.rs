//! Every error status stays well under the 8 KiB of metadata standard clients accept, with
//! caller text echoed capped and once (issue 13 item 4).

use std::collections::HashMap;

use serde_json::json;
use sfgate::pb::trigger_service_client::TriggerServiceClient;
use sfgate::pb::*;
use tonic::Code;

use crate::common::{self, authed, fields, value};

/// What the status costs on the wire: `grpc-message` percent-encoded (bytes outside
/// printable ASCII, and `%`, take 3) plus `grpc-status-details-bin` in base64.
fn wire_bytes(status: &tonic::Status) -> usize {
    let message: usize = status
        .message()
        .bytes()
        .map(|b| {
            if (0x20..0x7f).contains(&b) && b != b'%' {
                1
            } else {
                3
            }
        })
        .sum();
    message + status.details().len().div_ceil(3) * 4
}

/// A long value that starts with a unique `tag`, so its echoes can be counted.
fn long(tag: &str) -> String {
    format!("{tag}{}", "abcdefghij".repeat(15_000))
}

/// Checks `status`: under 6 KiB on the wire, and `echo` (a caller's value) nowhere whole,
/// its start (`tag`) said at most once in the message.
fn assert_small(what: &str, status: &tonic::Status, echo: &str, tag: &str) {
    let size = wire_bytes(status);
    assert!(size < 6 * 1024, "{what}: {size} bytes: {status:?}");
    let details = String::from_utf8_lossy(status.details());
    assert!(
        !status.message().contains(echo) && !details.contains(echo),
        "{what}: echoed whole"
    );
    assert!(
        status.message().matches(tag).count() <= 1,
        "{what}: said more than once: {}",
        status.message()
    );
    assert_ne!(status.code(), Code::Internal, "{what}: {status:?}");
    assert_ne!(status.code(), Code::Unknown, "{what}: {status:?}");
}

#[tokio::test]
async fn every_refusal_of_a_long_value_fits_standard_clients() {
    let gw = common::start().await;
    let mut client = gw.client().await;

    // A malformed SOQL query of about 1,000 characters: Salesforce echoes it with a caret.
    let soql = format!(
        "SELECT Id FROM Contact WHERE LastName IN ({}) AND",
        vec!["'Quinn'"; 110].join(", ")
    );
    let err = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: soql.clone(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_small("malformed query", &err, &soql, "SELECT");
    assert!(
        !err.message().contains("SELECT"),
        "the echo is in the details only: {}",
        err.message()
    );
    assert!(
        err.message().contains("unexpected token"),
        "{}",
        err.message()
    );

    // A field name of 10,000 characters in a query: "No such column '<it>'" on top of the echo.
    let field = format!("Fxtag{}", "x".repeat(10_000));
    let err = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: format!("SELECT {field} FROM Contact"),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_small("long field in a query", &err, &field, "Fxtag");

    // Long field names, sObject, record Id, param keys, connection: the gateway's own refusals.
    let long_field = long("Fieldtag");
    let err = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(json!({ long_field.clone(): "x", "LastName": "Q" }))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_small("field name", &err, &long_field, "Fieldtag");
    let err = client
        .create_object(authed(CreateObjectRequest {
            sobject: long("Sobjecttag"),
            fields: Some(fields(json!({"LastName": "Q"}))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_small("sobject", &err, &long("Sobjecttag"), "Sobjecttag");
    let err = client
        .update_object(authed(UpdateObjectRequest {
            id: long("Idtag"),
            fields: Some(fields(json!({"LastName": "Q"}))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_small("id", &err, &long("Idtag"), "Idtag");
    let many_fields: serde_json::Map<String, serde_json::Value> = (0..2_000)
        .map(|i| (format!("bad field {i} {}", "y".repeat(100)), json!(1)))
        .collect();
    let err = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(serde_json::Value::Object(many_fields))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_small(
        "2,000 bad field names",
        &err,
        "bad field 1999 ",
        "bad field 1999",
    );
    let key = long("Keytag");
    let err = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Contact".into(),
            params: HashMap::from([(key.clone(), value(json!(1)))]),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_small("param key", &err, &key, "Keytag");
    let err = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            connection: long("Conntag"),
            query: "SELECT Id FROM Contact".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_small("connection", &err, &long("Conntag"), "Conntag");
    let err = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            page_token: long("Tokentag"),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_small("page token", &err, &long("Tokentag"), "Tokentag");

    // A trigger's `where`: malformed (echoed by Salesforce), and huge.
    let mut triggers = TriggerServiceClient::connect(format!("http://{}", gw.addr))
        .await
        .unwrap();
    for condition in [
        format!("LastName IN ({}) AND", vec!["'Quinn'"; 110].join(", ")),
        format!("LastName = '{}'", long("Wheretag")),
    ] {
        let err = triggers
            .subscribe(authed(SubscribeRequest {
                trigger: Some(subscribe_request::Trigger::NewObject(NewObjectTrigger {
                    sobject: "Contact".into(),
                    r#where: condition.clone(),
                    ..Default::default()
                })),
                ..Default::default()
            }))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
        assert_small("where", &err, &condition, "LastName");
    }
}
