//! One poller per trigger: subscriber count never multiplies Salesforce queries,
//! and the last subscriber out stops the poller. Counted at the sandbox.

use std::time::Duration;

use sfgate::pb::trigger_service_client::TriggerServiceClient;
use sfgate::pb::*;
use sfgate::triggers::TriggerConfig;
use tonic::Streaming;

use crate::common::{self, authed};
use crate::support::*;

/// A fixed interval (no adapting), so a window holds a known number of polls.
const INTERVAL: Duration = Duration::from_millis(500);
const WINDOW: Duration = Duration::from_secs(3);

/// Queries (first pages and next pages) the sandbox answered during `WINDOW`.
async fn queries_during_window(gw: &common::Gateway) -> u64 {
    gw.sandbox.reset_counts();
    tokio::time::sleep(WINDOW).await;
    let counts = gw.sandbox.requests();
    counts.query + counts.query_more
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_subscribers_cost_the_queries_of_one() {
    let config = TriggerConfig {
        poll_interval: INTERVAL,
        min_interval: INTERVAL,
        max_interval: INTERVAL,
        ..fast()
    };
    let gw = start(config).await;
    let t = tag("Fan");
    // At most one query per interval and per second (the release horizon moves in
    // whole seconds; a poll with nothing new to release sends nothing), plus one
    // for the window's ragged edges.
    let most = (WINDOW.as_millis() / INTERVAL.as_millis().max(1000)) as u64 + 1;

    let mut client = triggers(&gw).await;
    let first = subscribe(&mut client, request(tagged(&t), None)).await;
    // Polls start once the settle delay has passed the subscription's second.
    tokio::time::sleep(fast().overlap + Duration::from_secs(2)).await;
    let one = queries_during_window(&gw).await;
    assert!((2..=most).contains(&one), "one subscriber: {one} queries");

    // 999 more on the same trigger, over 20 connections (HTTP/2 servers cap the
    // streams of one connection).
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(triggers(&gw).await);
    }
    gw.sandbox.reset_counts();
    let mut joins = Vec::new();
    for i in 0..999 {
        let mut c: TriggerServiceClient<_> = clients[i % clients.len()].clone();
        let req = request(tagged(&t), None);
        joins.push(tokio::spawn(async move {
            c.subscribe(authed(req))
                .await
                .expect("subscribe")
                .into_inner()
        }));
    }
    let mut streams: Vec<Streaming<SubscribeResponse>> = vec![first];
    for j in joins {
        streams.push(j.await.expect("subscriber task"));
    }
    let subscribing = gw.sandbox.requests().query;
    // Starting a subscription costs its one probe query (plus the polls meanwhile).
    assert!(
        subscribing >= 999,
        "{subscribing} queries while subscribing"
    );

    let thousand = queries_during_window(&gw).await;
    assert!(
        (2..=most).contains(&thousand),
        "1,000 subscribers: {thousand} queries (one subscriber: {one})"
    );

    // And every one of them hears the next record, once.
    let mut sf = gw.client().await;
    let id = create(&mut sf, &t).await;
    let mut reads = Vec::new();
    for mut s in streams {
        reads.push(tokio::spawn(async move {
            let e = next_event(&mut s, Duration::from_secs(30)).await;
            (e.record_id, s)
        }));
    }
    let mut streams = Vec::new();
    for r in reads {
        let (got, s) = r.await.expect("reader task");
        assert_eq!(got, id);
        streams.push(s);
    }

    // The last subscriber out stops the poller: no more queries.
    drop(streams);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(queries_during_window(&gw).await, 0, "poller stopped");
}
