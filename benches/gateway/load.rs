//! The two actions (a Contact lookup by phone, a Lead create), called directly against the
//! sandbox's REST API with a warm reqwest client (the floor) or through sfgate over gRPC, and
//! the load shapes: closed loop at a fixed concurrency, open loop at a fixed rate.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use sfgate::pb::salesforce_service_client::SalesforceServiceClient;
use sfgate::pb::{CreateObjectRequest, ExecuteSoqlQueryRequest};
use tokio::time::Instant;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// The Salesforce API version both paths use.
const VERSION: &str = "v62.0";
/// A sample Contact's phone: the lookup finds exactly one row.
pub(crate) const PHONE: &str = "+14155550100";
/// The lookup through sfgate: the phone is a bound parameter.
const LOOKUP_BOUND: &str = "SELECT Id, Name, Account.Name FROM Contact WHERE Phone = :phone";

/// What one call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// `SELECT Id, Name, Account.Name FROM Contact WHERE Phone = '+14155550100'`.
    Lookup,
    /// A Lead with FirstName, LastName, Company and Phone.
    Create,
}

impl Action {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Lookup => "Contact lookup",
            Action::Create => "Lead create",
        }
    }
}

/// The floor: the sandbox's REST API with a warm, pooled reqwest client and a cached token,
/// parsing every JSON answer as a caller would.
#[derive(Debug, Clone)]
pub(crate) struct Direct {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Direct {
    /// Logs in once (client credentials) and keeps the token.
    pub(crate) async fn login(sandbox: SocketAddr) -> Direct {
        let http = sfgate::assembly::http_client();
        let body: serde_json::Value = http
            .post(format!("http://{sandbox}/services/oauth2/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "sandbox"),
                ("client_secret", "sandbox"),
            ])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("the sandbox issues a token")
            .json()
            .await
            .expect("a token response");
        let instance = body["instance_url"].as_str().expect("instance_url");
        Direct {
            base: format!("{instance}/services/data/{VERSION}"),
            token: body["access_token"].as_str().expect("access_token").into(),
            http,
        }
    }

    async fn call(&self, action: Action) -> Result<(), String> {
        let request = match action {
            Action::Lookup => self.http.get(format!("{}/query", self.base)).query(&[(
                "q",
                format!("SELECT Id, Name, Account.Name FROM Contact WHERE Phone = '{PHONE}'"),
            )]),
            Action::Create => self
                .http
                .post(format!("{}/sobjects/Lead/", self.base))
                .json(&lead_json()),
        };
        let resp = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
        let ok = match action {
            Action::Lookup => body["totalSize"] == 1,
            Action::Create => status.as_u16() == 201 && body["id"].is_string(),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{status}: {body}"))
        }
    }
}

impl Direct {
    /// Creates a Contact (no phone: the lookups' Contact stays the only match) and returns
    /// its Id, as the trigger section's "another service creates a record".
    pub(crate) async fn create_contact(&self, last_name: &str) -> Result<String, String> {
        let resp = self
            .http
            .post(format!("{}/sobjects/Contact/", self.base))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({"FirstName": "Trigger", "LastName": last_name}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
        match body["id"].as_str() {
            Some(id) if status.as_u16() == 201 => Ok(id.to_owned()),
            _ => Err(format!("{status}: {body}")),
        }
    }
}

fn lead_json() -> serde_json::Value {
    serde_json::json!({"FirstName": "Ada", "LastName": "Bench", "Company": "Analytical Engines", "Phone": "+14155550199"})
}

/// A generated tonic client on one or more HTTP/2 connections to sfgate.
#[derive(Debug, Clone)]
pub(crate) struct Gateway {
    clients: Vec<SalesforceServiceClient<Channel>>,
    auth: MetadataValue<tonic::metadata::Ascii>,
}

impl Gateway {
    /// `channels` connections; callers are spread over them round-robin.
    pub(crate) async fn connect(addr: SocketAddr, key: &str, channels: usize) -> Gateway {
        let mut clients = Vec::new();
        for _ in 0..channels.max(1) {
            let channel = Channel::from_shared(format!("http://{addr}"))
                .expect("a valid URI")
                .tcp_nodelay(true)
                .connect()
                .await
                .expect("sfgate accepts connections");
            clients.push(SalesforceServiceClient::new(channel));
        }
        Gateway {
            clients,
            auth: format!("Bearer {key}").parse().expect("an ascii header"),
        }
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        r.metadata_mut().insert("authorization", self.auth.clone());
        r
    }

    pub(crate) async fn call(&self, worker: usize, action: Action) -> Result<(), String> {
        let mut client = self.clients[worker % self.clients.len()].clone();
        match action {
            Action::Lookup => {
                let params = [(
                    "phone".to_owned(),
                    prost_types::Value {
                        kind: Some(prost_types::value::Kind::StringValue(PHONE.into())),
                    },
                )];
                let reply = client
                    .execute_soql_query(self.request(ExecuteSoqlQueryRequest {
                        query: LOOKUP_BOUND.into(),
                        params: params.into_iter().collect(),
                        ..Default::default()
                    }))
                    .await
                    .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?;
                match reply.get_ref().total_size {
                    1 => Ok(()),
                    n => Err(format!("{n} rows")),
                }
            }
            Action::Create => {
                let reply = client
                    .create_object(self.request(CreateObjectRequest {
                        sobject: "Lead".into(),
                        fields: Some(lead_struct()),
                        ..Default::default()
                    }))
                    .await
                    .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?;
                match reply.get_ref().id.len() {
                    18 => Ok(()),
                    _ => Err("no id".into()),
                }
            }
        }
    }
}

fn lead_struct() -> prost_types::Struct {
    let serde_json::Value::Object(map) = lead_json() else {
        unreachable!("lead_json is an object")
    };
    let fields = map
        .into_iter()
        .map(|(k, v)| {
            let s = v.as_str().unwrap_or_default().to_owned();
            let kind = prost_types::value::Kind::StringValue(s);
            (k, prost_types::Value { kind: Some(kind) })
        })
        .collect();
    prost_types::Struct { fields }
}

/// Where calls go.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Direct(Direct),
    Gateway(Gateway),
    /// sfgate's `grpc.health.v1.Health/Check`, whatever the action: the gRPC hop alone, with
    /// no Salesforce call behind it.
    Health(HealthClient<Channel>),
}

impl Target {
    /// The health service of the sfgate at `addr`, on its own connection.
    pub(crate) async fn health(addr: SocketAddr) -> Target {
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("a valid URI")
            .tcp_nodelay(true)
            .connect()
            .await
            .expect("sfgate accepts connections");
        Target::Health(HealthClient::new(channel))
    }

    pub(crate) async fn call(&self, worker: usize, action: Action) -> Result<(), String> {
        match self {
            Target::Direct(d) => d.call(action).await,
            Target::Gateway(g) => g.call(worker, action).await,
            Target::Health(h) => {
                let request = HealthCheckRequest {
                    service: "sfgate.v1.SalesforceService".into(),
                };
                h.clone()
                    .check(request)
                    .await
                    .map(drop)
                    .map_err(|s| s.message().to_owned())
            }
        }
    }
}

/// What a load run saw.
#[derive(Debug, Default)]
pub(crate) struct Run {
    /// Latency of every successful call.
    pub samples: Vec<Duration>,
    pub wall: Duration,
    pub errors: u64,
    /// How long each failed call took, where the loop records it (open loops).
    pub error_samples: Vec<Duration>,
    /// The first error seen, to print.
    pub first_error: Option<String>,
}

impl Run {
    pub(crate) fn merge(&mut self, other: Run) {
        self.samples.extend(other.samples);
        self.wall += other.wall;
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
    }
}

/// When a closed loop stops.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stop {
    /// After this many calls in all.
    Calls(usize),
    /// At this time.
    At(Instant),
}

/// `concurrency` workers calling back to back until `stop`.
pub(crate) async fn closed_loop(
    target: &Target,
    action: Action,
    concurrency: usize,
    stop: Stop,
) -> Run {
    let left = Arc::new(AtomicUsize::new(match stop {
        Stop::Calls(n) => n,
        Stop::At(_) => usize::MAX,
    }));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (target, left, errors) = (target.clone(), left.clone(), errors.clone());
            tokio::spawn(async move {
                let mut samples = Vec::new();
                let mut first_error = None;
                loop {
                    if let Stop::At(t) = stop
                        && Instant::now() >= t
                    {
                        break;
                    }
                    if left
                        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                        .is_err()
                    {
                        break;
                    }
                    let t = Instant::now();
                    match target.call(worker, action).await {
                        Ok(()) => samples.push(t.elapsed()),
                        Err(e) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            first_error.get_or_insert(e);
                        }
                    }
                }
                (samples, first_error)
            })
        })
        .collect();
    let mut run = Run::default();
    for w in workers {
        let (samples, first_error) = w.await.expect("a load worker does not panic");
        run.samples.extend(samples);
        run.first_error = run.first_error.or(first_error);
    }
    run.wall = started.elapsed();
    run.errors = errors.load(Ordering::Relaxed);
    run
}

/// Calls started at a fixed `rate` for `duration`, whatever the answers do (an open loop).
/// Latency counts from when the call actually started; how late calls started against the
/// schedule (timer granularity, a busy load generator) is kept apart in `lag`, so it shows
/// whether the generator held the rate without being charged to either target.
pub(crate) async fn open_loop(
    target: &Target,
    action: Action,
    rate: f64,
    duration: Duration,
) -> (Run, Vec<Duration>) {
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let calls = (rate * duration.as_secs_f64()).round() as usize;
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..calls {
        let due = ticks.tick().await;
        let target = target.clone();
        set.spawn(async move {
            let t = Instant::now();
            let result = target.call(i, action).await;
            let took = t.elapsed();
            (result.map(|()| took).map_err(|e| (e, took)), t - due)
        });
    }
    let mut run = Run::default();
    let mut lag = Vec::with_capacity(calls);
    while let Some(done) = set.join_next().await {
        let (result, late) = done.expect("a call task does not panic");
        lag.push(late);
        match result {
            Ok(d) => run.samples.push(d),
            Err((e, took)) => {
                run.errors += 1;
                run.error_samples.push(took);
                run.first_error.get_or_insert(e);
            }
        }
    }
    run.wall = started.elapsed();
    (run, lag)
}
