//! Building and serving a sandbox: seed files, bad seeds, shutdown.

use crate::support::{Org, V, assert_error};
use reqwest::StatusCode;
use serde_json::json;
use sfgate::sandbox::{Sandbox, SandboxConfig, SandboxError};

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("sfgate-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn a_seed_file_adds_objects_fields_and_records() {
    let path = temp_file(
        "seed.json",
        &json!({
            "objects": [
                {"name": "Project__c", "label": "Project", "fields": [
                    {"name": "Budget__c", "type": "currency"},
                    {"name": "Lead__c", "type": "reference", "referenceTo": ["Lead"]},
                    {"name": "Start__c", "type": "date"}
                ]},
                {"name": "Contact", "fields": [{"name": "Shoe_Size__c", "type": "double"}]}
            ],
            "records": [
                {"type": "Lead", "ref": "l", "fields": {"LastName": "Seed", "Company": "S"}},
                {"type": "Project__c", "fields": {"Name": "Apollo", "Lead__c": "@l", "Budget__c": 5, "Start__c": "2026-01-31"}},
                {"type": "Contact", "fields": {"LastName": "Big", "Shoe_Size__c": 47.5}}
            ]
        })
        .to_string(),
    );
    let org = Org::with(SandboxConfig {
        seed_path: Some(path.clone()),
        sample_data: false,
        ..Default::default()
    })
    .await;
    let _ = std::fs::remove_file(&path);
    assert_eq!(org.sandbox.record_count(), 4, "user + 3 records");
    let r = org.get("/sobjects/Project__c/describe").await;
    assert_eq!(r.body["label"], "Project");
    assert_eq!(r.body["keyPrefix"], "a00");
    let id = org
        .create(
            "Project__c",
            json!({"Name": "Gemini", "Start__c": "2026-02-01"}),
        )
        .await;
    assert!(id.starts_with("a00"));
    let r = org
        .post("/sobjects/Project__c/", &json!({"Lead__c": id}))
        .await;
    assert_error(&r, 400, "MALFORMED_ID", Some(&["Lead__c"]));
    // Topics can be put on custom records.
    let r = org
        .post(
            &format!("/connect/records/{id}/topics"),
            &json!({"topicName": "Space"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[test]
fn bad_seeds_are_refused_with_a_reason() {
    let seed = |v: serde_json::Value| SandboxConfig {
        seed: Some(serde_json::from_value(v).unwrap()),
        ..Default::default()
    };
    for (config, want) in [
        (
            seed(json!({"objects": [{"name": "Plain", "fields": []}]})),
            "neither a standard object",
        ),
        (
            seed(
                json!({"objects": [{"name": "X__c", "fields": [{"name": "A__c", "type": "blob"}]}]}),
            ),
            "unknown type",
        ),
        (
            seed(
                json!({"objects": [{"name": "X__c", "fields": [{"name": "A__c", "type": "reference"}]}]}),
            ),
            "referenceTo",
        ),
        (
            seed(json!({"records": [{"type": "Contact", "fields": {}}]})),
            "REQUIRED_FIELD_MISSING",
        ),
        (
            seed(json!({"records": [{"type": "Nope", "fields": {}}]})),
            "NOT_FOUND",
        ),
        (
            seed(json!({"objects": [{"name": "Lead", "validationRules": [
                {"name": "Broken", "errorCondition": "Nope__c = 1", "errorMessage": "x"}]}]})),
            "validation rule Broken",
        ),
    ] {
        let err = Sandbox::new(config).expect_err("refused");
        assert!(
            err.to_string().contains(want),
            "{err} should mention {want}"
        );
    }
    let missing = SandboxConfig {
        seed_path: Some("/nonexistent/seed.json".into()),
        ..Default::default()
    };
    assert!(matches!(Sandbox::new(missing), Err(SandboxError::Seed(_))));
    let garbage = SandboxConfig {
        seed_path: Some(temp_file("bad.json", "{not json")),
        ..Default::default()
    };
    assert!(Sandbox::new(garbage).is_err());
}

#[tokio::test]
async fn serve_stops_on_shutdown() {
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap();
    let token = sandbox.auth().issue_session();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sandbox.serve(listener, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let r = client
        .get(format!("http://{addr}{V}/limits"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    drop(client);
    tx.send(()).unwrap();
    let done = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    assert!(matches!(done, Ok(Ok(Ok(())))), "{done:?}");
    assert!(
        reqwest::get(format!("http://{addr}/services/data/"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn deleting_a_topic_removes_its_assignments() {
    let org = Org::start().await;
    let contact = org.create("Contact", json!({"LastName": "T"})).await;
    let r = org
        .post(
            &format!("/connect/records/{contact}/topics"),
            &json!({"topicName": "Temp"}),
        )
        .await;
    let topic = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        org.delete(&format!("/sobjects/Topic/{topic}")).await.status,
        StatusCode::NO_CONTENT
    );
    let r = org.get(&format!("/connect/records/{contact}/topics")).await;
    assert_eq!(r.body["topics"], json!([]));
    // The name is free again.
    let r = org
        .post(
            &format!("/connect/records/{contact}/topics"),
            &json!({"topicName": "temp"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_ne!(r.body["id"], topic.as_str());
}
