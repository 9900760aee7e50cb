//! Shutdown: calls in flight finish, streams end with UNAVAILABLE and a cursor, and the
//! process exits within its grace period whatever the clients do.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use sfgate::assembly::embedded;
use sfgate::pb::trigger_service_client::TriggerServiceClient;
use sfgate::pb::{ExecuteSoqlQueryRequest, NewContactTrigger, SubscribeRequest, subscribe_request};
use sfgate::sandbox::SandboxConfig;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_types::StatusExt;

use crate::common::{self, authed};
use crate::stalled::{h2_connection, stalled, status_of};

const SUBSCRIBE: &str = "/sfgate.v1.TriggerService/Subscribe";

/// A free loopback port (bound, then released for the child to take).
async fn free_addr() -> std::net::SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

/// `sfgate serve --config` on the embedded sandbox, with `server` lines added to `[server]`;
/// returns once its health service answers SERVING.
pub(crate) async fn serve_process(dir: &Path, server: &str) -> (Child, std::net::SocketAddr) {
    let addr = free_addr().await;
    let config = dir.join("sfgate.toml");
    std::fs::write(
        &config,
        format!("[server]\nlisten = \"{addr}\"\n{server}\n[sandbox]\nenabled = true\n"),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_sfgate"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("SFGATE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("sfgate starts");
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < Duration::from_secs(30), "never served");
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap();
        if let Ok(channel) = endpoint.connect().await
            && let Ok(answer) = HealthClient::new(channel)
                .check(HealthCheckRequest::default())
                .await
            && answer.into_inner().status == ServingStatus::Serving as i32
        {
            return (child, addr);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn sigterm(child: &Child) {
    let pid = child.id().expect("still running").to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
}

#[tokio::test]
async fn sigterm_with_an_idle_connection_and_stalled_streams_open_exits_within_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let grace = Duration::from_secs(3);
    // Nothing closes these on its own before the grace period would.
    let (mut child, addr) = serve_process(
        dir.path(),
        "shutdown_grace_ms = 3000\nfirst_request_timeout_ms = 600000\n\
         request_body_timeout_ms = 600000\nidle_timeout_ms = 600000",
    )
    .await;
    let _idle = TcpStream::connect(addr).await.unwrap();
    let mut h2 = h2_connection(addr).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(stalled(&mut h2, SUBSCRIBE, embedded::API_KEY).await);
    }
    let mut triggers = TriggerServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let mut live = triggers
        .subscribe(authed(SubscribeRequest {
            trigger: Some(subscribe_request::Trigger::NewContact(
                NewContactTrigger::default(),
            )),
            ..Default::default()
        }))
        .await
        .expect("a live stream")
        .into_inner();

    sigterm(&child).await;
    let started = Instant::now();
    let exit = tokio::time::timeout(grace + Duration::from_secs(2), child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    let took = started.elapsed();
    assert!(exit.success(), "{exit:?}");
    assert!(took < grace, "took {took:?}");

    // The live stream ended as documented: UNAVAILABLE with a cursor to resume from.
    let end = loop {
        match live.message().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("a stream ends with a status"),
            Err(status) => break status,
        }
    };
    assert_eq!(end.code(), Code::Unavailable, "{end:?}");
    let info = end.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "GATEWAY_SHUTTING_DOWN");
    assert!(!info.metadata["resumeCursor"].is_empty());
    // The stalled ones were refused, not left hanging.
    for (response, _body) in held {
        let status = status_of(response, Duration::from_secs(1)).await;
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    }
}

#[tokio::test]
async fn calls_in_flight_finish_and_one_that_outlives_the_grace_period_is_cut() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.transport.shutdown_grace = Duration::from_secs(2);
        gateway.default_timeout = Duration::from_secs(60);
    })
    .await;
    let client = gw.client().await;
    // 1 s of upstream latency: the call is in flight when shutdown starts.
    gw.sandbox.faults().update(|f| f.latency_ms = 1000);
    let mut quick = client.clone();
    let in_flight = tokio::spawn(async move {
        quick
            .execute_soql_query(authed(ExecuteSoqlQueryRequest {
                query: "SELECT Id FROM Contact LIMIT 1".into(),
                ..Default::default()
            }))
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let addr = gw.addr;
    let started = Instant::now();
    gw.shutdown().await;
    let took = started.elapsed();
    in_flight
        .await
        .unwrap()
        .expect("a call in flight at shutdown finishes");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );

    // Now a call that would take 30 s: cut at the 2 s grace.
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.transport.shutdown_grace = Duration::from_secs(2);
        gateway.default_timeout = Duration::from_secs(60);
    })
    .await;
    gw.sandbox.faults().update(|f| f.latency_ms = 30_000);
    let mut slow = gw.client().await;
    let _call = tokio::spawn(async move {
        slow.execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Contact LIMIT 1".into(),
            ..Default::default()
        }))
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    drop(client);
    gw.shutdown().await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
        "{took:?}"
    );
}
