//! The run, section by section; each appends its table to the report.

use std::fmt::Write as _;
use std::time::Duration;

use tokio::time::Instant;

use crate::load::{self, Action, Run, Stop, Target};
use crate::stats::{self, Summary, added, ms};
use crate::{Opts, Sizes, procs};

mod hostile;
mod other;
mod throughput;

/// The report: markdown text, and what went wrong (errors where there must be none).
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub text: String,
    pub failures: Vec<String>,
}

impl Report {
    fn line(&mut self, s: impl AsRef<str>) {
        self.text.push_str(s.as_ref());
        self.text.push('\n');
    }

    /// Errors in a run are failures: every number must come from successful calls.
    fn check(&mut self, what: &str, run: &Run) {
        if run.errors > 0 {
            self.failures.push(format!(
                "{what}: {} errors, first: {}",
                run.errors,
                run.first_error.as_deref().unwrap_or("?")
            ));
        }
    }
}

/// Everything the sections share.
struct Bench {
    sizes: Sizes,
    sandbox: procs::Org,
    /// Where the gateways' configuration files go.
    dir: tempfile::TempDir,
    /// Token requests the org saw from anyone but the bench's sfgate (the direct client's
    /// login, the default-ceiling gateway's).
    other_logins: u64,
    /// When the bench's sfgate started.
    started: Instant,
    gateway: procs::Process,
    direct: Target,
    via: Target,
    report: Report,
}

fn progress(s: &str) {
    eprintln!("[{}] {s}", time_of_day());
}

fn time_of_day() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// The whole run.
pub(crate) async fn run(opts: Opts) -> Report {
    let sizes = opts.sizes;
    let mut report = Report::default();
    let mode = if sizes.smoke { "smoke" } else { "full" };
    report.line(format!("# sfgate gateway benchmark ({mode} run)\n"));
    report.line(format!(
        "- machine: {}; load average (1 min) at start {}; started {}",
        stats::machine(),
        stats::load_average(),
        time_of_day()
    ));
    progress("starting sfgate sandbox");
    let sandbox = procs::Org::start().await;
    let sandbox_addr = sandbox.addr;
    let dir = tempfile::tempdir().expect("a temp dir");
    progress("starting sfgate serve --config");
    let gateway = procs::gateway(dir.path(), sandbox_addr, 1000).await;
    let via = Target::Gateway(load::Gateway::connect(gateway.addr, procs::API_KEY, 1).await);
    let mut bench = Bench {
        sizes,
        sandbox,
        dir,
        other_logins: 1,
        started: Instant::now(),
        direct: Target::Direct(load::Direct::login(sandbox_addr).await),
        via,
        gateway,
        report,
    };
    if opts.hostile_only {
        hostile::section(&mut bench).await;
        bench.gateway.stop().await;
        bench.sandbox.stop().await;
        return bench.report;
    }
    let cold = other::first_calls(&mut bench).await;
    bench.latency_matrix().await;
    bench.open_loop().await;
    bench.overload().await;
    throughput::section(&mut bench, opts.profile).await;
    other::memory(&mut bench, cold).await;
    other::economy(&mut bench).await;
    if opts.python {
        other::python(&mut bench).await;
    }
    other::trigger_streams(&mut bench).await;
    hostile::section(&mut bench).await;
    bench.report.line(format!(
        "\nLoad average (1 min) at the end: {}; finished {}.",
        stats::load_average(),
        time_of_day()
    ));
    bench.gateway.stop().await;
    bench.sandbox.stop().await;
    bench.report
}

/// The same calls at `concurrency` against both targets, in two interleaved rounds
/// (direct, sfgate, direct, sfgate) so drift on a shared machine hits both alike.
async fn side_by_side(
    direct: &Target,
    via: &Target,
    action: Action,
    concurrency: usize,
    n: usize,
) -> (Run, Run) {
    let warm = (concurrency * 2).max(10);
    for t in [direct, via] {
        load::closed_loop(t, action, concurrency, Stop::Calls(warm)).await;
    }
    let (mut a, mut b) = (Run::default(), Run::default());
    for _ in 0..2 {
        a.merge(load::closed_loop(direct, action, concurrency, Stop::Calls(n / 2)).await);
        b.merge(load::closed_loop(via, action, concurrency, Stop::Calls(n / 2)).await);
    }
    (a, b)
}

fn three(s: &Summary) -> String {
    format!("{} / {} / {}", ms(s.p50), ms(s.p99), ms(s.p999))
}

impl Bench {
    async fn set_latency(&self, latency_ms: u64) {
        self.sandbox.set_latency(latency_ms).await;
    }

    /// Section 1: closed-loop latency at concurrency 1, 16, 256 with 0 and 20 ms upstream.
    async fn latency_matrix(&mut self) {
        self.report.line(
            "\n## 1. Latency: direct (warm reqwest) vs through sfgate (tonic, one HTTP/2 connection)\n\n\
             Closed loop: `c` callers back to back. Milliseconds, p50 / p99 / p99.9. \
             Added = sfgate − direct (and sfgate ÷ direct).\n\n\
             | upstream | action | c | n | direct | sfgate | added p50 | added p99 | added p99.9 | calls/s direct / sfgate |\n\
             |---|---|---|---|---|---|---|---|---|---|",
        );
        for latency in [0, 20] {
            self.set_latency(latency).await;
            for action in [Action::Lookup, Action::Create] {
                for c in [1, 16, 256] {
                    let n = if latency > 0 && c == 1 {
                        self.sizes.samples_slow
                    } else {
                        self.sizes.samples
                    };
                    progress(&format!("latency {latency} ms, {}, c={c}", action.name()));
                    let (d, g) = side_by_side(&self.direct, &self.via, action, c, n).await;
                    let what = format!("latency {latency} ms {} c={c}", action.name());
                    self.report.check(&format!("{what} direct"), &d);
                    self.report.check(&format!("{what} sfgate"), &g);
                    let (d, g) = (
                        Summary::of(d.samples, d.wall),
                        Summary::of(g.samples, g.wall),
                    );
                    self.report.line(format!(
                        "| {latency} ms | {} | {c} | {} | {} | {} | {} | {} | {} | {:.0} / {:.0} |",
                        action.name(),
                        g.n,
                        three(&d),
                        three(&g),
                        added(d.p50, g.p50),
                        added(d.p99, g.p99),
                        added(d.p999, g.p999),
                        d.rate,
                        g.rate
                    ));
                }
            }
        }
        self.set_latency(0).await;
        let health = Target::health(self.gateway.addr).await;
        let n = self.sizes.samples;
        load::closed_loop(&health, Action::Lookup, 1, Stop::Calls(n / 10)).await;
        let run = load::closed_loop(&health, Action::Lookup, 1, Stop::Calls(n)).await;
        self.report.check("health round trip", &run);
        let s = Summary::of(run.samples, run.wall);
        self.report.line(format!(
            "\nThe gRPC hop alone, for comparison: `grpc.health.v1.Health/Check` on sfgate (no \
             Salesforce call), c = 1, n = {}: {} ms (p50 / p99 / p99.9).",
            s.n,
            three(&s)
        ));
    }

    /// Overload: one org with the default ceiling (20 requests in flight) answering in
    /// 200 ms sustains 100 calls/s. Open loops at half and at twice that, with the default
    /// queue wait (200 ms), a shorter one (100 ms) and waiting until the deadline
    /// (`max_queue_wait_ms = 0`).
    async fn overload(&mut self) {
        self.report.line(
            "\n## 1c. Overload: twice the sustainable load (target: admitted p99 within 2× of normal)\n\n\
             One connection with the default ceiling (`max_concurrent = 20`) to an org answering \
             in 200 ms: at most 100 calls/s can be served. An open loop of Contact lookups at \
             0.5× (50/s) and at 2× (200/s). Shed = refused at once (`UNAVAILABLE` \
             `CONNECTION_BUSY`, nothing sent to the org).\n\n\
             | queue wait | load | n | admitted | admitted p50 / p99 ms | p99 vs 0.5× | shed | shed p99 ms | met |\n\
             |---|---|---|---|---|---|---|---|---|",
        );
        let seconds = if self.sizes.smoke { 1.0 } else { 8.0 };
        for (label, keys) in [
            ("200 ms (default)", ""),
            ("100 ms", "max_queue_wait_ms = 100"),
            ("until the deadline (0)", "max_queue_wait_ms = 0"),
        ] {
            progress(&format!("overload, queue wait {label}"));
            let tokens = self.sandbox.requests().await.token;
            let gateway = procs::gateway_with(self.dir.path(), self.sandbox.addr, 20, keys).await;
            let via =
                Target::Gateway(load::Gateway::connect(gateway.addr, procs::API_KEY, 4).await);
            // Warm: the token, the connections to the org.
            load::closed_loop(&via, Action::Lookup, 4, Stop::Calls(20)).await;
            self.set_latency(200).await;
            let mut normal_p99 = Duration::ZERO;
            for (load_label, rate) in [("0.5×", 50.0), ("2×", 200.0)] {
                let (run, _lag) =
                    load::open_loop(&via, Action::Lookup, rate, Duration::from_secs_f64(seconds))
                        .await;
                let n = run.samples.len() + run.errors as usize;
                let shed = Summary::of(run.error_samples.clone(), run.wall);
                let admitted = Summary::of(run.samples, run.wall);
                if load_label == "0.5×" {
                    // Below capacity every call must be served.
                    self.report.check(
                        &format!("overload {label} at 0.5×"),
                        &Run {
                            errors: run.errors,
                            first_error: run.first_error.clone(),
                            ..Run::default()
                        },
                    );
                    normal_p99 = admitted.p99;
                }
                let ratio = admitted.p99.as_secs_f64() / normal_p99.as_secs_f64().max(1e-9);
                let met = if load_label == "2×" {
                    if ratio <= 2.0 { "yes" } else { "no" }
                } else {
                    ""
                };
                self.report.line(format!(
                    "| {label} | {load_label} ({rate:.0}/s) | {n} | {} | {} / {} | ×{ratio:.2} | {} | {} | {met} |",
                    admitted.n,
                    ms(admitted.p50),
                    ms(admitted.p99),
                    run.errors,
                    if run.errors > 0 { ms(shed.p99) } else { "–".to_owned() },
                ));
                if run.errors > 0
                    && let Some(e) = &run.first_error
                    && !e.contains("CONNECTION_BUSY")
                    && !e.contains("concurrency ceiling")
                    && !e.contains("DeadlineExceeded")
                    && !e.contains("deadline")
                {
                    self.report
                        .failures
                        .push(format!("overload {label}: unexpected error {e}"));
                }
            }
            self.set_latency(0).await;
            gateway.stop().await;
            self.other_logins += self.sandbox.requests().await.token - tokens;
        }
    }

    /// Section 1b: the target's shape, an open loop at 1,000 calls/s.
    async fn open_loop(&mut self) {
        self.report.line(
            "\n## 1b. Added latency at 1,000 calls/s (open loop; target: added p99 ≤ 1 ms)\n\n\
             A call starts every millisecond whatever the answers do (each its own task); \
             latency counts from its start. Lag = how late calls started against the schedule \
             (p99, both targets): the load generator's own delay, charged to neither. Two \
             interleaved rounds per target.\n\n\
             | upstream | action | n | direct p50 / p99 / p99.9 | sfgate p50 / p99 / p99.9 | added p50 | added p99 | met | lag p99 |\n\
             |---|---|---|---|---|---|---|---|---|",
        );
        let half = self.sizes.open_loop / 2;
        for (latency, action) in [
            (0, Action::Lookup),
            (0, Action::Create),
            (20, Action::Lookup),
            (20, Action::Create),
        ] {
            self.set_latency(latency).await;
            progress(&format!("open loop {latency} ms, {}", action.name()));
            let (mut d, mut g, mut lag) = (Run::default(), Run::default(), Vec::new());
            for _ in 0..2 {
                for (target, run) in [(&self.direct, &mut d), (&self.via, &mut g)] {
                    let (r, l) = load::open_loop(target, action, 1000.0, half).await;
                    run.merge(r);
                    lag.extend(l);
                }
            }
            let lag = Summary::of(lag, Duration::from_secs(1)).p99;
            let what = format!("open loop {latency} ms {}", action.name());
            self.report.check(&format!("{what} direct"), &d);
            self.report.check(&format!("{what} sfgate"), &g);
            let (d, g) = (
                Summary::of(d.samples, d.wall),
                Summary::of(g.samples, g.wall),
            );
            let extra = g.p99.saturating_sub(d.p99);
            let mut row = String::new();
            let _ = write!(
                row,
                "| {latency} ms | {} | {} | {} | {} | {} | {} | {} | {} |",
                action.name(),
                g.n,
                three(&d),
                three(&g),
                added(d.p50, g.p50),
                added(d.p99, g.p99),
                if extra <= Duration::from_millis(1) {
                    "yes"
                } else {
                    "no"
                },
                ms(lag)
            );
            self.report.line(row);
        }
        self.set_latency(0).await;
    }
}

/// How long one call takes, once.
async fn time_one(target: &Target, action: Action) -> Result<Duration, String> {
    let t = Instant::now();
    target.call(0, action).await.map(|()| t.elapsed())
}
