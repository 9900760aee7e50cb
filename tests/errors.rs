//! Every row of the error table, end to end: each refusal has the right gRPC code,
//! exactly one ErrorInfo, and the details a caller needs.

mod common;

use common::{anatomy, authed, fields, value, with_key};
use serde_json::json;
use sfgate::pb::*;
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn malformed_ids_are_refused_naming_the_field_before_any_upstream_call() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let before = gw.sandbox.requests().total;
    for bad in [
        "",
        "003",
        "003000000000001AAB",
        "00300000000000!",
        "003000000000001AAAA",
        "0030000000000é1",
    ] {
        let err = client
            .update_object(authed(UpdateObjectRequest {
                id: bad.into(),
                sobject: "Contact".into(),
                fields: Some(fields(json!({"LastName": "X"}))),
                ..Default::default()
            }))
            .await
            .unwrap_err();
        assert_eq!(
            anatomy(&err),
            (
                Code::InvalidArgument,
                "INVALID_RECORD_ID".into(),
                "sfgate".into(),
                vec!["id".into()]
            ),
            "id {bad:?}: {err:?}"
        );
        let err = client
            .delete_object(authed(DeleteObjectRequest {
                id: bad.into(),
                ..Default::default()
            }))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "delete {bad:?}");
    }
    assert_eq!(
        gw.sandbox.requests().total,
        before,
        "no call reached salesforce"
    );
}

#[tokio::test]
async fn names_that_could_change_the_url_are_refused() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    for bad in ["../limits", "Contact/", "Contact?x=1", "Con tact", ""] {
        let err = client
            .create_object(authed(CreateObjectRequest {
                sobject: bad.into(),
                fields: Some(fields(json!({"LastName": "X"}))),
                ..Default::default()
            }))
            .await
            .unwrap_err();
        let (code, _, domain, bad_fields) = anatomy(&err);
        assert_eq!(
            (code, domain.as_str(), bad_fields),
            (Code::InvalidArgument, "sfgate", vec!["sobject".to_owned()])
        );
    }
    let err = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(json!({"LastName": "X", "Bad/Field": 1}))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(anatomy(&err).3, vec!["fields.Bad/Field".to_owned()]);
}

#[tokio::test]
async fn numbers_a_double_cannot_hold_exactly_are_refused() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let err = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Lead".into(),
            fields: Some(fields(
                json!({"LastName": "X", "Company": "Y", "AnnualRevenue": 1e19}),
            )),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(anatomy(&err).3, vec!["fields.AnnualRevenue".to_owned()]);
}

#[tokio::test]
async fn salesforce_refusals_map_to_codes_with_the_salesforce_reason() {
    let gw = common::start().await;
    let mut client = gw.client().await;

    // Missing required field: INVALID_ARGUMENT naming the field.
    let err = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(json!({"FirstName": "No last name"}))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        anatomy(&err),
        (
            Code::InvalidArgument,
            "REQUIRED_FIELD_MISSING".into(),
            "salesforce.com".into(),
            vec!["fields.LastName".into()]
        )
    );

    // Unknown sObject type.
    let err = client
        .create_object(authed(CreateObjectRequest {
            sobject: "NoSuchThing__c".into(),
            fields: Some(fields(json!({"Name": "x"}))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    let (code, _, domain, _) = anatomy(&err);
    assert_eq!((code, domain.as_str()), (Code::NotFound, "salesforce.com"));

    // Malformed and invalid queries point at `query`.
    for (soql, reason) in [
        ("SELEC Id FROM Contact", "MALFORMED_QUERY"),
        ("SELECT NoSuchField FROM Contact", "INVALID_FIELD"),
        ("SELECT Id FROM NoSuchObject", "INVALID_TYPE"),
    ] {
        let err = client
            .execute_soql_query(authed(ExecuteSoqlQueryRequest {
                query: soql.into(),
                ..Default::default()
            }))
            .await
            .unwrap_err();
        assert_eq!(
            anatomy(&err),
            (
                Code::InvalidArgument,
                reason.into(),
                "salesforce.com".into(),
                vec!["query".into()]
            ),
            "{soql}"
        );
    }

    // Update of a well-formed Id that does not exist, then delete twice.
    let id = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(json!({"LastName": "Short-lived"}))),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .id;
    let delete = || DeleteObjectRequest {
        id: id.clone(),
        ..Default::default()
    };
    client
        .delete_object(authed(delete()))
        .await
        .expect("first delete");
    let err = client.delete_object(authed(delete())).await.unwrap_err();
    assert_eq!(anatomy(&err).0, Code::NotFound);
    assert_eq!(anatomy(&err).1, "ENTITY_IS_DELETED");
    let resource = err.get_details_resource_info().expect("ResourceInfo");
    assert_eq!(
        (
            resource.resource_type.as_str(),
            resource.resource_name.as_str()
        ),
        ("Contact", id.as_str())
    );

    // Duplicate topic names: ALREADY_EXISTS.
    let topic = || CreateObjectRequest {
        sobject: "Topic".into(),
        fields: Some(fields(json!({"Name": "Renewal"}))),
        ..Default::default()
    };
    client
        .create_object(authed(topic()))
        .await
        .expect("first topic");
    let err = client.create_object(authed(topic())).await.unwrap_err();
    assert_eq!(anatomy(&err).0, Code::AlreadyExists);
    assert_eq!(anatomy(&err).1, "DUPLICATE_VALUE");
}

#[tokio::test]
async fn bind_parameter_mistakes_are_invalid_argument() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let err = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Contact WHERE Phone = :phone".into(),
            params: [("phon".to_owned(), value(json!("1")))].into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    let (code, _, domain, fields) = anatomy(&err);
    assert_eq!((code, domain.as_str()), (Code::InvalidArgument, "sfgate"));
    assert_eq!(fields, vec!["query".to_owned(), "params.phon".to_owned()]);

    for (page_size, max_records) in [(10, 0), (5000, 0), (0, -1)] {
        let err = client
            .execute_soql_query(authed(ExecuteSoqlQueryRequest {
                query: "SELECT Id FROM Contact".into(),
                page_size,
                max_records,
                ..Default::default()
            }))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
    }
    let err = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            page_token: "not-a-token".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(anatomy(&err).3, vec!["page_token".to_owned()]);
}

#[tokio::test]
async fn callers_without_a_key_or_grant_are_refused() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let err = client
        .get_access_token(tonic::Request::new(GetAccessTokenRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(anatomy(&err).0, Code::Unauthenticated);
    assert_eq!(anatomy(&err).1, "API_KEY_INVALID");
    let err = client
        .get_access_token(with_key(GetAccessTokenRequest::default(), "wrong"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = client
        .get_access_token(authed(GetAccessTokenRequest {
            connection: "someone-else".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(anatomy(&err).0, Code::PermissionDenied);
    assert_eq!(anatomy(&err).1, "CONNECTION_NOT_ALLOWED");
}

#[tokio::test]
async fn a_validation_rule_is_failed_precondition_with_its_message_and_field() {
    let seed = json!({"objects": [{"name": "Lead", "validationRules": [
        {"name": "Reachable", "errorCondition": "Email = null AND Phone = null",
         "errorMessage": "A lead needs an email or a phone", "errorDisplayField": "Phone"}]}]});
    let gw = common::start_with(sfgate::sandbox::SandboxConfig {
        seed: Some(serde_json::from_value(seed).unwrap()),
        sample_data: false,
        ..Default::default()
    })
    .await;
    let mut client = gw.client().await;
    let err = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Lead".into(),
            fields: Some(fields(json!({"LastName": "Nowhere", "Company": "Acme"}))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    let (code, reason, domain, _) = anatomy(&err);
    assert_eq!(
        (code, reason.as_str(), domain.as_str()),
        (
            Code::FailedPrecondition,
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "salesforce.com"
        )
    );
    let details = err.get_error_details();
    let violation = &details.precondition_failure().unwrap().violations[0];
    assert_eq!(
        (
            violation.r#type.as_str(),
            violation.subject.as_str(),
            violation.description.as_str()
        ),
        (
            "VALIDATION_RULE",
            "Phone",
            "A lead needs an email or a phone"
        )
    );
}
