//! Requests whose URI would be over Salesforce's limit: refused before sending, naming the
//! caller's field and the limit, never retried (issue 13 item 6, issue 14 item 8).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;
use sfgate::pb::trigger_service_client::TriggerServiceClient;
use sfgate::pb::*;
use tonic::Code;
use tonic_types::StatusExt;

use crate::common::{self, authed, value};

/// 1,200 phone numbers: an automation's `IN :phones`, about 18 KB once in a URL.
fn phones(n: usize) -> prost_types::Value {
    value(json!(
        (0..n)
            .map(|i| format!("+1415555{i:04}"))
            .collect::<Vec<_>>()
    ))
}

/// 1,500 distinct field names (a select list repeats none).
fn many_fields() -> Vec<String> {
    (0..1_500).map(|i| format!("Field{i}__c")).collect()
}

/// The field, ErrorInfo reason and metadata of an `INVALID_ARGUMENT`.
fn refusal(status: &tonic::Status) -> (String, String, HashMap<String, String>) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let info = status.get_details_error_info().expect("ErrorInfo");
    let violations = status.get_details_bad_request().expect("BadRequest");
    assert_eq!(violations.field_violations.len(), 1, "{violations:?}");
    (
        violations.field_violations[0].field.clone(),
        info.reason,
        info.metadata,
    )
}

#[tokio::test]
async fn over_long_queries_are_refused_before_sending_naming_the_field_and_the_limit() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    gw.sandbox.reset_counts();
    let cases = [
        // A bound list (issue 14 item 8's automation).
        (
            "SELECT Id FROM Contact WHERE Phone IN :phones".to_owned(),
            HashMap::from([("phones".to_owned(), phones(1_200))]),
            "params.phones",
        ),
        // A long query text.
        (
            format!(
                "SELECT Id FROM Contact WHERE LastName IN ({})",
                vec!["'Quinn'"; 3_000].join(", ")
            ),
            HashMap::new(),
            "query",
        ),
        // One bound string value past ~65 KB, where the URI could not even be built and the
        // call was retried three times as UNAVAILABLE before.
        (
            "SELECT Id FROM Contact WHERE LastName = :name".to_owned(),
            HashMap::from([("name".to_owned(), value(json!("x".repeat(70_000))))]),
            "params.name",
        ),
    ];
    for (query, params, field) in cases {
        let started = Instant::now();
        let err = client
            .execute_soql_query(authed(ExecuteSoqlQueryRequest {
                query,
                params,
                ..Default::default()
            }))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(500), "at once");
        let (violation, reason, metadata) = refusal(&err);
        assert_eq!(violation, field);
        assert_eq!(reason, "URI_TOO_LONG");
        assert_eq!(metadata["limitBytes"], "14336");
        assert!(metadata["sizeBytes"].parse::<usize>().unwrap() > 14_336);
        assert!(err.message().contains("14336"), "{}", err.message());
        assert!(err.get_details_retry_info().is_none());
    }
    // Nothing reached Salesforce: no first try, no retries.
    assert_eq!(gw.sandbox.requests().query, 0);
    // A list that fits is fine.
    client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Contact WHERE Phone IN :phones".into(),
            params: HashMap::from([("phones".to_owned(), phones(500))]),
            ..Default::default()
        }))
        .await
        .expect("500 numbers fit");
}

#[tokio::test]
async fn an_over_long_topic_name_is_refused_naming_topic_name() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let err = client
        .add_topic_to_object(authed(AddTopicToObjectRequest {
            object_id: "003Gb00000000GCIAY".into(),
            topic_name: "t".repeat(20_000),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    // Salesforce's 99-character limit on a topic name refuses it before its URI is built.
    let (field, reason, _) = refusal(&err);
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("topic_name", "INVALID_ARGUMENT")
    );
    assert!(err.message().contains("at most 99"), "{}", err.message());
}

#[tokio::test]
async fn over_long_trigger_queries_are_refused_when_subscribing_naming_the_field() {
    let gw = common::start().await;
    let mut triggers = TriggerServiceClient::connect(format!("http://{}", gw.addr))
        .await
        .unwrap();
    let new_object = |t: NewObjectTrigger| SubscribeRequest {
        trigger: Some(subscribe_request::Trigger::NewObject(t)),
        ..Default::default()
    };
    let cases = [
        (
            new_object(NewObjectTrigger {
                sobject: "Contact".into(),
                r#where: "Phone IN :phones".into(),
                params: HashMap::from([("phones".to_owned(), phones(1_200))]),
                ..Default::default()
            }),
            "new_object.params.phones",
        ),
        (
            new_object(NewObjectTrigger {
                sobject: "Contact".into(),
                r#where: format!("LastName IN ({})", vec!["'Quinn'"; 3_000].join(", ")),
                ..Default::default()
            }),
            "new_object.where",
        ),
        (
            new_object(NewObjectTrigger {
                sobject: "Contact".into(),
                fields: many_fields(),
                ..Default::default()
            }),
            "new_object.fields",
        ),
        (
            SubscribeRequest {
                trigger: Some(subscribe_request::Trigger::NewContact(NewContactTrigger {
                    fields: many_fields(),
                })),
                ..Default::default()
            },
            "new_contact.fields",
        ),
    ];
    for (request, field) in cases {
        let err = triggers.subscribe(authed(request)).await.unwrap_err();
        let (violation, reason, _) = refusal(&err);
        assert_eq!(
            (violation.as_str(), reason.as_str()),
            (field, "URI_TOO_LONG")
        );
    }
}
