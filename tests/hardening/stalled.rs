//! Calls whose request message never arrives whole: they hold no in-flight slot, are
//! refused after the body timeout, and permission and stream quotas apply before the body.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sfgate::assembly::embedded;
use sfgate::caller::{ApiKey, Caller, Permission};
use sfgate::config::SANDBOX_CONNECTION;
use sfgate::pb::ExecuteSoqlQueryRequest;
use sfgate::sandbox::SandboxConfig;
use tokio::net::TcpStream;
use tonic::Code;
use tonic_types::StatusExt;

use crate::common::{self, reason, with_key};

const QUERY: &str = "/sfgate.v1.SalesforceService/ExecuteSoqlQuery";
const SUBSCRIBE: &str = "/sfgate.v1.TriggerService/Subscribe";

/// A key named `name` (presented as `<name>-secret`) with `permissions`.
pub(crate) fn key(name: &str, permissions: &[Permission]) -> ApiKey {
    ApiKey::from_plain(
        &format!("{name}-secret"),
        Caller {
            key_name: name.into(),
            connections: Some(BTreeSet::from([SANDBOX_CONNECTION.to_owned()])),
            default_connection: SANDBOX_CONNECTION.into(),
            permissions: permissions.iter().copied().collect(),
        },
    )
}

/// An HTTP/2 connection to the gateway, its driver running in a task.
pub(crate) async fn h2_connection(addr: std::net::SocketAddr) -> h2::client::SendRequest<Bytes> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (h2, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    h2
}

/// A call to `path` with `key` whose message announces 100 bytes of which 7 arrive; the
/// stream stays open. Returns the response to come and the stream (keep it alive).
pub(crate) async fn stalled(
    h2: &mut h2::client::SendRequest<Bytes>,
    path: &str,
    key: &str,
) -> (h2::client::ResponseFuture, h2::SendStream<Bytes>) {
    let request = http::Request::post(format!("http://localhost{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {key}"))
        .body(())
        .unwrap();
    let mut ready = h2.clone().ready().await.unwrap();
    let (response, mut body) = ready.send_request(request, false).unwrap();
    let mut partial = vec![0u8, 0, 0, 0, 100];
    partial.extend_from_slice(b"\x0a\x05SELEC");
    body.send_data(Bytes::from(partial), false).unwrap();
    (response, body)
}

/// The gRPC status of an answer: in its headers (trailers-only) or its trailers.
pub(crate) async fn status_of(
    response: h2::client::ResponseFuture,
    within: Duration,
) -> tonic::Status {
    let read = async {
        let response = response.await.expect("a response");
        if let Some(status) = tonic::Status::from_header_map(response.headers()) {
            return status;
        }
        let mut body = response.into_body();
        while let Some(data) = body.data().await {
            let data = data.expect("body data");
            let _ = body.flow_control().release_capacity(data.len());
        }
        let trailers = body
            .trailers()
            .await
            .expect("trailers")
            .expect("some trailers");
        tonic::Status::from_header_map(&trailers).expect("a grpc-status trailer")
    };
    tokio::time::timeout(within, read)
        .await
        .expect("an answer in time")
}

#[tokio::test]
async fn stalled_calls_hold_no_in_flight_slot_and_are_refused_after_the_body_timeout() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.limits.max_concurrent_calls = 4;
        gateway.transport.request_body_timeout = Duration::from_secs(2);
        gateway.api_keys.push(key("other", &[Permission::Query]));
    })
    .await;
    let mut h2 = h2_connection(gw.addr).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(stalled(&mut h2, QUERY, embedded::API_KEY).await);
    }
    // Streams too: before, a stalled Subscribe held its slot forever.
    for _ in 0..2 {
        held.push(stalled(&mut h2, SUBSCRIBE, embedded::API_KEY).await);
    }
    let started = Instant::now();
    // Twenty-two stalled calls, four in-flight slots: everyone else is still served, the
    // stalling key included.
    let mut client = gw.client().await;
    for key in ["other-secret", embedded::API_KEY] {
        let request = ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Contact LIMIT 1".into(),
            ..Default::default()
        };
        client
            .execute_soql_query(with_key(request, key))
            .await
            .unwrap_or_else(|e| panic!("{key} is served: {e:?}"));
    }
    for (response, _body) in held {
        let status = status_of(response, Duration::from_secs(5)).await;
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
        assert_eq!(reason(&status).1, "REQUEST_BODY_TIMEOUT");
        let info = status.get_details_error_info().unwrap();
        assert_eq!(info.metadata["timeoutMs"], "2000");
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[tokio::test]
async fn stream_quotas_and_permissions_apply_before_the_body() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.limits.max_streams_per_caller = 3;
        gateway.transport.request_body_timeout = Duration::from_secs(30);
        gateway.api_keys.push(key("reader", &[Permission::Query]));
    })
    .await;
    let mut h2 = h2_connection(gw.addr).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(stalled(&mut h2, SUBSCRIBE, embedded::API_KEY).await);
    }
    // The fourth stalled stream of the key: refused at once, from its headers.
    let (response, _body) = stalled(&mut h2, SUBSCRIBE, embedded::API_KEY).await;
    let status = status_of(response, Duration::from_secs(1)).await;
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(&status).1, "TOO_MANY_STREAMS");
    // A key without the triggers permission: refused at once too.
    let (response, _body) = stalled(&mut h2, SUBSCRIBE, "reader-secret").await;
    let status = status_of(response, Duration::from_secs(1)).await;
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_eq!(reason(&status).1, "PERMISSION_MISSING");
    // So is a unary call it may not make.
    let (response, _body) = stalled(
        &mut h2,
        "/sfgate.v1.SalesforceService/DeleteObject",
        "reader-secret",
    )
    .await;
    let status = status_of(response, Duration::from_secs(1)).await;
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    // A stalled stream that is reset gives its slot back.
    let (_, mut body) = held.pop().unwrap();
    body.send_reset(h2::Reason::CANCEL);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (response, _body) = stalled(&mut h2, SUBSCRIBE, embedded::API_KEY).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(500), response)
            .await
            .is_err(),
        "admitted: waiting for its message"
    );
}
