//! tonic's refusals of a request message, reworded for callers.
//!
//! The size limit: tonic enforces it itself (`max_decoding_message_size` on each service,
//! which refuses a message from its 5-byte length prefix, before reading the body), but
//! answers `OUT_OF_RANGE "Error, decoded message length too large: …"` with no details.
//! gRPC prescribes `RESOURCE_EXHAUSTED` for a message over the configured maximum, and our
//! callers look for an ErrorInfo reason, so this layer turns that answer into
//! `RESOURCE_EXHAUSTED` with reason `REQUEST_TOO_LARGE` and the limit in its metadata.
//!
//! A message that cannot be read — cut short of the length its prefix announces, missing,
//! with a bad compression flag, or not decoding as protobuf (health and reflection use
//! tonic's codec; the gateway's services answer that themselves, `api::codec`) — tonic
//! answers `INTERNAL`, as if the gateway were broken. The caller sent it: this layer
//! answers `INVALID_ARGUMENT` `MALFORMED_REQUEST` instead. Everything else passes untouched.
//!
//! Not a guard but a rewording, so it wraps every service, health and reflection included.
//!
//! It recognises tonic's refusals by the `Status` tonic leaves in the response's
//! extensions: their code and their message's start (tonic has no error type for them).
//! The end-to-end tests fail if tonic ever words them otherwise.

use std::task::{Context, Poll};

use tonic::{Code, Status};
use tower::{Layer, Service};

use super::BoxFuture;
use crate::status::{malformed_request, request_too_large, undecodable};

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

/// Answers a request over the size limit with `RESOURCE_EXHAUSTED` `REQUEST_TOO_LARGE`, and
/// one whose message cannot be read with `INVALID_ARGUMENT` `MALFORMED_REQUEST`.
#[derive(Debug, Clone)]
pub struct RequestSize<S> {
    inner: S,
    limit: usize,
}

/// Our answer to `status`, if it is one of tonic's refusals of a request message.
fn reworded(status: &Status, limit: usize) -> Option<Status> {
    if let Some(found) = tonic_refusal(status) {
        return Some(request_too_large(limit, found));
    }
    if status.code() != Code::Internal {
        return None;
    }
    let message = status.message();
    let problem = if message.starts_with("Unexpected EOF decoding stream") {
        "is cut short: the stream ended before the length its prefix announces"
    } else if message.starts_with("Missing request message") {
        "is missing: the stream ended before any message"
    } else if message.starts_with("protocol error: received message with") {
        "has an invalid compression flag"
    } else if message.starts_with("Error decompressing") {
        "could not be decompressed"
    } else if message.starts_with("failed to decode Protobuf message") {
        return Some(undecodable(message));
    } else {
        return None;
    };
    Some(malformed_request(
        "request",
        &format!("the request message {problem}"),
    ))
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
                .and_then(|status| reworded(status, limit))
            {
                Some(status) => Ok(status.into_http()),
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
