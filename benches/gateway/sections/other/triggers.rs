//! Section 8: TriggerService.Subscribe streams: what an idle stream costs the sfgate process
//! in memory, that the Salesforce queries of a trigger do not grow with its subscribers, and
//! how long a new record takes to reach a subscriber.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sfgate::pb::trigger_service_client::TriggerServiceClient;
use sfgate::pb::{
    NewContactTrigger, SubscribeRequest, SubscribeResponse, subscribe_request, subscribe_response,
};
use tonic::Streaming;
use tonic::transport::Channel;

use super::met;
use crate::load::Target;
use crate::procs;
use crate::sections::{Bench, progress};
use crate::stats::{ms, rss_kib};

/// Streams per HTTP/2 connection (servers and clients cap the streams of one connection).
const PER_CHANNEL: usize = 100;
/// Subscriptions being opened at once: each costs one probe query, so they come at a
/// bounded pace.
const OPENING: usize = 16;
/// The poll interval the bench's gateway is configured with (`[triggers]` in procs.rs).
const INTERVAL: Duration = Duration::from_secs(1);
/// The settle delay the bench's gateway is configured with (`overlap_ms`).
const OVERLAP: Duration = Duration::from_secs(1);
/// The per-stream memory target, in bytes.
const TARGET_BYTES: f64 = 10.0 * 1024.0;
/// Time between the Contacts of the delivery measurement: not a divisor of the interval, so
/// creates fall at every phase of the poll cycle.
const SPACING: Duration = Duration::from_millis(370);

/// The New Contact trigger, default fields: every subscriber of the bench shares its poller.
fn new_contact() -> tonic::Request<SubscribeRequest> {
    let mut r = tonic::Request::new(SubscribeRequest {
        connection: String::new(),
        trigger: Some(subscribe_request::Trigger::NewContact(NewContactTrigger {
            fields: vec![],
        })),
        start: None,
    });
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", procs::API_KEY)
            .parse()
            .expect("an ascii header"),
    );
    r
}

/// `n` HTTP/2 connections to the gateway.
async fn channels(
    addr: SocketAddr,
    n: usize,
) -> Result<Vec<TriggerServiceClient<Channel>>, String> {
    let mut out = Vec::new();
    for _ in 0..n.max(1) {
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("a valid URI")
            .tcp_nodelay(true)
            .connect()
            .await
            .map_err(|e| format!("connect: {e}"))?;
        out.push(TriggerServiceClient::new(channel));
    }
    Ok(out)
}

/// Opens `n` New Contact streams spread over `clients`, `OPENING` at a time; they stay open
/// (unread: an idle stream only gets a heartbeat now and then) until dropped.
async fn open(
    clients: &[TriggerServiceClient<Channel>],
    n: usize,
) -> Result<Vec<Streaming<SubscribeResponse>>, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..OPENING.min(n.max(1)) {
        let (next, clients) = (next.clone(), clients.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut streams = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok(streams);
                }
                let mut client = clients[i % clients.len()].clone();
                match client.subscribe(new_contact()).await {
                    Ok(s) => streams.push(s.into_inner()),
                    Err(e) => {
                        next.store(n, Ordering::Relaxed);
                        return Err(format!("subscribe #{i}: {e:?}"));
                    }
                }
            }
        }));
    }
    let mut streams = Vec::with_capacity(n);
    let mut first_error = None;
    for t in tasks {
        match t.await {
            Ok(Ok(s)) => streams.extend(s),
            Ok(Err(e)) => first_error = first_error.or(Some(e)),
            Err(e) => first_error = first_error.or(Some(format!("subscriber task: {e}"))),
        }
    }
    first_error.map_or(Ok(streams), Err)
}

/// Queries (first pages and next pages) the sandbox org has answered so far.
async fn queries(b: &Bench, http: &reqwest::Client) -> Result<u64, String> {
    let v: serde_json::Value = http
        .get(format!("http://{}/__sandbox/requests", b.sandbox.addr))
        .send()
        .await
        .map_err(|e| format!("sandbox counts: {e}"))?
        .json()
        .await
        .map_err(|e| format!("sandbox counts: {e}"))?;
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    Ok(n("query") + n("queryMore"))
}

/// Queries the sandbox answers in `polls` poll intervals, starting right after a poll (the
/// query count just moved) and ending half an interval after the last one, so the window's
/// edges fall between polls.
async fn queries_over(b: &Bench, http: &reqwest::Client, polls: u32) -> Result<u64, String> {
    let last = queries(b, http).await?;
    let give_up = tokio::time::Instant::now() + 10 * INTERVAL;
    let before = loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = queries(b, http).await?;
        if now != last {
            break now;
        }
        if tokio::time::Instant::now() > give_up {
            return Err("the trigger's poller sent no query in 10 intervals".into());
        }
    };
    tokio::time::sleep(INTERVAL * polls + INTERVAL / 2).await;
    Ok(queries(b, http).await? - before)
}

/// Memory per idle stream.
struct Memory {
    streams: usize,
    idle: u64,
    connected: u64,
    with: u64,
    open_secs: f64,
}

/// On a fresh sfgate process with the bench's configuration (the bench's own one has the heap
/// its load phases left behind, which new streams would reuse unseen): RSS with one stream
/// open (token fetched, the trigger's poller running), after connecting, and with `n` more.
async fn memory(b: &Bench, n: usize) -> Result<Memory, String> {
    let fresh = procs::gateway(b.dir.path(), b.sandbox.addr, 1000).await;
    let result = memory_of(&fresh, n).await;
    fresh.stop().await;
    result
}

async fn memory_of(gateway: &procs::Process, n: usize) -> Result<Memory, String> {
    let pid = &gateway.pid;
    let rss = || rss_kib(pid).ok_or_else(|| "no VmRSS for sfgate".to_owned());
    let warm = channels(gateway.addr, 1).await?;
    let first = open(&warm, 1).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss()?;
    let clients = channels(gateway.addr, n.div_ceil(PER_CHANNEL)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let connected = rss()?;
    let started = tokio::time::Instant::now();
    let streams = open(&clients, n).await?;
    let open_secs = started.elapsed().as_secs_f64();
    // Idle: a few polls of the shared poller pass, nothing arrives.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let with = rss()?;
    drop((first, streams, warm, clients));
    Ok(Memory {
        streams: n,
        idle,
        connected,
        with,
        open_secs,
    })
}

/// Queries in `polls` intervals with one subscriber, then with `crowd` on the same trigger,
/// on the bench's sfgate.
async fn economy(b: &Bench, crowd: usize, polls: u32) -> Result<(u64, u64), String> {
    let http = sfgate::assembly::http_client();
    let clients = channels(b.gateway.addr, crowd.div_ceil(PER_CHANNEL)).await?;
    let first = open(&clients[..1], 1).await?;
    // Polls start once the settle delay (overlap 1 s) has passed the subscription's second.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let one = queries_over(b, &http, polls).await?;
    let rest = open(&clients, crowd - 1).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let many = queries_over(b, &http, polls).await?;
    drop((first, rest));
    Ok((one, many))
}

/// Create → delivered: `k` Contacts created straight at the org (as another service would),
/// [`SPACING`] apart, and one subscriber of the bench's sfgate reading its New Contact
/// stream. Each is timed from the create's answer (the record is committed) to the arrival
/// of its event.
async fn delivery(b: &Bench, k: usize) -> Result<Vec<Duration>, String> {
    let Target::Direct(direct) = &b.direct else {
        return Err("the bench has no direct client".into());
    };
    let clients = channels(b.gateway.addr, 1).await?;
    let mut stream = open(&clients, 1).await?.pop().ok_or("no stream")?;
    // Every Contact created while it runs is one of this measurement's.
    let mut reader = tokio::spawn(async move {
        let mut heard = HashMap::new();
        while heard.len() < k {
            match stream.message().await {
                Ok(Some(SubscribeResponse {
                    kind: Some(subscribe_response::Kind::Event(e)),
                })) => {
                    heard.insert(e.record_id, Instant::now());
                }
                Ok(Some(_)) => {}
                Ok(None) => return Err("the stream ended".to_owned()),
                Err(s) => return Err(format!("the stream ended: {s:?}")),
            }
        }
        Ok(heard)
    });
    let mut created = Vec::with_capacity(k);
    for i in 0..k {
        let id = direct.create_contact(&format!("Delivery{i}")).await?;
        created.push((id, Instant::now()));
        tokio::time::sleep(SPACING).await;
    }
    let heard = match tokio::time::timeout(10 * (INTERVAL + OVERLAP), &mut reader).await {
        Ok(joined) => joined.map_err(|e| format!("reader: {e}"))??,
        Err(_) => {
            reader.abort();
            return Err("not every Contact was delivered within 10 intervals".into());
        }
    };
    created
        .iter()
        .map(|(id, at)| {
            heard
                .get(id)
                .map(|h| h.duration_since(*at))
                .ok_or_else(|| format!("{id} was never delivered"))
        })
        .collect()
}

pub(super) async fn section(b: &mut Bench) {
    let (n, crowd, polls, k) = if b.sizes.smoke {
        (200, 50, 3, 3)
    } else {
        (10_000, 1_000, 20, 40)
    };
    b.report.line(format!(
        "\n## 8. Trigger streams (TriggerService.Subscribe, New Contact)\n\n\
         The bench's sfgate polls every {} s (fixed: `[triggers]` min = max = poll interval), \
         settle delay (`overlap_ms`) {} s, heartbeat every 15 s. Streams are opened {OPENING} at a time \
         (each costs one probe query), {PER_CHANNEL} per HTTP/2 connection, and left unread.\n\n\
         | measure | target | measured | met |\n|---|---|---|---|",
        INTERVAL.as_secs(),
        OVERLAP.as_secs()
    ));
    progress(&format!("triggers: memory of {n} idle streams"));
    match memory(b, n).await {
        Ok(m) => {
            let per = (m.with.saturating_sub(m.idle) * 1024) as f64 / m.streams as f64;
            let conns = (m.connected.saturating_sub(m.idle) * 1024) as f64 / m.streams as f64;
            b.report.line(format!(
                "| RSS of a fresh sfgate with {} open idle trigger streams: per-stream cost = (RSS with − RSS with 1 stream) / {} | ≤ 10 KB per idle stream | {:.1} KB per stream (RSS {:.1} → {:.1} MiB; of it {:.1} KB per stream is the {} connections themselves; opened in {:.1} s) | {} |",
                m.streams,
                m.streams,
                per / 1024.0,
                m.idle as f64 / 1024.0,
                m.with as f64 / 1024.0,
                conns / 1024.0,
                m.streams.div_ceil(PER_CHANNEL),
                m.open_secs,
                met(per <= TARGET_BYTES),
            ));
        }
        Err(e) => {
            b.report
                .line("| RSS per idle trigger stream | ≤ 10 KB per idle stream | failed | no |");
            b.report.failures.push(format!("trigger streams: {e}"));
        }
    }
    progress(&format!(
        "triggers: upstream queries, 1 vs {crowd} subscribers"
    ));
    match economy(b, crowd, polls).await {
        Ok((one, many)) => {
            let window = (INTERVAL * polls).as_secs_f64();
            b.report.line(format!(
                "| Salesforce API calls (sandbox query + queryMore count) per poll interval over {:.0} s ({polls} intervals, window edges between polls), 1 subscriber / {crowd} subscribers on one trigger | same count for both | {:.2} / {:.2} ({one} / {many} queries) | {} |",
                window,
                one as f64 / f64::from(polls),
                many as f64 / f64::from(polls),
                met(one == many),
            ));
        }
        Err(e) => {
            b.report.line("| API calls per poll interval, 1 / many subscribers | same count for both | failed | no |");
            b.report.failures.push(format!("trigger economy: {e}"));
        }
    }
    progress(&format!("triggers: create → delivered, {k} Contacts"));
    // A record is released once its CreatedDate second is `overlap` old, by the next poll.
    let bound = OVERLAP + INTERVAL + Duration::from_secs(1);
    match delivery(b, k).await {
        Ok(mut d) => {
            d.sort_unstable();
            let (min, max) = (d[0], d[d.len() - 1]);
            let p50 = d[d.len().div_ceil(2) - 1];
            b.report.line(format!(
                "| create → delivered: {k} Contacts created at the org {} ms apart, one subscriber; from each create's answer to its event | ≤ settle delay + interval + 1 s (the release point moves in whole seconds) = {} s here, plus the poll itself | min {} / p50 {} / max {} ms | {} |",
                SPACING.as_millis(),
                bound.as_secs(),
                ms(min),
                ms(p50),
                ms(max),
                met(max <= bound + INTERVAL / 4),
            ));
        }
        Err(e) => {
            b.report.line("| create → delivered | | failed | no |");
            b.report.failures.push(format!("trigger delivery: {e}"));
        }
    }
}
