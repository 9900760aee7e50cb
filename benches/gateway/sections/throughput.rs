//! Section 2: the most calls per second through sfgate with a 0 ms upstream, the errors, and
//! sfgate's CPU time per call (from its own `/proc/<pid>/stat`, so neither the load generator
//! nor the sandbox org is counted in it).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use prost::Message as _;
use sfgate::pb::ExecuteSoqlQueryRequest;
use tokio::time::Instant;

use super::{Bench, progress};
use crate::load::{self, Action, Stop, Target};
use crate::procs;
use crate::stats::{children_cpu_time, cpu_time};

/// CPU time of sfgate and of this process over a phase.
struct Cpu {
    gateway: Duration,
    sandbox: Duration,
    bench: Duration,
}

fn cpu_now(b: &Bench) -> Cpu {
    Cpu {
        gateway: cpu_time(&b.gateway.pid).unwrap_or_default(),
        sandbox: cpu_time(&b.sandbox.pid).unwrap_or_default(),
        // This process (the tonic client) and the children it has waited for (h2load).
        bench: cpu_time("self").unwrap_or_default() + children_cpu_time().unwrap_or_default(),
    }
}

impl Cpu {
    fn since(&self, before: &Cpu) -> Cpu {
        Cpu {
            gateway: self.gateway.saturating_sub(before.gateway),
            sandbox: self.sandbox.saturating_sub(before.sandbox),
            bench: self.bench.saturating_sub(before.bench),
        }
    }
}

pub(super) async fn section(b: &mut Bench, profile: bool) {
    b.report.line(
        "\n## 2. Throughput through sfgate, 0 ms upstream (target: ≥ 20,000 calls/s on 2 cores)\n\n\
         Contact lookups. The load generator and the sandbox org share the 2 cores with sfgate, \
         so the wall-clock rate is a floor; \"2 dedicated cores\" is 2 CPU-seconds ÷ sfgate's \
         CPU time per call (each process's own /proc/<pid>/stat). Upstream = the sandbox's \
         query count, which must equal the successful calls.\n\n\
         | client | in flight | calls | calls/s (wall) | errors | upstream queries | sfgate CPU/call | → calls/s on 2 dedicated cores | sandbox CPU/call | load gen CPU/call |\n\
         |---|---|---|---|---|---|---|---|---|---|",
    );
    let in_flight = if b.sizes.smoke { 8 } else { 64 };
    let via = Target::Gateway(load::Gateway::connect(b.gateway.addr, procs::API_KEY, 4).await);
    load::closed_loop(&via, Action::Lookup, in_flight, Stop::Calls(in_flight * 8)).await;
    progress("throughput: tonic client");
    let perf = profile.then(|| start_perf(&b.gateway.pid));
    let q0 = b.sandbox.requests().await.query;
    let cpu0 = cpu_now(b);
    let until = Instant::now() + b.sizes.throughput;
    let run = load::closed_loop(&via, Action::Lookup, in_flight, Stop::At(until)).await;
    let cpu = cpu_now(b).since(&cpu0);
    if let Some(perf) = perf {
        stop_perf(perf).await;
    }
    let upstream = b.sandbox.requests().await.query - q0;
    b.report.check("throughput (tonic)", &run);
    let ok = run.samples.len() as u64;
    if upstream != ok {
        b.report.failures.push(format!(
            "throughput: {ok} calls but {upstream} upstream queries"
        ));
    }
    let measured = Measured {
        label: "tonic, 4 HTTP/2 connections, checks every answer".into(),
        in_flight,
        calls: ok,
        rate: ok as f64 / run.wall.as_secs_f64(),
        errors: run.errors,
        upstream,
        cpu,
    };
    b.report.line(measured.row());
    if let Some(line) = h2load(b, in_flight).await {
        b.report.line(line);
    }
}

/// One throughput row.
struct Measured {
    label: String,
    in_flight: usize,
    calls: u64,
    rate: f64,
    errors: u64,
    upstream: u64,
    cpu: Cpu,
}

impl Measured {
    fn row(&self) -> String {
        let per = |d: Duration| d.as_secs_f64() / self.calls.max(1) as f64;
        let g = per(self.cpu.gateway);
        format!(
            "| {} | {} | {} | {:.0} | {} | {} | {:.0} µs | {:.0} | {:.0} µs | {:.0} µs |",
            self.label,
            self.in_flight,
            self.calls,
            self.rate,
            self.errors,
            self.upstream,
            g * 1e6,
            2.0 / g.max(1e-9),
            per(self.cpu.sandbox) * 1e6,
            per(self.cpu.bench) * 1e6
        )
    }
}

/// `perf record` on the sfgate process (user space; `perf_event_paranoid` 2 allows it for
/// our own processes).
fn start_perf(pid: &str) -> tokio::process::Child {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    tokio::process::Command::new("perf")
        .args(["record", "-F", "999", "-g", "-p", pid, "-o"])
        .arg(out.join("perf.data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("perf starts")
}

async fn stop_perf(mut perf: tokio::process::Child) {
    if let Some(pid) = perf.id() {
        // SIGINT makes perf write its data and exit.
        let _ = tokio::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .await;
    }
    let _ = perf.wait().await;
    progress("perf data in target/bench/perf.data");
}

/// h2load (Debian `nghttp2-client`), when installed: raw unary gRPC, far lighter than a tonic
/// client. It sees HTTP status only, so errors are calls that did not reach the sandbox.
async fn h2load(b: &mut Bench, in_flight: usize) -> Option<String> {
    let version = tokio::process::Command::new("h2load")
        .arg("--version")
        .output()
        .await;
    if !version.is_ok_and(|o| o.status.success()) {
        return Some(
            "| h2load | – | not installed (`apt-get install nghttp2-client`) | | | | | | | |"
                .into(),
        );
    }
    let request = ExecuteSoqlQueryRequest {
        query: "SELECT Id, Name, Account.Name FROM Contact WHERE Phone = :phone".into(),
        params: [(
            "phone".to_owned(),
            prost_types::Value {
                kind: Some(prost_types::value::Kind::StringValue(load::PHONE.into())),
            },
        )]
        .into_iter()
        .collect(),
        ..Default::default()
    }
    .encode_to_vec();
    // A gRPC message: uncompressed flag, 4-byte big-endian length, the protobuf.
    let mut body = vec![0u8];
    body.extend_from_slice(&(request.len() as u32).to_be_bytes());
    body.extend_from_slice(&request);
    let file = tempfile::NamedTempFile::new().ok()?;
    std::fs::write(file.path(), &body).ok()?;
    let (conns, streams) = (4, in_flight / 4);
    let mut cmd = tokio::process::Command::new("h2load");
    cmd.args([
        "-c",
        &conns.to_string(),
        "-m",
        &streams.to_string(),
        "-t",
        "1",
    ])
    .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
    .args(["-H", &format!("authorization: Bearer {}", procs::API_KEY)])
    .arg("-d")
    .arg(file.path());
    if b.sizes.smoke {
        cmd.args(["-n", "200"]);
    } else {
        cmd.args(["-D", &b.sizes.throughput.as_secs().to_string()]);
    }
    cmd.arg(format!(
        "http://{}/sfgate.v1.SalesforceService/ExecuteSoqlQuery",
        b.gateway.addr
    ));
    progress("throughput: h2load");
    let q0 = b.sandbox.requests().await.query;
    let cpu0 = cpu_now(b);
    let out = cmd.output().await.ok()?;
    let cpu = cpu_now(b).since(&cpu0);
    let upstream = b.sandbox.requests().await.query - q0;
    let text = String::from_utf8_lossy(&out.stdout);
    let number = |line: &str, key: &str| -> Option<f64> {
        let l = text.lines().find(|l| l.starts_with(line))?;
        let at = l.find(key)?;
        l[..at]
            .rsplit([' ', ','])
            .find(|w| !w.is_empty())?
            .trim_end_matches('s')
            .parse()
            .ok()
    };
    let done = number("requests:", "done")? as u64;
    let rate = number("finished in", "req/s")?;
    let errors = done.saturating_sub(upstream);
    if errors > 0 {
        b.report
            .failures
            .push(format!("h2load: {done} done, {upstream} upstream queries"));
    }
    let summary = text.lines().find(|l| l.starts_with("requests:"));
    progress(&format!("h2load {}", summary.unwrap_or("")));
    let line = Measured {
        label: format!("h2load -c {conns} -m {streams} -t 1 (answers unchecked)"),
        in_flight,
        calls: done,
        rate,
        errors,
        upstream,
        cpu,
    }
    .row();
    Some(line)
}
