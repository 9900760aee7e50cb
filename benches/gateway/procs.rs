//! sfgate as a separate process, the way it is deployed: `sfgate serve --config` pointed at
//! the bench's sandbox org, or the zero-configuration `sfgate` with its embedded org. Its own
//! process, so its CPU time and memory are read from `/proc/<pid>` without the load
//! generator's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::time::Instant;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// The API key the bench's gateway accepts.
pub(crate) const API_KEY: &str = "bench-key";
/// The bench's connection name.
pub(crate) const CONNECTION: &str = "bench";

/// The release binary `cargo bench` built next to this harness.
pub(crate) fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sfgate"))
}

/// A running sfgate process; killed when dropped.
#[derive(Debug)]
pub(crate) struct Process {
    pub child: Child,
    pub addr: SocketAddr,
    pub pid: String,
    /// From spawning the process to its health service answering SERVING.
    pub start_to_serving: Duration,
}

/// A free loopback port (bound, then released for the child to take).
async fn free_addr() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    l.local_addr().expect("a bound address")
}

/// `sfgate serve --config` with one client-credentials connection to `sandbox`,
/// `max_concurrent` upstream requests in flight and no caller-side limits, written to
/// `dir/bench.toml`.
pub(crate) async fn gateway(dir: &Path, sandbox: SocketAddr, max_concurrent: usize) -> Process {
    gateway_with(dir, sandbox, max_concurrent, "").await
}

/// Like [`gateway`], with `connection_keys` (TOML lines) added to the connection's table.
pub(crate) async fn gateway_with(
    dir: &Path,
    sandbox: SocketAddr,
    max_concurrent: usize,
    connection_keys: &str,
) -> Process {
    let config = dir.join("bench.toml");
    let hash = sfgate::caller::ApiKey::hash_hex(API_KEY);
    std::fs::write(
        &config,
        format!(
            r#"# The caller-side limits (100 calls/s per key, 256 in flight by default) are lifted:
# the bench measures the gateway's cost, not its refusals.
[limits]
rate_per_second = 1000000
burst = 1000000
max_concurrent_calls = 100000
# Room for the trigger section's 10,000 idle streams on the one key.
max_streams_per_caller = 20000
max_streams = 20000

# The trigger section: a fixed 1 s poll interval (no adapting), so a window holds a known
# number of polls; a 1 s settle delay; no share of the daily API budget held back (the bench
# resets the sandbox's usage every 200 ms anyway).
[triggers]
poll_interval_ms = 1000
min_interval_ms = 1000
max_interval_ms = 1000
overlap_ms = 1000
api_share = 1.0

[connections.{CONNECTION}]
login_url = "http://{sandbox}"
api_version = "62.0"
allowed_hosts = ["127.0.0.1"]
flow = "client_credentials"
client_id = "sandbox"
client_secret_env = "SFGATE_BENCH_CLIENT_SECRET"
max_concurrent = {max_concurrent}
{connection_keys}

[api_keys.bench]
sha256 = "{hash}"
default_connection = "{CONNECTION}"
permissions = ["query", "write", "triggers"]
"#
        ),
    )
    .expect("write bench.toml");
    let mut cmd = Command::new(binary());
    cmd.arg("serve")
        .arg("--config")
        .arg(&config)
        .env("SFGATE_BENCH_CLIENT_SECRET", "sandbox");
    spawn(cmd, "sfgate.v1.SalesforceService").await
}

/// `sfgate serve --config` with `text` written to `dir/name` (its connection's secret in
/// `SFGATE_BENCH_CLIENT_SECRET`), serving once its health says so.
pub(crate) async fn serve_config(dir: &Path, name: &str, text: &str) -> Process {
    let config = dir.join(name);
    std::fs::write(&config, text).expect("write the config");
    let mut cmd = Command::new(binary());
    cmd.arg("serve")
        .arg("--config")
        .arg(&config)
        .env("SFGATE_BENCH_CLIENT_SECRET", "sandbox");
    spawn(cmd, "sfgate.v1.SalesforceService").await
}

/// The connection table every bench gateway uses: the bench's sandbox org, `max_concurrent`
/// requests in flight to it.
pub(crate) fn connection_table(sandbox: SocketAddr, max_concurrent: usize) -> String {
    format!(
        r#"[connections.{CONNECTION}]
login_url = "http://{sandbox}"
api_version = "62.0"
allowed_hosts = ["127.0.0.1"]
flow = "client_credentials"
client_id = "sandbox"
client_secret_env = "SFGATE_BENCH_CLIENT_SECRET"
max_concurrent = {max_concurrent}
"#
    )
}

/// The zero-configuration `sfgate` (embedded sandbox org, key `sandbox`).
pub(crate) async fn embedded() -> Process {
    spawn(Command::new(binary()), "sfgate.v1.SalesforceService").await
}

async fn spawn(mut cmd: Command, service: &str) -> Process {
    let addr = free_addr().await;
    cmd.arg("--listen")
        .arg(addr.to_string())
        .env_remove("SFGATE_CONFIG")
        .env("SFGATE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true);
    let started = Instant::now();
    let child = cmd.spawn().expect("sfgate starts");
    let pid = child.id().expect("a running child").to_string();
    wait_serving(addr, service).await;
    Process {
        child,
        addr,
        pid,
        start_to_serving: started.elapsed(),
    }
}

/// Polls the health service every millisecond until `service` is SERVING (30 s at most).
async fn wait_serving(addr: SocketAddr, service: &str) {
    let give_up = Instant::now() + Duration::from_secs(30);
    while Instant::now() < give_up {
        let endpoint =
            tonic::transport::Endpoint::from_shared(format!("http://{addr}")).expect("a valid URI");
        if let Ok(channel) = endpoint.connect().await {
            let mut health = HealthClient::new(channel);
            let req = HealthCheckRequest {
                service: service.into(),
            };
            if let Ok(reply) = health.check(req).await
                && reply.get_ref().status == ServingStatus::Serving as i32
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("sfgate at {addr} did not report SERVING within 30 s");
}

impl Process {
    /// Ends the process (SIGKILL: nothing of it is measured after this).
    pub(crate) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The sandbox org in its own process (`sfgate sandbox`), as a real org is elsewhere: the
/// direct client and sfgate both cross a process boundary to reach it. Driven over its admin
/// routes: latency (`/__sandbox/faults`), request counts (`/__sandbox/requests`).
#[derive(Debug)]
pub(crate) struct Org {
    pub child: Child,
    pub addr: SocketAddr,
    pub pid: String,
    http: reqwest::Client,
    /// Forgets the daily API usage every 200 ms: a run makes far more than the org's 100,000
    /// requests a day, and the budget must not be what stops them.
    resetter: tokio::task::JoinHandle<()>,
}

/// Request counts of the org, from `GET /__sandbox/requests`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    pub total: u64,
    pub token: u64,
    pub query: u64,
    pub create: u64,
}

impl Org {
    pub(crate) async fn start() -> Org {
        let addr = free_addr().await;
        let child = Command::new(binary())
            .args(["sandbox", "--listen", &addr.to_string()])
            .env("SFGATE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("sfgate sandbox starts");
        let pid = child.id().expect("a running child").to_string();
        let http = sfgate::assembly::http_client();
        let give_up = Instant::now() + Duration::from_secs(30);
        while http
            .get(format!("http://{addr}/services/data/"))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < give_up, "the sandbox did not start");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let (h, reset) = (http.clone(), format!("http://{addr}/__sandbox/reset-usage"));
        let resetter = tokio::spawn(async move {
            loop {
                let _ = h.post(&reset).send().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Org {
            child,
            addr,
            pid,
            http,
            resetter,
        }
    }

    /// Adds `ms` of latency to every API request.
    pub(crate) async fn set_latency(&self, ms: u64) {
        self.http
            .put(format!("http://{}/__sandbox/faults", self.addr))
            .body(format!(r#"{{"latencyMs": {ms}}}"#))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("the sandbox takes the fault switch");
    }

    /// Requests by route so far.
    pub(crate) async fn requests(&self) -> Counts {
        let v: serde_json::Value = self
            .http
            .get(format!("http://{}/__sandbox/requests", self.addr))
            .send()
            .await
            .expect("the sandbox answers")
            .json()
            .await
            .expect("request counts");
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        Counts {
            total: n("total"),
            token: n("token"),
            query: n("query"),
            create: n("create"),
        }
    }

    pub(crate) async fn stop(mut self) {
        self.resetter.abort();
        let _ = self.child.kill().await;
    }
}
