//! sObject Collections (`/composite/sobjects`) over real sockets: per-record
//! results in order, allOrNone, the 200-record limit, chunks of types, upsert,
//! delete, retrieve, one API call per request, and the fault switches.

use crate::support::{Org, V, assert_error};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sfgate::sandbox::{SandboxConfig, Seed};

/// A well-formed Lead Id no record has.
fn missing_lead() -> String {
    sfgate::sandbox::ids::to18("00Q000000000009")
}

fn lead(last: &str) -> Value {
    json!({"attributes": {"type": "Lead"}, "LastName": last, "Company": "Collections"})
}

/// How many live Leads of company `company` the org holds.
async fn leads_of(org: &Org, company: &str) -> u64 {
    let q = format!("SELECT COUNT() FROM Lead WHERE Company = '{company}'");
    let r = org
        .send(
            Method::GET,
            &format!(
                "{V}/query?q={}",
                url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            ),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["totalSize"].as_u64().unwrap()
}

fn items(r: &crate::support::Reply) -> &Vec<Value> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {}", r.text))
}

/// The one error of a failed item, as (statusCode, message, fields).
fn item_error(item: &Value) -> (String, String, Vec<String>) {
    assert_eq!(item["success"], false, "{item}");
    assert!(item.get("id").is_none(), "a failed item has no id: {item}");
    let errors = item["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{item}");
    let e = &errors[0];
    (
        e["statusCode"].as_str().unwrap().to_owned(),
        e["message"].as_str().unwrap().to_owned(),
        e["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("fields is always a list: {item}"))
            .iter()
            .map(|f| f.as_str().unwrap().to_owned())
            .collect(),
    )
}

fn assert_created(item: &Value, prefix: &str) -> String {
    assert_eq!(item["success"], true, "{item}");
    assert_eq!(item["errors"], json!([]), "{item}");
    let id = item["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with(prefix) && id.len() == 18, "{item}");
    id
}

#[tokio::test]
async fn record_3_of_5_invalid_without_all_or_none_fails_alone() {
    let org = Org::start().await;
    let mut records: Vec<Value> = (1..=5).map(|i| lead(&format!("L{i}"))).collect();
    records[2] = json!({"attributes": {"type": "Lead"}, "LastName": "NoCompany"});
    let r = org
        .post(
            "/composite/sobjects",
            &json!({"allOrNone": false, "records": records}),
        )
        .await;
    let list = items(&r);
    assert_eq!(list.len(), 5);
    let ids: Vec<String> = [0, 1, 3, 4]
        .iter()
        .map(|&i| assert_created(&list[i], "00Q"))
        .collect();
    assert_eq!(
        item_error(&list[2]),
        (
            "REQUIRED_FIELD_MISSING".to_owned(),
            "Required fields are missing: [Company]".to_owned(),
            vec!["Company".to_owned()]
        )
    );
    assert_eq!(leads_of(&org, "Collections").await, 4);
    for id in &ids {
        let r = org.get(&format!("/sobjects/Lead/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    // Results come in request order: the Ids were minted in it.
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert!(r.text.starts_with("[{\"id\":"), "id first: {}", r.text);
}

#[tokio::test]
async fn with_all_or_none_one_failure_rolls_every_record_back() {
    let org = Org::start().await;
    let mut records: Vec<Value> = (1..=5).map(|i| lead(&format!("L{i}"))).collect();
    records[2] = json!({"attributes": {"type": "Lead"}, "LastName": "NoCompany"});
    let r = org
        .post(
            "/composite/sobjects",
            &json!({"allOrNone": true, "records": records}),
        )
        .await;
    let list = items(&r);
    assert_eq!(list.len(), 5);
    for (i, item) in list.iter().enumerate() {
        let (code, message, fields) = item_error(item);
        if i == 2 {
            assert_eq!(code, "REQUIRED_FIELD_MISSING");
            assert_eq!(fields, ["Company"]);
        } else {
            assert_eq!(code, "ALL_OR_NONE_OPERATION_ROLLED_BACK");
            assert_eq!(
                message,
                "Record rolled back because not all records were valid and the request was using AllOrNone header"
            );
            assert!(fields.is_empty());
        }
    }
    assert_eq!(leads_of(&org, "Collections").await, 0, "nothing committed");

    // The same request, all valid, commits all five.
    let records: Vec<Value> = (1..=5).map(|i| lead(&format!("L{i}"))).collect();
    let r = org
        .post(
            "/composite/sobjects",
            &json!({"allOrNone": true, "records": records}),
        )
        .await;
    for item in items(&r) {
        assert_created(item, "00Q");
    }
    assert_eq!(leads_of(&org, "Collections").await, 5);
}

fn seeded() -> SandboxConfig {
    let seed: Seed = serde_json::from_value(json!({
        "objects": [
            {"name": "Invoice__c", "fields": [
                {"name": "Amount__c", "type": "currency", "precision": 12, "scale": 2},
                {"name": "Ref__c", "type": "string", "externalId": true, "label": "Invoice Ref"},
                {"name": "Status__c", "type": "picklist", "values": ["Open", "Paid"], "restricted": true}
            ],
             "validationRules": [{"name": "Positive", "errorCondition": "Amount__c < 0",
                                  "errorMessage": "Amount must be positive",
                                  "errorDisplayField": "Amount__c"}]},
            {"name": "Account", "fields": [{"name": "Ext__c", "type": "string", "externalId": true}]}
        ],
        "records": [
            {"type": "Invoice__c", "fields": {"Ref__c": "DUP", "Amount__c": 1}},
            {"type": "Invoice__c", "fields": {"Ref__c": "DUP", "Amount__c": 2}},
            {"type": "Invoice__c", "fields": {"Ref__c": "ONE", "Amount__c": 3}}
        ]
    }))
    .unwrap();
    SandboxConfig {
        seed: Some(seed),
        ..Default::default()
    }
}

/// Every kind of record error a single create gives comes back, exactly the
/// same, as that record's item of a collection create.
#[tokio::test]
async fn each_record_error_is_the_single_call_error() {
    let org = Org::with(seeded()).await;
    let bad: Vec<(&str, Value)> = vec![
        ("Lead", json!({"LastName": "L", "Company": "C".repeat(300)})),
        (
            "Lead",
            json!({"LastName": "L", "Company": "C", "Email": "not-an-email"}),
        ),
        (
            "Lead",
            json!({"LastName": "L", "Company": "C", "Nope__c": 1}),
        ),
        (
            "Lead",
            json!({"LastName": "L", "Company": "C", "Id": "00Q000000000001AAA"}),
        ),
        (
            "Contact",
            json!({"LastName": "L", "Preferred_Channel__c": "Pigeon"}),
        ),
        (
            "Contact",
            json!({"LastName": "L", "AccountId": "001000000000000AAA"}),
        ),
        (
            "Contact",
            json!({"LastName": "L", "AccountId": "00Q000000000000AAA"}),
        ),
        ("Contact", json!({"LastName": "L", "Birthdate": "1/2/2000"})),
        ("Contact", json!({"FirstName": "No last name"})),
        ("Invoice__c", json!({"Amount__c": -5})),
        ("Invoice__c", json!({"Amount__c": 12345678901.5})),
        ("Invoice__c", json!({"Status__c": "Lost"})),
        ("Invoice__c", json!({"Amount__c": "abc"})),
    ];
    let mut records = Vec::new();
    let mut singles = Vec::new();
    for (ty, body) in &bad {
        let single = org.post(&format!("/sobjects/{ty}/"), body).await;
        assert_eq!(
            single.status,
            StatusCode::BAD_REQUEST,
            "{ty} {body}: {}",
            single.text
        );
        singles.push(single.body[0].clone());
        let mut rec = body.clone();
        rec["attributes"] = json!({"type": ty});
        records.push(rec);
    }
    let r = org
        .post("/composite/sobjects", &json!({"records": records}))
        .await;
    let list = items(&r);
    for ((item, single), (ty, body)) in list.iter().zip(&singles).zip(&bad) {
        let (code, message, fields) = item_error(item);
        assert_eq!(code, single["errorCode"].as_str().unwrap(), "{ty} {body}");
        assert_eq!(message, single["message"].as_str().unwrap(), "{ty} {body}");
        let single_fields: Vec<String> = single["fields"]
            .as_array()
            .map(|f| f.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default();
        assert_eq!(fields, single_fields, "{ty} {body}");
    }
    let codes: Vec<String> = list.iter().map(|i| item_error(i).0).collect();
    for want in [
        "STRING_TOO_LONG",
        "INVALID_EMAIL_ADDRESS",
        "INVALID_FIELD",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "INVALID_CROSS_REFERENCE_KEY",
        "MALFORMED_ID",
        "JSON_PARSER_ERROR",
        "REQUIRED_FIELD_MISSING",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "NUMBER_OUTSIDE_VALID_RANGE",
    ] {
        assert!(codes.iter().any(|c| c == want), "{want} in {codes:?}");
    }
}

#[tokio::test]
async fn past_200_records_is_exceeded_id_limit_and_nothing_is_written() {
    let org = Org::start().await;
    let many: Vec<Value> = (0..201).map(|i| lead(&format!("L{i}"))).collect();
    let r = org
        .post("/composite/sobjects", &json!({"records": many}))
        .await;
    assert_error(&r, 400, "EXCEEDED_ID_LIMIT", None);
    assert_eq!(
        r.body[0]["message"],
        "record limit reached. cannot submit more than 200 records into this call"
    );
    assert_eq!(leads_of(&org, "Collections").await, 0);
    let r = org
        .patch("/composite/sobjects", &json!({"records": many}))
        .await;
    assert_error(&r, 400, "EXCEEDED_ID_LIMIT", None);
    let ids = vec!["00Q000000000001AAA"; 201].join(",");
    let r = org.delete(&format!("/composite/sobjects?ids={ids}")).await;
    assert_error(&r, 400, "EXCEEDED_ID_LIMIT", None);

    let r = org
        .post(
            "/composite/sobjects",
            &json!({"records": many[..200].to_vec()}),
        )
        .await;
    assert_eq!(items(&r).len(), 200);
    assert_eq!(leads_of(&org, "Collections").await, 200);
}

#[tokio::test]
async fn mixed_types_go_in_consecutive_chunks_of_at_most_ten() {
    let org = Org::start().await;
    let account = |n: &str| json!({"attributes": {"type": "Account"}, "Name": n});
    let contact = |n: &str| json!({"attributes": {"type": "contact"}, "LastName": n});
    let r = org
        .post(
            "/composite/sobjects",
            &json!({"records": [account("A1"), account("A2"), contact("C1"), account("A3")]}),
        )
        .await;
    let list = items(&r);
    let prefixes: Vec<&str> = list
        .iter()
        .map(|i| &i["id"].as_str().unwrap()[..3])
        .collect();
    assert_eq!(prefixes, ["001", "001", "003", "001"]);

    // Ten chunks are fine, eleven are refused before anything is written.
    let alternating = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    account(&format!("Chunk{i}"))
                } else {
                    contact(&format!("Chunk{i}"))
                }
            })
            .collect()
    };
    let r = org
        .post("/composite/sobjects", &json!({"records": alternating(11)}))
        .await;
    assert_error(&r, 400, "EXCEEDED_MAX_TYPES_LIMIT", None);
    let r = org
        .get("/query?q=SELECT+COUNT()+FROM+Account+WHERE+Name+LIKE+'Chunk%25'")
        .await;
    assert_eq!(r.body["totalSize"], 0, "{}", r.text);
    let r = org
        .post("/composite/sobjects", &json!({"records": alternating(10)}))
        .await;
    assert_eq!(items(&r).len(), 10);
}

#[tokio::test]
async fn malformed_requests_are_400_and_write_nothing() {
    let org = Org::start().await;
    let path = format!("{V}/composite/sobjects");
    let r = org
        .send(Method::POST, &path, Some("{\"records\": [}"))
        .await;
    assert_error(&r, 400, "JSON_PARSER_ERROR", None);
    for body in [
        json!({}),
        json!({"records": "x"}),
        json!({"records": [1]}),
        json!({"allOrNone": "yes", "records": []}),
    ] {
        let r = org.post("/composite/sobjects", &body).await;
        assert_error(&r, 400, "JSON_PARSER_ERROR", None);
    }
    for body in [
        json!({"records": [lead("ok"), {"LastName": "untyped"}]}),
        json!({"records": [lead("ok"), {"attributes": {"type": "Nope__c"}}]}),
    ] {
        let r = org.post("/composite/sobjects", &body).await;
        assert_error(&r, 400, "INVALID_TYPE", None);
    }
    assert_eq!(leads_of(&org, "Collections").await, 0);
    let r = org
        .post("/composite/sobjects", &json!({"records": []}))
        .await;
    assert_eq!(r.body, json!([]), "{}", r.text);
}

#[tokio::test]
async fn updates_name_their_ids_and_fail_each_on_its_own() {
    let org = Org::start().await;
    let a = org
        .create("Lead", json!({"LastName": "A", "Company": "Upd"}))
        .await;
    let b = org
        .create("Lead", json!({"LastName": "B", "Company": "Upd"}))
        .await;
    let gone = org
        .create("Lead", json!({"LastName": "Gone", "Company": "Upd"}))
        .await;
    assert_eq!(
        org.delete(&format!("/sobjects/Lead/{gone}")).await.status,
        StatusCode::NO_CONTENT
    );
    let upd =
        |id: &str, title: &str| json!({"attributes": {"type": "Lead"}, "id": id, "Title": title});
    let records = json!([
        upd(&a, "First"),
        upd("00Q00000000zzz", "x"),
        {"attributes": {"type": "Lead"}, "Title": "no id"},
        upd(&missing_lead(), "x"),
        upd(&gone, "x"),
        {"attributes": {"type": "Lead"}, "Id": &b[..15], "Title": "Second"},
        upd(&b, &"t".repeat(200)),
    ]);
    let r = org
        .patch("/composite/sobjects", &json!({"records": records}))
        .await;
    let list = items(&r);
    assert_eq!(list[0], json!({"id": a, "success": true, "errors": []}));
    assert_eq!(
        item_error(&list[1]),
        (
            "MALFORMED_ID".to_owned(),
            "malformed id 00Q00000000zzz".to_owned(),
            vec![]
        )
    );
    assert_eq!(item_error(&list[2]).0, "MISSING_ARGUMENT");
    assert_eq!(
        item_error(&list[3]),
        (
            "INVALID_CROSS_REFERENCE_KEY".to_owned(),
            "invalid cross reference id".to_owned(),
            vec![]
        )
    );
    assert_eq!(item_error(&list[4]).0, "ENTITY_IS_DELETED");
    assert_eq!(list[5]["id"], b.as_str(), "a 15-character Id answers as 18");
    assert_eq!(item_error(&list[6]).0, "STRING_TOO_LONG");
    let r = org.get(&format!("/sobjects/Lead/{a}?fields=Title")).await;
    assert_eq!(r.body["Title"], "First");
    let r = org.get(&format!("/sobjects/Lead/{b}?fields=Title")).await;
    assert_eq!(r.body["Title"], "Second");

    // All or none: a valid update rolled back with the invalid one.
    let r = org
        .patch(
            "/composite/sobjects",
            &json!({"allOrNone": true, "records": [upd(&a, "Third"), upd(&gone, "x")]}),
        )
        .await;
    let list = items(&r);
    assert_eq!(item_error(&list[0]).0, "ALL_OR_NONE_OPERATION_ROLLED_BACK");
    assert_eq!(item_error(&list[1]).0, "ENTITY_IS_DELETED");
    let r = org.get(&format!("/sobjects/Lead/{a}?fields=Title")).await;
    assert_eq!(r.body["Title"], "First", "the update was rolled back");
}

#[tokio::test]
async fn upsert_creates_updates_and_refuses_several_matches() {
    let org = Org::with(seeded()).await;
    let inv = |r: Option<&str>, amount: f64| {
        let mut v = json!({"attributes": {"type": "Invoice__c"}, "Amount__c": amount});
        if let Some(r) = r {
            v["Ref__c"] = json!(r);
        }
        v
    };
    let one = org.get("/sobjects/Invoice__c/Ref__c/ONE").await.body["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = org
        .patch(
            "/composite/sobjects/Invoice__c/Ref__c",
            &json!({"records": [
                inv(Some("NEW-1"), 10.0),
                inv(Some("ONE"), 30.0),
                inv(Some("DUP"), 1.0),
                inv(None, 1.0),
                inv(Some("TWICE"), 1.0),
                inv(Some("TWICE"), 2.0),
                inv(Some("NEW-2"), -1.0),
            ]}),
        )
        .await;
    let list = items(&r);
    let created = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        list[0],
        json!({"id": created, "success": true, "errors": [], "created": true})
    );
    assert_eq!(
        list[1],
        json!({"id": one, "success": true, "errors": [], "created": false})
    );
    let (code, message, fields) = item_error(&list[2]);
    assert_eq!(code, "DUPLICATE_EXTERNAL_ID");
    assert!(
        message.starts_with("Invoice Ref: more than one record found for external id field: [a00"),
        "{message}"
    );
    assert_eq!(fields, ["Ref__c"]);
    assert_eq!(
        item_error(&list[3]),
        (
            "MISSING_ARGUMENT".to_owned(),
            "Ref__c not specified".to_owned(),
            vec![]
        )
    );
    for i in [4, 5] {
        assert_eq!(
            item_error(&list[i]),
            (
                "DUPLICATE_VALUE".to_owned(),
                "Duplicate external id specified: TWICE".to_owned(),
                vec!["Ref__c".to_owned()]
            )
        );
    }
    assert_eq!(item_error(&list[6]).0, "FIELD_CUSTOM_VALIDATION_EXCEPTION");
    let r = org.get("/sobjects/Invoice__c/Ref__c/ONE").await;
    assert_eq!(r.body["Amount__c"].as_f64(), Some(30.0));
    let r = org.get("/sobjects/Invoice__c/Ref__c/NEW-1").await;
    assert_eq!(r.body["Id"], created.as_str());

    // The URL names the type and the key; records of another type are refused.
    let r = org
        .patch(
            "/composite/sobjects/Invoice__c/Amount__c",
            &json!({"records": [inv(Some("x"), 1.0)]}),
        )
        .await;
    assert_error(&r, 404, "NOT_FOUND", None);
    let r = org
        .patch(
            "/composite/sobjects/Invoice__c/Ref__c",
            &json!({"records": [{"attributes": {"type": "Account"}, "Ref__c": "x"}]}),
        )
        .await;
    assert_error(&r, 400, "INVALID_TYPE", None);

    // All or none: the valid create is rolled back with the failure.
    let r = org
        .patch(
            "/composite/sobjects/Invoice__c/Ref__c",
            &json!({"allOrNone": true, "records": [inv(Some("NEW-3"), 1.0), inv(Some("DUP"), 1.0)]}),
        )
        .await;
    let list = items(&r);
    assert_eq!(item_error(&list[0]).0, "ALL_OR_NONE_OPERATION_ROLLED_BACK");
    assert_eq!(item_error(&list[1]).0, "DUPLICATE_EXTERNAL_ID");
    let r = org.get("/sobjects/Invoice__c/Ref__c/NEW-3").await;
    assert_error(&r, 404, "NOT_FOUND", None);
}

#[tokio::test]
async fn deletes_by_ids_with_all_or_none_in_the_query() {
    let org = Org::start().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            org.create(
                "Lead",
                json!({"LastName": format!("D{i}"), "Company": "Del"}),
            )
            .await,
        );
    }
    let r = org
        .delete(&format!(
            "/composite/sobjects?ids={},{},{}&allOrNone=true",
            ids[0],
            ids[1],
            missing_lead()
        ))
        .await;
    let list = items(&r);
    assert_eq!(item_error(&list[0]).0, "ALL_OR_NONE_OPERATION_ROLLED_BACK");
    assert_eq!(item_error(&list[2]).0, "INVALID_CROSS_REFERENCE_KEY");
    assert_eq!(leads_of(&org, "Del").await, 3);

    let r = org
        .delete(&format!(
            "/composite/sobjects?ids={},{},bogus,{}&allOrNone=false",
            ids[0], ids[1], ids[0]
        ))
        .await;
    let list = items(&r);
    assert_eq!(
        list[0],
        json!({"id": ids[0], "success": true, "errors": []})
    );
    assert_eq!(list[1]["id"], ids[1].as_str());
    assert_eq!(
        item_error(&list[2]),
        (
            "MALFORMED_ID".to_owned(),
            "malformed id bogus".to_owned(),
            vec![]
        )
    );
    assert_eq!(item_error(&list[3]).0, "ENTITY_IS_DELETED");
    assert_eq!(leads_of(&org, "Del").await, 1);
    let r = org.delete("/composite/sobjects").await;
    assert_error(&r, 400, "MISSING_ARGUMENT", None);
}

#[tokio::test]
async fn retrieve_answers_records_or_nulls_in_order() {
    let org = Org::start().await;
    let a = org
        .create(
            "Lead",
            json!({"LastName": "R1", "Company": "Ret", "Title": "T1"}),
        )
        .await;
    let b = org
        .create("Lead", json!({"LastName": "R2", "Company": "Ret"}))
        .await;
    let deleted = org
        .create("Lead", json!({"LastName": "R3", "Company": "Ret"}))
        .await;
    org.delete(&format!("/sobjects/Lead/{deleted}")).await;
    let contact = org.create("Contact", json!({"LastName": "C"})).await;
    let r = org
        .get(&format!(
            "/composite/sobjects/Lead?ids={b},{deleted},{a},{},{contact},junk&fields=lastname,Title",
            missing_lead()
        ))
        .await;
    let list = items(&r);
    assert_eq!(list.len(), 6);
    assert_eq!(
        list[0],
        json!({"attributes": {"type": "Lead", "url": format!("{V}/sobjects/Lead/{b}")},
               "LastName": "R2", "Title": null, "Id": b})
    );
    assert_eq!(list[2]["LastName"], "R1");
    assert_eq!(list[2]["Title"], "T1");
    for i in [1, 3, 4, 5] {
        assert_eq!(list[i], Value::Null, "{i}: {}", r.text);
    }
    // The same with a body, up to 2,000 Ids.
    let r = org
        .post(
            "/composite/sobjects/Lead",
            &json!({"ids": [a, b], "fields": ["Id", "Company"]}),
        )
        .await;
    let list = items(&r);
    assert_eq!(list[0]["Id"], a.as_str());
    assert_eq!(list[1]["Company"], "Ret");
    let r = org
        .get(&format!("/composite/sobjects/Lead?ids={a}&fields=Nope"))
        .await;
    assert_error(&r, 400, "INVALID_FIELD", None);
    let r = org.get(&format!("/composite/sobjects/Lead?ids={a}")).await;
    assert_error(&r, 400, "MISSING_ARGUMENT", None);
    let r = org
        .get(&format!("/composite/sobjects/Nope__c?ids={a}&fields=Id"))
        .await;
    assert_error(&r, 404, "NOT_FOUND", None);
    let many = vec![a.as_str(); 2001];
    let r = org
        .post(
            "/composite/sobjects/Lead",
            &json!({"ids": many, "fields": ["Id"]}),
        )
        .await;
    assert_error(&r, 400, "EXCEEDED_ID_LIMIT", None);
}

#[tokio::test]
async fn a_collection_of_200_records_is_one_api_call() {
    let org = Org::start().await;
    let (before, _) = org.sandbox.api_usage();
    org.sandbox.reset_counts();
    let records: Vec<Value> = (0..200).map(|i| lead(&format!("L{i}"))).collect();
    let r = org
        .post("/composite/sobjects", &json!({"records": records}))
        .await;
    assert_eq!(items(&r).len(), 200);
    let (after, limit) = org.sandbox.api_usage();
    assert_eq!(after, before + 1);
    assert_eq!(
        r.headers["sforce-limit-info"],
        format!("api-usage={after}/{limit}").as_str()
    );
    let counts = org.sandbox.requests();
    assert_eq!(counts.collections, 1);
    assert_eq!(counts.collection_records, 200);
    assert_eq!(counts.create, 0);
    assert_eq!(counts.total, 1);
    assert_eq!(leads_of(&org, "Collections").await, 200);

    // Reads count as reads, one call however many Ids.
    org.sandbox.reset_counts();
    let id = r.body[0]["id"].as_str().unwrap();
    let r = org
        .get(&format!("/composite/sobjects/Lead?ids={id},{id}&fields=Id"))
        .await;
    assert_eq!(items(&r).len(), 2);
    let counts = org.sandbox.requests();
    assert_eq!((counts.read, counts.total), (1, 1));
    assert_eq!(counts.collection_records, 2);
    // The counters over HTTP, as tests in other languages read them.
    let r = org
        .raw(Method::GET, "/__sandbox/requests", None, None)
        .await;
    assert_eq!(r.body["collections"], 0);
    assert_eq!(r.body["read"], 1);
    assert_eq!(r.body["collectionRecords"], 2);
}

#[tokio::test]
async fn a_drop_after_commit_leaves_every_record_committed() {
    let org = Org::start().await;
    org.sandbox
        .faults()
        .update(|f| f.drop_after_commit_rate = 1.0);
    let records: Vec<Value> = (0..3).map(|i| lead(&format!("L{i}"))).collect();
    let err = org
        .client
        .post(format!("{}{V}/composite/sobjects", org.base))
        .header("Authorization", format!("Bearer {}", org.token))
        .json(&json!({"records": records}))
        .send()
        .await
        .expect_err("the connection is closed without an answer");
    assert!(!err.is_status(), "{err}");
    org.sandbox.faults().clear();
    assert_eq!(leads_of(&org, "Collections").await, 3);
}

#[tokio::test]
async fn lock_faults_hit_records_and_503s_the_whole_request() {
    let org = Org::start().await;
    let a = org
        .create("Lead", json!({"LastName": "A", "Company": "Lock"}))
        .await;
    org.sandbox.faults().update(|f| f.lock_row_rate = 1.0);
    let r = org
        .post(
            "/composite/sobjects",
            &json!({"records": [lead("L1"), lead("L2")]}),
        )
        .await;
    for item in items(&r) {
        let (code, message, _) = item_error(item);
        assert_eq!(code, "UNABLE_TO_LOCK_ROW");
        assert!(
            message.starts_with("unable to obtain exclusive access"),
            "{message}"
        );
    }
    let r = org
        .patch(
            "/composite/sobjects",
            &json!({"records": [{"attributes": {"type": "Lead"}, "id": a, "Title": "x"}]}),
        )
        .await;
    let (_, message, _) = item_error(&items(&r)[0]);
    assert_eq!(
        message,
        format!("unable to obtain exclusive access to this record or 1 records: {a}")
    );
    // Reads never lock.
    let r = org
        .get(&format!("/composite/sobjects/Lead?ids={a}&fields=Id"))
        .await;
    assert_eq!(items(&r)[0]["Id"], a.as_str());
    org.sandbox.faults().set(sfgate::sandbox::FaultConfig {
        unavailable_rate: 1.0,
        ..Default::default()
    });
    let r = org
        .post("/composite/sobjects", &json!({"records": [lead("L3")]}))
        .await;
    assert_error(&r, 503, "SERVER_UNAVAILABLE", None);
    org.sandbox.faults().clear();
    assert_eq!(leads_of(&org, "Collections").await, 0);
}
