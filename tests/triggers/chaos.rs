//! The chaos test: records created in concurrent bursts while the sandbox
//! injects 503s, latency, late commits and a revocation of every session; 50
//! subscribers read, a third of them disconnecting at random moments and resuming
//! from their last cursor. Every subscriber must receive every record exactly
//! once, in `(CreatedDate, Id)` order.

use std::time::Duration;

use rand::Rng;
use sfgate::pb::trigger_service_client::TriggerServiceClient;
use sfgate::pb::*;
use sfgate::triggers::TriggerConfig;
use tokio::sync::watch;
use tonic::Code;
use tonic::transport::Channel;

use crate::common::authed;
use crate::support::*;

const SUBSCRIBERS: usize = 50;
const BURSTS: usize = 10;
const PER_BURST: usize = 110;

/// What one subscriber saw, and how often it reconnected.
struct Seen {
    ids: Vec<String>,
    sessions: usize,
}

/// Reads the feed until `total` says how many records exist and that many have
/// arrived, then one more settle period to catch duplicates. A disconnector drops
/// its stream at random moments and resumes from the last cursor it saw (an
/// event's, a heartbeat's, or the one its stream ended with).
async fn subscriber(
    mut client: TriggerServiceClient<Channel>,
    t: String,
    since: i64,
    disconnector: bool,
    mut total: watch::Receiver<Option<usize>>,
) -> Seen {
    let mut seen = Seen {
        ids: Vec::new(),
        sessions: 0,
    };
    let mut cursor: Option<String> = None;
    let mut done_at: Option<tokio::time::Instant> = None;
    // Once the total is known, a subscriber still short of it a minute later has
    // lost records: it stops, and the test fails on its count instead of hanging.
    let mut give_up_at: Option<tokio::time::Instant> = None;
    loop {
        let start = match &cursor {
            Some(c) => resume(c),
            None => Some(subscribe_request::Start::Since(prost_types::Timestamp {
                seconds: since,
                nanos: 0,
            })),
        };
        let mut stream = match client.subscribe(authed(request(tagged(&t), start))).await {
            Ok(s) => s.into_inner(),
            // The probe query met an injected fault: retry, as clients should.
            Err(s) if matches!(s.code(), Code::Unavailable | Code::DeadlineExceeded) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(s) => panic!("subscribe refused: {s:?}"),
        };
        seen.sessions += 1;
        loop {
            let now = tokio::time::Instant::now();
            if let Some(n) = *total.borrow_and_update() {
                give_up_at.get_or_insert(now + Duration::from_secs(60));
                if seen.ids.len() >= n && done_at.is_none() {
                    // Anything after this would be a duplicate: listen a while longer.
                    done_at = Some(now + Duration::from_secs(3));
                }
            }
            if done_at.or(give_up_at).is_some_and(|d| now >= d) {
                return seen;
            }
            let msg = tokio::time::timeout(Duration::from_secs(30), stream.message())
                .await
                .expect("a message within 30 s");
            match msg {
                Ok(Some(SubscribeResponse { kind: Some(kind) })) => match kind {
                    subscribe_response::Kind::Event(e) => {
                        seen.ids.push(e.record_id);
                        cursor = Some(e.cursor);
                    }
                    subscribe_response::Kind::Heartbeat(h) => cursor = Some(h.cursor),
                },
                Ok(Some(_)) => panic!("an empty message"),
                Ok(None) => panic!("stream ended without a status"),
                Err(status) => {
                    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                    cursor = Some(resume_cursor(&status));
                    break;
                }
            }
            if disconnector && rand::rng().random_bool(0.02) {
                break; // drops the stream: a client gone at a random moment
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_subscribers_get_every_record_once_in_order_through_chaos() {
    let gw = start(TriggerConfig {
        heartbeat: Duration::from_millis(300),
        ..fast()
    })
    .await;
    let t = tag("Chaos");
    // Before any record, late ones (dated 1 s back) included.
    let since = time::OffsetDateTime::now_utc().unix_timestamp() - 5;
    let (total_tx, total) = watch::channel(None);
    let mut readers = Vec::new();
    for i in 0..SUBSCRIBERS {
        let client = triggers(&gw).await;
        let disconnector = i % 3 == 0;
        readers.push(tokio::spawn(subscriber(
            client,
            t.clone(),
            since,
            disconnector,
            total.clone(),
        )));
    }

    gw.sandbox.faults().update(|f| {
        f.unavailable_rate = 0.3;
        f.latency_ms = 0;
        f.latency_max_ms = 20;
        // A quarter of the records commit 1 s late (the settle delay is 2 s).
        f.late_commit_secs = 1;
        f.late_commit_rate = 0.25;
    });
    let mut created = Vec::new();
    for burst in 0..BURSTS {
        if burst == BURSTS / 2 {
            gw.sandbox.auth().revoke_all();
        }
        created.extend(create_many(&gw, &t, PER_BURST, 8).await);
        let pause = rand::rng().random_range(0..300);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    gw.sandbox.faults().update(|f| *f = Default::default());

    let mut sf = gw.client().await;
    let expected = truth(&mut sf, &t).await;
    assert_eq!(expected.len(), BURSTS * PER_BURST);
    let mut sorted_created = created.clone();
    sorted_created.sort();
    let mut sorted_expected = expected.clone();
    sorted_expected.sort();
    assert_eq!(
        sorted_created, sorted_expected,
        "the creates are the records"
    );
    total_tx.send_replace(Some(expected.len()));

    let mut resumed = 0;
    for (i, r) in readers.into_iter().enumerate() {
        let seen = r.await.expect("subscriber task");
        assert_eq!(seen.ids.len(), expected.len(), "subscriber {i}: count");
        assert!(
            seen.ids == expected,
            "subscriber {i}: order or content differ"
        );
        if seen.sessions > 1 {
            resumed += 1;
        }
    }
    assert!(
        resumed >= SUBSCRIBERS / 3 - 2,
        "{resumed} subscribers resumed"
    );
}
