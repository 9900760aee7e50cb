//! Add Topic to Object end to end (gRPC client → sfgate → sandbox org): a
//! find-or-create finds what Salesforce calls a duplicate, topic names Salesforce
//! would refuse are refused naming `topic_name`, and a failure of sfgate's own
//! lookups is not the caller's bad argument.

mod common;

use common::{authed, fields};
use serde_json::json;
use sfgate::pb::*;
use tonic::Code;
use tonic_types::StatusExt;

type Client = salesforce_service_client::SalesforceServiceClient<tonic::transport::Channel>;

async fn contact(client: &mut Client, name: &str) -> String {
    client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(json!({ "LastName": name }))),
            ..Default::default()
        }))
        .await
        .expect("contact")
        .into_inner()
        .id
}

fn add(object_id: &str, topic: &str) -> tonic::Request<AddTopicToObjectRequest> {
    authed(AddTopicToObjectRequest {
        object_id: object_id.into(),
        topic_name: topic.into(),
        ..Default::default()
    })
}

#[tokio::test]
async fn names_salesforce_calls_the_same_topic_find_the_first_topic_and_assignment() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let id = contact(&mut client, "Spacing").await;
    let first = client
        .add_topic_to_object(add(&id, "Callback requested"))
        .await
        .expect("first")
        .into_inner();
    assert!(first.created);
    // The case (two inner spaces) and the other spellings Salesforce treats as
    // the same topic: case and spacing.
    for same in [
        "Callback  requested",
        "CALLBACK REQUESTED",
        "Callbackrequested",
        "  Callback requested  ",
        "Call back requested",
    ] {
        let again = client
            .add_topic_to_object(add(&id, same))
            .await
            .unwrap_or_else(|e| panic!("{same:?}: {e:?}"))
            .into_inner();
        assert_eq!(
            (
                again.topic_id.as_str(),
                again.topic_assignment_id.as_str(),
                again.created
            ),
            (
                first.topic_id.as_str(),
                first.topic_assignment_id.as_str(),
                false
            ),
            "{same:?}"
        );
    }
    // On another record it is the same topic, newly assigned.
    let other = contact(&mut client, "Other").await;
    let there = client
        .add_topic_to_object(add(&other, "callback  REQUESTED"))
        .await
        .expect("other record")
        .into_inner();
    assert_eq!(there.topic_id, first.topic_id);
    assert!(there.created);
    // A different name is a different topic.
    let new = client
        .add_topic_to_object(add(&id, "Callback requested urgently"))
        .await
        .expect("new topic")
        .into_inner();
    assert_ne!(new.topic_id, first.topic_id);
}

#[tokio::test]
async fn topic_names_salesforce_would_refuse_are_refused_naming_topic_name() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let id = contact(&mut client, "Names").await;
    let before = gw.sandbox.requests().total;
    for bad in [
        String::new(),
        "   ".into(),
        "x".repeat(100),
        "é".repeat(100),
        "line\nbreak".into(),
        "tab\tbed".into(),
        "nul\0".into(),
        "esc\u{1b}[31m".into(),
    ] {
        let err = client
            .add_topic_to_object(add(&id, &bad))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument, "{bad:?}");
        let v = err.get_details_bad_request().expect("BadRequest");
        assert_eq!(v.field_violations.len(), 1);
        assert_eq!(v.field_violations[0].field, "topic_name", "{bad:?}");
    }
    assert_eq!(
        gw.sandbox.requests().total,
        before,
        "refused before any call"
    );
    // 99 characters, however many bytes, are a topic name.
    let ok = client
        .add_topic_to_object(add(&id, &"é".repeat(99)))
        .await
        .expect("99 characters")
        .into_inner();
    assert!(ok.created);
}

#[tokio::test]
async fn a_record_topics_are_not_enabled_for_is_refused_on_object_id() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    // The org's user: topics are not enabled for User.
    let user = gw.sandbox.with_data(|d| {
        let mut id = String::new();
        d.scan("User", &mut |r| {
            id = r["Id"].as_str().unwrap_or_default().to_owned();
        });
        id
    });
    let err = client
        .add_topic_to_object(add(&user, "VIP"))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    let v = err.get_details_bad_request().expect("BadRequest");
    let fields: Vec<_> = v
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, ["object_id"]);
}

#[tokio::test]
async fn a_topic_the_connections_user_cannot_see_is_a_failed_precondition_naming_topic() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let id = contact(&mut client, "Hidden").await;
    gw.sandbox.faults().update(|f| f.hide_topics = true);
    let err = client
        .add_topic_to_object(add(&id, "Callback requested"))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let d = err.get_error_details();
    let info = d.error_info().expect("ErrorInfo");
    assert_eq!(
        (info.reason.as_str(), info.domain.as_str()),
        ("INVALID_TYPE", "salesforce.com")
    );
    assert_eq!(info.metadata["lookupSobject"], "Topic");
    assert!(d.bad_request().is_none(), "the request has no bad field");
    let pf = d.precondition_failure().expect("PreconditionFailure");
    assert_eq!(pf.violations[0].subject, "Topic");
    assert!(err.message().contains("Topic"), "{err:?}");

    gw.sandbox.faults().update(|f| f.hide_topics = false);
    client
        .add_topic_to_object(add(&id, "Callback requested"))
        .await
        .expect("visible again");
}
