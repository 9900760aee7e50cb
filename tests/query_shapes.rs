//! The result shapes of the SOQL automations use, end to end through
//! `ExecuteSoqlQuery` (gRPC client → sfgate → sandbox org over HTTP):
//! AggregateResult rows, parent objects nested five deep, child subquery
//! results (and their nulls), semi-joins, multi-select picklists, FIELDS(),
//! and Salesforce's refusals of each, as `INVALID_ARGUMENT` on `query`.

mod common;

use common::{authed, query, query_request};
use prost_types::value::Kind;
use serde_json::{Value, json};
use sfgate::pb::*;
use sfgate::sandbox::SandboxConfig;
use tonic::Code;
use tonic_types::StatusExt;

/// A record as JSON, exactly as the caller's client library would read it
/// (whole doubles as integers, so `json!` literals compare).
fn to_json(s: &prost_types::Struct) -> Value {
    Value::Object(
        s.fields
            .iter()
            .map(|(k, v)| (k.clone(), kind_to_json(v.kind.as_ref())))
            .collect(),
    )
}

fn kind_to_json(k: Option<&Kind>) -> Value {
    match k {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(*b),
        Some(Kind::StringValue(s)) => Value::String(s.clone()),
        Some(Kind::NumberValue(n)) if n.fract() == 0.0 && n.abs() < 1e15 => json!(*n as i64),
        Some(Kind::NumberValue(n)) => json!(n),
        Some(Kind::StructValue(s)) => to_json(s),
        Some(Kind::ListValue(l)) => Value::Array(
            l.values
                .iter()
                .map(|v| kind_to_json(v.kind.as_ref()))
                .collect(),
        ),
    }
}

fn rows(resp: &ExecuteSoqlQueryResponse) -> Vec<Value> {
    resp.records.iter().map(to_json).collect()
}

/// The code, ErrorInfo reason and domain, BadRequest fields and first
/// violation's description of a refusal.
fn refusal(status: &tonic::Status) -> (Code, String, String, Vec<String>, String) {
    let details = status.get_error_details();
    let info = details.error_info().expect("an ErrorInfo");
    let violations = details
        .bad_request()
        .map(|b| b.field_violations.clone())
        .unwrap_or_default();
    (
        status.code(),
        info.reason.clone(),
        info.domain.clone(),
        violations.iter().map(|v| v.field.clone()).collect(),
        violations
            .first()
            .map(|v| v.description.clone())
            .unwrap_or_default(),
    )
}

#[tokio::test]
async fn aggregate_rows_reach_the_caller_as_aggregate_results() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let soql = "SELECT LeadSource src, COUNT(Id) n, MAX(Company) FROM Lead \
                WHERE Company != :skip GROUP BY LeadSource ORDER BY LeadSource NULLS LAST";
    let resp = query(&mut client, soql, json!({"skip": "nobody"})).await;
    let agg = |src: Value, company: &str| json!({"attributes": {"type": "AggregateResult"}, "src": src, "n": 1, "expr0": company});
    assert_eq!(
        rows(&resp),
        [
            agg(json!("Phone Inquiry"), "Apollo Systems"),
            agg(json!("Web"), "Kernel Labs"),
            agg(Value::Null, "Chain Co"),
        ]
    );
    assert_eq!((resp.total_size, resp.done), (3, true));
    // The null group value is a NullValue, not a missing key.
    let null = resp.records[2]
        .fields
        .get("src")
        .and_then(|v| v.kind.as_ref());
    assert!(matches!(null, Some(Kind::NullValue(_))), "{null:?}");

    // No GROUP BY: one row; `max_records` cuts it and the token resumes it.
    let resp = query(
        &mut client,
        "SELECT COUNT(Id), COUNT_DISTINCT(LeadSource) FROM Lead",
        json!({}),
    )
    .await;
    assert_eq!(
        rows(&resp),
        [json!({"attributes": {"type": "AggregateResult"}, "expr0": 3, "expr1": 2})]
    );
    let first = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            max_records: 2,
            ..query_request(soql, json!({"skip": "nobody"}))
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.records.len(), 2);
    assert!(!first.done);
    let rest = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            page_token: first.next_page_token.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rows(&rest), [agg(Value::Null, "Chain Co")]);
    assert!(rest.done);
}

#[tokio::test]
async fn parent_objects_nest_with_their_attributes() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let resp = query(
        &mut client,
        "SELECT LastName, Account.Name, Account.Owner.Name, Account.Owner.CreatedBy.Email \
         FROM Contact WHERE Phone = :phone",
        json!({"phone": "+14155550100"}),
    )
    .await;
    let row = &rows(&resp)[0];
    let account = &row["Account"];
    assert_eq!(account["attributes"]["type"], "Account");
    assert!(
        account["attributes"]["url"]
            .as_str()
            .unwrap()
            .contains("/sobjects/Account/001")
    );
    assert_eq!(account["Name"], "Acme Corporation");
    assert_eq!(account["Owner"]["attributes"]["type"], "User");
    assert_eq!(account["Owner"]["Name"], "Sandbox Developer");
    assert_eq!(account["Owner"]["CreatedBy"]["Email"], "dev@sandbox.local");
    // A Contact without an Account: the relationship is null, not absent.
    let created = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(common::fields(json!({"LastName": "Orphan"}))),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let resp = query(
        &mut client,
        "SELECT Account.Owner.Name FROM Contact WHERE Id = :id",
        json!({"id": created.id}),
    )
    .await;
    let account = resp.records[0]
        .fields
        .get("Account")
        .and_then(|v| v.kind.as_ref());
    assert!(matches!(account, Some(Kind::NullValue(_))), "{account:?}");
}

#[tokio::test]
async fn child_subquery_results_and_their_nulls() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    client
        .create_object(authed(CreateObjectRequest {
            sobject: "Account".into(),
            fields: Some(common::fields(json!({"Name": "Zeta Empty"}))),
            ..Default::default()
        }))
        .await
        .unwrap();
    let resp = query(
        &mut client,
        "SELECT Name, (SELECT LastName, Title FROM Contacts WHERE Title != null ORDER BY LastName) \
         FROM Account WHERE Name IN :names ORDER BY Name",
        json!({"names": ["Acme Corporation", "Initech", "Zeta Empty"]}),
    )
    .await;
    let all = rows(&resp);
    let acme = &all[0]["Contacts"];
    assert_eq!(acme["totalSize"], 2);
    assert_eq!(acme["done"], true);
    assert_eq!(acme["records"][0]["LastName"], "Hopper");
    assert_eq!(acme["records"][0]["attributes"]["type"], "Contact");
    assert_eq!(acme["records"][1]["Title"], "CTO");
    // Initech's only Contact has no Title; Zeta has none: both are null.
    for r in &resp.records[1..] {
        let kids = r.fields.get("Contacts").and_then(|v| v.kind.as_ref());
        assert!(matches!(kids, Some(Kind::NullValue(_))), "{kids:?}");
    }
}

#[tokio::test]
async fn semi_joins_and_multi_select_picklists_bind_params() {
    let seed = serde_json::from_value(json!({
        "objects": [{"name": "Account", "fields": [
            {"name": "Regions__c", "type": "multipicklist"}]}],
        "records": [
            {"type": "Account", "fields": {"Name": "North", "Regions__c": "EMEA;APAC"}},
            {"type": "Account", "fields": {"Name": "South", "Regions__c": "LATAM"}}
        ]
    }))
    .unwrap();
    let gw = common::start_with(SandboxConfig {
        seed: Some(seed),
        ..Default::default()
    })
    .await;
    let mut client = gw.client().await;
    let names = |resp: &ExecuteSoqlQueryResponse| -> Vec<String> {
        rows(resp)
            .iter()
            .map(|r| r["Name"].as_str().unwrap().to_owned())
            .collect()
    };
    let resp = query(
        &mut client,
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Title = :title)",
        json!({"title": "CTO"}),
    )
    .await;
    assert_eq!(names(&resp), ["Acme Corporation"]);
    let resp = query(
        &mut client,
        "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) ORDER BY Name",
        json!({}),
    )
    .await;
    assert_eq!(names(&resp), ["North", "South"]);
    let resp = query(
        &mut client,
        "SELECT Name FROM Account WHERE Regions__c INCLUDES :regions ORDER BY Name",
        json!({"regions": ["apac;emea", "LATAM"]}),
    )
    .await;
    assert_eq!(names(&resp), ["North", "South"]);
    let resp = query(
        &mut client,
        "SELECT Name, Regions__c FROM Account WHERE Regions__c EXCLUDES (:one)",
        json!({"one": "APAC"}),
    )
    .await;
    assert_eq!(names(&resp)[..1], ["Acme Corporation"]);
    assert!(names(&resp).contains(&"South".to_owned()));
    assert!(!names(&resp).contains(&"North".to_owned()));
}

#[tokio::test]
async fn fields_standard_through_the_gateway() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let resp = query(
        &mut client,
        "SELECT FIELDS(STANDARD) FROM Lead WHERE Company = :c",
        json!({"c": "Kernel Labs"}),
    )
    .await;
    let row = &rows(&resp)[0];
    for f in [
        "Id",
        "LastName",
        "Company",
        "Status",
        "OwnerId",
        "IsDeleted",
        "CreatedDate",
    ] {
        assert!(row.get(f).is_some(), "{f} in {row}");
    }
    assert_eq!(row["Status"], "Open - Not Contacted");
}

#[tokio::test]
async fn salesforces_refusals_name_the_query() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    for (soql, reason, text) in [
        (
            "SELECT Name, COUNT(Id) FROM Account GROUP BY Industry",
            "MALFORMED_QUERY",
            "Field must be grouped or aggregated: Name",
        ),
        (
            "SELECT FIELDS(ALL) FROM Account",
            "MALFORMED_QUERY",
            "The SOQL FIELDS function must have a LIMIT of at most 200",
        ),
        (
            "SELECT Name, (SELECT Id FROM Contactz) FROM Account",
            "INVALID_TYPE",
            "Didn't understand relationship 'Contactz' in FROM part of query call.",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'x' OR Id IN (SELECT AccountId FROM Contact)",
            "MALFORMED_QUERY",
            "Semi join sub-selects are not allowed with the 'OR' operator",
        ),
        (
            "SELECT Id FROM Account WHERE Name INCLUDES ('x')",
            "MALFORMED_QUERY",
            "invalid operator on string field: Name",
        ),
        (
            "SELECT Account.Parent.Parent.Parent.Parent.Parent.Name FROM Contact",
            "MALFORMED_QUERY",
            "more than 5 levels away from the root entity object",
        ),
    ] {
        let err = client
            .execute_soql_query(authed(query_request(soql, json!({}))))
            .await
            .unwrap_err();
        let (code, why, domain, fields, description) = refusal(&err);
        assert_eq!(
            (code, why.as_str(), domain.as_str(), fields),
            (
                Code::InvalidArgument,
                reason,
                "salesforce.com",
                vec!["query".to_owned()]
            ),
            "{soql}"
        );
        assert!(description.contains(text), "{soql}: {description}");
    }
}
