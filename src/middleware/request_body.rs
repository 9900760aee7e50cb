//! The request message, read whole before the call may take an in-flight slot.
//!
//! tonic reads a request's message inside the handler's future, so a call whose client
//! sends headers and then part of a message (or none) held its in-flight slot until its
//! deadline, and a stream forever: 300 such calls took every slot. Here the message is read
//! first, within `request_body_timeout` of the headers; a message that does not arrive in
//! time is refused with `DEADLINE_EXCEEDED` `REQUEST_BODY_TIMEOUT`, and one still arriving
//! when the gateway shuts down with `UNAVAILABLE` `GATEWAY_SHUTTING_DOWN`. Only then does
//! the call go on, with its message in memory, to the in-flight bound and the handler.
//!
//! Reading stops as soon as the 5-byte gRPC prefix announces a message over
//! `max_request_bytes`: tonic refuses it from that prefix, as before. Every gateway method
//! takes one request message (unary or server streaming), so nothing waits for a client
//! that streams; health and reflection (a bidirectional stream) are not wrapped.

use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body_util::BodyExt;
use tokio::sync::watch;
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service, ServiceExt};

use super::BoxFuture;
use crate::status::{request_body_timeout, shutting_down};

/// The gRPC message prefix: a compression flag and a 4-byte length.
const PREFIX: usize = 5;

/// Adds [`RequestBody`] to a service.
#[derive(Debug, Clone)]
pub struct RequestBodyLayer {
    timeout: Duration,
    max_bytes: usize,
    closing: watch::Receiver<bool>,
}

impl RequestBodyLayer {
    /// Messages must arrive within `timeout`; reading stops past `max_bytes`; a message
    /// still arriving when `closing` turns `true` is refused.
    pub fn new(timeout: Duration, max_bytes: usize, closing: watch::Receiver<bool>) -> Self {
        RequestBodyLayer {
            timeout,
            max_bytes,
            closing,
        }
    }
}

impl<S> Layer<S> for RequestBodyLayer {
    type Service = RequestBody<S>;
    fn layer(&self, inner: S) -> RequestBody<S> {
        RequestBody {
            inner,
            timeout: self.timeout,
            max_bytes: self.max_bytes,
            closing: self.closing.clone(),
        }
    }
}

/// Reads a call's request message whole, within the timeout, before calling on.
#[derive(Debug, Clone)]
pub struct RequestBody<S> {
    inner: S,
    timeout: Duration,
    max_bytes: usize,
    closing: watch::Receiver<bool>,
}

impl<S> Service<http::Request<Body>> for RequestBody<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The clone that was made ready goes with this request (tower's usual swap).
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let (timeout, max_bytes) = (self.timeout, self.max_bytes);
        let mut closing = self.closing.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let read = tokio::time::timeout(timeout, read(body, max_bytes));
            let read = tokio::select! {
                read = read => read,
                _ = closing.wait_for(|closing| *closing) => {
                    return Ok(shutting_down().into_http());
                }
            };
            let body = match read {
                Ok(Ok((data, None))) => Body::new(http_body_util::Full::new(data)),
                Ok(Ok((data, Some(trailers)))) => Body::new(
                    http_body_util::Full::new(data).with_trailers(async { Some(Ok(trailers)) }),
                ),
                // The client reset the stream: it hears nothing either way.
                Ok(Err(status)) => return Ok(status.into_http()),
                Err(_) => return Ok(request_body_timeout(timeout).into_http()),
            };
            inner.oneshot(http::Request::from_parts(parts, body)).await
        })
    }
}

/// The body's data and trailers; stops early once the message's prefix announces more than
/// `max_bytes` (the rest is not needed to refuse it).
async fn read(mut body: Body, max_bytes: usize) -> Result<(Bytes, Option<HeaderMap>), Status> {
    let mut data = BytesMut::new();
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        let frame = frame?;
        match frame.into_data() {
            Ok(chunk) => {
                data.extend_from_slice(&chunk);
                if data.len() > max_bytes + PREFIX
                    || announced(&data).is_some_and(|n| n > max_bytes)
                {
                    break;
                }
            }
            Err(frame) => {
                if let Ok(t) = frame.into_trailers() {
                    trailers = Some(t);
                }
            }
        }
    }
    Ok((data.freeze(), trailers))
}

/// The length the first message's prefix announces, once the prefix has arrived.
fn announced(data: &[u8]) -> Option<usize> {
    let len: [u8; 4] = data.get(1..PREFIX)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(len)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_announced_length_is_read_from_the_prefix() {
        assert_eq!(announced(&[0, 0, 0]), None);
        assert_eq!(announced(&[0, 0, 0, 0, 100]), Some(100));
        assert_eq!(announced(&[0, 0, 1, 0, 0, 9, 9]), Some(65_536));
    }
}
