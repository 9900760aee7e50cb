//! Flow control and upstream trouble: a slow subscriber is cut off with its
//! cursor without slowing the others, and upstream errors never end a stream.

use std::time::Duration;

use sfgate::pb::trigger_service_client::TriggerServiceClient;
use sfgate::pb::*;
use sfgate::triggers::TriggerConfig;
use tonic::Code;
use tonic::transport::Endpoint;
use tonic_types::StatusExt;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_is_cut_off_with_its_cursor_and_resumes_without_loss() {
    let gw = start(TriggerConfig {
        buffer: 8,
        ..fast()
    })
    .await;
    let t = tag("Slow");
    let mut fast_client = triggers(&gw).await;
    // The slow client's HTTP/2 windows are tiny, so the transport cannot hide its
    // slowness by buffering.
    let channel = Endpoint::from_shared(format!("http://{}", gw.addr))
        .expect("an endpoint")
        .initial_stream_window_size(Some(2048))
        .initial_connection_window_size(Some(2048))
        .connect()
        .await
        .expect("gateway accepts connections");
    let mut slow_client = TriggerServiceClient::new(channel);
    let mut quick = subscribe(&mut fast_client, request(tagged(&t), None)).await;
    let mut slow = subscribe(&mut slow_client, request(tagged(&t), None)).await;

    // The quick subscriber reads as records come, while the slow one reads nothing.
    let reader = tokio::spawn(async move { ids(&events(&mut quick, 300).await) });
    let created = create_many(&gw, &t, 300, 4).await;
    let mut sf = gw.client().await;
    let expected = truth(&mut sf, &t).await;
    assert_eq!(expected.len(), created.len());
    assert_eq!(reader.await.expect("quick reader"), expected);

    // The slow one gets what was buffered, then RESOURCE_EXHAUSTED with a cursor.
    let mut got = Vec::new();
    let status = loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), slow.message())
            .await
            .expect("a message in time");
        match msg {
            Ok(Some(SubscribeResponse {
                kind: Some(subscribe_response::Kind::Event(e)),
            })) => got.push(e),
            Ok(Some(_)) => {}
            Ok(None) => panic!("stream ended without a status"),
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        !got.is_empty() && got.len() < expected.len(),
        "{}",
        got.len()
    );
    assert_eq!(ids(&got), expected[..got.len()]);
    let cursor = resume_cursor(&status);
    assert_eq!(Some(&cursor), got.last().map(|e| &e.cursor));

    // Resuming from it gives exactly the rest.
    let mut again = subscribe(&mut slow_client, request(tagged(&t), resume(&cursor))).await;
    let rest = events(&mut again, expected.len() - got.len()).await;
    assert_eq!(ids(&rest), expected[got.len()..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_outages_and_revoked_sessions_never_end_a_stream() {
    let gw = start(fast()).await;
    let t = tag("Outage");
    let mut client = triggers(&gw).await;
    let mut stream = subscribe(&mut client, request(tagged(&t), None)).await;

    // Polls start once the settle delay has passed the subscription's second.
    tokio::time::sleep(fast().overlap + Duration::from_secs(2)).await;
    // Every request fails for a while: the poller keeps trying, the stream lives on.
    gw.sandbox.faults().update(|f| f.unavailable_rate = 1.0);
    gw.sandbox.reset_counts();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let failed = gw.sandbox.requests().query;
    assert!(failed >= 2, "the poller kept polling: {failed} queries");
    // Heartbeats kept coming through the outage; none of its messages is an error.
    let hb = next_heartbeat(&mut stream).await;
    assert!(!hb.cursor.is_empty());

    // Then slow answers and every session revoked: the client logs in again.
    gw.sandbox.faults().update(|f| {
        f.unavailable_rate = 0.0;
        f.latency_ms = 150;
    });
    gw.sandbox.auth().revoke_all();
    let mut sf = gw.client().await;
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(create(&mut sf, &t).await);
    }
    assert_eq!(ids(&events(&mut stream, 3).await), created);
}

#[tokio::test]
async fn records_committed_late_are_not_lost() {
    let gw = start(fast()).await;
    let t = tag("Late");
    let mut client = triggers(&gw).await;
    // From a while ago, so a record dated 1 s back still counts as new.
    let since = time::OffsetDateTime::now_utc().unix_timestamp() - 5;
    let since = Some(subscribe_request::Start::Since(prost_types::Timestamp {
        seconds: since,
        nanos: 0,
    }));
    let mut stream = subscribe(&mut client, request(tagged(&t), since)).await;
    next_heartbeat(&mut stream).await;
    let mut sf = gw.client().await;
    let on_time = create(&mut sf, &t).await;
    // Its CreatedDate lies 1 s in the past: its transaction "started" before the
    // record above and committed after it.
    gw.sandbox.faults().update(|f| {
        f.late_commit_secs = 1;
        f.late_commit_rate = 1.0;
    });
    let late = create(&mut sf, &t).await;
    let expected = truth(&mut sf, &t).await;
    assert_eq!(
        expected,
        [late.clone(), on_time.clone()],
        "late sorts first"
    );
    // Both, in feed order: a poller that released `on_time` at once would have
    // moved past `late`'s CreatedDate and missed it (or sent it out of order).
    assert_eq!(ids(&events(&mut stream, 2).await), expected);
}

#[tokio::test]
async fn open_streams_are_bounded_per_key_and_a_closed_one_frees_its_slot() {
    let gw = crate::common::start_custom(sandbox(), |gw, _, _| {
        gw.triggers = fast();
        gw.limits.max_streams_per_caller = 2;
    })
    .await;
    let mut client = triggers(&gw).await;
    let t = tag("Slots");
    let first = subscribe(&mut client, request(tagged(&t), None)).await;
    let _second = subscribe(&mut client, request(tagged(&t), None)).await;
    let refused = client
        .subscribe(crate::common::authed(request(tagged(&t), None)))
        .await
        .expect_err("a third stream is over the limit");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    let info = refused.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "TOO_MANY_STREAMS");
    // Closing a stream gives its slot back (once the gateway has seen it go).
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match client
            .subscribe(crate::common::authed(request(tagged(&t), None)))
            .await
        {
            Ok(_) => break,
            Err(s) if s.code() == Code::ResourceExhausted => {
                assert!(tokio::time::Instant::now() < deadline, "slot never freed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(s) => panic!("{s:?}"),
        }
    }
}
