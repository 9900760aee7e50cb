//! The error table's rows that need a misbehaving org or a misconfigured
//! connection: limits, lock contention, outages, dropped connections, refused
//! logins, deadlines, and the gateway's own grants.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{authed, fields, lookup, reason, with_key};
use serde_json::json;
use sfgate::assembly::{self, embedded};
use sfgate::caller::{ApiKey, Caller, Permission};
use sfgate::config::SANDBOX_CONNECTION;
use sfgate::pb::*;
use sfgate::salesforce::Client;
use sfgate::sandbox::SandboxConfig;
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn daily_limit_is_resource_exhausted_with_quota_failure_and_no_retry_info() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    client
        .execute_soql_query(authed(lookup()))
        .await
        .expect("within budget");
    let (used, _) = gw.sandbox.api_usage();
    gw.sandbox.set_daily_api_limit(used);
    let err = client
        .execute_soql_query(authed(lookup()))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&err),
        (
            Code::ResourceExhausted,
            "REQUEST_LIMIT_EXCEEDED".into(),
            "salesforce.com".into()
        )
    );
    let details = err.get_error_details();
    assert_eq!(
        details.error_info().unwrap().metadata["limit"],
        "TotalRequests"
    );
    let quota = details.quota_failure().expect("QuotaFailure");
    assert_eq!(quota.violations[0].subject, "connection:sandbox");
    assert!(
        details.retry_info().is_none(),
        "a daily limit is not worth retrying soon"
    );
}

#[tokio::test]
async fn lock_contention_is_aborted_and_outages_unavailable_both_with_retry_info() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    let id = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(json!({"LastName": "Locked"}))),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .id;

    gw.sandbox.faults().update(|f| f.lock_row_rate = 1.0);
    let err = client
        .update_object(authed(UpdateObjectRequest {
            id: id.clone(),
            fields: Some(fields(json!({"Title": "x"}))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&err),
        (
            Code::Aborted,
            "UNABLE_TO_LOCK_ROW".into(),
            "salesforce.com".into()
        )
    );
    assert!(err.get_details_retry_info().is_some());

    gw.sandbox.faults().clear();
    gw.sandbox.faults().update(|f| f.unavailable_rate = 1.0);
    let err = client
        .execute_soql_query(authed(lookup()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert!(err.get_details_retry_info().is_some());
}

#[tokio::test]
async fn a_dropped_connection_is_unavailable_and_a_create_says_its_outcome_is_unknown() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    // Log in first, so the drop hits the data call, not the token request.
    client.execute_soql_query(authed(lookup())).await.unwrap();
    gw.sandbox.faults().update(|f| f.drop_before_rate = 1.0);
    let err = client
        .execute_soql_query(authed(lookup()))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&err),
        (
            Code::Unavailable,
            "UPSTREAM_UNREACHABLE".into(),
            "sfgate".into()
        )
    );
    let err = client
        .create_object(authed(CreateObjectRequest {
            sobject: "Lead".into(),
            fields: Some(fields(json!({"LastName": "Maybe", "Company": "Unknown"}))),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&err),
        (
            Code::Unavailable,
            "UPSTREAM_OUTCOME_UNKNOWN".into(),
            "sfgate".into()
        )
    );
    assert!(
        err.message().contains("may or may not"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_failed_precondition_not_unauthenticated() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, addr, _| {
        let config = embedded::connection_config(addr, "sandbox", "not-the-secret");
        gateway.connections.insert(
            SANDBOX_CONNECTION.into(),
            Client::new(config, assembly::http_client()),
        );
    })
    .await;
    let mut client = gw.client().await;
    let started = Instant::now();
    let err = client
        .execute_soql_query(authed(lookup()))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&err),
        (
            Code::FailedPrecondition,
            "CONNECTION_AUTH_FAILED".into(),
            "sfgate".into()
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a clear error, not a hang"
    );
    assert!(
        !err.message().contains("not-the-secret"),
        "the secret never reaches an error"
    );
}

#[tokio::test]
async fn a_token_whose_instance_url_is_off_the_allowlist_is_refused() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, addr, _| {
        let mut config = embedded::connection_config(addr, "sandbox", "sandbox");
        config.allowed_hosts.clear();
        gateway.connections.insert(
            SANDBOX_CONNECTION.into(),
            Client::new(config, assembly::http_client()),
        );
    })
    .await;
    let mut client = gw.client().await;
    let err = client
        .execute_soql_query(authed(lookup()))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&err),
        (
            Code::FailedPrecondition,
            "INSTANCE_URL_NOT_ALLOWED".into(),
            "sfgate".into()
        )
    );
}

#[tokio::test]
async fn a_session_refused_right_after_refresh_is_failed_precondition_after_one_retry() {
    let mut config = SandboxConfig::default();
    // Every session expires at once: the fresh token is refused too.
    config.oauth.idle_timeout = Duration::ZERO;
    let gw = common::start_with(config).await;
    let mut client = gw.client().await;
    let err = client
        .execute_soql_query(authed(lookup()))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&err),
        (
            Code::FailedPrecondition,
            "CONNECTION_UNAUTHORIZED".into(),
            "sfgate".into()
        )
    );
    assert_eq!(
        gw.sandbox.requests().token,
        2,
        "one login, one refresh, no loop"
    );
}

#[tokio::test]
async fn a_slow_org_gives_deadline_exceeded_at_the_callers_deadline() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    client.execute_soql_query(authed(lookup())).await.unwrap();
    gw.sandbox.faults().update(|f| f.latency_ms = 2_000);
    let mut request = authed(lookup());
    request.set_timeout(Duration::from_millis(200));
    let started = Instant::now();
    let err = client.execute_soql_query(request).await.unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn grants_are_checked_per_permission_and_connection() {
    let readonly = "read-only-key";
    let all_connections = "all-connections-key";
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.api_keys.push(ApiKey::from_plain(
            readonly,
            Caller {
                key_name: "reader".into(),
                connections: Some(BTreeSet::from([SANDBOX_CONNECTION.to_owned()])),
                default_connection: SANDBOX_CONNECTION.into(),
                permissions: BTreeSet::from([Permission::Query]),
            },
        ));
        gateway.api_keys.push(ApiKey::from_plain(
            all_connections,
            Caller {
                key_name: "ops".into(),
                connections: None,
                default_connection: SANDBOX_CONNECTION.into(),
                permissions: Permission::ALL.into_iter().collect(),
            },
        ));
    })
    .await;
    let mut client = gw.client().await;
    client
        .execute_soql_query(with_key(lookup(), readonly))
        .await
        .expect("may query");
    let err = client
        .delete_object(with_key(
            DeleteObjectRequest {
                id: "003Gb00000000GCIAY".into(),
                ..Default::default()
            },
            readonly,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&err),
        (
            Code::PermissionDenied,
            "PERMISSION_MISSING".into(),
            "sfgate".into()
        )
    );
    let err = client
        .get_access_token(with_key(GetAccessTokenRequest::default(), readonly))
        .await
        .unwrap_err();
    assert_eq!(reason(&err).1, "PERMISSION_MISSING");
    let err = client
        .execute_soql_query(with_key(
            ExecuteSoqlQueryRequest {
                connection: "nowhere".into(),
                ..lookup()
            },
            all_connections,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&err),
        (
            Code::NotFound,
            "CONNECTION_NOT_FOUND".into(),
            "sfgate".into()
        )
    );
}

#[tokio::test]
async fn answers_without_salesforces_json_body_map_to_codes_a_caller_can_act_on() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    client
        .execute_soql_query(authed(lookup()))
        .await
        .expect("a token first");
    // (HTTP status of the HTML page, gRPC code, reason, retried by the gateway)
    for (http, code, why, retried) in [
        (413, Code::InvalidArgument, "PAYLOAD_TOO_LARGE", false),
        (414, Code::InvalidArgument, "URI_TOO_LONG", false),
        (431, Code::InvalidArgument, "URI_TOO_LONG", false),
        (500, Code::Unavailable, "UPSTREAM_HTTP_ERROR", false),
        (502, Code::Unavailable, "UPSTREAM_HTTP_ERROR", true),
        (503, Code::Unavailable, "UPSTREAM_HTTP_ERROR", true),
        (504, Code::Unavailable, "UPSTREAM_HTTP_ERROR", true),
    ] {
        gw.sandbox.faults().update(|f| {
            f.html_error_rate = 1.0;
            f.html_error_status = http;
        });
        gw.sandbox.reset_counts();
        let err = client
            .execute_soql_query(authed(lookup()))
            .await
            .unwrap_err();
        assert_eq!(
            reason(&err),
            (code, why.to_owned(), "sfgate".to_owned()),
            "HTTP {http}: {err:?}"
        );
        let details = err.get_error_details();
        assert_eq!(
            details.error_info().unwrap().metadata["httpStatus"],
            http.to_string()
        );
        if code == Code::InvalidArgument {
            assert_eq!(
                details.bad_request().expect("BadRequest").field_violations[0].field,
                "query"
            );
            assert!(details.retry_info().is_none());
        } else {
            assert!(details.retry_info().is_some(), "HTTP {http}");
        }
        let attempts = gw.sandbox.requests().query;
        assert_eq!(attempts, if retried { 4 } else { 1 }, "HTTP {http}");
    }

    // A create without an idempotency key: after a server error its outcome is unknown;
    // after a 503 (not processed) it is safe to retry; a 413 names its fields.
    let create = || {
        authed(CreateObjectRequest {
            sobject: "Lead".into(),
            fields: Some(fields(json!({"LastName": "Page", "Company": "Proxy"}))),
            ..Default::default()
        })
    };
    for (http, code, why) in [
        (500, Code::Unavailable, "UPSTREAM_OUTCOME_UNKNOWN"),
        (502, Code::Unavailable, "UPSTREAM_OUTCOME_UNKNOWN"),
        (504, Code::Unavailable, "UPSTREAM_OUTCOME_UNKNOWN"),
        (503, Code::Unavailable, "UPSTREAM_HTTP_ERROR"),
        (413, Code::InvalidArgument, "PAYLOAD_TOO_LARGE"),
    ] {
        gw.sandbox.faults().update(|f| f.html_error_status = http);
        let err = client.create_object(create()).await.unwrap_err();
        assert_eq!(
            reason(&err),
            (code, why.to_owned(), "sfgate".to_owned()),
            "HTTP {http}: {err:?}"
        );
        let details = err.get_error_details();
        assert_eq!(details.retry_info().is_some(), http == 503, "HTTP {http}");
        if http == 413 {
            assert_eq!(
                details.bad_request().unwrap().field_violations[0].field,
                "fields"
            );
        }
    }
}
