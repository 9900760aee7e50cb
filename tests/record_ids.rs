//! A record Id of another sObject than the one named is refused on `id` before
//! any call; what Salesforce says of the record Id is said of `id`.

mod common;

use common::{authed, bad_fields, create, fields};
use serde_json::json;
use sfgate::pb::*;
use sfgate::sandbox::{SandboxConfig, Seed};
use tonic::Code;
use tonic_types::StatusExt;

/// Two custom objects besides the standard ones (key prefixes a00 and a01).
fn config() -> SandboxConfig {
    let seed: Seed = serde_json::from_value(json!({"objects": [
        {"name": "Invoice__c", "fields": []},
        {"name": "Shipment__c", "fields": []}
    ]}))
    .expect("seed");
    SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn an_id_of_another_sobject_is_refused_on_id_before_any_call() {
    let gw = common::start_with(config()).await;
    let mut client = gw.client().await;
    let lead = create(
        &mut client,
        "Lead",
        json!({"LastName": "L", "Company": "C"}),
    )
    .await;
    let contact = create(&mut client, "Contact", json!({"LastName": "C"})).await;
    let invoice = create(&mut client, "Invoice__c", json!({"Name": "I"})).await;
    let before = gw.sandbox.requests().total;
    for (sobject, id) in [
        // The case: a Lead's Id named as a Contact.
        ("Contact", lead.as_str()),
        ("contact", lead.as_str()),
        ("Account", contact.as_str()),
        ("Lead", contact.as_str()),
        // A custom object's Id cannot be a standard object's, and the other way round.
        ("Contact", invoice.as_str()),
        ("Invoice__c", contact.as_str()),
    ] {
        let err = client
            .update_object(authed(UpdateObjectRequest {
                sobject: sobject.into(),
                id: id.into(),
                fields: Some(fields(json!({"Description": "x"}))),
                ..Default::default()
            }))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::InvalidArgument, "{sobject} {id}: {err:?}");
        assert_eq!(bad_fields(&err), ["id"], "{sobject} {id}");
        let err = client
            .delete_object(authed(DeleteObjectRequest {
                sobject: sobject.into(),
                id: id.into(),
                ..Default::default()
            }))
            .await
            .expect_err("refused");
        assert_eq!(bad_fields(&err), ["id"], "{sobject} {id}");
    }
    assert_eq!(gw.sandbox.requests().total, before, "no call was made");
    // The right sObject still works.
    client
        .update_object(authed(UpdateObjectRequest {
            sobject: "Lead".into(),
            id: lead.clone(),
            fields: Some(fields(json!({"Description": "x"}))),
            ..Default::default()
        }))
        .await
        .expect("a Lead Id as a Lead");
}

#[tokio::test]
async fn when_only_salesforce_can_tell_its_refusal_of_the_record_id_names_id() {
    let gw = common::start_with(config()).await;
    let mut client = gw.client().await;
    // Two custom objects: sfgate has not read this org's prefixes, Salesforce decides.
    let shipment = create(&mut client, "Shipment__c", json!({"Name": "S"})).await;
    for (reason, call) in [("update", true), ("delete", false)] {
        let err = if call {
            client
                .update_object(authed(UpdateObjectRequest {
                    sobject: "Invoice__c".into(),
                    id: shipment.clone(),
                    fields: Some(fields(json!({"Name": "x"}))),
                    ..Default::default()
                }))
                .await
        } else {
            client
                .delete_object(authed(DeleteObjectRequest {
                    sobject: "Invoice__c".into(),
                    id: shipment.clone(),
                    ..Default::default()
                }))
                .await
                .map(|_| tonic::Response::new(UpdateObjectResponse::default()))
        }
        .expect_err("refused by Salesforce");
        assert_eq!(err.code(), Code::InvalidArgument, "{reason}: {err:?}");
        let info = err.get_details_error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "MALFORMED_ID", "{reason}");
        assert_eq!(bad_fields(&err), ["id"], "{reason}");
    }
}
