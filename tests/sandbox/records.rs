//! sObject create, read, update, delete and upsert over real sockets.

use crate::support::{Org, V, assert_error, message};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sfgate::sandbox::ids;

fn is_stamp(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    s.len() == 28 && s.ends_with(".000+0000") && s.as_bytes()[10] == b'T'
}

#[tokio::test]
async fn create_read_update_delete_round_trip() {
    let org = Org::start().await;
    let r = org
        .post(
            "/sobjects/Contact/",
            &json!({"LastName": "Doe", "FirstName": "Jane", "Phone": "+14155550123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["errors"], json!([]));
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 18);
    assert!(id.starts_with("003"));
    assert_eq!(ids::parse(&id).as_deref(), Ok(id.as_str()));
    assert_eq!(r.headers["content-type"], "application/json;charset=UTF-8");
    assert!(
        r.headers["sforce-limit-info"]
            .to_str()
            .unwrap()
            .starts_with("api-usage=")
    );

    let r = org.get(&format!("/sobjects/Contact/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rec = &r.body;
    assert_eq!(rec["attributes"]["type"], "Contact");
    assert_eq!(
        rec["attributes"]["url"],
        format!("{V}/sobjects/Contact/{id}")
    );
    assert_eq!(rec["Id"], id.as_str());
    assert_eq!(rec["Name"], "Jane Doe");
    assert_eq!(rec["IsDeleted"], false);
    assert_eq!(rec["Email"], Value::Null);
    for f in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
        assert!(is_stamp(&rec[f]), "{f}: {}", rec[f]);
    }
    assert!(rec["CreatedById"].as_str().unwrap().starts_with("005"));
    assert!(
        r.text.starts_with("{\"attributes\""),
        "attributes come first: {}",
        r.text
    );

    // 15-character and lower-cased 18-character forms reach the same record.
    let r = org
        .get(&format!(
            "/sobjects/contact/{}?fields=LastName,Phone",
            &id[..15]
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["LastName"], "Doe");
    assert_eq!(r.body["Phone"], "+14155550123");
    assert_eq!(r.body["Id"], id.as_str());
    assert!(r.body.get("FirstName").is_none());
    let r = org
        .get(&format!("/sobjects/Contact/{}", id.to_ascii_lowercase()))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let r = org
        .patch(
            &format!("/sobjects/Contact/{id}"),
            &json!({"Email": "jane@example.com", "Phone": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert!(r.text.is_empty());
    let r = org.get(&format!("/sobjects/Contact/{id}")).await;
    assert_eq!(r.body["Email"], "jane@example.com");
    assert_eq!(r.body["Phone"], Value::Null);
    let r = org
        .post(
            &format!("/sobjects/Contact/{id}?_HttpMethod=PATCH"),
            &json!({"Title": "CEO"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        org.get(&format!("/sobjects/Contact/{id}")).await.body["Title"],
        "CEO"
    );
    assert_error(
        &org.post(&format!("/sobjects/Contact/{id}"), &json!({}))
            .await,
        405,
        "METHOD_NOT_ALLOWED",
        None,
    );

    let r = org.delete(&format!("/sobjects/Contact/{id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = org.get(&format!("/sobjects/Contact/{id}")).await;
    assert_error(&r, 404, "ENTITY_IS_DELETED", Some(&[]));
    assert_eq!(message(&r), "entity is deleted");
    assert_error(
        &org.delete(&format!("/sobjects/Contact/{id}")).await,
        404,
        "ENTITY_IS_DELETED",
        Some(&[]),
    );
    assert_error(
        &org.patch(
            &format!("/sobjects/Contact/{id}"),
            &json!({"LastName": "X"}),
        )
        .await,
        404,
        "ENTITY_IS_DELETED",
        Some(&[]),
    );
}

#[tokio::test]
async fn ids_are_increasing_with_the_right_prefixes() {
    let org = Org::start().await;
    let mut last = String::new();
    for (ty, body, prefix) in [
        ("Account", json!({"Name": "A"}), "001"),
        ("Contact", json!({"LastName": "B"}), "003"),
        ("Lead", json!({"LastName": "C", "Company": "D"}), "00Q"),
        (
            "Opportunity",
            json!({"Name": "E", "StageName": "Prospecting", "CloseDate": "2026-12-31"}),
            "006",
        ),
        ("Case", json!({"Subject": "F"}), "500"),
        ("Task", json!({"Subject": "G"}), "00T"),
        ("Topic", json!({"Name": "H"}), "0TO"),
    ] {
        let id = org.create(ty, body).await;
        assert!(id.starts_with(prefix), "{ty}: {id}");
        assert_eq!(ids::to18(&id[..15]), id);
        assert!(id[3..] > *last.get(3..).unwrap_or(""), "{id} after {last}");
        last = id;
    }
}

#[tokio::test]
async fn missing_and_foreign_ids_get_salesforce_errors() {
    let org = Org::start().await;
    let missing = ids::to18("003Gb0000ZZZZZZ");
    let r = org.get(&format!("/sobjects/Contact/{missing}")).await;
    assert_error(&r, 404, "NOT_FOUND", None);
    assert_eq!(message(&r), "The requested resource does not exist");
    for r in [
        org.patch(
            &format!("/sobjects/Contact/{missing}"),
            &json!({"LastName": "X"}),
        )
        .await,
        org.delete(&format!("/sobjects/Contact/{missing}")).await,
    ] {
        assert_error(&r, 404, "INVALID_CROSS_REFERENCE_KEY", None);
        assert_eq!(message(&r), "invalid cross reference id");
    }
    let account = org.create("Account", json!({"Name": "Acme"})).await;
    for bad in [account.as_str(), "003xyz", "001D000000IqhSLIAA"] {
        let r = org.get(&format!("/sobjects/Contact/{bad}")).await;
        assert_error(&r, 404, "NOT_FOUND", None);
        assert!(
            message(&r).contains("Provided external ID field does not exist"),
            "{}",
            r.text
        );
        let r = org.delete(&format!("/sobjects/Contact/{bad}")).await;
        assert_error(&r, 400, "MALFORMED_ID", Some(&["Id"]));
    }
    assert_error(
        &org.get("/sobjects/Nope__c/001000000000000AAA").await,
        404,
        "NOT_FOUND",
        None,
    );
    assert_error(
        &org.post("/sobjects/Nope__c/", &json!({"Name": "x"})).await,
        404,
        "NOT_FOUND",
        None,
    );
}

#[tokio::test]
async fn create_errors_match_salesforce() {
    let org = Org::start().await;
    let r = org
        .post("/sobjects/Contact/", &json!({"FirstName": "No last name"}))
        .await;
    assert_error(&r, 400, "REQUIRED_FIELD_MISSING", Some(&["LastName"]));
    assert_eq!(message(&r), "Required fields are missing: [LastName]");
    let r = org.post("/sobjects/Account/", &json!({})).await;
    assert_error(&r, 400, "REQUIRED_FIELD_MISSING", Some(&["Name"]));
    let r = org
        .post(
            "/sobjects/Account/",
            &json!({"Name": "A", "Id": "001000000000000AAA"}),
        )
        .await;
    assert_error(&r, 400, "INVALID_FIELD", None);
    assert_eq!(
        message(&r),
        "The Id field should not be specified in the sobject data."
    );
    let r = org
        .post(
            "/sobjects/Account/",
            &json!({"Name": "A", "FavoritePet__c": "cat"}),
        )
        .await;
    assert_error(&r, 400, "INVALID_FIELD", Some(&[]));
    assert_eq!(
        message(&r),
        "No such column 'FavoritePet__c' on sobject of type Account"
    );
    let r = org
        .post(
            "/sobjects/Account/",
            &json!({"Name": "A", "CreatedDate": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(
        &r,
        400,
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        Some(&["CreatedDate"]),
    );
    let r = org
        .post(
            "/sobjects/Contact/",
            &json!({"LastName": "A", "HasOptedOutOfEmail": "maybe"}),
        )
        .await;
    assert_error(&r, 400, "JSON_PARSER_ERROR", None);
    let r = org
        .post(
            "/sobjects/Account/",
            &json!({"Name": "A", "NumberOfEmployees": "many"}),
        )
        .await;
    assert_error(&r, 400, "JSON_PARSER_ERROR", None);
    let r = org
        .post(
            "/sobjects/Contact/",
            &json!({"LastName": "A", "Birthdate": "yesterday"}),
        )
        .await;
    assert_error(&r, 400, "JSON_PARSER_ERROR", None);
    let r = org
        .post(
            "/sobjects/Contact/",
            &json!({"LastName": "A", "Email": "not-an-email"}),
        )
        .await;
    assert_error(&r, 400, "INVALID_EMAIL_ADDRESS", Some(&["Email"]));
    // Numeric text is accepted where Salesforce accepts it.
    let id = org
        .create(
            "Account",
            json!({"Name": "N", "NumberOfEmployees": "12", "AnnualRevenue": "1.5"}),
        )
        .await;
    let r = org.get(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(r.body["NumberOfEmployees"], 12);
    // Annual Revenue is currency(18, 0): stored rounded to its scale.
    assert_eq!(r.body["AnnualRevenue"], 2);
}

#[tokio::test]
async fn references_must_point_to_live_records_of_allowed_types() {
    let org = Org::start().await;
    let account = org.create("Account", json!({"Name": "Acme"})).await;
    let contact = org
        .create("Contact", json!({"LastName": "Doe", "AccountId": account}))
        .await;
    let r = org
        .post(
            "/sobjects/Contact/",
            &json!({"LastName": "X", "AccountId": contact}),
        )
        .await;
    assert_error(&r, 400, "MALFORMED_ID", Some(&["AccountId"]));
    assert_eq!(
        message(&r),
        format!("Account ID: id value of incorrect type: {contact}")
    );
    let r = org
        .post(
            "/sobjects/Contact/",
            &json!({"LastName": "X", "AccountId": "garbage"}),
        )
        .await;
    assert_error(&r, 400, "MALFORMED_ID", Some(&["AccountId"]));
    let ghost = ids::to18("001Gb0000ZZZZZZ");
    let r = org
        .post(
            "/sobjects/Contact/",
            &json!({"LastName": "X", "AccountId": ghost}),
        )
        .await;
    assert_error(&r, 400, "INVALID_CROSS_REFERENCE_KEY", Some(&["AccountId"]));
    // 15-character references are stored as 18.
    let id = org
        .create(
            "Contact",
            json!({"LastName": "Y", "AccountId": &account[..15]}),
        )
        .await;
    assert_eq!(
        org.get(&format!("/sobjects/Contact/{id}")).await.body["AccountId"],
        account.as_str()
    );
    // Polymorphic: a Task may be about an Account or a Case, and for a Contact.
    let case = org.create("Case", json!({"Subject": "Broken"})).await;
    org.create(
        "Task",
        json!({"Subject": "Call", "WhatId": case, "WhoId": contact}),
    )
    .await;
    let r = org
        .post(
            "/sobjects/Task/",
            &json!({"Subject": "Call", "WhoId": account}),
        )
        .await;
    assert_error(&r, 400, "MALFORMED_ID", Some(&["WhoId"]));
}

#[tokio::test]
async fn update_errors_match_salesforce() {
    let org = Org::start().await;
    let id = org.create("Contact", json!({"LastName": "Doe"})).await;
    let path = format!("/sobjects/Contact/{id}");
    assert_error(
        &org.patch(&path, &json!({"LastName": null})).await,
        400,
        "REQUIRED_FIELD_MISSING",
        Some(&["LastName"]),
    );
    assert_error(
        &org.patch(&path, &json!({"Name": "x"})).await,
        400,
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        Some(&["Name"]),
    );
    assert_error(
        &org.patch(&path, &json!({"Nope": 1})).await,
        400,
        "INVALID_FIELD",
        Some(&[]),
    );
    let r = org
        .send(
            Method::PATCH,
            &format!("{V}{path}"),
            Some("{\"LastName\": "),
        )
        .await;
    assert_error(&r, 400, "JSON_PARSER_ERROR", None);
    let r = org
        .send(Method::PATCH, &format!("{V}{path}"), Some("[1,2]"))
        .await;
    assert_error(&r, 400, "JSON_PARSER_ERROR", None);
    // Nothing was changed by the failed updates.
    assert_eq!(org.get(&path).await.body["LastName"], "Doe");
}

#[tokio::test]
async fn concurrent_writers_lose_nothing() {
    let org = std::sync::Arc::new(Org::start().await);
    let before = org.sandbox.record_count();
    let mut tasks = Vec::new();
    for t in 0..50 {
        let org = org.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..100 {
                ids.push(
                    org.create("Contact", json!({"LastName": format!("W{t}-{i}")}))
                        .await,
                );
            }
            ids
        }));
    }
    let mut all = std::collections::HashSet::new();
    for t in tasks {
        for id in t.await.unwrap() {
            assert!(all.insert(id), "duplicate id");
        }
    }
    assert_eq!(all.len(), 5000);
    assert_eq!(org.sandbox.record_count(), before + 5000);
}

#[tokio::test]
async fn topics_are_unique_by_name_and_assignment() {
    let org = Org::start().await;
    let topic = org.create("Topic", json!({"Name": "Big Deal"})).await;
    let r = org
        .post("/sobjects/Topic/", &json!({"Name": "big  deal"}))
        .await;
    assert_error(&r, 400, "DUPLICATE_VALUE", Some(&[]));
    assert!(message(&r).ends_with(&topic[..15]), "{}", r.text);
    let contact = org.create("Contact", json!({"LastName": "Doe"})).await;
    let ta = org
        .create(
            "TopicAssignment",
            json!({"TopicId": topic, "EntityId": contact}),
        )
        .await;
    assert!(ta.starts_with("0FT"));
    let r = org.get(&format!("/sobjects/TopicAssignment/{ta}")).await;
    assert_eq!(r.body["EntityType"], "Contact");
    assert_eq!(r.body["EntityKeyPrefix"], "003");
    let r = org
        .post(
            "/sobjects/TopicAssignment/",
            &json!({"TopicId": topic, "EntityId": contact}),
        )
        .await;
    assert_error(&r, 400, "DUPLICATE_VALUE", Some(&[]));
    // Removing the assignment allows it again.
    assert_eq!(
        org.delete(&format!("/sobjects/TopicAssignment/{ta}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    org.create(
        "TopicAssignment",
        json!({"TopicId": topic, "EntityId": contact}),
    )
    .await;

    // Connect REST: by name (creating the topic) and by id.
    let r = org
        .post(
            &format!("/connect/records/{contact}/topics"),
            &json!({"topicName": "Renewal"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["name"], "Renewal");
    let renewal = r.body["id"].as_str().unwrap().to_owned();
    assert!(renewal.starts_with("0TO"));
    assert!(r.body["createdDate"].as_str().unwrap().ends_with('Z'));
    let account = org.create("Account", json!({"Name": "Acme"})).await;
    let r = org
        .post(
            &format!("/connect/records/{account}/topics"),
            &json!({"topicId": renewal}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["id"], renewal.as_str());
    let r = org
        .post(
            &format!("/connect/records/{account}/topics"),
            &json!({"topicName": "RENEWAL"}),
        )
        .await;
    assert_error(&r, 400, "DUPLICATE_VALUE", None);
    let r = org.get(&format!("/connect/records/{contact}/topics")).await;
    assert_eq!(r.body["topics"].as_array().unwrap().len(), 2, "{}", r.text);
    let r = org
        .post(&format!("/connect/records/{account}/topics"), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = org
        .post("/connect/records/001xyz/topics", &json!({"topicName": "x"}))
        .await;
    assert_error(&r, 404, "NOT_FOUND", None);
}

#[tokio::test]
async fn upsert_by_external_id() {
    let seed: sfgate::sandbox::Seed = serde_json::from_value(json!({
        "objects": [
            {"name": "Account", "fields": [{"name": "External_Id__c", "type": "string", "externalId": true}]},
            {"name": "Invoice__c", "fields": [
                {"name": "Ref__c", "type": "string", "externalId": true},
                {"name": "Account__c", "type": "reference", "referenceTo": ["Account"]},
                {"name": "Amount__c", "type": "currency"}
            ]}
        ],
        "records": [{"type": "Account", "ref": "a", "fields": {"Name": "Seeded", "External_Id__c": "S-1"}},
                    {"type": "Invoice__c", "fields": {"Ref__c": "I-1", "Account__c": "@a", "Amount__c": 10}}]
    }))
    .unwrap();
    let org = Org::with(sfgate::sandbox::SandboxConfig {
        seed: Some(seed),
        ..Default::default()
    })
    .await;
    let r = org
        .patch(
            "/sobjects/Account/External_Id__c/X-1",
            &json!({"Name": "New"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["created"], true);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = org
        .patch(
            "/sobjects/Account/External_Id__c/X-1",
            &json!({"Name": "Renamed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"id": id, "success": true, "errors": [], "created": false})
    );
    let r = org
        .send(
            Method::PATCH,
            "/services/data/v50.0/sobjects/Account/External_Id__c/X-1",
            Some("{\"Name\":\"Old API\"}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = org.get("/sobjects/Account/External_Id__c/X-1").await;
    assert_eq!(r.body["Name"], "Old API");
    let r = org
        .patch("/sobjects/Account/Name/X-1", &json!({"Name": "x"}))
        .await;
    assert_error(&r, 404, "NOT_FOUND", None);
    // Custom object from the seed: prefix a00, reference resolved from "@a".
    let r = org.get("/sobjects/Invoice__c/Ref__c/I-1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["Id"].as_str().unwrap().starts_with("a00"));
    assert!(r.body["Account__c"].as_str().unwrap().starts_with("001"));
    assert_eq!(r.body["Name"], r.body["Id"]);
}
