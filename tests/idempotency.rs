//! Idempotent creates over real sockets: a keyed create happens once however
//! often it is sent, by the caller or by the gateway's retries, even when
//! Salesforce's answers are lost after it committed.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use common::{authed, fields, leads_named, with_key};
use serde_json::{Value, json};
use sfgate::assembly::embedded;
use sfgate::caller::{ApiKey, Caller, Permission};
use sfgate::config::SANDBOX_CONNECTION;
use sfgate::limits::RateLimit;
use sfgate::pb::*;
use sfgate::sandbox::{Sandbox, SandboxConfig};
use tonic::Code;
use tonic_types::StatusExt;

fn lead(last: &str, key: &str) -> CreateObjectRequest {
    CreateObjectRequest {
        sobject: "Lead".into(),
        fields: Some(fields(json!({"LastName": last, "Company": "Idem"}))),
        idempotency_key: key.into(),
        ..Default::default()
    }
}

fn company_leads(sandbox: &Sandbox) -> usize {
    sandbox.with_data(|d| {
        let mut n = 0;
        d.scan("Lead", &mut |r| {
            n += usize::from(r.get("Company") == Some(&Value::from("Idem")))
        });
        n
    })
}

#[tokio::test]
async fn a_repeated_key_returns_the_first_record_and_a_reused_key_is_refused() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.api_keys.push(ApiKey::from_plain(
            "tenant-b-secret",
            Caller {
                key_name: "tenant-b".into(),
                connections: Some(BTreeSet::from([SANDBOX_CONNECTION.to_owned()])),
                default_connection: SANDBOX_CONNECTION.into(),
                permissions: Permission::ALL.into_iter().collect(),
            },
        ));
    })
    .await;
    let mut client = gw.client().await;
    let first = client
        .create_object(authed(lead("Once", "k-1")))
        .await
        .unwrap()
        .into_inner();
    let again = client
        .create_object(authed(lead("Once", "k-1")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.id, again.id);
    assert_eq!(leads_named(&gw.sandbox, "Once"), 1);
    assert_eq!(gw.sandbox.requests().create, 2, "both went to salesforce");

    // The same key with other fields: refused, naming the field, nothing created.
    let err = client
        .create_object(authed(lead("Other", "k-1")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let violations = err.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "idempotency_key");
    assert_eq!(leads_named(&gw.sandbox, "Other"), 0);

    // Another tenant's identical key is its own: a record of its own.
    let other = client
        .create_object(with_key(lead("Once", "k-1"), "tenant-b-secret"))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(other.id, first.id);
    assert_eq!(leads_named(&gw.sandbox, "Once"), 2);

    // A key that is no key.
    let err = client
        .create_object(authed(lead("Bad", &"k".repeat(256))))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.get_details_bad_request().unwrap().field_violations[0].field,
        "idempotency_key"
    );
}

#[tokio::test]
async fn concurrent_repeats_of_one_key_create_once() {
    let gw = common::start().await;
    let client = gw.client().await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move {
                client
                    .create_object(authed(lead("Racy", "k-race")))
                    .await
                    .map(|r| r.into_inner().id)
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().expect("every repeat succeeds"));
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(leads_named(&gw.sandbox, "Racy"), 1);
}

#[tokio::test]
async fn a_keyed_create_whose_answer_was_lost_is_retried_by_the_gateway_and_happens_once() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    // Log in first: the fault below is for the create only.
    client
        .create_object(authed(lead("Warm", "")))
        .await
        .unwrap();
    gw.sandbox.reset_counts();
    // The first attempt commits and loses its answer; the org heals before the retry.
    gw.sandbox
        .faults()
        .update(|f| f.drop_after_commit_rate = 1.0);
    let faults = gw.sandbox.faults();
    let created = {
        let call = client.create_object(authed(lead("Lost", "k-lost")));
        tokio::pin!(call);
        // Let the first attempt commit and lose its answer, then heal the org.
        loop {
            tokio::select! {
                r = &mut call => break r,
                () = tokio::time::sleep(std::time::Duration::from_millis(5)) => {
                    if gw.sandbox.requests().create >= 1 {
                        faults.clear();
                    }
                }
            }
        }
    };
    let created = created.expect("the gateway retried the keyed create");
    assert!(created.into_inner().id.starts_with("00Q"));
    assert!(gw.sandbox.requests().create >= 2, "a retry was sent");
    assert_eq!(leads_named(&gw.sandbox, "Lost"), 1);
}

#[tokio::test]
async fn ten_thousand_keyed_creates_sent_twice_through_lost_answers_leave_ten_thousand_records() {
    const N: usize = 10_000;
    const PARALLEL: usize = 32;
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway
            .limits
            .rate_limits
            .insert(embedded::API_KEY.into(), RateLimit::Unlimited);
    })
    .await;
    let client = gw.client().await;
    gw.sandbox
        .faults()
        .update(|f| f.drop_after_commit_rate = 0.05);
    let mut unavailable = 0;
    for round in 0..2 {
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let workers: Vec<_> = (0..PARALLEL)
            .map(|_| {
                let (mut client, next) = (client.clone(), next.clone());
                tokio::spawn(async move {
                    let mut gave_up = 0;
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= N {
                            return gave_up;
                        }
                        let key = format!("lead-{i}");
                        // The caller's own retries, until one answer arrives: the
                        // gateway's retries may all have lost their answers too.
                        loop {
                            match client.create_object(authed(lead(&key, &key))).await {
                                Ok(_) => break,
                                Err(e) if e.code() == Code::Unavailable => gave_up += 1,
                                Err(e) => panic!("create {i}, round {round}: {e:?}"),
                            }
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            unavailable += w.await.unwrap();
        }
    }
    let requests = gw.sandbox.requests();
    assert_eq!(company_leads(&gw.sandbox), N);
    // The faults were real: about 5% of the creates lost their answers and were sent again.
    assert!(
        requests.create > (2 * N) as u64 + 500,
        "creates sent upstream: {} (caller retries after UNAVAILABLE: {unavailable})",
        requests.create
    );
    println!(
        "creates sent upstream: {}, caller-side retries: {unavailable}",
        requests.create
    );
}
