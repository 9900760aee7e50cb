//! The frame the layers that decide from a request's head share: [`Check`] is what such a
//! layer decides, [`Checked`] the one service that runs it before calling on. Auth, the rate
//! limit and admission are each a `Check`, and their services are `Checked` by them
//! ([`Auth`](super::Auth), [`RateLimit`](super::RateLimit), [`Admission`](super::Admission)),
//! as tower-http's `ValidateRequestHeader` is by its `ValidateRequest`.

use std::task::{Context, Poll};

use tonic::Status;
use tonic::body::Body;
use tower::Service;

use super::{BoxFuture, refuse};

/// A decision from a request's head (its path, headers and extensions) alone: `Ok` lets the
/// call go on (perhaps with something added to its extensions), `Err` answers it with that
/// status instead.
pub trait Check {
    /// Decides on `request`, before its message is read.
    fn check<B>(&self, request: &mut http::Request<B>) -> Result<(), Status>;
}

/// The service of a [`Check`] layer: runs the check, then calls `inner` or refuses.
#[derive(Debug, Clone)]
pub struct Checked<C, S> {
    check: C,
    inner: S,
}

impl<C, S> Checked<C, S> {
    /// `inner`, behind `check`.
    pub(super) fn new(check: C, inner: S) -> Self {
        Checked { check, inner }
    }
}

impl<C, S, B> Service<http::Request<B>> for Checked<C, S>
where
    C: Check,
    S: Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        match self.check.check(&mut request) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(status) => refuse(status),
        }
    }
}
