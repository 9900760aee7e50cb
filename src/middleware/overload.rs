//! Overload protection: a bound on the gateway's business calls in flight, over
//! all callers and connections, that refuses a call over it at once with
//! `UNAVAILABLE` (reason `OVERLOADED`, a short RetryInfo) instead of queueing it.
//!
//! This is tower's `GlobalConcurrencyLimit` under `LoadShed`, fused into one
//! `try_acquire` on a shared semaphore, for two reasons: the refusal
//! carries our details (tonic answers `LoadShed`'s error as a bare
//! `RESOURCE_EXHAUSTED "Too many active requests for the connection"`, with no
//! RetryInfo and naming the wrong scope); and no queue exists at all, so an
//! admitted call never waits behind others and a refused one costs microseconds. Like every
//! guard, it wraps the gateway's own services only: health and reflection must answer even
//! when the gateway is saturated, or orchestrators restart a busy instance.
//!
//! The permit is held until the handler's response is ready. For a unary call
//! that is the whole call; for a server stream it is the opening only — open
//! streams are bounded separately, by [`crate::limits::StreamSlots`].

use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::Semaphore;
use tower::{Layer, Service};

use super::{BoxFuture, refuse};
use crate::status::overloaded;

/// Adds [`Overload`] to a service.
#[derive(Debug, Clone)]
pub struct OverloadLayer {
    permits: Arc<Semaphore>,
    max: usize,
}

impl OverloadLayer {
    /// At most `max` business calls in flight at once (at least 1).
    pub fn new(max: usize) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        OverloadLayer {
            permits: Arc::new(Semaphore::new(max)),
            max,
        }
    }
}

impl<S> Layer<S> for OverloadLayer {
    type Service = Overload<S>;
    fn layer(&self, inner: S) -> Overload<S> {
        Overload {
            inner,
            permits: self.permits.clone(),
            max: self.max,
        }
    }
}

/// Sheds business calls over the in-flight bound.
#[derive(Debug, Clone)]
pub struct Overload<S> {
    inner: S,
    /// Shared by every clone (one per connection and request), so the bound is
    /// the gateway's, not a connection's.
    permits: Arc<Semaphore>,
    max: usize,
}

impl<S, B> Service<http::Request<B>> for Overload<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // `try_acquire`, never `acquire`: waiting for a permit is the queue this
        // layer exists to avoid.
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let call = self.inner.call(request);
                Box::pin(async move {
                    let response = call.await;
                    drop(permit);
                    response
                })
            }
            Err(_) => refuse(overloaded(self.max)),
        }
    }
}
