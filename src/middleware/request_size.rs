//! The request size limit's error: tonic enforces the limit itself
//! (`max_decoding_message_size` on each service, which refuses a message from
//! its 5-byte length prefix, before reading the body), but answers
//! `OUT_OF_RANGE "Error, decoded message length too large: …"` with no details.
//! gRPC prescribes `RESOURCE_EXHAUSTED` for a message over the configured
//! maximum, and our callers look for an ErrorInfo reason, so this layer turns
//! that answer into `RESOURCE_EXHAUSTED` with reason `REQUEST_TOO_LARGE` and the
//! limit in its metadata. Everything else passes untouched.
//!
//! It recognises tonic's refusal by the `Status` tonic leaves in the response's
//! extensions: its code and its message's start (tonic has no error type for
//! it). The end-to-end test of the limit fails if tonic ever words it otherwise.

use std::task::{Context, Poll};

use tonic::{Code, Status};
use tower::{Layer, Service};

use super::BoxFuture;
use crate::api::request_too_large;

/// The start of tonic's message for a request over `max_decoding_message_size`.
const TONIC_TOO_LARGE: &str = "Error, decoded message length too large: found ";

/// Adds [`RequestSize`] to a service.
#[derive(Debug, Clone, Copy)]
pub struct RequestSizeLayer {
    limit: usize,
}

impl RequestSizeLayer {
    /// For services built with `max_decoding_message_size(limit)`.
    pub fn new(limit: usize) -> Self {
        RequestSizeLayer { limit }
    }
}

impl<S> Layer<S> for RequestSizeLayer {
    type Service = RequestSize<S>;
    fn layer(&self, inner: S) -> RequestSize<S> {
        RequestSize {
            inner,
            limit: self.limit,
        }
    }
}

/// Answers a request over the size limit with `RESOURCE_EXHAUSTED` `REQUEST_TOO_LARGE`.
#[derive(Debug, Clone)]
pub struct RequestSize<S> {
    inner: S,
    limit: usize,
}

/// The size tonic found, if `status` is tonic's refusal of a too-large request.
fn tonic_refusal(status: &Status) -> Option<Option<usize>> {
    if status.code() != Code::OutOfRange {
        return None;
    }
    let rest = status.message().strip_prefix(TONIC_TOO_LARGE)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(digits.parse().ok())
}

impl<S, B> Service<http::Request<B>> for RequestSize<S>
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
        let call = self.inner.call(request);
        let limit = self.limit;
        Box::pin(async move {
            let response = call.await?;
            match response
                .extensions()
                .get::<Status>()
                .and_then(tonic_refusal)
            {
                Some(found) => Ok(request_too_large(limit, found).into_http()),
                None => Ok(response),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tonics_size_refusal_is_recognised() {
        let tonic = Status::out_of_range(
            "Error, decoded message length too large: found 2000 bytes, the limit is: 1024 bytes",
        );
        assert_eq!(tonic_refusal(&tonic), Some(Some(2000)));
        assert_eq!(
            tonic_refusal(&Status::out_of_range("page_token past the end")),
            None
        );
        assert_eq!(
            tonic_refusal(&Status::internal(tonic.message().to_owned())),
            None
        );
    }
}
