//! Numbers come back exactly as Salesforce holds them, end to end (gRPC client →
//! sfgate → sandbox org): a decimal a double carries is a `number_value`, one it
//! cannot is a `string_value` with Salesforce's exact text; never altered.

mod common;

use common::{authed, fields, value};
use prost_types::value::Kind;
use serde_json::json;
use sfgate::pb::*;
use sfgate::sandbox::{SandboxConfig, Seed};

/// The default org plus a number field of 18 whole digits on Opportunity.
fn config() -> SandboxConfig {
    let seed: Seed = serde_json::from_value(json!({"objects": [{"name": "Opportunity", "fields": [
        {"name": "Units__c", "type": "double", "precision": 18, "scale": 0},
        {"name": "Rate__c", "type": "double", "precision": 18, "scale": 8}
    ]}]}))
    .expect("seed");
    SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    }
}

async fn create_opportunity(
    client: &mut salesforce_service_client::SalesforceServiceClient<tonic::transport::Channel>,
    name: &str,
    extra: serde_json::Value,
) -> String {
    let mut body = json!({"Name": name, "StageName": "Prospecting", "CloseDate": "2026-12-31"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    client
        .create_object(authed(CreateObjectRequest {
            sobject: "Opportunity".into(),
            fields: Some(fields(body)),
            ..Default::default()
        }))
        .await
        .expect("create")
        .into_inner()
        .id
}

/// The query's one record's `field`.
async fn read(
    client: &mut salesforce_service_client::SalesforceServiceClient<tonic::transport::Channel>,
    soql: &str,
    id: &str,
) -> prost_types::Struct {
    let page = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: soql.into(),
            params: [("id".to_owned(), value(json!(id)))].into(),
            ..Default::default()
        }))
        .await
        .expect("query")
        .into_inner();
    assert_eq!(page.records.len(), 1, "{soql}");
    page.records[0].clone()
}

fn kind(record: &prost_types::Struct, field: &str) -> Kind {
    record.fields[field].kind.clone().expect("a value")
}

#[tokio::test]
async fn a_currency_amount_comes_back_exactly_as_salesforce_holds_it() {
    let gw = common::start_with(config()).await;
    let mut client = gw.client().await;
    // The case: 17 significant digits, which a double carries.
    let id = create_opportunity(&mut client, "P", json!({"Amount": "123456789012345.67"})).await;
    let r = read(
        &mut client,
        "SELECT Amount FROM Opportunity WHERE Id = :id",
        &id,
    )
    .await;
    let Kind::NumberValue(n) = kind(&r, "Amount") else {
        panic!("{r:?}")
    };
    assert_eq!(n.to_string(), "123456789012345.67");

    // 18 significant digits: no double holds it, so it comes as Salesforce's text.
    for (amount, want) in [
        ("1234567890123456.78", "1234567890123456.78"),
        ("-9999999999999999.99", "-9999999999999999.99"),
        ("1234567890123456.785", "1234567890123456.79"),
    ] {
        let id = create_opportunity(&mut client, "Q", json!({ "Amount": amount })).await;
        let r = read(
            &mut client,
            "SELECT Amount FROM Opportunity WHERE Id = :id",
            &id,
        )
        .await;
        assert_eq!(
            kind(&r, "Amount"),
            Kind::StringValue(want.into()),
            "{amount}"
        );
    }
}

#[tokio::test]
async fn every_number_field_kind_and_path_keeps_its_digits() {
    let gw = common::start_with(config()).await;
    let mut client = gw.client().await;
    let id = create_opportunity(
        &mut client,
        "R",
        json!({"Amount": 0.1, "Units__c": "123456789012345678", "Rate__c": "1234567890.12345678", "Probability": 35}),
    )
    .await;
    let r = read(
        &mut client,
        "SELECT Amount, Units__c, Rate__c, Probability FROM Opportunity WHERE Id = :id",
        &id,
    )
    .await;
    assert_eq!(kind(&r, "Amount"), Kind::NumberValue(0.1));
    assert_eq!(kind(&r, "Probability"), Kind::NumberValue(35.0));
    assert_eq!(
        kind(&r, "Units__c"),
        Kind::StringValue("123456789012345678".into())
    );
    assert_eq!(
        kind(&r, "Rate__c"),
        Kind::StringValue("1234567890.12345678".into())
    );

    // A parent's number, through a relationship path.
    let account = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Account".into(),
            fields: Some(fields(
                json!({"Name": "Big", "AnnualRevenue": "123456789012345678"}),
            )),
            ..Default::default()
        }))
        .await
        .expect("account")
        .into_inner()
        .id;
    let contact = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(json!({"LastName": "Rich", "AccountId": account}))),
            ..Default::default()
        }))
        .await
        .expect("contact")
        .into_inner()
        .id;
    let r = read(
        &mut client,
        "SELECT Account.AnnualRevenue FROM Contact WHERE Id = :id",
        &contact,
    )
    .await;
    let Kind::StructValue(parent) = kind(&r, "Account") else {
        panic!("{r:?}")
    };
    assert_eq!(
        kind(&parent, "AnnualRevenue"),
        Kind::StringValue("123456789012345678".into())
    );
}
