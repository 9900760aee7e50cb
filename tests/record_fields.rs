//! Field values through the gateway (gRPC client → sfgate → sandbox org): the
//! org's per-field checks reach the caller as `INVALID_ARGUMENT` naming
//! `fields.<Name>`, and empty text is stored as null.

mod common;

use common::{authed, fields, reason_and_fields, value};
use serde_json::json;
use sfgate::pb::*;
use tonic::Code;

#[tokio::test]
async fn salesforces_field_checks_name_the_field_the_caller_sent() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let create = |sobject: &str, body: serde_json::Value| {
        authed(CreateObjectRequest {
            sobject: sobject.into(),
            fields: Some(fields(body)),
            ..Default::default()
        })
    };
    for (sobject, body, reason, field) in [
        (
            "Lead",
            json!({"LastName": "L", "Company": "C".repeat(300)}),
            "STRING_TOO_LONG",
            "fields.Company",
        ),
        (
            "Contact",
            json!({"LastName": "L", "Department": "d".repeat(81)}),
            "STRING_TOO_LONG",
            "fields.Department",
        ),
        (
            "Contact",
            json!({"LastName": "L", "Email": "not an email"}),
            "INVALID_EMAIL_ADDRESS",
            "fields.Email",
        ),
        (
            "Contact",
            json!({"LastName": "L", "Preferred_Channel__c": "Fax"}),
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "fields.Preferred_Channel__c",
        ),
        (
            "Opportunity",
            json!({"Name": "O", "StageName": "Prospecting", "CloseDate": "2026-12-31", "Amount": "12345678901234567"}),
            "NUMBER_OUTSIDE_VALID_RANGE",
            "fields.Amount",
        ),
        (
            "Account",
            json!({"Name": "A", "NumberOfEmployees": 123_456_789}),
            "NUMBER_OUTSIDE_VALID_RANGE",
            "fields.NumberOfEmployees",
        ),
    ] {
        let err = client
            .create_object(create(sobject, body))
            .await
            .unwrap_err();
        assert_eq!(
            reason_and_fields(&err),
            (
                Code::InvalidArgument,
                reason.to_owned(),
                vec![field.to_owned()]
            ),
            "{err:?}"
        );
    }
    // Salesforce names no field for a value its JSON reader refuses.
    let err = client
        .create_object(create(
            "Contact",
            json!({"LastName": "DateProbe", "Birthdate": "2020-04-30T13:19:18.000000+02:00"}),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        reason_and_fields(&err),
        (
            Code::InvalidArgument,
            "JSON_PARSER_ERROR".to_owned(),
            vec!["fields".to_owned()]
        )
    );
    assert!(
        err.message()
            .contains("Cannot deserialize instance of date"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_empty_text_value_reads_back_as_null_and_matches_null() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let id = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(
                json!({"LastName": "Blank", "Department": "Support"}),
            )),
            ..Default::default()
        }))
        .await
        .expect("create")
        .into_inner()
        .id;
    client
        .update_object(authed(UpdateObjectRequest {
            id: id.clone(),
            fields: Some(fields(json!({"Department": ""}))),
            ..Default::default()
        }))
        .await
        .expect("update");
    let page = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id, Department FROM Contact WHERE Department = null AND Id = :id".into(),
            params: [("id".to_owned(), value(json!(id)))].into(),
            ..Default::default()
        }))
        .await
        .expect("query")
        .into_inner();
    assert_eq!(page.total_size, 1);
    assert_eq!(
        page.records[0].fields["Department"].kind,
        Some(prost_types::value::Kind::NullValue(0))
    );
}

#[tokio::test]
async fn attributes_is_refused_as_a_field_before_any_call() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let before = gw.sandbox.requests().total;
    // A record as a query returned it, sent back as the fields of a create.
    let err = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(json!({
                "attributes": {"type": "Contact", "url": "/services/data/v62.0/sobjects/Contact/003Gb00000000GCIAY"},
                "LastName": "Copy"
            }))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        reason_and_fields(&err),
        (
            Code::InvalidArgument,
            "INVALID_FIELDS".to_owned(),
            vec!["fields.attributes".to_owned()]
        )
    );
    let err = client
        .update_object(authed(UpdateObjectRequest {
            id: "003Gb00000000GCIAY".into(),
            fields: Some(fields(json!({"attributes": null}))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        reason_and_fields(&err).2,
        vec!["fields.attributes".to_owned()]
    );
    assert_eq!(gw.sandbox.requests().total, before);
}
