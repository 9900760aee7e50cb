//! How the gateway is assembled: a configuration (or none) → Salesforce clients, API keys,
//! limits and the trigger engine → the server. Everything `sfgate` does beyond parsing its
//! command line starts here.
//!
//! # Layout
//!
//! - this file: [`serve`] (from a file, or the embedded default without one), the shared
//!   HTTP client, the shutdown signal;
//! - [`wiring`]: a checked [`Config`] → a [`Gateway`] (clients, auth keys, limits), the
//!   embedded sandbox's settings, the start-up warnings;
//! - [`embedded`]: the zero-configuration default, a sandbox org (with its Pub/Sub API) and
//!   a gateway pointed at it;
//! - [`check`](mod@check): `sfgate check`, each connection's login tried once;
//! - `standalone`: `sfgate sandbox`, the sandbox org alone ([`run_sandbox`]).
//!
//! It sits above everything else: [`crate::config`] never imports it (`.ci/run` checks).

pub mod check;
pub mod embedded;
mod standalone;
#[cfg(test)]
mod tests;
pub mod wiring;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tokio::net::TcpListener;

use crate::config::{
    self, Config, ENV_LISTEN, Flags, ProcessEnv, SANDBOX_CONNECTION, check_env_without_file,
};
use crate::sandbox::SandboxConfig;
use crate::server::{self, Gateway, ServeError};

pub use check::{CheckReport, ConnectionCheck, check};
pub use standalone::run_sandbox;
pub use wiring::{auth_keys, gateway, sandbox_config, startup_warnings};

/// `sfgate serve`: the gateway configured by the file at `config`, or without one the
/// embedded default; on `listen` if given (it wins over `SFGATE_LISTEN` and the file's
/// `server.listen`), until `shutdown` completes.
pub async fn serve(
    config: Option<PathBuf>,
    listen: Option<SocketAddr>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let Some(path) = config else {
        check_env_without_file(&ProcessEnv)?;
        let listen = match (listen, std::env::var(ENV_LISTEN)) {
            (Some(flag), _) => flag,
            (None, Ok(value)) => value.trim().parse().map_err(|_| {
                format!("{ENV_LISTEN}: {value:?} is not an address like 127.0.0.1:50051")
            })?,
            (None, Err(_)) => config::DEFAULT_LISTEN,
        };
        return serve_embedded(listen, shutdown).await;
    };
    serve_configured(&path, listen, shutdown).await
}

/// The gateway of the configuration file at `path` (plus its embedded sandbox, if enabled).
async fn serve_configured(
    path: &Path,
    listen: Option<SocketAddr>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let config = Config::load_with_flags(path, &ProcessEnv, &Flags { listen })?;
    for warning in startup_warnings(&config) {
        tracing::warn!("{warning}");
    }
    let listen = config.server.listen;
    let mut gateway = gateway(&config, &http_client());
    let listener = TcpListener::bind(listen).await?;
    if let Some(sandbox_config) = sandbox_config(&config) {
        let org = embedded::start(sandbox_config).await?;
        tracing::info!(
            sandbox = %format!("http://{}", org.sandbox_addr),
            pubsub = %org.pubsub_addr,
            "embedded sandbox org started"
        );
        add_embedded(&mut gateway, org.gateway, listen);
    }
    tracing::info!(
        listen = %listener.local_addr()?,
        connections = ?gateway.connections.keys().collect::<Vec<_>>(),
        "sfgate serving gRPC"
    );
    server::serve(listener, gateway, shutdown).await
}

/// The embedded sandbox's connection added to a configured gateway, and, for a gateway only
/// this machine can reach, its documented key (with the embedded default's limits: no rate
/// limit for it).
fn add_embedded(gateway: &mut Gateway, embedded: Gateway, listen: SocketAddr) {
    gateway.connections.extend(embedded.connections);
    if listen.ip().is_loopback() {
        gateway.api_keys.extend(embedded.api_keys);
        gateway
            .limits
            .rate_limits
            .extend(embedded.limits.rate_limits);
    }
}

/// The zero-configuration default on `listen`, which must be a loopback address: the
/// embedded key is accepted only there.
async fn serve_embedded(
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    if !listen.ip().is_loopback() {
        return Err(format!(
            "the embedded sandbox's api key `{}` is only accepted on loopback; listen on 127.0.0.1 or [::1], or give a --config with api keys",
            embedded::API_KEY
        )
        .into());
    }
    let listener = TcpListener::bind(listen).await?;
    let config = SandboxConfig::default();
    let defaults = sandbox_credentials(&config);
    let embedded = embedded::start(config).await?;
    tracing::info!(
        sandbox = %format!("http://{}", embedded.sandbox_addr),
        pubsub = %embedded.pubsub_addr,
        "embedded sandbox org started ({defaults})"
    );
    tracing::info!(
        listen = %listener.local_addr()?,
        connection = SANDBOX_CONNECTION,
        "sfgate serving gRPC; callers send `authorization: Bearer {}`",
        embedded::API_KEY
    );
    server::serve(listener, embedded.gateway, shutdown).await
}

/// `sfgate check`: loads and checks the file at `path`, prints its warnings and each
/// connection's login; an error unless every login worked.
pub async fn run_check(path: &Path) -> Result<(), ServeError> {
    let config = Config::load(path, &ProcessEnv)?;
    for warning in startup_warnings(&config) {
        println!("warning: {warning}");
    }
    let report = check(&config).await;
    println!("{report}");
    if report.is_ok() {
        Ok(())
    } else {
        Err("some connections cannot log in".into())
    }
}

/// The documented sandbox credentials, printed on start so a new user can log in.
fn sandbox_credentials(config: &SandboxConfig) -> String {
    format!(
        "client id `{}`, client secret `{}`, user `{}` with password `{}`",
        config.oauth.client_id,
        config.oauth.client_secret,
        config.oauth.username,
        config.oauth.password
    )
}

/// The HTTP client every connection shares: pooled keep-alive connections, no Nagle delay
/// (calls are small and latency-bound).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .user_agent(concat!("sfgate/", env!("CARGO_PKG_VERSION")))
        .build()
        // Building fails only if the TLS backend cannot initialise, which is a
        // broken build, not a runtime condition.
        .expect("the TLS backend initialises")
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
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
