//! Deadlines: every unary call ends by its deadline with `DEADLINE_EXCEEDED`.
//!
//! The deadline is the caller's `grpc-timeout`, up to the server's maximum
//! (`max_timeout_ms`); a call whose caller sets none gets the server's default
//! (`default_timeout_ms`). Unlike tower's
//! `Timeout`, which fails with an error tonic turns into `INTERNAL`, and tonic's own
//! server timeout, which answers `CANCELLED`, this answers the status a caller's
//! retry logic expects. The deadline is also put into the task for the Salesforce client
//! ([`crate::salesforce::with_deadline`]), which bounds its queueing, requests
//! and retries by the time left.
//!
//! It wraps the service of unary calls only: a stream outlives any per-call timeout (the
//! timeout would only cover opening it), so streams are left to the client's own deadline.

use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tower::{Layer, Service};

use super::BoxFuture;
use crate::salesforce::with_deadline;
use crate::status;

/// Adds [`Deadline`] to a service.
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    default: Duration,
    max: Duration,
}

impl DeadlineLayer {
    /// Calls without a `grpc-timeout` end after `default`; a caller's `grpc-timeout` is
    /// honoured up to `max`.
    pub fn new(default: Duration, max: Duration) -> Self {
        DeadlineLayer { default, max }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;
    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            default: self.default,
            max: self.max,
        }
    }
}

/// Answers `DEADLINE_EXCEEDED` when a unary call outlives its deadline.
#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    default: Duration,
    max: Duration,
}

/// Parses a `grpc-timeout` header value: up to 8 digits and a unit (H, M, S, m, u, n).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// How much earlier than the caller's deadline to answer: 5% of it, from 1 to 50 ms.
fn margin(asked: Duration) -> Duration {
    (asked / 20)
        .clamp(Duration::from_millis(1), Duration::from_millis(50))
        .min(asked)
}

impl<S, B> Service<http::Request<B>> for Deadline<S>
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
        let asked = request
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout);
        // Answer a little before the caller's own deadline: an answer sent exactly at
        // it arrives too late to be read. It also beats tonic's built-in
        // `grpc-timeout` handling, which sits outside every layer and would answer
        // `CANCELLED` at the deadline itself.
        let budget = asked.map_or(self.default, |a| (a - margin(a)).min(self.max));
        let deadline = Instant::now() + budget;
        // The Salesforce client reads the deadline from the task, so its waiting,
        // requests and retries stop in time too.
        let call = with_deadline(deadline, self.inner.call(request));
        Box::pin(async move {
            match tokio::time::timeout_at(deadline, call).await {
                Ok(result) => result,
                Err(_) => Ok(status::deadline_exceeded(budget).into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_values_parse() {
        assert_eq!(parse_grpc_timeout("200m"), Some(Duration::from_millis(200)));
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(
            parse_grpc_timeout("99999999u"),
            Some(Duration::from_micros(99_999_999))
        );
        for bad in ["", "m", "123456789m", "12x", "-1S", "1.5S"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad:?}");
        }
    }
}
