//! `sfgate sandbox`: the sandbox org alone, its REST API and optionally its Pub/Sub API, for
//! any Salesforce client to use.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;

use crate::sandbox::{Sandbox, SandboxConfig};
use crate::server::ServeError;

/// Serves a sandbox org (seeded from `seed`, if given) on `listen`, and its Pub/Sub API on
/// `pubsub_listen` if given, until `shutdown` completes; one signal stops both servers.
pub async fn run_sandbox(
    listen: SocketAddr,
    seed: Option<PathBuf>,
    pubsub_listen: Option<SocketAddr>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let mut config = SandboxConfig::default();
    if let Some(seed) = seed {
        config.seed_path = Some(seed);
    }
    let defaults = super::sandbox_credentials(&config);
    let org = Sandbox::new(config)?;
    let listener = TcpListener::bind(listen).await?;
    let pubsub = match pubsub_listen {
        Some(addr) => Some(TcpListener::bind(addr).await?),
        None => None,
    };
    tracing::info!(url = %format!("http://{}", listener.local_addr()?), "sandbox org serving ({defaults})");
    // One signal stops both servers.
    let (stop, stopped) = tokio::sync::watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
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
