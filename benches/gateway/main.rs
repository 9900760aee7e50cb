//! The gateway benchmark: what sfgate costs and what it saves, measured side by side in one run.
//!
//! ```sh
//! scripts/bench            # the full run (minutes), release build; report in target/bench/
//! scripts/bench --smoke    # seconds, tiny counts: CI runs it so the harness cannot rot
//! ```
//!
//! One run starts the sandbox org as its own process (`sfgate sandbox`: its request counters
//! count the Salesforce API calls, its fault switch adds the upstream latency), then
//! `target/release/sfgate serve --config` as another process in front of it (so its CPU time
//! and RSS are its own), and measures from this one:
//! latency direct vs through sfgate (closed loop at concurrency 1, 16, 256, with 0 and 20 ms
//! upstream latency, and an open loop at 1,000 calls/s), throughput (a checking tonic client,
//! and h2load when installed), upstream API calls per 1,000 actions, Python callers
//! (simple-salesforce direct vs a grpcio-tools client through sfgate), cold start and memory,
//! trigger streams, and hostile clients (idle connections and stalled calls of one key
//! against another key's lookups, then SIGTERM).
//!
//! `cargo bench` passes `--bench`; without it (`cargo test --all-targets` runs bench targets
//! as tests) the harness runs its smoke mode. `--profile` records the sfgate process with
//! `perf` during the throughput phase (target/bench/perf.data). `--no-python` skips the
//! Python callers. `--hostile-only` runs only section 9, hostile clients (about a minute in a
//! full run).

mod load;
mod procs;
mod python;
mod sections;
mod stats;

use std::time::Duration;

/// How much of everything to do.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    smoke: bool,
    /// Calls per latency cell and target (half in each of two interleaved rounds).
    samples: usize,
    /// The same at concurrency 1 with 20 ms upstream (20 ms a call).
    samples_slow: usize,
    /// Seconds per open-loop series at 1,000 calls/s.
    open_loop: Duration,
    /// Seconds per throughput run.
    throughput: Duration,
    /// Actions (of each kind) for the upstream-economy count.
    economy: usize,
    /// Warm calls per action from each Python client.
    python: usize,
}

impl Sizes {
    fn full() -> Sizes {
        Sizes {
            smoke: false,
            samples: 4000,
            samples_slow: 1000,
            open_loop: Duration::from_secs(6),
            throughput: Duration::from_secs(10),
            economy: 1000,
            python: 500,
        }
    }

    fn smoke() -> Sizes {
        Sizes {
            smoke: true,
            samples: 40,
            samples_slow: 10,
            open_loop: Duration::from_millis(200),
            throughput: Duration::from_millis(500),
            economy: 20,
            python: 5,
        }
    }
}

/// Command-line switches.
#[derive(Debug, Clone, Copy)]
struct Opts {
    sizes: Sizes,
    profile: bool,
    python: bool,
    /// Only the hostile-clients section (`--hostile-only`).
    hostile_only: bool,
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |a: &str| args.iter().any(|x| x == a);
    let full = has("--bench") && !has("--smoke");
    Opts {
        sizes: if full { Sizes::full() } else { Sizes::smoke() },
        profile: has("--profile"),
        python: !has("--no-python"),
        hostile_only: has("--hostile-only"),
    }
}

fn main() -> std::process::ExitCode {
    let opts = opts();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let report = runtime.block_on(sections::run(opts));
    println!("{}", report.text);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let name = if opts.sizes.smoke {
        "gateway-smoke.md"
    } else {
        "gateway.md"
    };
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(name), &report.text);
        eprintln!("report written to {}", dir.join(name).display());
    }
    if report.failures.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        for f in &report.failures {
            eprintln!("FAILED: {f}");
        }
        std::process::ExitCode::FAILURE
    }
}
