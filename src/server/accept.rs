//! The accept loop: at most `max_connections` connections at once, accept errors that back
//! off instead of spinning, and a shutdown bounded by the grace period.
//!
//! tonic's own server loop has none of these: it retries a failed `accept` at once (with the
//! process out of file descriptors that is a busy loop that starves everything else), takes
//! every connection offered, and at shutdown waits for every connection to close, however
//! long its client keeps it open.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tonic::body::Body;

use super::connection;
use crate::limits::Transport;

/// The first wait after an accept error that is not about one connection (out of file
/// descriptors, out of memory); it doubles up to [`MAX_BACKOFF`] while they continue.
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
/// The longest wait between two accepts while they keep failing.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How often at most a refusal over `max_connections` is logged (with the count since).
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Accepts connections on `listener` and serves each with `service` until `shutdown`
/// completes; then stops accepting, asks every connection to close (HTTP/2 GOAWAY: calls in
/// flight finish) and returns once they have, or once `settings.shutdown_grace` has passed,
/// closing whatever is still open.
pub(super) async fn run<S>(
    listener: TcpListener,
    service: S,
    settings: Transport,
    shutdown: impl Future<Output = ()>,
) where
    S: tower::Service<
            http::Request<Body>,
            Response = http::Response<Body>,
            Error = Infallible,
            Future: Send,
        > + Clone
        + Send
        + 'static,
{
    let settings = Arc::new(settings);
    let permits = Arc::new(Semaphore::new(
        settings.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut refusals = Refusals::default();
    let mut backoff = FIRST_BACKOFF;
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
            // Reap finished connections so the set stays as small as the open ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_about_one_connection(&e) => continue,
            Err(e) => {
                tracing::warn!(error = %e, backoff_ms = backoff.as_millis() as u64, "accept failed; backing off");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        backoff = FIRST_BACKOFF;
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            // Closed at once: the client sees a reset and may retry; no descriptor is held.
            drop(stream);
            refusals.count(settings.max_connections);
            continue;
        };
        // Without it a reply's headers, body and trailers wait on Nagle's algorithm for
        // the client's delayed ACK: about 40 ms added to most calls (BENCHMARKS.md).
        let _ = stream.set_nodelay(true);
        connections.spawn(connection::serve(
            stream,
            service.clone(),
            settings.clone(),
            stopping.clone(),
            permit,
        ));
    }
    // Stop listening at once: new clients get a refused connection, not a hang.
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(settings.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            grace_ms = settings.shutdown_grace.as_millis() as u64,
            "connections still open after the shutdown grace period; closing them"
        );
        connections.shutdown().await;
    }
}

/// Accept errors about the one connection being accepted (it was reset before we took it):
/// the next accept is fine. Everything else (no descriptors or memory left) is about the
/// process and lasts a while.
fn is_about_one_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// Connections closed for being over `max_connections`, logged at most every [`LOG_EVERY`].
#[derive(Debug, Default)]
struct Refusals {
    since_log: u64,
    logged: Option<Instant>,
}

impl Refusals {
    fn count(&mut self, max: usize) {
        self.since_log += 1;
        if self.logged.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
            tracing::warn!(
                max_connections = max,
                refused = self.since_log,
                "connections over max_connections closed at once"
            );
            self.since_log = 0;
            self.logged = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_errors_about_one_connection_are_retried_at_once() {
        assert!(is_about_one_connection(&io::Error::from(
            io::ErrorKind::ConnectionAborted
        )));
        // EMFILE: too many open files.
        assert!(!is_about_one_connection(&io::Error::from_raw_os_error(24)));
        assert!(!is_about_one_connection(&io::Error::from(
            io::ErrorKind::OutOfMemory
        )));
    }
}
