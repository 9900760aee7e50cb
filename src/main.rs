//! The `sfgate` command: `sfgate serve` (the default) and `sfgate sandbox`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use sfgate::sandbox::SandboxConfig;
use sfgate::{embedded, sandbox, server};

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
    /// Run the sandbox org alone: a Salesforce-compatible REST API in memory.
    Sandbox(SandboxArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The address to serve gRPC on.
    #[arg(long, env = "SFGATE_LISTEN", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
}

#[derive(Debug, clap::Args)]
struct SandboxArgs {
    /// The address to serve the org's REST API on.
    #[arg(long, env = "SFGATE_SANDBOX_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A JSON seed file: custom objects and records to load.
    #[arg(long)]
    seed: Option<PathBuf>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("SFGATE_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
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
            Command::Sandbox(args) => run_sandbox(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), server::ServeError> {
    if !args.listen.ip().is_loopback() {
        return Err(format!(
            "the embedded sandbox's api key `{}` is only accepted on loopback; listen on 127.0.0.1 or [::1]",
            embedded::API_KEY
        )
        .into());
    }
    let listener = TcpListener::bind(args.listen).await?;
    let config = SandboxConfig::default();
    let defaults = sandbox_defaults(&config);
    let embedded = embedded::start(config).await?;
    tracing::info!(
        sandbox = %format!("http://{}", embedded.sandbox_addr),
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

async fn run_sandbox(args: SandboxArgs) -> Result<(), server::ServeError> {
    let mut config = SandboxConfig::default();
    if let Some(seed) = args.seed {
        config.seed_path = Some(seed);
    }
    let defaults = sandbox_defaults(&config);
    let org = sandbox::Sandbox::new(config)?;
    let listener = TcpListener::bind(args.listen).await?;
    tracing::info!(url = %format!("http://{}", listener.local_addr()?), "sandbox org serving ({defaults})");
    org.serve(listener, shutdown_signal()).await?;
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
