//! The `sfgate` command: `sfgate serve` (the default), `check`, `hash-key`, `health` and
//! `sandbox`.
//! Parsing the command line and starting logging only: what each command runs is
//! [`sfgate::assembly`]'s.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use sfgate::assembly::{self, shutdown_signal};
use sfgate::caller::ApiKey;
use sfgate::config::{ENV_LOG, ProcessEnv};
use sfgate::health_probe;
use sfgate::server::ServeError;

/// A gRPC gateway that lets voice agents and services act on Salesforce.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// `sfgate` alone is `sfgate serve`.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve gRPC (the default). With no configuration, on an embedded sandbox org.
    Serve(ServeArgs),
    /// Validate a configuration file and try each connection's login.
    Check(CheckArgs),
    /// Print the SHA-256 hash of an API key, as `[api_keys.NAME] sha256` takes it.
    HashKey(HashKeyArgs),
    /// Probe a running gateway over gRPC health; exit 0 when it is SERVING (1 not serving,
    /// 3 no answer, 4 unknown service).
    Health(health_probe::HealthArgs),
    /// Run the sandbox org alone: a Salesforce-compatible REST API in memory.
    Sandbox(SandboxArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// A TOML configuration file (see sfgate.example.toml). Without one, sfgate
    /// serves an embedded sandbox org on loopback.
    #[arg(long, env = "SFGATE_CONFIG")]
    config: Option<PathBuf>,
    /// The address to serve gRPC on; wins over SFGATE_LISTEN and the file's
    /// `server.listen` [default: 127.0.0.1:50051].
    #[arg(long)]
    listen: Option<SocketAddr>,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The TOML configuration file to check.
    #[arg(long, env = "SFGATE_CONFIG")]
    config: PathBuf,
}

#[derive(Debug, clap::Args)]
struct HashKeyArgs {
    /// The key; read from standard input when left out (keeps it out of shell history).
    key: Option<String>,
}

#[derive(Debug, clap::Args)]
struct SandboxArgs {
    /// The address to serve the org's REST API on.
    #[arg(long, env = "SFGATE_SANDBOX_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A JSON seed file: custom objects and records to load.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Also serve the org's Pub/Sub API (Change Data Capture events, plaintext gRPC) here.
    #[arg(long, env = "SFGATE_SANDBOX_PUBSUB_LISTEN")]
    pubsub_listen: Option<SocketAddr>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match log_filter() {
        Ok(filter) => tracing_subscriber::fmt().with_env_filter(filter).init(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => {
            runtime.block_on(assembly::serve(args.config, args.listen, shutdown_signal()))
        }
        Command::Check(args) => runtime.block_on(assembly::run_check(&args.config)),
        Command::HashKey(args) => hash_key(args),
        Command::Sandbox(args) => runtime.block_on(async {
            let stop = shutdown_signal();
            assembly::run_sandbox(args.listen, args.seed, args.pubsub_listen, stop).await
        }),
        Command::Health(args) => {
            // Its own exit codes (see health_probe's module docs).
            let code = runtime.block_on(health_probe::run(args, &ProcessEnv));
            runtime.shutdown_background();
            return code;
        }
    };
    // Tasks still running (a handler whose client left) are not waited for: the server
    // has already given calls in flight their grace period.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The log filter: `SFGATE_LOG`, else `RUST_LOG` (what Rust programs usually read), else
/// `info`. A filter that does not parse is an error, not silently `info`.
fn log_filter() -> Result<EnvFilter, String> {
    for var in [ENV_LOG, "RUST_LOG"] {
        if let Ok(value) = std::env::var(var) {
            return EnvFilter::try_new(&value)
                .map_err(|e| format!("{var} is not a log filter (e.g. info,sfgate=debug): {e}"));
        }
    }
    Ok(EnvFilter::new("info"))
}

/// Prints the SHA-256 of the key given, or read from standard input.
fn hash_key(args: HashKeyArgs) -> Result<(), ServeError> {
    let key = match args.key {
        Some(k) => k,
        None => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line
        }
    };
    let key = key.trim();
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    println!("{}", ApiKey::hash_hex(key));
    Ok(())
}
