//! Upstream protection of `sfgate::salesforce::Client`: the concurrency ceiling, deadlines,
//! retries, the retry budget and the daily budget reserve, against a loopback fake that counts
//! what actually reached it.
//!
//! The fake here differs from `salesforce_client.rs`'s scripted one: its answers are a
//! function of the request's arrival number (deterministic failure patterns under retries),
//! and it measures how many data requests it holds at once. Real time, not paused time: the
//! client talks to the fake over real sockets, and a paused clock would jump ahead while a
//! response is on the wire. Timing assertions are one-sided with wide margins.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::json_map;
use serde_json::{Value, json};
use sfgate::salesforce::{
    AuthFlow, Client, ConnectionConfig, Error, RecordId, Secret, UpstreamLimits, with_deadline,
};
use tokio::time::Instant;

// === the fake ===

/// What the fake answers to one data request.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    body: String,
    delay: Duration,
    /// Sent as `Sforce-Limit-Info`.
    limit_info: Option<&'static str>,
}

type Plan = dyn Fn(usize, &Method) -> Reply + Send + Sync;

struct FakeState {
    addr: SocketAddr,
    plan: Box<Plan>,
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

struct Fake {
    state: Arc<FakeState>,
}

impl Fake {
    /// Starts a fake answering data request number `n` (from 0) with `plan(n, method)`.
    async fn start(plan: impl Fn(usize, &Method) -> Reply + Send + Sync + 'static) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let state = Arc::new(FakeState {
            addr: listener.local_addr().unwrap(),
            plan: Box::new(plan),
            requests: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        });
        let app = axum::Router::new()
            .route("/services/oauth2/token", post(token_endpoint))
            .fallback(data_endpoint)
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Fake { state }
    }

    /// Data requests that reached the fake (token requests excluded).
    fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    fn peak(&self) -> usize {
        self.state.peak.load(Ordering::SeqCst)
    }

    fn client(&self, limits: UpstreamLimits) -> Client {
        let config = ConnectionConfig {
            name: "upstream-test".into(),
            login_url: format!("http://{}", self.state.addr).parse().unwrap(),
            api_version: "62.0".into(),
            auth: AuthFlow::ClientCredentials {
                client_id: "cid".into(),
                client_secret: Secret::new("cc-secret-value"),
            },
            allowed_hosts: vec!["127.0.0.1".into()],
            limits,
        };
        Client::new(config, reqwest::Client::new())
    }
}

async fn token_endpoint(State(state): State<Arc<FakeState>>) -> Response {
    axum::Json(json!({
        "access_token": "tok-1",
        "instance_url": format!("http://{}", state.addr),
        "token_type": "Bearer",
        "issued_at": "1589009375588",
    }))
    .into_response()
}

/// Decrements the in-flight count however the handler ends, also when the client hangs up
/// and axum drops the handler mid-sleep.
struct InFlight(Arc<FakeState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn data_endpoint(State(state): State<Arc<FakeState>>, method: Method) -> Response {
    let n = state.requests.fetch_add(1, Ordering::SeqCst);
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.peak.fetch_max(now, Ordering::SeqCst);
    let _in_flight = InFlight(state.clone());
    let reply = (state.plan)(n, &method);
    tokio::time::sleep(reply.delay).await;
    let mut response = Response::builder()
        .status(reply.status)
        .header("content-type", "application/json;charset=UTF-8");
    if let Some(info) = reply.limit_info {
        response = response.header("Sforce-Limit-Info", info);
    }
    response.body(axum::body::Body::from(reply.body)).unwrap()
}

fn ok_page() -> Reply {
    reply(200, json!({"totalSize": 0, "done": true, "records": []}))
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        body: body.to_string(),
        delay: Duration::ZERO,
        limit_info: None,
    }
}

fn sf_error(status: u16, code: &str) -> Reply {
    reply(status, json!([{"message": "m", "errorCode": code}]))
}

fn maintenance() -> Reply {
    Reply {
        status: 503,
        body: "<html>down for maintenance</html>".into(),
        delay: Duration::ZERO,
        limit_info: None,
    }
}

fn slow(delay: Duration, r: Reply) -> Reply {
    Reply { delay, ..r }
}

/// Fast retries so tests don't wait on backoff.
fn fast_retries() -> UpstreamLimits {
    UpstreamLimits {
        retry_base: Duration::from_millis(1),
        ..Default::default()
    }
}

const SOQL: &str = "SELECT Id FROM Contact";

// === concurrency ceiling ===

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_parallel_calls_never_put_more_than_five_in_flight() {
    let fake = Fake::start(|_, _| slow(Duration::from_millis(10), ok_page())).await;
    let client = fake.client(UpstreamLimits {
        max_concurrent: 5,
        // Every call waits its turn: 40 rounds of 10 ms outlast the default queue wait.
        max_queue_wait: None,
        ..Default::default()
    });
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let client = client.clone();
        calls.spawn(async move { client.query(SOQL, false, None).await });
    }
    while let Some(result) = calls.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(fake.requests(), 200);
    // Exactly five: at most five by the ceiling, and the calls really did overlap.
    assert_eq!(fake.peak(), 5);
    assert_eq!(client.upstream_stats().peak_in_flight, 5);
}

// === deadlines ===

#[tokio::test]
async fn a_deadline_cuts_a_slow_answer_short() {
    let fake = Fake::start(|_, _| slow(Duration::from_secs(2), ok_page())).await;
    let client = fake.client(UpstreamLimits::default());
    let started = Instant::now();
    let result = with_deadline(
        started + Duration::from_millis(200),
        client.query(SOQL, false, None),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(matches!(result, Err(Error::DeadlineExceeded)), "{result:?}");
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1000), "{elapsed:?}");
    assert_eq!(fake.requests(), 1, "a timed-out query is not retried");
}

#[tokio::test]
async fn without_a_deadline_the_default_timeout_applies() {
    let fake = Fake::start(|_, _| slow(Duration::from_secs(2), ok_page())).await;
    let client = fake.client(UpstreamLimits {
        default_timeout: Duration::from_millis(200),
        ..Default::default()
    });
    let started = Instant::now();
    let result = client.query(SOQL, false, None).await;
    assert!(matches!(result, Err(Error::DeadlineExceeded)), "{result:?}");
    assert!(started.elapsed() < Duration::from_millis(1000));
}

#[tokio::test]
async fn waiting_for_a_slot_ends_at_the_deadline() {
    let fake = Fake::start(|_, _| slow(Duration::from_secs(2), ok_page())).await;
    let client = fake.client(UpstreamLimits {
        max_concurrent: 1,
        max_queue_wait: None,
        ..Default::default()
    });
    let holder = client.clone();
    let holding = tokio::spawn(async move { holder.query(SOQL, false, None).await });
    // Wait (boundedly) until the first call holds the only slot at the fake.
    for _ in 0..500 {
        if fake.requests() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(fake.requests(), 1);

    let started = Instant::now();
    let result = with_deadline(
        started + Duration::from_millis(200),
        client.query(SOQL, false, None),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(matches!(result, Err(Error::DeadlineExceeded)), "{result:?}");
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1000), "{elapsed:?}");
    assert_eq!(
        fake.requests(),
        1,
        "the waiting call never reached salesforce"
    );
    holding.abort();
}

#[tokio::test]
async fn a_token_endpoint_that_never_answers_ends_at_the_deadline() {
    // Accepts connections and holds them open without a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let config = ConnectionConfig {
        name: "silent".into(),
        login_url: format!("http://{addr}").parse().unwrap(),
        api_version: "62.0".into(),
        auth: AuthFlow::ClientCredentials {
            client_id: "cid".into(),
            client_secret: Secret::new("cc-secret-value"),
        },
        allowed_hosts: vec!["127.0.0.1".into()],
        limits: UpstreamLimits::default(),
    };
    let client = Client::new(config, reqwest::Client::new());
    let started = Instant::now();
    let deadline = started + Duration::from_millis(200);
    let result = with_deadline(deadline, client.token()).await;
    assert!(matches!(result, Err(Error::DeadlineExceeded)), "{result:?}");
    let result = with_deadline(deadline, client.query(SOQL, false, None)).await;
    assert!(matches!(result, Err(Error::DeadlineExceeded)), "{result:?}");
    assert!(started.elapsed() < Duration::from_millis(1000));
}

#[tokio::test]
async fn a_retry_whose_backoff_ends_past_the_deadline_is_not_started() {
    let fake = Fake::start(|_, _| maintenance()).await;
    let client = fake.client(UpstreamLimits {
        retry_base: Duration::from_secs(1),
        ..Default::default()
    });
    let started = Instant::now();
    let result = with_deadline(
        started + Duration::from_millis(300),
        client.query(SOQL, false, None),
    )
    .await;
    // The upstream's own answer, at once, rather than a deadline error 300 ms later.
    assert!(
        matches!(&result, Err(Error::Status { status, .. }) if *status == StatusCode::SERVICE_UNAVAILABLE),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(250));
    assert_eq!(fake.requests(), 1);
}

// === retries ===

#[tokio::test]
async fn a_query_rides_out_thirty_percent_503s() {
    // Arrivals 0, 3, 6, 10, 13, 16, ... fail: 30%, never twice in a row.
    let fake = Fake::start(|n, _| {
        if matches!(n % 10, 0 | 3 | 6) {
            maintenance()
        } else {
            ok_page()
        }
    })
    .await;
    let client = fake.client(fast_retries());
    for _ in 0..50 {
        client.query(SOQL, false, None).await.unwrap();
    }
    let retries = client.upstream_stats().retries;
    // 50 successes take arrivals 0..=71: seven blocks of ten (7 × 7 = 49 successes), then
    // 70 fails and 71 succeeds. 7 × 3 + 1 = 22 failures, each retried once.
    assert_eq!(retries, 22);
    assert_eq!(fake.requests(), 72);
}

#[tokio::test]
async fn unable_to_lock_row_is_retried() {
    let fake = Fake::start(|n, method| {
        assert_eq!(method, Method::PATCH);
        match n {
            0 => sf_error(400, "UNABLE_TO_LOCK_ROW"),
            _ => Reply {
                status: 204,
                body: String::new(),
                delay: Duration::ZERO,
                limit_info: None,
            },
        }
    })
    .await;
    let client = fake.client(fast_retries());
    let id = RecordId::parse("003D000000QNKXMIA5").unwrap();
    client
        .update("Contact", &id, &json_map(json!({"Title": "CTO"})))
        .await
        .unwrap();
    assert_eq!(fake.requests(), 2);
}

#[tokio::test]
async fn request_limit_exceeded_is_returned_at_once() {
    let fake = Fake::start(|_, _| sf_error(403, "REQUEST_LIMIT_EXCEEDED")).await;
    let client = fake.client(fast_retries());
    let err = client.query(SOQL, false, None).await.unwrap_err();
    assert!(err.has_error_code("REQUEST_LIMIT_EXCEEDED"), "{err:?}");
    assert_eq!(fake.requests(), 1);
}

#[tokio::test]
async fn a_create_answered_503_is_returned_not_retried() {
    let fake = Fake::start(|_, _| maintenance()).await;
    let client = fake.client(fast_retries());
    let err = client
        .create("Contact", &json_map(json!({"LastName": "Doe"})))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Status { status, .. } if *status == StatusCode::SERVICE_UNAVAILABLE),
        "{err:?}"
    );
    assert_eq!(fake.requests(), 1);
    assert_eq!(client.upstream_stats().retries, 0);
}

#[tokio::test]
async fn a_create_that_could_not_connect_is_retried() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let config = ConnectionConfig {
        name: "down".into(),
        login_url: format!("http://{addr}").parse().unwrap(),
        api_version: "62.0".into(),
        auth: AuthFlow::AccessToken {
            access_token: Secret::new("t"),
            instance_url: format!("http://{addr}").parse().unwrap(),
        },
        allowed_hosts: vec!["127.0.0.1".into()],
        limits: UpstreamLimits {
            max_retries: 2,
            ..fast_retries()
        },
    };
    let client = Client::new(config, reqwest::Client::new());
    let err = client
        .create("Contact", &json_map(json!({"LastName": "Doe"})))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable(_)), "{err:?}");
    assert_eq!(client.upstream_stats().retries, 2);
}

#[tokio::test]
async fn a_retried_delete_that_finds_the_record_deleted_has_succeeded() {
    let fake = Fake::start(|n, method| {
        assert_eq!(method, Method::DELETE);
        match n {
            0 => maintenance(),
            _ => reply(
                404,
                json!([{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}]),
            ),
        }
    })
    .await;
    let client = fake.client(fast_retries());
    let id = RecordId::parse("003D000000QNKXMIA5").unwrap();
    client.delete("Contact", &id).await.unwrap();
    assert_eq!(fake.requests(), 2);
    // Without an earlier attempt that may have deleted it, the record was already gone.
    let err = client.delete("Contact", &id).await.unwrap_err();
    assert!(err.has_error_code("ENTITY_IS_DELETED"), "{err:?}");
    assert_eq!(fake.requests(), 3);
}

#[tokio::test]
async fn retries_stop_once_the_retry_budget_is_spent() {
    let fake = Fake::start(|_, _| maintenance()).await;
    let client = fake.client(UpstreamLimits {
        retry_budget_percent: 0.2,
        retry_budget_min_per_sec: 1,
        ..fast_retries()
    });
    for _ in 0..100 {
        let err = client.query(SOQL, false, None).await.unwrap_err();
        assert!(matches!(err, Error::Status { .. }), "{err:?}");
    }
    let retries = client.upstream_stats().retries;
    assert_eq!(fake.requests() as u64, 100 + retries);
    // Unbudgeted, 100 calls × (1 + 3 retries) = 400 requests. The budget allows a reserve of
    // 10 retries (1/s over 10 s) plus one per five calls: about 30.
    assert!((10..=40).contains(&retries), "{retries}");
}

// === daily budget reserve ===

#[tokio::test]
async fn a_call_inside_the_daily_reserve_is_refused_before_sending() {
    let near_limit = || Reply {
        limit_info: Some("api-usage=99500/100000"),
        ..ok_page()
    };
    let fake = Fake::start(move |_, _| near_limit()).await;
    let client = fake.client(UpstreamLimits {
        daily_budget_reserve: 1000,
        ..Default::default()
    });
    client.query(SOQL, false, None).await.unwrap();
    let err = client.query(SOQL, false, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::BudgetReserve {
                used: 99500,
                max: 100_000,
                reserve: 1000
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.requests(), 1, "refused before sending");
    assert_eq!(client.upstream_stats().reserve_refusals, 1);

    // A smaller reserve that the remaining 500 still covers lets calls through.
    let client = fake.client(UpstreamLimits {
        daily_budget_reserve: 500,
        ..Default::default()
    });
    client.query(SOQL, false, None).await.unwrap();
    client.query(SOQL, false, None).await.unwrap();
    assert_eq!(fake.requests(), 3);
}
