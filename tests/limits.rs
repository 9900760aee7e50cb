//! The caller-side limits over real sockets: per-key rate limits, the overload
//! bound, the request size limit and the records-per-call cap.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{authed, lookup, reason, with_key};
use prost::Message;
use sfgate::assembly::{self, embedded};
use sfgate::caller::{ApiKey, Caller, Permission};
use sfgate::config::SANDBOX_CONNECTION;
use sfgate::limits::RateLimit;
use sfgate::pb::*;
use sfgate::sandbox::SandboxConfig;
use tonic::Code;
use tonic_types::StatusExt;

/// A key named `name` (presented as `<name>-secret`) with every permission.
fn key(name: &str) -> ApiKey {
    ApiKey::from_plain(
        &secret(name),
        Caller {
            key_name: name.into(),
            connections: Some(BTreeSet::from([SANDBOX_CONNECTION.to_owned()])),
            default_connection: SANDBOX_CONNECTION.into(),
            permissions: Permission::ALL.into_iter().collect(),
        },
    )
}

fn secret(name: &str) -> String {
    format!("{name}-secret")
}

#[tokio::test]
async fn rate_limited_caller_gets_retry_info_and_quota_failure_while_another_key_is_unaffected() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.api_keys.push(key("noisy"));
        gateway
            .limits
            .rate_limits
            .insert("noisy".into(), RateLimit::per_second(1, 3).unwrap());
    })
    .await;
    let mut client = gw.client().await;
    let noisy = secret("noisy");
    for n in 0..3 {
        client
            .get_access_token(with_key(GetAccessTokenRequest::default(), &noisy))
            .await
            .unwrap_or_else(|e| panic!("call {n} is within the burst of 3: {e:?}"));
    }
    let started = Instant::now();
    let err = client
        .get_access_token(with_key(GetAccessTokenRequest::default(), &noisy))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "refused at once"
    );
    assert_eq!(
        reason(&err),
        (
            Code::ResourceExhausted,
            "RATE_LIMITED".into(),
            "sfgate".into()
        )
    );
    let details = err.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.metadata["apiKey"], "noisy");
    assert!(
        !err.message().contains(&noisy) && !format!("{info:?}").contains(&noisy),
        "the key itself never appears: {err:?}"
    );
    let quota = details.quota_failure().expect("QuotaFailure");
    assert_eq!(quota.violations[0].subject, "apiKey:noisy");
    let wait = details
        .retry_info()
        .and_then(|r| r.retry_delay)
        .expect("RetryInfo with the wait");
    // One call a second and the burst just spent: the next is under a second away.
    assert!(
        wait > Duration::from_millis(500) && wait <= Duration::from_secs(1),
        "{wait:?}"
    );
    assert_eq!(
        err.metadata()
            .get("retry-after")
            .expect("retry-after metadata"),
        "1"
    );

    // Another key, same connection, same moment: its own bucket is full.
    for _ in 0..10 {
        client
            .get_access_token(authed(GetAccessTokenRequest::default()))
            .await
            .expect("the sandbox key is not limited by the noisy one");
    }

    // The wait was honest: after it, the noisy key may call again.
    tokio::time::sleep(wait).await;
    client
        .get_access_token(with_key(GetAccessTokenRequest::default(), &noisy))
        .await
        .expect("a token has been added after the advertised wait");
}

#[tokio::test]
async fn reflection_and_health_still_answer_after_thousands_of_throttled_calls() {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    use tonic_reflection::pb::{v1, v1alpha};

    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.api_keys.push(key("noisy"));
        gateway
            .limits
            .rate_limits
            .insert("noisy".into(), RateLimit::per_second(1, 1).unwrap());
    })
    .await;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", gw.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client =
        sfgate::pb::salesforce_service_client::SalesforceServiceClient::new(channel.clone());
    let noisy = secret("noisy");
    let mut throttled = 0;
    for _ in 0..2000 {
        match client
            .get_access_token(with_key(GetAccessTokenRequest::default(), &noisy))
            .await
        {
            Err(e) if e.code() == Code::ResourceExhausted => throttled += 1,
            Err(e) => panic!("only rate limiting expected: {e:?}"),
            Ok(_) => {}
        }
    }
    assert!(throttled >= 1990, "the key was throttled: {throttled}");

    // grpcurl sends its `-H authorization: …` on its reflection calls too, so
    // they carry the throttled key here as well.
    let with_noisy = |message| with_key(message, &noisy);
    let mut health = HealthClient::new(channel.clone());
    let mut v1alpha =
        v1alpha::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let mut v1 = v1::server_reflection_client::ServerReflectionClient::new(channel);
    for _ in 0..20 {
        let status = health
            .check(with_noisy(HealthCheckRequest {
                service: "sfgate.v1.SalesforceService".into(),
            }))
            .await
            .expect("health is never throttled")
            .into_inner()
            .status;
        assert_eq!(
            status,
            tonic_health::pb::health_check_response::ServingStatus::Serving as i32
        );

        let request = v1alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
            ),
        };
        let mut answers = v1alpha
            .server_reflection_info(with_key(tokio_stream::once(request), &noisy))
            .await
            .expect("reflection v1alpha is never throttled")
            .into_inner();
        let answer = answers.message().await.unwrap().expect("one answer");
        let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
            answer.message_response
        else {
            panic!("a service list: {answer:?}")
        };
        assert!(
            list.service
                .iter()
                .any(|s| s.name == "sfgate.v1.SalesforceService"),
            "{list:?}"
        );

        let request = v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                v1::server_reflection_request::MessageRequest::FileContainingSymbol(
                    "sfgate.v1.SalesforceService".into(),
                ),
            ),
        };
        let mut answers = v1
            .server_reflection_info(with_key(tokio_stream::once(request), &noisy))
            .await
            .expect("reflection v1 is never throttled")
            .into_inner();
        let answer = answers.message().await.unwrap().expect("one answer");
        assert!(
            matches!(
                answer.message_response,
                Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
            ),
            "{answer:?}"
        );
    }

    // And grpcurl itself (v1.8.6, reflection v1alpha), sending the throttled key.
    let grpcurl = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/grpcurl");
    assert!(
        grpcurl.exists(),
        "grpcurl is missing: run scripts/setup (scripts/test does) to install it into .venv"
    );
    let header = format!("authorization: Bearer {noisy}");
    let addr = gw.addr.to_string();
    for args in [
        vec!["list"],
        vec!["describe", "sfgate.v1.SalesforceService.CreateObject"],
    ] {
        let out = tokio::process::Command::new(&grpcurl)
            .args(["-plaintext", "-H", &header, &addr])
            .args(&args)
            .output()
            .await
            .expect("grpcurl runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("sfgate.v1.SalesforceService"),
            "grpcurl {args:?}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn over_the_in_flight_bound_calls_are_refused_at_once_with_unavailable() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.limits.max_concurrent_calls = 2;
    })
    .await;
    let mut client = gw.client().await;
    // Log in first, so the slow calls below are slow in the query itself.
    client.execute_soql_query(authed(lookup())).await.unwrap();
    gw.sandbox.faults().update(|f| f.latency_ms = 1000);

    let slow: Vec<_> = (0..2)
        .map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move { client.execute_soql_query(authed(lookup())).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let err = client
        .execute_soql_query(authed(lookup()))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(50),
        "refused at once, not queued: {took:?}"
    );
    assert_eq!(
        reason(&err),
        (Code::Unavailable, "OVERLOADED".into(), "sfgate".into())
    );
    let details = err.get_error_details();
    assert_eq!(
        details.error_info().unwrap().metadata["maxConcurrentCalls"],
        "2"
    );
    let retry = details
        .retry_info()
        .and_then(|r| r.retry_delay)
        .expect("a short RetryInfo");
    assert!(retry < Duration::from_secs(1), "{retry:?}");

    // Health answers while the business calls are saturated.
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", gw.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .expect("health is not shed");

    for call in slow {
        call.await
            .unwrap()
            .expect("the admitted calls complete normally");
    }
    // Their slots were given back.
    gw.sandbox.faults().update(|f| f.latency_ms = 0);
    client
        .execute_soql_query(authed(lookup()))
        .await
        .expect("admitted again once the calls in flight ended");
}

/// A query whose encoded request is exactly `size` bytes.
fn query_of_size(size: usize) -> ExecuteSoqlQueryRequest {
    let mut padding = size;
    loop {
        let request = ExecuteSoqlQueryRequest {
            query: format!(
                "SELECT Id FROM Contact WHERE LastName = '{}' LIMIT 1",
                "x".repeat(padding)
            ),
            ..Default::default()
        };
        let len = request.encoded_len();
        match len.cmp(&size) {
            std::cmp::Ordering::Equal => return request,
            std::cmp::Ordering::Greater => padding -= 1,
            std::cmp::Ordering::Less => panic!("no padding gives exactly {size} bytes"),
        }
    }
}

#[tokio::test]
async fn a_request_one_byte_over_the_size_limit_is_refused_naming_the_limit() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.limits.max_request_bytes = 1024;
    })
    .await;
    let mut client = gw.client().await;
    let at_limit = client
        .execute_soql_query(authed(query_of_size(1024)))
        .await
        .expect("a request of exactly the limit is accepted");
    assert!(at_limit.into_inner().records.is_empty());

    let err = client
        .execute_soql_query(authed(query_of_size(1025)))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&err),
        (
            Code::ResourceExhausted,
            "REQUEST_TOO_LARGE".into(),
            "sfgate".into()
        )
    );
    let metadata = &err.get_details_error_info().unwrap().metadata;
    assert_eq!(metadata["limitBytes"], "1024");
    assert_eq!(metadata["sizeBytes"], "1025");
    assert!(err.message().contains("1024 bytes"), "{}", err.message());
    assert!(
        err.get_details_retry_info().is_none(),
        "the same request would be refused again"
    );
}

#[tokio::test]
async fn max_records_over_the_cap_is_refused_and_no_page_exceeds_it() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.limits.max_records = 3;
    })
    .await;
    let mut client = gw.client().await;
    let all_contacts = |max_records| ExecuteSoqlQueryRequest {
        query: "SELECT Id FROM Contact".into(),
        max_records,
        ..Default::default()
    };

    let err = client
        .execute_soql_query(authed(all_contacts(4)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let violations = err
        .get_details_bad_request()
        .expect("BadRequest")
        .field_violations;
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].field, "max_records");
    assert!(violations[0].description.contains('3'), "{violations:?}");

    let at_cap = client
        .execute_soql_query(authed(all_contacts(3)))
        .await
        .expect("max_records at the cap is fine")
        .into_inner();
    assert_eq!(at_cap.records.len(), 3);

    // Unset means one page, cut at the cap: the sample org has 4 contacts.
    let first = client
        .execute_soql_query(authed(all_contacts(0)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.total_size, 4);
    assert_eq!(first.records.len(), 3);
    assert!(!first.done);
    let rest = client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            page_token: first.next_page_token,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.records.len(), 1);
    assert!(rest.done);
}

/// The gateway's `sandbox` connection rebuilt with these upstream limits.
fn with_upstream(
    gateway: &mut sfgate::server::Gateway,
    addr: std::net::SocketAddr,
    limits: sfgate::salesforce::UpstreamLimits,
) {
    let oauth = SandboxConfig::default().oauth;
    let mut config = embedded::connection_config(addr, &oauth.client_id, &oauth.client_secret);
    config.limits = limits;
    let client = sfgate::salesforce::Client::new(config, assembly::http_client());
    gateway
        .connections
        .insert(SANDBOX_CONNECTION.to_owned(), client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_parallel_callers_never_put_more_than_the_ceiling_on_the_org() {
    const CEILING: usize = 5;
    let gw = common::start_custom(SandboxConfig::default(), |gateway, addr, _| {
        with_upstream(
            gateway,
            addr,
            sfgate::salesforce::UpstreamLimits {
                max_concurrent: CEILING,
                // All 200 wait their turn (40 rounds of 20 ms), past the default queue wait.
                max_queue_wait: None,
                ..Default::default()
            },
        );
    })
    .await;
    let client = gw.client().await;
    client
        .clone()
        .execute_soql_query(authed(lookup()))
        .await
        .unwrap();
    gw.sandbox.faults().update(|f| f.latency_ms = 20);
    gw.sandbox.reset_counts();
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move { client.execute_soql_query(authed(lookup())).await })
        })
        .collect();
    for call in calls {
        call.await
            .unwrap()
            .expect("every caller is served, in turn");
    }
    let seen = gw.sandbox.requests();
    assert_eq!(seen.query, 200);
    assert_eq!(
        seen.peak_in_flight, CEILING as u64,
        "the org saw at most (and, under this load, exactly) the ceiling"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_percent_injected_503s_are_absorbed_by_retries_on_queries() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, addr, _| {
        // An operator's settings for a flaky org: retries enough to ride out a
        // 30% failure rate, and a retry budget that allows them.
        with_upstream(
            gateway,
            addr,
            sfgate::salesforce::UpstreamLimits {
                max_retries: 10,
                retry_base: Duration::from_millis(2),
                retry_budget_percent: 1.0,
                ..Default::default()
            },
        );
    })
    .await;
    let mut client = gw.client().await;
    client.execute_soql_query(authed(lookup())).await.unwrap();
    gw.sandbox.reset_counts();
    gw.sandbox.faults().update(|f| f.unavailable_rate = 0.3);
    for n in 0..200 {
        client
            .execute_soql_query(authed(lookup()))
            .await
            .unwrap_or_else(|e| panic!("query {n} failed through the retries: {e:?}"));
    }
    let sent = gw.sandbox.requests().query;
    // About 86 of ~286 attempts fail; far fewer than 30 would mean no faults were injected.
    assert!(
        sent >= 230,
        "the org answered 503 and was asked again: {sent}"
    );
}

#[tokio::test]
async fn request_limit_exceeded_reaches_the_caller_at_once_without_upstream_retries() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    client.execute_soql_query(authed(lookup())).await.unwrap();

    // The org's concurrent-request limit: one slow call holds the org's only slot.
    gw.sandbox.faults().update(|f| {
        f.max_concurrent = 1;
        f.latency_ms = 500;
    });
    let slow = {
        let mut client = client.clone();
        tokio::spawn(async move { client.execute_soql_query(authed(lookup())).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    gw.sandbox.reset_counts();
    let started = Instant::now();
    let err = client
        .execute_soql_query(authed(lookup()))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(150), "at once");
    assert_eq!(reason(&err).1, "REQUEST_LIMIT_EXCEEDED");
    assert_eq!(
        err.get_details_error_info().unwrap().metadata["limit"],
        "ConcurrentRequests"
    );
    assert_eq!(gw.sandbox.requests().query, 1, "no retry upstream");
    slow.await
        .unwrap()
        .expect("the call holding the slot completes");
    gw.sandbox.faults().clear();

    // The daily budget spent.
    let (used, _) = gw.sandbox.api_usage();
    gw.sandbox.set_daily_api_limit(used);
    gw.sandbox.reset_counts();
    let started = Instant::now();
    let err = client
        .execute_soql_query(authed(lookup()))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(150), "at once");
    assert_eq!(reason(&err).1, "REQUEST_LIMIT_EXCEEDED");
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert_eq!(gw.sandbox.requests().query, 1, "no retry upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_that_cannot_get_a_slot_within_the_queue_wait_are_refused_at_once() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, addr, _| {
        with_upstream(
            gateway,
            addr,
            sfgate::salesforce::UpstreamLimits {
                max_concurrent: 2,
                max_queue_wait: Some(Duration::from_millis(100)),
                ..Default::default()
            },
        );
    })
    .await;
    let client = gw.client().await;
    client
        .clone()
        .execute_soql_query(authed(lookup()))
        .await
        .expect("a warm connection");
    gw.sandbox.faults().update(|f| f.latency_ms = 600);
    gw.sandbox.reset_counts();
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let result = client.execute_soql_query(authed(lookup())).await;
                (result, started.elapsed())
            })
        })
        .collect();
    let (mut served, mut refused) = (0, 0);
    for call in calls {
        let (result, took) = call.await.unwrap();
        match result {
            Ok(_) => served += 1,
            Err(err) => {
                refused += 1;
                assert_eq!(
                    reason(&err),
                    (Code::Unavailable, "CONNECTION_BUSY".into(), "sfgate".into())
                );
                assert!(err.get_error_details().retry_info().is_some());
                assert!(
                    took < Duration::from_millis(450),
                    "refused after the queue wait, not the org's 600 ms: {took:?}"
                );
            }
        }
    }
    assert_eq!((served, refused), (2, 8), "two slots, the rest refused");
    assert_eq!(gw.sandbox.requests().peak_in_flight, 2);
}
