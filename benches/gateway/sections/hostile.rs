//! Section 9: hostile clients (issue 13). One key (`attacker`) holds thousands of idle TCP
//! connections and hundreds of calls whose request message never finishes arriving, while
//! another key (`victim`) keeps looking Contacts up; then SIGTERM, with all of it open.
//!
//! The gateway runs with its defaults except a 60 s `first_request_timeout_ms` (the idle
//! connections are then held for the whole measurement, the worst an operator could
//! configure) and no rate limits (the attack is not throttled away). Four windows alternate
//! so drift on a shared machine hits both sides alike: quiet, attacked, quiet, attacked; the
//! second attack ends with SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Bench, progress};
use crate::load::{self, Action, Run, Stop, Target};
use crate::procs;
use crate::stats::{Summary, ms, rss_kib};

const ATTACKER: &str = "attacker-key";
const VICTIM: &str = "victim-key";
/// The victim's callers, each calling back to back.
const VICTIM_CONCURRENCY: usize = 4;
/// The gateway's shutdown grace in this run (its default).
const GRACE: Duration = Duration::from_secs(10);

/// How much attack.
struct Size {
    idle: usize,
    stalled: usize,
    max_connections: usize,
    window: Duration,
}

pub(super) async fn section(b: &mut Bench) {
    let size = if b.sizes.smoke {
        Size {
            idle: 300,
            stalled: 30,
            max_connections: 200,
            window: Duration::from_millis(800),
        }
    } else {
        Size {
            // As many as this process may open (the gateway closes those over its cap at
            // once, so the harness holds at most the cap).
            idle: 20_000,
            stalled: 300,
            max_connections: 10_000,
            window: Duration::from_secs(10),
        }
    };
    progress("hostile clients: starting a gateway with two keys");
    let config = format!(
        "[server]\nfirst_request_timeout_ms = 60000\nmax_connections = {}\n\n\
         [limits]\nrate_per_second = 1000000\nburst = 1000000\n\n{}\n\
         [api_keys.attacker]\nsha256 = \"{}\"\npermissions = [\"query\", \"triggers\"]\n\n\
         [api_keys.victim]\nsha256 = \"{}\"\npermissions = [\"query\"]\n",
        size.max_connections,
        procs::connection_table(b.sandbox.addr, 20),
        sfgate::caller::ApiKey::hash_hex(ATTACKER),
        sfgate::caller::ApiKey::hash_hex(VICTIM),
    );
    let mut gw = procs::serve_config(b.dir.path(), "hostile.toml", &config).await;
    let victim = Target::Gateway(load::Gateway::connect(gw.addr, VICTIM, 2).await);
    load::closed_loop(
        &victim,
        Action::Lookup,
        VICTIM_CONCURRENCY,
        Stop::Calls(100),
    )
    .await;
    let rss_quiet = rss_kib(&gw.pid);
    let fds_quiet = fds(&gw.pid);

    let measure = |victim: Target| async move {
        let stop = Stop::At(Instant::now() + size.window);
        load::closed_loop(&victim, Action::Lookup, VICTIM_CONCURRENCY, stop).await
    };
    progress("hostile clients: quiet");
    let quiet1 = measure(victim.clone()).await;

    progress("hostile clients: attack 1");
    let attack = Attack::start(gw.addr, size.idle, size.stalled).await;
    let under1 = measure(victim.clone()).await;
    let seen1 = attack.seen(&gw.pid);
    attack.stop().await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    progress("hostile clients: quiet again");
    let quiet2 = measure(victim.clone()).await;

    progress("hostile clients: attack 2, then SIGTERM");
    let attack = Attack::start(gw.addr, size.idle, size.stalled).await;
    let under2 = measure(victim.clone()).await;
    let seen2 = attack.seen(&gw.pid);
    let pid = gw.pid.clone();
    let _ = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await;
    let sent = Instant::now();
    let exit = tokio::time::timeout(GRACE + Duration::from_secs(10), gw.child.wait()).await;
    let exit_took = sent.elapsed();
    attack.stop().await;
    let exited = matches!(exit, Ok(Ok(status)) if status.success());

    for (what, run) in [
        ("hostile: quiet", &quiet1),
        ("hostile: attacked", &under1),
        ("hostile: quiet again", &quiet2),
        ("hostile: attacked again", &under2),
    ] {
        b.report.check(what, run);
    }
    if !exited {
        b.report
            .failures
            .push(format!("hostile: no clean exit after SIGTERM: {exit:?}"));
    }
    report(
        b,
        &size,
        [&quiet1, &under1, &quiet2, &under2],
        [&seen1, &seen2],
        (rss_quiet, fds_quiet),
        (exited, exit_took),
    );
}

fn summary(run: &Run) -> Summary {
    Summary::of(run.samples.clone(), run.wall)
}

fn report(
    b: &mut Bench,
    size: &Size,
    runs: [&Run; 4],
    seen: [&Seen; 2],
    (rss_quiet, fds_quiet): (Option<u64>, Option<usize>),
    (exited, exit_took): (bool, Duration),
) {
    let s = runs.map(summary);
    let quiet_p99 = (s[0].p99 + s[2].p99) / 2;
    let worst = s[1].p99.max(s[3].p99);
    let ratio = worst.as_secs_f64() / quiet_p99.as_secs_f64().max(1e-9);
    let mib = |k: Option<u64>| k.map_or("?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    b.report.line(format!(
        "\n## 9. Hostile clients\n\n\
         Key `attacker` opens {} plain TCP connections that send nothing (the gateway's \
         `max_connections` is {}; `first_request_timeout_ms` 60 s so none is closed for silence \
         during a window) and keeps {} calls stalled (half `Subscribe`, half `ExecuteSoqlQuery`, \
         over {} HTTP/2 connections: headers, then 7 of the 100 bytes their message announces; \
         each is re-sent 1 s after it is refused). Key `victim` looks a Contact up at c = {} for {:.0} s \
         per window, on its own two connections. Windows alternate: quiet, attacked, quiet, attacked.\n",
        size.idle,
        size.max_connections,
        size.stalled,
        size.stalled.div_ceil(100),
        VICTIM_CONCURRENCY,
        size.window.as_secs_f64(),
    ));
    b.report
        .line("| victim's Contact lookups | p50 ms | p99 ms | calls/s | errors |");
    b.report.line("|---|---|---|---|---|");
    for (name, (sum, run)) in ["quiet", "attacked", "quiet again", "attacked again"]
        .iter()
        .zip(s.iter().zip(runs))
    {
        b.report.line(format!(
            "| {name} | {} | {} | {:.0} | {} |",
            ms(sum.p50),
            ms(sum.p99),
            sum.rate,
            run.errors
        ));
    }
    b.report.line(format!(
        "\n| measure | value | target | met |\n|---|---|---|---|\n\
         | victim p99 attacked (worst) / quiet (mean) | {} / {} ms (×{ratio:.2}) | within 2× | {} |",
        ms(worst),
        ms(quiet_p99),
        if ratio <= 2.0 { "yes" } else { "no" },
    ));
    for (i, seen) in seen.iter().enumerate() {
        let n = i + 1;
        b.report.line(format!(
            "| attack {n}: idle connections open seen from the client (some still in the listen queue) / closed at once over the cap / not opened (harness) | {} / {} / {} | | |",
            seen.held, seen.refused, seen.failed,
        ));
        b.report.line(format!(
            "| attack {n}: gateway file descriptors (quiet {}): its connections and a few files | {} | ≤ max_connections + {} | {} |",
            fds_quiet.map_or("?".into(), |f| f.to_string()),
            seen.fds.map_or("?".into(), |f| f.to_string()),
            fds_quiet.unwrap_or(0),
            if seen.fds.is_some_and(|f| f <= size.max_connections + fds_quiet.unwrap_or(0)) { "yes" } else { "no" },
        ));
        b.report.line(format!(
            "| attack {n}: stalled calls answered: REQUEST_BODY_TIMEOUT / TOO_MANY_STREAMS / other | {} / {} / {} | | |",
            seen.body_timeouts, seen.too_many_streams, seen.other_answers,
        ));
        b.report.line(format!(
            "| attack {n}: gateway RSS (quiet {}) | {} | | |",
            mib(rss_quiet),
            mib(seen.rss),
        ));
    }
    b.report.line(format!(
        "| SIGTERM during attack 2 → process exit | {} ms ({}) | ≤ {} s grace | {} |",
        ms(exit_took),
        if exited { "exit 0" } else { "no clean exit" },
        GRACE.as_secs(),
        if exited && exit_took <= GRACE {
            "yes"
        } else {
            "no"
        },
    ));
}

/// Open file descriptors of process `pid`.
fn fds(pid: &str) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// What an attack saw, and the gateway's state at its end.
#[derive(Debug, Default)]
struct Seen {
    held: u64,
    refused: u64,
    failed: u64,
    body_timeouts: u64,
    too_many_streams: u64,
    other_answers: u64,
    fds: Option<usize>,
    rss: Option<u64>,
}

#[derive(Debug, Default)]
struct Counters {
    /// Idle connections open now.
    open: AtomicU64,
    /// Idle connections the gateway closed within 100 ms of accepting them.
    refused: AtomicU64,
    /// Connects that failed on this side (file descriptors).
    failed: AtomicU64,
    body_timeouts: AtomicU64,
    too_many_streams: AtomicU64,
    other_answers: AtomicU64,
}

/// The attacker's connections and stalled calls, until [`Attack::stop`].
struct Attack {
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    stop_idle: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Attack {
    /// Opens `idle` silent connections (200 connects at a time) and keeps `stalled` calls
    /// stalled; returns once every connect was tried.
    async fn start(addr: SocketAddr, idle: usize, stalled: usize) -> Attack {
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = JoinSet::new();
        // The stalling connections first, so none of them lands over the connection cap.
        for i in 0..stalled.div_ceil(100) {
            let streams = (stalled - i * 100).min(100);
            let tcp = TcpStream::connect(addr)
                .await
                .expect("a stalling connection");
            let (h2, connection) = h2::client::handshake(tcp)
                .await
                .expect("an HTTP/2 handshake");
            tasks.spawn(async move {
                let _ = connection.await;
            });
            tasks.spawn(stall(h2, streams, counters.clone(), stop.clone()));
        }
        let (stop_idle, idle_stopping) = watch::channel(false);
        let ramp = Arc::new(Semaphore::new(200));
        let mut connects = JoinSet::new();
        for _ in 0..idle {
            let permit = ramp.clone().acquire_owned().await.expect("open semaphore");
            let (counters, stop) = (counters.clone(), idle_stopping.clone());
            connects.spawn(async move {
                match TcpStream::connect(addr).await {
                    Ok(socket) => {
                        drop(permit);
                        hold(socket, counters, stop).await;
                    }
                    Err(_) => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        tasks.spawn(async move { while connects.join_next().await.is_some() {} });
        // Let the last connects land and the refusals arrive.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Attack {
            counters,
            stop,
            stop_idle,
            tasks,
        }
    }

    fn seen(&self, pid: &str) -> Seen {
        let c = &self.counters;
        Seen {
            held: c.open.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            body_timeouts: c.body_timeouts.load(Ordering::Relaxed),
            too_many_streams: c.too_many_streams.load(Ordering::Relaxed),
            other_answers: c.other_answers.load(Ordering::Relaxed),
            fds: fds(pid),
            rss: rss_kib(pid),
        }
    }

    async fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.stop_idle.send(true);
        // Dropping the tasks closes every socket.
        self.tasks.shutdown().await;
    }
}

/// Holds a silent connection until the gateway closes it or the attack stops; asleep
/// in between, so the harness spends no CPU on it.
async fn hold(mut socket: TcpStream, counters: Arc<Counters>, mut stop: watch::Receiver<bool>) {
    counters.open.fetch_add(1, Ordering::Relaxed);
    let opened = Instant::now();
    let mut buf = [0u8; 64];
    loop {
        tokio::select! {
            read = socket.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            },
            _ = stop.wait_for(|stop| *stop) => break,
        }
    }
    counters.open.fetch_sub(1, Ordering::Relaxed);
    if opened.elapsed() < Duration::from_millis(100) {
        counters.refused.fetch_add(1, Ordering::Relaxed);
    }
}

/// `streams` calls kept stalled on one HTTP/2 connection: each sends its headers and 7 of
/// the 100 bytes its message announces, waits for its answer, and starts again 1 s later.
async fn stall(
    h2: h2::client::SendRequest<Bytes>,
    streams: usize,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let mut slots = JoinSet::new();
    for i in 0..streams {
        let path = if i % 2 == 0 {
            "/sfgate.v1.TriggerService/Subscribe"
        } else {
            "/sfgate.v1.SalesforceService/ExecuteSoqlQuery"
        };
        let (h2, counters, stop) = (h2.clone(), counters.clone(), stop.clone());
        slots.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let answer = stalled_call(h2.clone(), path).await;
                let counter = match answer.as_deref() {
                    Some("4") => &counters.body_timeouts,
                    Some("8") => &counters.too_many_streams,
                    _ => &counters.other_answers,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    while slots.join_next().await.is_some() {}
}

/// One stalled call; its `grpc-status` once answered (`None` if the connection failed).
async fn stalled_call(h2: h2::client::SendRequest<Bytes>, path: &str) -> Option<String> {
    let request = http::Request::post(format!("http://localhost{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {ATTACKER}"))
        .body(())
        .ok()?;
    let mut h2 = h2.ready().await.ok()?;
    let (response, mut body) = h2.send_request(request, false).ok()?;
    body.send_data(
        Bytes::from_static(b"\x00\x00\x00\x00\x64\x12\x05SELEC"),
        false,
    )
    .ok()?;
    let response = response.await.ok()?;
    let status = response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    drop(body);
    status
}
