//! Page tokens are authenticated: forged ones are refused without any Salesforce call, and a
//! token is bound to its connection, query and params (issue 13 item 7).

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sfgate::assembly::{self, embedded};
use sfgate::config::PageTokenKey;
use sfgate::pb::*;
use sfgate::sandbox::SandboxConfig;
use tonic::Code;
use tonic_types::StatusExt;

use crate::common::{self, authed, value};

/// A query with a bound value, cut after one record so the token resumes mid-page.
fn first_page(connection: &str, name: &str) -> ExecuteSoqlQueryRequest {
    ExecuteSoqlQueryRequest {
        connection: connection.into(),
        query: "SELECT Id FROM Contact WHERE LastName != :name ORDER BY Id".into(),
        params: HashMap::from([("name".to_owned(), value(json!(name)))]),
        max_records: 1,
        ..Default::default()
    }
}

fn continuing(connection: &str, token: &str) -> ExecuteSoqlQueryRequest {
    ExecuteSoqlQueryRequest {
        connection: connection.into(),
        page_token: token.into(),
        max_records: 1,
        ..Default::default()
    }
}

fn assert_refused_on_page_token(status: &tonic::Status) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let bad = status.get_details_bad_request().expect("BadRequest");
    assert_eq!(bad.field_violations[0].field, "page_token", "{status:?}");
}

/// A gateway with a second connection, `other`, to the same org.
async fn two_connections(key: Option<PageTokenKey>) -> common::Gateway {
    common::start_custom(SandboxConfig::default(), move |gateway, addr, _| {
        let mut other = embedded::connection_config(addr, "sandbox", "sandbox");
        other.name = "other".into();
        gateway.connections.insert(
            "other".into(),
            sfgate::salesforce::Client::new(other, assembly::http_client()),
        );
        for key in &mut gateway.api_keys {
            key.caller.connections = None;
        }
        if let Some(key) = key {
            gateway.page_token_key = key;
        }
    })
    .await
}

#[tokio::test]
async fn forged_tokens_are_refused_without_calling_salesforce() {
    let gw = two_connections(None).await;
    let mut client = gw.client().await;
    let unsigned = |json: serde_json::Value| URL_SAFE_NO_PAD.encode(json.to_string());
    let forged = [
        // The old, unsigned format: a locator that is no query page...
        unsigned(
            json!({"v": 1, "c": "sandbox", "h": "x", "r": {"u": "/services/data/v62.0/limits"}}),
        ),
        unsigned(
            json!({"v": 1, "c": "sandbox", "h": "x", "r": {"u": "/services/data/v62.0/sobjects/User/005000000000001AAA"}}),
        ),
        // ... and a query the caller never sent.
        unsigned(
            json!({"v": 1, "c": "sandbox", "h": "x", "r": {"q": {"soql": "SELECT Id, Name FROM User", "all_rows": false}}}),
        ),
        // The new format with a made-up MAC.
        format!(
            "{}.{}",
            unsigned(
                json!({"v": 2, "c": "sandbox", "h": "x", "r": {"q": {"soql": "SELECT Id, Name FROM User", "all_rows": false}}})
            ),
            URL_SAFE_NO_PAD.encode([0u8; 16])
        ),
    ];
    gw.sandbox.reset_counts();
    for token in forged {
        let err = client
            .execute_soql_query(authed(continuing("", &token)))
            .await
            .unwrap_err();
        assert_refused_on_page_token(&err);
    }
    let seen = gw.sandbox.requests();
    assert_eq!(
        (seen.limits, seen.read, seen.query, seen.query_more),
        (0, 0, 0, 0)
    );
}

#[tokio::test]
async fn a_token_is_bound_to_its_connection_query_and_params() {
    let gw = two_connections(None).await;
    let mut client = gw.client().await;
    let first = client
        .execute_soql_query(authed(first_page("other", "Nobody")))
        .await
        .unwrap()
        .into_inner();
    let token = first.next_page_token;
    assert!(!token.is_empty());

    // Its own connection continues it, with the query repeated or left out.
    client
        .execute_soql_query(authed(continuing("other", &token)))
        .await
        .expect("continued on its connection");
    let mut repeated = first_page("other", "Nobody");
    repeated.page_token = token.clone();
    client
        .execute_soql_query(authed(repeated))
        .await
        .expect("the same query and params");

    // Another connection, as is or relabelled (the MAC no longer matches).
    let err = client
        .execute_soql_query(authed(continuing("sandbox", &token)))
        .await
        .unwrap_err();
    assert_refused_on_page_token(&err);
    let (json, mac) = token.split_once('.').unwrap();
    let relabelled = String::from_utf8(URL_SAFE_NO_PAD.decode(json).unwrap())
        .unwrap()
        .replace("\"c\":\"other\"", "\"c\":\"sandbox\"");
    let relabelled = format!("{}.{mac}", URL_SAFE_NO_PAD.encode(relabelled));
    let err = client
        .execute_soql_query(authed(continuing("sandbox", &relabelled)))
        .await
        .unwrap_err();
    assert_refused_on_page_token(&err);

    // Other params (or another query) with the token.
    let mut other_params = first_page("other", "Somebody");
    other_params.page_token = token.clone();
    let err = client
        .execute_soql_query(authed(other_params))
        .await
        .unwrap_err();
    assert_refused_on_page_token(&err);
    let mut other_query = first_page("other", "Nobody");
    other_query.query = "SELECT Id FROM Lead WHERE LastName != :name ORDER BY Id".into();
    other_query.page_token = token;
    let err = client
        .execute_soql_query(authed(other_query))
        .await
        .unwrap_err();
    assert_refused_on_page_token(&err);
}

#[tokio::test]
async fn replicas_sharing_a_configured_key_accept_each_others_tokens_and_others_do_not() {
    let shared = PageTokenKey::new(&[42u8; 32]).unwrap();
    let a = two_connections(Some(shared.clone())).await;
    let b = two_connections(Some(shared)).await;
    let c = two_connections(None).await;
    let token = a
        .client()
        .await
        .execute_soql_query(authed(first_page("other", "Nobody")))
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    // The first page was cut short, so the token names the query, not one org's locator:
    // it works on any replica in front of the same org.
    b.client()
        .await
        .execute_soql_query(authed(continuing("other", &token)))
        .await
        .expect("a replica with the same key");
    let err = c
        .client()
        .await
        .execute_soql_query(authed(continuing("other", &token)))
        .await
        .unwrap_err();
    assert_refused_on_page_token(&err);
}
