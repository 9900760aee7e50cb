//! The caller-side limits over real sockets: per-key rate limits, the overload
//! bound, the request size limit and the records-per-call cap.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{authed, with_key};
use prost::Message;
use sfgate::api::{Caller, Permission};
use sfgate::embedded;
use sfgate::middleware::{ApiKey, RateLimit};
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
            connections: Some(BTreeSet::from([embedded::CONNECTION.to_owned()])),
            default_connection: embedded::CONNECTION.into(),
            permissions: Permission::ALL.into_iter().collect(),
        },
    )
}

fn secret(name: &str) -> String {
    format!("{name}-secret")
}

fn lookup() -> ExecuteSoqlQueryRequest {
    ExecuteSoqlQueryRequest {
        query: "SELECT Id FROM Contact LIMIT 1".into(),
        ..Default::default()
    }
}

fn reason(status: &tonic::Status) -> (Code, String, String) {
    let details = status.get_error_details();
    let info = details
        .error_info()
        .unwrap_or_else(|| panic!("every error carries an ErrorInfo: {status:?}"));
    (status.code(), info.reason.clone(), info.domain.clone())
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
