//! One client connection: HTTP/2 with the [`Transport`] settings (stream limit, keepalive
//! pings), closed when it has sent no request in time, when it has been idle too long, or at
//! shutdown.
//!
//! hyper closes a connection whose pings go unanswered, but has no notion of a connection that
//! never sends a request or stays idle: [`Activity`] counts the requests in flight (a request
//! ends when its response body is done or dropped) and the task serving the connection checks
//! it against the deadlines. Closing is graceful first (an HTTP/2 GOAWAY, so a client
//! reconnects on its next call without an error) and forced a little later, so a client that
//! ignores the GOAWAY, or never finished its handshake, cannot keep the connection.

use std::convert::Infallible;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, watch};
use tokio::time::Instant;
use tonic::Status;
use tonic::body::Body;
use tonic::transport::server::TcpConnectInfo;
use tower::ServiceExt;

use crate::limits::Transport;

/// After a graceful close has begun for idleness or a missing first request, how long the
/// client has to go before the connection is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// What a connection is doing, shared by its task and its requests.
#[derive(Debug)]
struct Activity {
    opened: Instant,
    /// Whether a request's headers have arrived whole.
    seen: AtomicBool,
    in_flight: AtomicUsize,
    /// Milliseconds after `opened` when the last request in flight ended.
    idle_since_ms: AtomicU64,
    /// Wakes the connection's task when the first request arrives and when the last one
    /// in flight ends: the moments its deadline changes.
    changed: Notify,
}

/// One request in flight on its connection; ends it when dropped.
#[derive(Debug)]
struct InFlight(Arc<Activity>);

impl Activity {
    fn new() -> Self {
        Activity {
            opened: Instant::now(),
            seen: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        if !self.seen.swap(true, Ordering::Relaxed) {
            self.changed.notify_one();
        }
        InFlight(self.clone())
    }

    /// When to look again, or `None` when the connection is to be closed now.
    fn next_check(&self, now: Instant, settings: &Transport) -> Option<Instant> {
        if !self.seen.load(Ordering::Relaxed) {
            let deadline = self.opened + settings.first_request_timeout;
            return (now < deadline).then_some(deadline);
        }
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return Some(now + settings.idle_timeout);
        }
        let idle_since =
            self.opened + Duration::from_millis(self.idle_since_ms.load(Ordering::SeqCst));
        let deadline = idle_since + settings.idle_timeout;
        (now < deadline).then_some(deadline)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let ms = u64::try_from(self.0.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.idle_since_ms.store(ms, Ordering::SeqCst);
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.changed.notify_one();
        }
    }
}

/// The gateway's service as hyper calls it for one connection.
#[derive(Debug, Clone)]
struct ConnService<S> {
    inner: S,
    activity: Arc<Activity>,
    info: TcpConnectInfo,
}

impl<S> hyper::service::Service<http::Request<Incoming>> for ConnService<S>
where
    S: tower::Service<
            http::Request<Body>,
            Response = http::Response<Body>,
            Error = Infallible,
            Future: Send,
        > + Clone
        + Send
        + 'static,
{
    type Response = http::Response<Tracked>;
    type Error = Infallible;
    type Future = futures_util::future::BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn call(&self, request: http::Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.begin();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(self.info.clone());
        let service = self.inner.clone();
        Box::pin(async move {
            let response = service.oneshot(request).await?;
            Ok(response.map(|body| Tracked {
                body,
                _in_flight: in_flight,
            }))
        })
    }
}

/// A response body that keeps its request counted as in flight until it is done.
#[derive(Debug)]
pub(super) struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Serves `stream` until it closes, the client has been silent or idle too long, or
/// `shutdown` turns `true` (then for at most `settings.shutdown_grace`). `permit` is the
/// connection's place under `max_connections`, given back when this returns.
pub(super) async fn serve<S>(
    stream: TcpStream,
    service: S,
    settings: Arc<Transport>,
    mut shutdown: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
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
    let _permit = permit;
    let activity = Arc::new(Activity::new());
    // Nothing is built for a connection until its client sends something: a silent one
    // costs its socket and this task, not an HTTP/2 connection's buffers.
    tokio::select! {
        readable = stream.readable() => {
            if readable.is_err() {
                return;
            }
        }
        () = tokio::time::sleep(settings.first_request_timeout) => {
            tracing::debug!("closing a connection that sent nothing");
            return;
        }
        _ = shutdown.wait_for(|stop| *stop) => return,
    }
    // Boxed: the HTTP/2 connection's state is large, and a task's future is allocated whole
    // when it is spawned, so unboxed every silent connection would pay for it.
    Box::pin(serve_http2(stream, service, settings, shutdown, activity)).await;
}

/// Serves `stream` as HTTP/2 until it closes or is closed (see [`serve`]).
async fn serve_http2<S>(
    stream: TcpStream,
    service: S,
    settings: Arc<Transport>,
    mut shutdown: watch::Receiver<bool>,
    activity: Arc<Activity>,
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
    let info = TcpConnectInfo {
        local_addr: stream.local_addr().ok(),
        remote_addr: stream.peer_addr().ok(),
    };
    let service = ConnService {
        inner: service,
        activity: activity.clone(),
        info,
    };
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .max_concurrent_streams(settings.max_concurrent_streams)
        .keep_alive_interval(settings.keepalive_interval)
        .keep_alive_timeout(settings.keepalive_timeout);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let mut check = pin!(tokio::time::sleep_until(
        activity.opened + settings.first_request_timeout
    ));
    // Armed once closing has begun.
    let mut force = pin!(tokio::time::sleep(Duration::MAX / 4));
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            () = activity.changed.notified(), if !closing => {
                let now = Instant::now();
                check.as_mut().reset(activity.next_check(now, &settings).unwrap_or(now));
            }
            () = check.as_mut(), if !closing => {
                match activity.next_check(Instant::now(), &settings) {
                    Some(at) => check.as_mut().reset(at),
                    None => {
                        tracing::debug!(
                            requests_seen = activity.seen.load(Ordering::Relaxed),
                            "closing a connection: no request in time, or idle"
                        );
                        conn.as_mut().graceful_shutdown();
                        force.as_mut().reset(Instant::now() + CLOSE_GRACE);
                        closing = true;
                    }
                }
            }
            _ = shutdown.wait_for(|stop| *stop), if !closing => {
                if !activity.seen.load(Ordering::Relaxed) {
                    // No call was ever made on it: nothing to finish.
                    break;
                }
                conn.as_mut().graceful_shutdown();
                force.as_mut().reset(Instant::now() + settings.shutdown_grace);
                closing = true;
            }
            () = force.as_mut(), if closing => {
                tracing::debug!("dropping a connection that did not close in time");
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Transport {
        Transport {
            first_request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            ..Transport::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_is_due_at_the_first_request_timeout_then_idle_rules_apply() {
        let settings = settings();
        let activity = Arc::new(Activity::new());
        let opened = activity.opened;
        assert_eq!(
            activity.next_check(opened, &settings),
            Some(opened + Duration::from_secs(10))
        );
        assert_eq!(
            activity.next_check(opened + Duration::from_secs(10), &settings),
            None
        );
        let request = activity.begin();
        tokio::time::advance(Duration::from_secs(100)).await;
        let now = Instant::now();
        assert_eq!(
            activity.next_check(now, &settings),
            Some(now + Duration::from_secs(60)),
            "busy: not idle"
        );
        drop(request);
        assert_eq!(
            activity.next_check(now, &settings),
            Some(now + Duration::from_secs(60))
        );
        assert_eq!(
            activity.next_check(now + Duration::from_secs(60), &settings),
            None
        );
    }
}
