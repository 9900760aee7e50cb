//! Sections 3–8: cold start and memory, upstream economy, the Python callers, and the rows
//! other work will fill in.

mod triggers;

use std::time::Duration;

use super::{Bench, progress, time_one};
use crate::load::{self, Action, Stop, Target};
use crate::procs;
use crate::python;
use crate::stats::{ms, rss_kib};

/// What the bench's own sfgate process showed when it started.
#[derive(Debug)]
pub(super) struct Cold {
    first: Duration,
    second: Duration,
    rss_serving: Option<u64>,
}

/// The first two calls of the freshly started sfgate: the first fetches the token.
pub(super) async fn first_calls(b: &mut Bench) -> Cold {
    let rss_serving = rss_kib(&b.gateway.pid);
    let first = time_one(&b.via, Action::Lookup).await;
    let second = time_one(&b.via, Action::Lookup).await;
    match (first, second) {
        (Ok(first), Ok(second)) => Cold {
            first,
            second,
            rss_serving,
        },
        (a, b2) => {
            b.report.failures.push(format!("first calls: {a:?} {b2:?}"));
            Cold {
                first: Duration::ZERO,
                second: Duration::ZERO,
                rss_serving,
            }
        }
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

fn met(ok: bool) -> &'static str {
    if ok { "yes" } else { "no" }
}

/// Peak RSS (`VmHWM`) of a process, in KiB.
fn hwm_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Sections 3 and 4: cold start and memory, for the bench's `sfgate serve --config` and for a
/// fresh zero-configuration `sfgate` (embedded sandbox org).
pub(super) async fn memory(b: &mut Bench, cold: Cold) {
    tokio::time::sleep(Duration::from_secs(if b.sizes.smoke { 0 } else { 2 })).await;
    let idle_after = rss_kib(&b.gateway.pid);
    let peak = hwm_kib(&b.gateway.pid);
    progress("cold start: zero-configuration sfgate");
    let fresh = procs::embedded().await;
    let embedded = Target::Gateway(load::Gateway::connect(fresh.addr, "sandbox", 1).await);
    let e_first = time_one(&embedded, Action::Lookup).await;
    let e_second = time_one(&embedded, Action::Lookup).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let e_rss = rss_kib(&fresh.pid);
    let e_serving = fresh.start_to_serving;
    fresh.stop().await;
    let (e_first, e_second) = match (e_first, e_second) {
        (Ok(a), Ok(b2)) => (a, b2),
        (a, b2) => {
            b.report
                .failures
                .push(format!("embedded calls: {a:?} {b2:?}"));
            (Duration::ZERO, Duration::ZERO)
        }
    };
    let g = &b.gateway;
    let limit = 30 * 1024;
    let lines = [
        "\n## 3–4. Cold start and memory\n".to_owned(),
        "Process start = spawning `target/release/sfgate` to its health service answering SERVING (polled every 1 ms). The first call includes the OAuth token request.\n".into(),
        "| measure | `sfgate serve --config` (gateway only) | `sfgate` (zero-config, embedded sandbox org) | target | met |".into(),
        "|---|---|---|---|---|".into(),
        format!("| process start → SERVING | {} ms | {} ms | | |", ms(g.start_to_serving), ms(e_serving)),
        format!("| first call (Contact lookup, token fetch included) | {} ms | {} ms | | |", ms(cold.first), ms(e_first)),
        format!("| second call | {} ms | {} ms | | |", ms(cold.second), ms(e_second)),
        format!(
            "| RSS idle (at SERVING / after its first calls) | {} | {} | ≤ 30 MB | {} |",
            mib(cold.rss_serving),
            mib(e_rss),
            met(cold.rss_serving.is_some_and(|k| k <= limit) && e_rss.is_some_and(|k| k <= limit))
        ),
        format!("| RSS idle after all the load above / peak (VmHWM) | {} / {} | | | |", mib(idle_after), mib(peak)),
    ];
    for l in lines {
        b.report.line(l);
    }
}

/// Section 5: Salesforce API calls per 1,000 actions through sfgate, token requests included.
pub(super) async fn economy(b: &mut Bench) {
    let n = b.sizes.economy;
    progress("upstream economy");
    let before = b.sandbox.requests().await;
    let mut runs = Vec::new();
    for action in [Action::Lookup, Action::Create] {
        runs.push(load::closed_loop(&b.via, action, 16, Stop::Calls(n)).await);
    }
    let after = b.sandbox.requests().await;
    for r in &runs {
        b.report.check("economy", r);
    }
    let actions = (2 * n) as f64;
    let calls = after.total - before.total;
    // Every token request this org saw, less the other clients' logins, is sfgate's: the
    // Python callers (which log in too) run after this.
    let gateway_tokens = after.token.saturating_sub(b.other_logins);
    if gateway_tokens != 1 {
        b.report.failures.push(format!(
            "sfgate made {gateway_tokens} token requests, not 1"
        ));
    }
    b.report.line(format!(
        "\n## 5. Upstream economy\n\n\
         Counted by the sandbox org (requests by route). {n} lookups and {n} creates through sfgate at c = 16.\n\n\
         | path | actions | Salesforce API calls | of which token requests | per 1,000 actions | target | met |\n\
         |---|---|---|---|---|---|---|\n\
         | through sfgate (warm) | {} | {calls} (query {}, create {}) | {} | {:.1} | | |\n\
         | sfgate token requests over the whole run so far (one connection, {:.0} s of calls, token lifetime 2 h idle) | | | {gateway_tokens} | | exactly 1 per connection per token lifetime | {} |",
        2 * n,
        after.query - before.query,
        after.create - before.create,
        after.token - before.token,
        calls as f64 * 1000.0 / actions,
        b.started.elapsed().as_secs_f64(),
        met(gateway_tokens == 1),
    ));
}

/// Section 6: what a Python service would do instead.
pub(super) async fn python(b: &mut Bench) {
    b.report.line(
        "\n## 6. Against what a user would do instead: Python, 0 ms upstream\n\n\
         One fresh process each, calls one after another (c = 1). First answer = process start \
         (imports included) to the first lookup answered: login or channel, then the call.\n\n\
         | caller | first answer (fresh process) | login | lookup p50 / p99 ms | lookups/s | create p50 / p99 ms | creates/s | API calls per 1,000 actions |\n\
         |---|---|---|---|---|---|---|---|",
    );
    let Some(py) = python::interpreter() else {
        b.report
            .line("| (skipped: no .venv; run scripts/setup) | | | | | | | |");
        return;
    };
    let n = b.sizes.python;
    // Each process: a first lookup, 10 warm-up calls per action, then n per action.
    let actions = (1 + 2 * (n.min(10) + n)) as f64;
    progress("python: simple-salesforce");
    let before = b.sandbox.requests().await;
    let simple = python::run(
        &py,
        &[
            "simple".into(),
            format!("http://{}", b.sandbox.addr),
            n.to_string(),
        ],
    )
    .await;
    let simple_calls = (b.sandbox.requests().await.total - before.total) as f64;
    progress("python: grpcio client through sfgate");
    let dir = tempfile::tempdir().expect("a temp dir");
    let before = b.sandbox.requests().await;
    let grpc = python::run(
        &py,
        &[
            "grpc".into(),
            b.gateway.addr.to_string(),
            n.to_string(),
            dir.path().display().to_string(),
            procs::API_KEY.into(),
        ],
    )
    .await;
    let grpc_calls = (b.sandbox.requests().await.total - before.total) as f64;
    for (label, run, calls) in [
        (
            "simple-salesforce → sandbox (login once, warm session)",
            simple,
            simple_calls,
        ),
        ("grpcio-tools client → sfgate → sandbox", grpc, grpc_calls),
    ] {
        match run {
            Ok(r) => b.report.line(format!(
                "| {label} | {} ms | {} | {} / {} | {:.0} | {} / {} | {:.0} | {:.1} |",
                ms(r.first_answer),
                r.login
                    .map_or("– (sfgate holds the token)".into(), |l| format!(
                        "{} ms",
                        ms(l)
                    )),
                ms(r.lookup.p50),
                ms(r.lookup.p99),
                r.lookup.rate,
                ms(r.create.p50),
                ms(r.create.p99),
                r.create.rate,
                calls * 1000.0 / actions
            )),
            Err(e) => b.report.failures.push(e),
        }
    }
    b.report.line(
        "| simple-salesforce, a fresh process per action (login each time) | as above | | | | | | 2000 (1 login + 1 call) |",
    );
}

/// Section 8: the trigger streams.
pub(super) async fn trigger_streams(b: &mut Bench) {
    triggers::section(b).await;
}
