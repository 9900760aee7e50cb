//! Helpers shared by the trigger tests: a gateway with fast pollers, requests,
//! and readers of a stream's events, heartbeats and end.

use std::time::Duration;

use serde_json::json;
use sfgate::assembly::{self, embedded};
use sfgate::config::SANDBOX_CONNECTION;
use sfgate::pb::salesforce_service_client::SalesforceServiceClient;
use sfgate::pb::trigger_service_client::TriggerServiceClient;
use sfgate::pb::*;
use sfgate::sandbox::SandboxConfig;
use sfgate::triggers::TriggerConfig;
use tonic::transport::Channel;
use tonic::{Status, Streaming};
use tonic_types::StatusExt;

use crate::common::{self, authed, fields, value};

/// Short intervals so a test hears about a record within ~2-3 s.
pub(crate) fn fast() -> TriggerConfig {
    TriggerConfig {
        poll_interval: Duration::from_millis(100),
        min_interval: Duration::from_millis(50),
        max_interval: Duration::from_millis(200),
        overlap: Duration::from_secs(2),
        heartbeat: Duration::from_millis(700),
        buffer: 10_000,
        // The sandbox's budget is raised instead, so tests poll at their own pace.
        api_share: 1.0,
        poll_timeout: Duration::from_secs(10),
    }
}

pub(crate) fn sandbox() -> SandboxConfig {
    SandboxConfig {
        daily_api_limit: 1_000_000_000,
        ..SandboxConfig::default()
    }
}

/// A gateway with `config`'s pollers, and room for the crowds these tests open:
/// 1,000 streams on one key, subscribed all at once.
pub(crate) async fn start(config: TriggerConfig) -> common::Gateway {
    common::start_custom(sandbox(), move |gw, addr, _| {
        gw.triggers = config;
        gw.limits.max_streams_per_caller = 5_000;
        gw.limits.max_streams = 5_000;
        gw.limits.max_concurrent_calls = 5_000;
        // 1,000 subscriptions at once cost 1,000 probe queries on 20 slots: let them
        // wait their turn instead of being shed after the default queue wait.
        let mut connection = embedded::connection_config(addr, "sandbox", "sandbox");
        connection.limits.max_queue_wait = None;
        gw.connections.insert(
            SANDBOX_CONNECTION.into(),
            sfgate::salesforce::Client::new(connection, assembly::http_client()),
        );
    })
    .await
}

pub(crate) async fn triggers(gw: &common::Gateway) -> TriggerServiceClient<Channel> {
    TriggerServiceClient::connect(format!("http://{}", gw.addr))
        .await
        .expect("gateway accepts connections")
}

/// A unique LastName per test, so tests never see each other's records.
pub(crate) fn tag(name: &str) -> String {
    format!("{name}{}", rand::random::<u32>())
}

/// New Contacts whose LastName is `tag`.
pub(crate) fn tagged(tag: &str) -> subscribe_request::Trigger {
    subscribe_request::Trigger::NewObject(NewObjectTrigger {
        sobject: "Contact".into(),
        r#where: "LastName = :tag".into(),
        params: [("tag".to_owned(), value(json!(tag)))].into(),
        fields: vec!["LastName".into(), "Email".into()],
    })
}

pub(crate) fn request(
    trigger: subscribe_request::Trigger,
    start: Option<subscribe_request::Start>,
) -> SubscribeRequest {
    SubscribeRequest {
        connection: String::new(),
        trigger: Some(trigger),
        start,
    }
}

pub(crate) fn resume(cursor: &str) -> Option<subscribe_request::Start> {
    Some(subscribe_request::Start::ResumeCursor(cursor.to_owned()))
}

pub(crate) async fn subscribe(
    client: &mut TriggerServiceClient<Channel>,
    req: SubscribeRequest,
) -> Streaming<SubscribeResponse> {
    client
        .subscribe(authed(req))
        .await
        .expect("subscribe succeeds")
        .into_inner()
}

pub(crate) async fn create(sf: &mut SalesforceServiceClient<Channel>, last_name: &str) -> String {
    sf.create_object(authed(CreateObjectRequest {
        sobject: "Contact".into(),
        fields: Some(fields(
            json!({"LastName": last_name, "Email": "x@example.com"}),
        )),
        ..Default::default()
    }))
    .await
    .expect("create succeeds")
    .into_inner()
    .id
}

/// The next event, skipping heartbeats; panics after `within`.
pub(crate) async fn next_event(
    stream: &mut Streaming<SubscribeResponse>,
    within: Duration,
) -> TriggerEvent {
    tokio::time::timeout(within, async {
        loop {
            let msg = stream
                .message()
                .await
                .expect("stream healthy")
                .expect("stream open");
            if let Some(subscribe_response::Kind::Event(e)) = msg.kind {
                return e;
            }
        }
    })
    .await
    .expect("an event in time")
}

pub(crate) async fn events(
    stream: &mut Streaming<SubscribeResponse>,
    n: usize,
) -> Vec<TriggerEvent> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(next_event(stream, Duration::from_secs(20)).await);
    }
    out
}

pub(crate) fn ids(events: &[TriggerEvent]) -> Vec<String> {
    events.iter().map(|e| e.record_id.clone()).collect()
}

/// The next heartbeat, skipping nothing: an event before it fails the test.
pub(crate) async fn next_heartbeat(stream: &mut Streaming<SubscribeResponse>) -> Heartbeat {
    let msg = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("a heartbeat in time")
        .expect("stream healthy")
        .expect("stream open");
    match msg.kind {
        Some(subscribe_response::Kind::Heartbeat(h)) => h,
        other => panic!("expected a heartbeat, got {other:?}"),
    }
}

pub(crate) fn resume_cursor(status: &Status) -> String {
    status
        .get_details_error_info()
        .and_then(|i| i.metadata.get("resumeCursor").cloned())
        .expect("resumeCursor in ErrorInfo")
}

/// Every `LastName = tag` Contact in the sandbox, as the feed must order them:
/// by `(CreatedDate, Id)`. Read through the gateway with faults off.
pub(crate) async fn truth(sf: &mut SalesforceServiceClient<Channel>, tag: &str) -> Vec<String> {
    let reply = sf
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id, CreatedDate FROM Contact WHERE LastName = :tag".into(),
            params: [("tag".to_owned(), value(json!(tag)))].into(),
            max_records: 2_000,
            ..Default::default()
        }))
        .await
        .expect("query succeeds")
        .into_inner();
    assert!(reply.done, "every page read");
    let mut rows: Vec<(i64, String)> = reply
        .records
        .iter()
        .map(|r| {
            let created = common::str_field(r, "CreatedDate").expect("CreatedDate");
            let created = time::OffsetDateTime::parse(
                &created.replace("+0000", "Z"),
                &time::format_description::well_known::Rfc3339,
            )
            .expect("a datetime");
            let ms = (created.unix_timestamp_nanos() / 1_000_000) as i64;
            (ms, common::str_field(r, "Id").expect("Id").to_owned())
        })
        .collect();
    rows.sort();
    rows.into_iter().map(|(_, id)| id).collect()
}

/// Creates `n` tagged Contacts with `workers` concurrent callers, retrying a
/// create the gateway reports as unavailable; returns the Ids created.
pub(crate) async fn create_many(
    gw: &common::Gateway,
    tag: &str,
    n: usize,
    workers: usize,
) -> Vec<String> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (mut sf, next, tag) = (gw.client().await, next.clone(), tag.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                ids.push(create_retrying(&mut sf, &tag).await);
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.expect("creator task"));
    }
    ids
}

/// A create retried while the gateway answers `UNAVAILABLE` (an injected 503
/// that survived the gateway's own retries; nothing was created).
pub(crate) async fn create_retrying(
    sf: &mut SalesforceServiceClient<Channel>,
    last_name: &str,
) -> String {
    loop {
        let reply = sf
            .create_object(authed(CreateObjectRequest {
                sobject: "Contact".into(),
                fields: Some(fields(
                    json!({"LastName": last_name, "Email": "x@example.com"}),
                )),
                ..Default::default()
            }))
            .await;
        match reply {
            Ok(r) => return r.into_inner().id,
            Err(s) if s.code() == tonic::Code::Unavailable => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(s) => panic!("create failed: {s:?}"),
        }
    }
}
