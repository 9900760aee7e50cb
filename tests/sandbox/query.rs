//! SOQL over HTTP: errors, paging by batch size and locators, queryAll.

use std::collections::HashSet;

use crate::support::{Org, Reply, V, assert_error, message};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sfgate::sandbox::SandboxConfig;

async fn query(org: &Org, soql: &str, batch: Option<usize>) -> Reply {
    let mut req = org
        .client
        .get(format!("{}{V}/query", org.base))
        .query(&[("q", soql)])
        .bearer_auth(&org.token);
    if let Some(n) = batch {
        req = req.header("Sforce-Query-Options", format!("batchSize={n}"));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    Reply {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

#[tokio::test]
async fn sample_data_answers_the_first_query() {
    let org = Org::start().await;
    let r = query(
        &org,
        "SELECT Id, Name, Phone FROM Contact WHERE Phone = '+14155550100'",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["totalSize"], 1);
    assert_eq!(r.body["done"], true);
    assert!(r.body.get("nextRecordsUrl").is_none());
    let rec = &r.body["records"][0];
    assert_eq!(rec["attributes"]["type"], "Contact");
    assert_eq!(rec["Name"], "Ada Lovelace");
    let r = query(&org, "SELECT Id FROM Lead", None).await;
    assert!(r.body["totalSize"].as_u64().unwrap() >= 3);
    let r = query(
        &org,
        "SELECT Name, Account.Name FROM Contact WHERE Account.Name = 'Acme Corporation'",
        None,
    )
    .await;
    assert_eq!(r.body["totalSize"], 2, "{}", r.text);
}

#[tokio::test]
async fn query_errors_have_no_fields() {
    let org = Org::start().await;
    let r = org.send(Method::GET, &format!("{V}/query"), None).await;
    assert_error(&r, 400, "MALFORMED_QUERY", None);
    assert_eq!(message(&r), "A query string has to be specified");
    let r = org.send(Method::GET, &format!("{V}/query?q="), None).await;
    assert_error(&r, 400, "MALFORMED_QUERY", None);
    assert_error(
        &query(&org, "this is not soql", None).await,
        400,
        "MALFORMED_QUERY",
        None,
    );
    assert_error(
        &query(&org, "SELECT Nope FROM Contact", None).await,
        400,
        "INVALID_FIELD",
        None,
    );
    assert_error(
        &query(&org, "SELECT Id FROM Nope", None).await,
        400,
        "INVALID_TYPE",
        None,
    );
    for bad in [
        "nope",
        "nope-1",
        "01gGb0000000001AAA-x",
        "01gGb0000000999AAA-2000",
    ] {
        let r = org
            .send(Method::GET, &format!("{V}/query/{bad}"), None)
            .await;
        assert_error(&r, 400, "INVALID_QUERY_LOCATOR", None);
    }
}

#[tokio::test]
async fn results_are_paged_by_batch_size_with_locators() {
    let org = Org::with(SandboxConfig {
        sample_data: false,
        ..Default::default()
    })
    .await;
    for i in 0..2500 {
        let body = json!({"LastName": format!("P{i:04}")});
        org.create("Contact", body).await;
    }
    // Default batch: 2000 then 500.
    let r = query(
        &org,
        "SELECT Id, LastName FROM Contact ORDER BY LastName",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["totalSize"], 2500);
    assert_eq!(r.body["done"], false);
    assert_eq!(r.body["records"].as_array().unwrap().len(), 2000);
    let next = r.body["nextRecordsUrl"].as_str().unwrap().to_owned();
    assert!(
        next.starts_with(&format!("{V}/query/01g")) && next.ends_with("-2000"),
        "{next}"
    );
    let r2 = org.send(Method::GET, &next, None).await;
    assert_eq!(r2.body["done"], true);
    assert_eq!(r2.body["totalSize"], 2500);
    assert_eq!(r2.body["records"].as_array().unwrap().len(), 500);
    assert_eq!(r2.body["records"][0]["LastName"], "P2000");
    assert!(r2.body.get("nextRecordsUrl").is_none());
    assert_eq!(org.sandbox.requests().query_more, 1);

    // batchSize=300 → 9 pages, all rows once, in order; 50 is clamped to 200; 5000 to 2000.
    let mut seen = Vec::new();
    let mut r = query(
        &org,
        "SELECT Id, LastName FROM Contact ORDER BY LastName",
        Some(300),
    )
    .await;
    let mut pages = 1;
    loop {
        let recs = r.body["records"].as_array().unwrap();
        assert!(recs.len() <= 300);
        seen.extend(
            recs.iter()
                .map(|x| x["LastName"].as_str().unwrap().to_owned()),
        );
        match r.body["nextRecordsUrl"].as_str() {
            Some(n) => {
                r = org.send(Method::GET, n, None).await;
                pages += 1;
            }
            None => break,
        }
    }
    assert_eq!(pages, 9);
    assert_eq!(seen.len(), 2500);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 2500);
    let r = query(&org, "SELECT Id FROM Contact", Some(50)).await;
    assert_eq!(r.body["records"].as_array().unwrap().len(), 200);
    let r = query(&org, "SELECT Id FROM Contact", Some(5000)).await;
    assert_eq!(r.body["records"].as_array().unwrap().len(), 2000);
}

#[tokio::test]
async fn old_locators_are_evicted() {
    let org = Org::with(SandboxConfig {
        sample_data: false,
        max_open_cursors: 2,
        ..Default::default()
    })
    .await;
    for i in 0..250 {
        org.create("Contact", json!({"LastName": format!("E{i}")}))
            .await;
    }
    let mut nexts = Vec::new();
    for _ in 0..3 {
        let r = query(&org, "SELECT Id FROM Contact", Some(200)).await;
        nexts.push(r.body["nextRecordsUrl"].as_str().unwrap().to_owned());
    }
    assert_error(
        &org.send(Method::GET, &nexts[0], None).await,
        400,
        "INVALID_QUERY_LOCATOR",
        None,
    );
    assert_eq!(
        org.send(Method::GET, &nexts[2], None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn query_all_includes_deleted_records() {
    let org = Org::start().await;
    let id = org
        .create("Lead", json!({"LastName": "Gone", "Company": "X"}))
        .await;
    org.delete(&format!("/sobjects/Lead/{id}")).await;
    let soql = format!("SELECT Id, IsDeleted FROM Lead WHERE Id = '{id}'");
    assert_eq!(query(&org, &soql, None).await.body["totalSize"], 0);
    let r = org
        .client
        .get(format!("{}{V}/queryAll", org.base))
        .query(&[("q", soql.as_str())])
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["totalSize"], 1);
    assert_eq!(body["records"][0]["IsDeleted"], true);
}

/// A seed with `n` Contacts named `C0000`, `C0001`, … (no sample data).
fn contacts_seed(n: usize) -> SandboxConfig {
    let records: Vec<Value> = (0..n)
        .map(|i| json!({"type": "Contact", "fields": {"LastName": format!("C{i:04}")}}))
        .collect();
    SandboxConfig {
        sample_data: false,
        seed: Some(serde_json::from_value(json!({"records": records})).unwrap()),
        ..Default::default()
    }
}

#[tokio::test]
async fn aggregate_results_come_in_one_batch_without_a_locator() {
    let org = Org::with(contacts_seed(2001)).await;
    let soql = "SELECT LastName, COUNT(Id) n FROM Contact GROUP BY LastName ORDER BY LastName";
    let r = query(&org, &format!("{soql} LIMIT 250"), Some(200)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["totalSize"], 250);
    assert_eq!(r.body["done"], true);
    assert!(r.body.get("nextRecordsUrl").is_none());
    let recs = r.body["records"].as_array().unwrap();
    assert_eq!(recs.len(), 250);
    assert_eq!(
        recs[0],
        json!({"attributes": {"type": "AggregateResult"}, "LastName": "C0000", "n": 1})
    );
    // More than 2,000 groups cannot be paged: Salesforce refuses them.
    let r = query(&org, soql, None).await;
    assert_error(&r, 400, "MALFORMED_QUERY", None);
    assert!(message(&r).starts_with("Aggregate query does not support queryMore()"));
    let r = query(&org, &format!("{soql} LIMIT 2000"), None).await;
    assert_eq!(r.body["records"].as_array().unwrap().len(), 2000);
    let r = query(&org, "SELECT COUNT(Id) FROM Contact", None).await;
    assert_eq!(r.body["records"][0]["expr0"], 2001);
}

#[tokio::test]
async fn relationship_queries_over_http() {
    let org = Org::start().await;
    let r = query(
        &org,
        "SELECT Name, Owner.Name, (SELECT LastName FROM Contacts ORDER BY LastName) \
         FROM Account WHERE Id IN (SELECT AccountId FROM Contact) ORDER BY Name",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let first = &r.body["records"][0];
    assert_eq!(first["Name"], "Acme Corporation");
    assert_eq!(first["Owner"]["attributes"]["type"], "User");
    assert_eq!(first["Owner"]["Name"], "Sandbox Developer");
    assert_eq!(first["Contacts"]["totalSize"], 2);
    assert_eq!(first["Contacts"]["records"][1]["LastName"], "Lovelace");
    let r = query(
        &org,
        "SELECT Id FROM Contact WHERE Account.Owner.CreatedBy.Name = 'Sandbox Developer'",
        None,
    )
    .await;
    assert_eq!(r.body["totalSize"], 4, "{}", r.text);
}

#[tokio::test]
async fn datetime_literals_in_salesforce_output_form_are_accepted() {
    let org = Org::start().await;
    for lit in [
        "2020-03-17T21:04:32.000+0000",
        "2020-03-17T21:04:32Z",
        "2020-03-17T23:04:32+02:00",
        "2020-03-17T16:04:32.5-0500",
    ] {
        let r = query(
            &org,
            &format!("SELECT COUNT() FROM Contact WHERE CreatedDate > {lit}"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{lit}: {}", r.text);
        assert_eq!(r.body["totalSize"], 4, "{lit}");
    }
    // A `+` that a URL turned into a space, as real clients have sent it.
    let r = query(
        &org,
        "SELECT Id FROM Contact WHERE CreatedDate > 2020-03-17T21:04:32.000 0000",
        None,
    )
    .await;
    assert_error(&r, 400, "MALFORMED_QUERY", None);
    assert!(
        message(&r).ends_with("line 1:66 no viable alternative at character ' '"),
        "{}",
        message(&r)
    );
}

#[tokio::test]
async fn seeded_multi_select_picklists_answer_includes_and_excludes() {
    let seed = serde_json::from_value(json!({
        "objects": [{"name": "Survey__c", "fields": [
            {"name": "Topics__c", "type": "multipicklist"}]}],
        "records": [
            {"type": "Survey__c", "fields": {"Name": "S1", "Topics__c": "Billing;Outage"}},
            {"type": "Survey__c", "fields": {"Name": "S2", "Topics__c": "Billing"}},
            {"type": "Survey__c", "fields": {"Name": "S3"}}
        ]
    }))
    .unwrap();
    let org = Org::with(SandboxConfig {
        seed: Some(seed),
        ..Default::default()
    })
    .await;
    let names = |r: &Reply| -> Vec<String> {
        r.body["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["Name"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = query(
        &org,
        "SELECT Name FROM Survey__c WHERE Topics__c INCLUDES ('billing;outage', 'none')",
        None,
    )
    .await;
    assert_eq!(names(&r), ["S1"], "{}", r.text);
    let r = query(
        &org,
        "SELECT Name FROM Survey__c WHERE Topics__c EXCLUDES ('Outage')",
        None,
    )
    .await;
    assert_eq!(names(&r), ["S2", "S3"]);
    let d = org.get("/sobjects/Survey__c/describe").await;
    let f = d.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Topics__c")
        .cloned()
        .unwrap();
    assert_eq!(f["type"], "multipicklist");
}
