//! The `sfgate` command: `sfgate serve` (the default) and `sfgate sandbox`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use sfgate::caller::ApiKey;
use sfgate::config::{self, Config, ENV_LISTEN, ENV_LOG, Flags, ProcessEnv};
use sfgate::sandbox::SandboxConfig;
use sfgate::{embedded, sandbox, server};

/// Where `sfgate` serves gRPC without configuration.
const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 50051);

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
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve(cli.serve)) {
            Command::Serve(args) => serve(args).await,
            Command::Check(args) => check(args).await,
            Command::HashKey(args) => hash_key(args),
            Command::Sandbox(args) => run_sandbox(args).await,
        }
    });
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

async fn serve(args: ServeArgs) -> Result<(), server::ServeError> {
    let Some(path) = args.config else {
        config::check_env_without_file(&ProcessEnv)?;
        let listen = match (args.listen, std::env::var(ENV_LISTEN)) {
            (Some(flag), _) => flag,
            (None, Ok(value)) => value.trim().parse().map_err(|_| {
                format!("{ENV_LISTEN}: {value:?} is not an address like 127.0.0.1:50051")
            })?,
            (None, Err(_)) => DEFAULT_LISTEN,
        };
        return serve_embedded(listen).await;
    };
    let flags = Flags {
        listen: args.listen,
    };
    let config = Config::load_with_flags(&path, &ProcessEnv, &flags)?;
    for warning in config.startup_warnings() {
        tracing::warn!("{warning}");
    }
    let listen = config.server.listen;
    let mut gateway = config.gateway(&embedded::http_client());
    let listener = TcpListener::bind(listen).await?;
    if let Some(sandbox_config) = config.sandbox_config() {
        let org = embedded::start(sandbox_config).await?;
        tracing::info!(
            sandbox = %format!("http://{}", org.sandbox_addr),
            pubsub = %org.pubsub_addr,
            "embedded sandbox org started"
        );
        gateway.connections.extend(org.gateway.connections);
        // The documented sandbox key is for a gateway only this machine can reach.
        if listen.ip().is_loopback() {
            gateway.api_keys.extend(org.gateway.api_keys);
            // ...and it keeps the embedded default's limits (no rate limit for it).
            gateway
                .limits
                .rate_limits
                .extend(org.gateway.limits.rate_limits);
        }
    }
    tracing::info!(
        listen = %listener.local_addr()?,
        connections = ?gateway.connections.keys().collect::<Vec<_>>(),
        "sfgate serving gRPC"
    );
    server::serve(listener, gateway, shutdown_signal()).await
}

async fn serve_embedded(listen: SocketAddr) -> Result<(), server::ServeError> {
    if !listen.ip().is_loopback() {
        return Err(format!(
            "the embedded sandbox's api key `{}` is only accepted on loopback; listen on 127.0.0.1 or [::1], or give a --config with api keys",
            embedded::API_KEY
        )
        .into());
    }
    let listener = TcpListener::bind(listen).await?;
    let config = SandboxConfig::default();
    let defaults = sandbox_defaults(&config);
    let embedded = embedded::start(config).await?;
    tracing::info!(
        sandbox = %format!("http://{}", embedded.sandbox_addr),
        pubsub = %embedded.pubsub_addr,
        "embedded sandbox org started ({defaults})"
    );
    tracing::info!(
        listen = %listener.local_addr()?,
        connection = embedded::CONNECTION,
        "sfgate serving gRPC; callers send `authorization: Bearer {}`",
        embedded::API_KEY
    );
    server::serve(listener, embedded.gateway, shutdown_signal()).await
}

async fn check(args: CheckArgs) -> Result<(), server::ServeError> {
    let config = Config::load(&args.config, &ProcessEnv)?;
    for warning in config.startup_warnings() {
        println!("warning: {warning}");
    }
    let report = sfgate::config::check(&config).await;
    println!("{report}");
    if report.is_ok() {
        Ok(())
    } else {
        Err("some connections cannot log in".into())
    }
}

fn hash_key(args: HashKeyArgs) -> Result<(), server::ServeError> {
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

async fn run_sandbox(args: SandboxArgs) -> Result<(), server::ServeError> {
    let mut config = SandboxConfig::default();
    if let Some(seed) = args.seed {
        config.seed_path = Some(seed);
    }
    let defaults = sandbox_defaults(&config);
    let org = sandbox::Sandbox::new(config)?;
    let listener = TcpListener::bind(args.listen).await?;
    let pubsub = match args.pubsub_listen {
        Some(addr) => Some(TcpListener::bind(addr).await?),
        None => None,
    };
    tracing::info!(url = %format!("http://{}", listener.local_addr()?), "sandbox org serving ({defaults})");
    // One signal stops both servers.
    let (stop, stopped) = tokio::sync::watch::channel(());
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(());
    });
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<()>| async move {
        let _ = rx.changed().await;
    };
    let pubsub = match pubsub {
        Some(listener) => {
            tracing::info!(addr = %listener.local_addr()?, "sandbox org serving the Pub/Sub API (plaintext gRPC)");
            let org = org.clone();
            let stop = until_stopped(stopped.clone());
            Some(tokio::spawn(org.serve_pubsub(listener, stop)))
        }
        None => None,
    };
    org.serve(listener, until_stopped(stopped)).await?;
    if let Some(task) = pubsub {
        task.await.map_err(std::io::Error::other)??;
    }
    Ok(())
}

/// The documented sandbox credentials, printed on start so a new user can log in.
fn sandbox_defaults(config: &SandboxConfig) -> String {
    format!(
        "client id `{}`, client secret `{}`, user `{}` with password `{}`",
        config.oauth.client_id,
        config.oauth.client_secret,
        config.oauth.username,
        config.oauth.password
    )
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
