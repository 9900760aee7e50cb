//! Each fault switch, seen from a real HTTP client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{Org, V, assert_error, message};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn try_create(org: &Org, last: &str) -> Result<reqwest::Response, reqwest::Error> {
    org.client
        .post(format!("{}{V}/sobjects/Contact/", org.base))
        .bearer_auth(&org.token)
        .json(&json!({"LastName": last}))
        .send()
        .await
}

fn contacts_named(org: &Org, last: &str) -> usize {
    org.sandbox.with_data(|d| {
        let mut n = 0;
        d.scan("Contact", &mut |r| {
            n += usize::from(r.get("LastName") == Some(&Value::from(last)))
        });
        n
    })
}

#[tokio::test]
async fn latency_fixed_and_ranged() {
    let org = Org::start().await;
    org.sandbox.faults().update(|f| f.latency_ms = 200);
    let t = Instant::now();
    assert_eq!(org.get("/limits").await.status, StatusCode::OK);
    assert!(
        t.elapsed() >= Duration::from_millis(200),
        "{:?}",
        t.elapsed()
    );
    org.sandbox.faults().update(|f| {
        f.latency_ms = 50;
        f.latency_max_ms = 120;
    });
    for _ in 0..5 {
        let t = Instant::now();
        org.get("/limits").await;
        let e = t.elapsed();
        assert!(
            e >= Duration::from_millis(50) && e < Duration::from_millis(1000),
            "{e:?}"
        );
    }
    org.sandbox.faults().clear();
    let t = Instant::now();
    org.get("/limits").await;
    assert!(t.elapsed() < Duration::from_millis(50));
}

#[tokio::test]
async fn unavailable_rate_gives_503s_in_proportion() {
    let org = Org::start().await;
    org.sandbox.faults().update(|f| f.unavailable_rate = 1.0);
    let r = org.get("/limits").await;
    assert_error(&r, 503, "SERVER_UNAVAILABLE", None);
    org.sandbox.faults().update(|f| f.unavailable_rate = 0.5);
    let mut failures = 0;
    for _ in 0..200 {
        if org.get("/limits").await.status == StatusCode::SERVICE_UNAVAILABLE {
            failures += 1;
        }
    }
    assert!((50..150).contains(&failures), "{failures} of 200");
}

#[tokio::test]
async fn lock_row_failures_change_nothing_and_spare_reads() {
    let org = Org::start().await;
    let id = org.create("Contact", json!({"LastName": "Locked"})).await;
    org.sandbox.faults().update(|f| f.lock_row_rate = 1.0);
    let r = org
        .post("/sobjects/Contact/", &json!({"LastName": "NotCreated"}))
        .await;
    assert_error(&r, 400, "UNABLE_TO_LOCK_ROW", Some(&[]));
    assert!(message(&r).starts_with("unable to obtain exclusive access to this record"));
    let r = org
        .patch(
            &format!("/sobjects/Contact/{id}"),
            &json!({"LastName": "Changed"}),
        )
        .await;
    assert_error(&r, 400, "UNABLE_TO_LOCK_ROW", Some(&[]));
    assert_eq!(
        message(&r),
        format!("unable to obtain exclusive access to this record or 1 records: {id}")
    );
    assert_eq!(
        org.get(&format!("/sobjects/Contact/{id}")).await.body["LastName"],
        "Locked"
    );
    assert_eq!(contacts_named(&org, "NotCreated"), 0);
    org.sandbox.faults().update(|f| f.lock_row_status = 500);
    let r = org.delete(&format!("/sobjects/Contact/{id}")).await;
    assert_error(&r, 500, "UNABLE_TO_LOCK_ROW", Some(&[]));
}

#[tokio::test]
async fn dropped_before_work_is_a_connection_error_and_creates_nothing() {
    let org = Org::start().await;
    org.sandbox.faults().update(|f| f.drop_before_rate = 1.0);
    let err = try_create(&org, "DropBefore")
        .await
        .expect_err("no HTTP response");
    assert!(err.status().is_none(), "{err:?}");
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "{err:?}"
    );
    assert_eq!(contacts_named(&org, "DropBefore"), 0);
    // Reads are dropped too.
    let err = org
        .client
        .get(format!("{}{V}/limits", org.base))
        .bearer_auth(&org.token)
        .send()
        .await;
    assert!(err.is_err());
    org.sandbox.faults().clear();
    assert_eq!(org.get("/limits").await.status, StatusCode::OK);
}

#[tokio::test]
async fn dropped_after_commit_leaves_the_record_created() {
    let org = Org::start().await;
    org.sandbox
        .faults()
        .update(|f| f.drop_after_commit_rate = 1.0);
    let err = try_create(&org, "DropAfter")
        .await
        .expect_err("no HTTP response");
    assert!(err.status().is_none(), "{err:?}");
    assert_eq!(contacts_named(&org, "DropAfter"), 1);
    // Reads are not writes: they still answer.
    assert_eq!(org.get("/limits").await.status, StatusCode::OK);
    // A failed write is answered normally (nothing committed, nothing to hide).
    let r = org.post("/sobjects/Contact/", &json!({})).await;
    assert_error(&r, 400, "REQUIRED_FIELD_MISSING", Some(&["LastName"]));
}

#[tokio::test]
async fn late_commits_backdate_created_date() {
    let org = Org::start().await;
    org.sandbox.faults().update(|f| f.late_commit_secs = 3600);
    let id = org.create("Contact", json!({"LastName": "Late"})).await;
    let r = org.get(&format!("/sobjects/Contact/{id}")).await;
    let created = r.body["CreatedDate"].as_str().unwrap().to_owned();
    let t = sfgate::sandbox::values::parse_datetime(&created).unwrap();
    let age = time::OffsetDateTime::now_utc() - t;
    assert!(
        age >= time::Duration::seconds(3590) && age <= time::Duration::seconds(3700),
        "{age}"
    );
    org.sandbox.faults().update(|f| f.late_commit_rate = 0.0);
    let id = org.create("Contact", json!({"LastName": "OnTime"})).await;
    let r = org.get(&format!("/sobjects/Contact/{id}")).await;
    assert_ne!(r.body["CreatedDate"].as_str().unwrap(), created);
}

#[tokio::test]
async fn concurrency_ceiling_refuses_and_peak_is_tracked() {
    let org = Arc::new(Org::start().await);
    org.sandbox.faults().update(|f| f.latency_ms = 300);
    let fire = |n: usize| {
        let org = org.clone();
        async move {
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let org = org.clone();
                    tokio::spawn(async move { org.get("/limits").await })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        }
    };
    let replies = fire(6).await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    assert_eq!(org.sandbox.requests().peak_in_flight, 6);
    org.sandbox.reset_counts();
    assert_eq!(org.sandbox.requests().peak_in_flight, 0);
    org.sandbox.faults().update(|f| f.max_concurrent = 2);
    let replies = fire(6).await;
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let refused: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::FORBIDDEN)
        .collect();
    assert_eq!(ok + refused.len(), 6);
    assert!((1..=2).contains(&ok), "{ok} answered");
    for r in refused {
        assert_error(r, 403, "REQUEST_LIMIT_EXCEEDED", None);
        assert_eq!(
            message(r),
            "ConcurrentRequests (Concurrent API Requests) Limit exceeded."
        );
    }
}

/// A query path (under the version) of about `bytes` bytes (percent-encoded): `WHERE Phone IN (...)` with as many
/// numbers as fit.
fn query_path_of(bytes: usize) -> String {
    let path = |soql: &str| {
        let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
        format!("/query?q={q}")
    };
    let mut soql = String::from("SELECT Id FROM Contact WHERE Phone IN ('+14155550100'");
    while path(&soql).len() + 30 < bytes {
        soql.push_str(",'+14155550100'");
    }
    soql.push(')');
    path(&soql)
}

#[tokio::test]
async fn an_over_long_uri_is_414_and_uri_with_headers_431_as_html_like_salesforces_edge() {
    let org = Org::start().await;
    // 1,200 phone numbers: an automation's IN list, about 18 KB.
    let long = query_path_of(18_000);
    assert!(V.len() + long.len() > 16_384);
    let reply = org.get(&long).await;
    assert_eq!(reply.status, StatusCode::URI_TOO_LONG);
    assert!(
        reply.headers[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        reply.headers
    );
    assert!(reply.text.contains("414"), "{}", reply.text);
    // Under the limit alone, over it with a 2 KB header.
    let path = query_path_of(15_500);
    assert!(V.len() + path.len() < 16_384);
    assert_eq!(org.get(&path).await.status, StatusCode::OK);
    let big_header = org
        .client
        .get(format!("{}{V}{path}", org.base))
        .bearer_auth(&org.token)
        .header("X-Padding", "p".repeat(2_000))
        .send()
        .await
        .unwrap();
    assert_eq!(
        big_header.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    // Refused at the edge: nothing was counted or run.
    assert_eq!(org.sandbox.requests().query, 1);
}

#[tokio::test]
async fn html_error_pages_replace_answers_with_no_json_and_no_limit_info() {
    let org = Org::start().await;
    for status in [500u16, 502, 503, 504, 413] {
        org.sandbox.faults().update(|f| {
            f.html_error_rate = 1.0;
            f.html_error_status = status;
        });
        let reply = org.get("/limits").await;
        assert_eq!(reply.status.as_u16(), status);
        assert!(reply.text.starts_with("<html>"), "{}", reply.text);
        assert!(!reply.headers.contains_key("sforce-limit-info"));
    }
    org.sandbox.faults().clear();
    assert_eq!(org.get("/limits").await.status, StatusCode::OK);
}
