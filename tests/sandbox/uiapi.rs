//! `POST ui-api/records` and its `Idempotency-Key`.

use std::sync::Arc;

use crate::common::leads_named;
use crate::support::{Org, Reply, V, assert_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ui_create(org: &Org, key: Option<&str>, body: &Value) -> Result<Reply, reqwest::Error> {
    let mut req = org
        .client
        .post(format!("{}{V}/ui-api/records", org.base))
        .bearer_auth(&org.token)
        .json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await?;
    Ok(Reply {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    })
}

#[tokio::test]
async fn creates_a_record_and_answers_with_it() {
    let org = Org::start().await;
    let body = json!({"apiName": "Lead", "fields": {"LastName": "Ui", "Company": "Acme"}});
    let r = ui_create(&org, None, &body).await.unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["apiName"], "Lead");
    assert!(r.body["id"].as_str().unwrap().starts_with("00Q"));
    assert_eq!(r.body["fields"]["LastName"]["value"], "Ui");
    assert_eq!(r.body["fields"]["Status"]["value"], "Open - Not Contacted");
    // Without a key, a second request makes a second record.
    ui_create(&org, None, &body).await.unwrap();
    assert_eq!(leads_named(&org.sandbox, "Ui"), 2);
    let r = ui_create(&org, None, &json!({"apiName": "Nope", "fields": {}}))
        .await
        .unwrap();
    assert_error(&r, 400, "INVALID_TYPE", None);
    let r = ui_create(
        &org,
        None,
        &json!({"apiName": "Lead", "fields": {"LastName": "X"}}),
    )
    .await
    .unwrap();
    assert_error(&r, 400, "REQUIRED_FIELD_MISSING", Some(&["Company"]));
}

#[tokio::test]
async fn same_key_same_body_creates_once() {
    let org = Org::start().await;
    let body = json!({"apiName": "Lead", "fields": {"LastName": "Once", "Company": "Acme"}});
    let a = ui_create(&org, Some("k-1"), &body).await.unwrap();
    let b = ui_create(&org, Some("k-1"), &body).await.unwrap();
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(b.status, StatusCode::CREATED);
    assert_eq!(a.body["id"], b.body["id"]);
    assert_eq!(leads_named(&org.sandbox, "Once"), 1);
    let other = json!({"apiName": "Lead", "fields": {"LastName": "Other", "Company": "Acme"}});
    let r = ui_create(&org, Some("k-1"), &other).await.unwrap();
    assert_error(&r, 400, "IDEMPOTENCY_KEY_REUSED", None);
    assert_eq!(leads_named(&org.sandbox, "Other"), 0);
}

#[tokio::test]
async fn retry_after_a_lost_response_does_not_duplicate() {
    let org = Org::start().await;
    let body = json!({"apiName": "Lead", "fields": {"LastName": "Lost", "Company": "Acme"}});
    org.sandbox
        .faults()
        .update(|f| f.drop_after_commit_rate = 1.0);
    assert!(ui_create(&org, Some("k-lost"), &body).await.is_err());
    org.sandbox.faults().clear();
    let r = ui_create(&org, Some("k-lost"), &body).await.unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(leads_named(&org.sandbox, "Lost"), 1);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_once() {
    let org = Arc::new(Org::start().await);
    let body = json!({"apiName": "Lead", "fields": {"LastName": "Racy", "Company": "Acme"}});
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (org, body) = (org.clone(), body.clone());
            tokio::spawn(async move { ui_create(&org, Some("k-race"), &body).await.unwrap() })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, StatusCode::CREATED);
        ids.insert(r.body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(leads_named(&org.sandbox, "Racy"), 1);
}
