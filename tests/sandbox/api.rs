//! Versions, sessions, routing errors, describe, limits, bad input, admin routes.

use crate::support::{Org, V, assert_error, message};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sfgate::sandbox::SandboxConfig;

#[tokio::test]
async fn versions_list_needs_no_session_and_costs_nothing() {
    let org = Org::start().await;
    let r = org.raw(Method::GET, "/services/data/", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = r.body.as_array().unwrap();
    assert_eq!(list.len(), 17);
    assert_eq!(
        list[0],
        json!({"label": "Winter '21", "url": "/services/data/v50.0", "version": "50.0"})
    );
    assert_eq!(list[16]["version"], "66.0");
    assert_eq!(list[16]["label"], "Spring '26");
    assert!(r.headers.get("sforce-limit-info").is_none());
    assert_eq!(org.sandbox.api_usage().0, 0);
    // Every listed version serves the API; others are unknown.
    for v in list {
        let r = org
            .send(
                Method::GET,
                &format!("{}/limits", v["url"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    for bad in ["v49.0", "v67.0", "v60", "60.0", "vX.0"] {
        let r = org
            .send(Method::GET, &format!("/services/data/{bad}/limits"), None)
            .await;
        assert_error(&r, 404, "NOT_FOUND", None);
        assert_eq!(message(&r), "The requested resource does not exist");
    }
    let r = org
        .send(
            Method::GET,
            "/services/data/latest/sobjects/Account/describe",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body["urls"]["describe"]
            .as_str()
            .unwrap()
            .starts_with("/services/data/v66.0/")
    );
}

#[tokio::test]
async fn sessions_are_checked_on_every_api_route() {
    let org = Org::start().await;
    let path = format!("{V}/sobjects/Account/describe");
    let r = org.raw(Method::GET, &path, None, None).await;
    assert_error(&r, 401, "INVALID_AUTH_HEADER", None);
    assert_eq!(message(&r), "INVALID_HEADER_TYPE");
    let r = org.raw(Method::GET, &path, None, Some("Basic abc")).await;
    assert_error(&r, 401, "INVALID_AUTH_HEADER", None);
    let r = org
        .raw(Method::GET, &path, None, Some("Bearer 00Dnotatoken"))
        .await;
    assert_error(&r, 401, "INVALID_SESSION_ID", None);
    assert_eq!(message(&r), "Session expired or invalid");
    let r = org
        .raw(
            Method::POST,
            &format!("{V}/sobjects/Account/"),
            Some("{\"Name\":\"x\"}"),
            None,
        )
        .await;
    assert_error(&r, 401, "INVALID_AUTH_HEADER", None);
    // The legacy `OAuth` prefix works; a revoked token does not.
    let r = org
        .raw(
            Method::GET,
            &path,
            None,
            Some(&format!("OAuth {}", org.token)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    org.sandbox.auth().revoke(&org.token);
    assert_error(
        &org.get("/sobjects/Account/describe").await,
        401,
        "INVALID_SESSION_ID",
        None,
    );
}

#[tokio::test]
async fn token_endpoint_is_mounted_and_its_token_works() {
    let org = Org::start().await;
    let resp = org
        .client
        .post(format!("{}/services/oauth2/token", org.base))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "sandbox"),
            ("client_secret", "sandbox"),
            ("username", "dev@sandbox.local"),
            ("password", "sandbox"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["instance_url"], org.base.as_str());
    let token = body["access_token"].as_str().unwrap();
    let r = org
        .raw(
            Method::GET,
            &format!("{V}/limits"),
            None,
            Some(&format!("Bearer {token}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(org.sandbox.requests().token, 1);
}

#[tokio::test]
async fn unknown_routes_and_methods_get_salesforce_bodies() {
    let org = Org::start().await;
    for path in [
        "/nope",
        "/services/nope",
        &format!("{V}/nope"),
        &format!("{V}/sobjects/Account/x/y/z"),
    ] {
        let r = org.send(Method::GET, path, None).await;
        assert_error(&r, 404, "NOT_FOUND", None);
    }
    let r = org
        .send(Method::PUT, &format!("{V}/sobjects/Account/describe"), None)
        .await;
    assert_error(&r, 405, "METHOD_NOT_ALLOWED", None);
    let r = org.send(Method::DELETE, &format!("{V}/query"), None).await;
    assert_error(&r, 405, "METHOD_NOT_ALLOWED", None);
    // TopicAssignment has no update; User can't be created.
    let r = org.post("/sobjects/User/", &json!({"LastName": "x"})).await;
    assert_error(&r, 405, "METHOD_NOT_ALLOWED", None);
}

#[tokio::test]
async fn describe_lists_standard_and_seeded_objects() {
    let seed = serde_json::from_value(json!({
        "objects": [{"name": "Invoice__c", "label": "Invoice", "fields": [
            {"name": "Total__c", "type": "currency", "required": true}]}]
    }))
    .unwrap();
    let org = Org::with(SandboxConfig {
        seed: Some(seed),
        ..Default::default()
    })
    .await;
    let r = org.get("/sobjects/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["encoding"], "UTF-8");
    let names: Vec<&str> = r.body["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    for n in [
        "Account",
        "Contact",
        "Lead",
        "Opportunity",
        "Case",
        "Task",
        "Topic",
        "TopicAssignment",
        "User",
        "Invoice__c",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let r = org.get("/sobjects/Contact/describe").await;
    assert_eq!(r.body["name"], "Contact");
    assert_eq!(r.body["keyPrefix"], "003");
    let fields = r.body["fields"].as_array().unwrap();
    let last = fields.iter().find(|f| f["name"] == "LastName").unwrap();
    assert_eq!(last["type"], "string");
    assert_eq!(last["nillable"], false);
    assert_eq!(last["createable"], true);
    let account_id = fields.iter().find(|f| f["name"] == "AccountId").unwrap();
    assert_eq!(account_id["referenceTo"], json!(["Account"]));
    assert_eq!(account_id["relationshipName"], "Account");
    // Child relationships carry the names subqueries use, as in a real org.
    let r = org.get("/sobjects/Account/describe").await;
    let children: Vec<(&str, &str, &str)> = r.body["childRelationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["relationshipName"].as_str().unwrap(),
                c["childSObject"].as_str().unwrap(),
                c["field"].as_str().unwrap(),
            )
        })
        .collect();
    for want in [
        ("Contacts", "Contact", "AccountId"),
        ("Opportunities", "Opportunity", "AccountId"),
        ("ChildAccounts", "Account", "ParentId"),
        ("Cases", "Case", "AccountId"),
    ] {
        assert!(children.contains(&want), "{want:?} in {children:?}");
    }
    let r = org.get("/sobjects/Invoice__c/describe/").await;
    assert_eq!(r.body["keyPrefix"], "a00");
    assert_eq!(r.body["custom"], true);
    let r = org
        .post("/sobjects/Invoice__c/", &json!({"Name": "I-1"}))
        .await;
    assert_error(&r, 400, "REQUIRED_FIELD_MISSING", Some(&["Total__c"]));
    assert_error(
        &org.get("/sobjects/Nope/describe").await,
        404,
        "NOT_FOUND",
        None,
    );
    let r = org.get("/sobjects/Account").await;
    assert_eq!(r.body["objectDescribe"]["name"], "Account");
}

#[tokio::test]
async fn daily_budget_is_reported_and_enforced() {
    let org = Org::with(SandboxConfig {
        daily_api_limit: 5,
        ..Default::default()
    })
    .await;
    for i in 1..=5u64 {
        let r = org.get("/limits").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            r.headers["sforce-limit-info"],
            format!("api-usage={i}/5").as_str()
        );
        assert_eq!(
            r.body["DailyApiRequests"],
            json!({"Max": 5, "Remaining": 5 - i})
        );
    }
    let r = org.get("/limits").await;
    assert_error(&r, 403, "REQUEST_LIMIT_EXCEEDED", None);
    assert_eq!(message(&r), "TotalRequests Limit exceeded.");
    assert_eq!(r.headers["sforce-limit-info"], "api-usage=5/5");
    assert_eq!(org.sandbox.api_usage(), (5, 5));
    org.sandbox.reset_api_usage();
    assert_eq!(org.get("/limits").await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_bodies_are_refused_without_harm() {
    let org = Org::with(SandboxConfig {
        max_body_bytes: 64 * 1024,
        ..Default::default()
    })
    .await;
    let before = org.sandbox.record_count();
    let path = format!("{V}/sobjects/Account/");
    for body in [
        "",
        "   ",
        "{",
        "{\"Name\": }",
        "nonsense",
        "[{\"Name\":\"x\"}]",
        "\"x\"",
        "null",
        "{\"Name\":\"a\"} trailing",
    ] {
        let r = org.send(Method::POST, &path, Some(body)).await;
        assert_error(&r, 400, "JSON_PARSER_ERROR", None);
    }
    let r = org.send(Method::POST, &path, Some("{\"Name\": }")).await;
    assert!(message(&r).contains("[line:1, column:"), "{}", r.text);
    let huge = format!("{{\"Name\":\"{}\"}}", "x".repeat(200 * 1024));
    let r = org.send(Method::POST, &path, Some(&huge)).await;
    assert_error(&r, 413, "REQUEST_ENTITY_TOO_LARGE", None);
    assert_eq!(org.sandbox.record_count(), before);
    // Still healthy afterwards.
    org.create("Account", json!({"Name": "After"})).await;
}

#[tokio::test]
async fn admin_routes_count_requests_and_switch_faults() {
    let org = Org::start().await;
    org.get("/limits").await;
    org.get("/sobjects/Account/describe").await;
    org.create("Account", json!({"Name": "A"})).await;
    let c = org.sandbox.requests();
    assert_eq!((c.limits, c.describe, c.create, c.total), (1, 1, 1, 3));
    assert!(c.peak_in_flight >= 1);
    let r = org
        .raw(Method::GET, "/__sandbox/requests", None, None)
        .await;
    assert_eq!(r.body["create"], 1);
    assert_eq!(r.body["total"], 3);
    org.raw(Method::POST, "/__sandbox/reset-counts", None, None)
        .await;
    assert_eq!(org.sandbox.requests().total, 0);
    let r = org
        .raw(
            Method::PUT,
            "/__sandbox/faults",
            Some("{\"latencyMs\": 5, \"unavailableRate\": 0.25}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let f = org.sandbox.faults().get();
    assert_eq!((f.latency_ms, f.unavailable_rate), (5, 0.25));
    let r = org.raw(Method::GET, "/__sandbox/faults", None, None).await;
    assert_eq!(r.body["latencyMs"], 5);
    let r = org
        .raw(
            Method::PUT,
            "/__sandbox/faults",
            Some("{\"bogus\": 1}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    org.raw(Method::DELETE, "/__sandbox/faults", None, None)
        .await;
    assert_eq!(org.sandbox.faults().get(), Default::default());
    let r = org.raw(Method::GET, "/__sandbox/usage", None, None).await;
    assert_eq!(r.body["limit"], 100_000);
}
