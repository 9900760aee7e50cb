//! The statuses of the gateway's own caller-side limits (rate limits, overload,
//! request size, open streams, the request message's timeout, the call's deadline) and of
//! its shutdown: each with one ErrorInfo in domain `sfgate` naming the limit, a
//! QuotaFailure where a quota was spent, and RetryInfo only where waiting helps.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::ErrorDetails;

use super::{Reason, fit, gateway, jittered, set_gateway_info};

/// `retry-after` metadata: whole seconds, rounded up, at least 1 (a `0` would
/// invite an immediate retry that is refused again).
fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// `RESOURCE_EXHAUSTED` for a caller over its rate limit: ErrorInfo
/// `RATE_LIMITED`, QuotaFailure on `apiKey:<name>`, RetryInfo = the wait, and a
/// `retry-after` header for plain HTTP-minded clients.
pub(crate) fn rate_limited(key_name: &str, per_second: u32, burst: u32, wait: Duration) -> Status {
    let message = format!(
        "api key {key_name:?} is over its rate limit of {per_second} calls/s (bursts of {burst}); retry in {:.3}s",
        wait.as_secs_f64()
    );
    let mut d = ErrorDetails::new();
    set_gateway_info(
        &mut d,
        Reason::RateLimited,
        HashMap::from([
            ("apiKey".to_owned(), key_name.to_owned()),
            ("ratePerSecond".to_owned(), per_second.to_string()),
            ("burst".to_owned(), burst.to_string()),
        ]),
    );
    d.add_quota_failure_violation(
        format!("apiKey:{key_name}"),
        format!("{per_second} calls per second, bursts of {burst}"),
    );
    d.set_retry_info(Some(wait));
    let mut status = fit::status(Code::ResourceExhausted, message, d);
    status
        .metadata_mut()
        .insert("retry-after", retry_after_secs(wait).into());
    status
}

/// How soon a caller refused for overload should try again: long enough for
/// calls in flight to finish, short enough that a caller's deadline survives.
const RETRY_OVERLOADED: Duration = Duration::from_millis(100);

/// `UNAVAILABLE` for a call shed because `max_in_flight` calls are already in
/// flight: ErrorInfo `OVERLOADED` and a short, jittered RetryInfo.
pub(crate) fn overloaded(max_in_flight: usize) -> Status {
    let mut d = ErrorDetails::new();
    set_gateway_info(
        &mut d,
        Reason::Overloaded,
        HashMap::from([("maxConcurrentCalls".to_owned(), max_in_flight.to_string())]),
    );
    d.set_retry_info(Some(jittered(RETRY_OVERLOADED)));
    fit::status(
        Code::Unavailable,
        format!("the gateway is at its limit of {max_in_flight} calls in flight; retry shortly"),
        d,
    )
}

/// `RESOURCE_EXHAUSTED` for a request message over `limit` bytes (what gRPC
/// prescribes for a message over the configured maximum), ErrorInfo
/// `REQUEST_TOO_LARGE`. No RetryInfo: the same request is refused again.
pub(crate) fn request_too_large(limit: usize, found: Option<usize>) -> Status {
    let mut metadata: HashMap<String, String> =
        [("limitBytes".to_owned(), limit.to_string())].into();
    let size = match found {
        Some(n) => {
            metadata.insert("sizeBytes".to_owned(), n.to_string());
            format!("{n} bytes")
        }
        None => "the request".to_owned(),
    };
    let mut d = ErrorDetails::new();
    set_gateway_info(&mut d, Reason::RequestTooLarge, metadata);
    d.add_quota_failure_violation(
        "request",
        format!("at most {limit} bytes per request message"),
    );
    fit::status(
        Code::ResourceExhausted,
        format!(
            "request too large: {size} is over the gateway's limit of {limit} bytes per message"
        ),
        d,
    )
}

/// `RESOURCE_EXHAUSTED` for a stream over a limit on open streams: the caller's
/// own (`key_name`, `per_caller` set) or the gateway's total. ErrorInfo
/// `TOO_MANY_STREAMS`; RetryInfo only for the total, which frees up as other
/// callers' streams end (a caller at its own limit must close one of its streams).
pub(crate) fn too_many_streams(key_name: &str, limit: usize, per_caller: bool) -> Status {
    let (subject, message) = if per_caller {
        (
            format!("apiKey:{key_name}"),
            format!(
                "api key {key_name:?} already has its limit of {limit} streams open; close one first"
            ),
        )
    } else {
        (
            "gateway".to_owned(),
            format!("the gateway already has its limit of {limit} streams open; retry later"),
        )
    };
    let mut d = ErrorDetails::new();
    set_gateway_info(
        &mut d,
        Reason::TooManyStreams,
        HashMap::from([
            ("apiKey".to_owned(), key_name.to_owned()),
            ("limit".to_owned(), limit.to_string()),
            (
                "scope".to_owned(),
                if per_caller { "apiKey" } else { "gateway" }.to_owned(),
            ),
        ]),
    );
    d.add_quota_failure_violation(subject, format!("at most {limit} open streams"));
    if !per_caller {
        d.set_retry_info(Some(jittered(Duration::from_secs(5))));
    }
    fit::status(Code::ResourceExhausted, message, d)
}

/// `DEADLINE_EXCEEDED` for a call whose request message did not arrive whole within
/// `timeout` of its headers: ErrorInfo `REQUEST_BODY_TIMEOUT`, metadata `timeoutMs`.
/// Nothing of the call ran.
pub(crate) fn request_body_timeout(timeout: Duration) -> Status {
    let mut d = ErrorDetails::new();
    set_gateway_info(
        &mut d,
        Reason::RequestBodyTimeout,
        HashMap::from([("timeoutMs".to_owned(), timeout.as_millis().to_string())]),
    );
    fit::status(
        Code::DeadlineExceeded,
        format!(
            "the request message did not arrive within {} ms of its headers",
            timeout.as_millis()
        ),
        d,
    )
}

/// `UNAVAILABLE` for a call refused because the gateway is shutting down: ErrorInfo
/// `GATEWAY_SHUTTING_DOWN`, a short RetryInfo (another replica, or this one restarted,
/// takes the retry).
pub(crate) fn shutting_down() -> Status {
    let mut d = ErrorDetails::new();
    set_gateway_info(&mut d, Reason::GatewayShuttingDown, HashMap::new());
    d.set_retry_info(Some(jittered(RETRY_OVERLOADED)));
    fit::status(Code::Unavailable, "the gateway is shutting down; retry", d)
}

/// `DEADLINE_EXCEEDED` for a call that outlived its deadline of `budget` (the caller's
/// `grpc-timeout` less a margin, or the gateway's default).
pub(crate) fn deadline_exceeded(budget: Duration) -> Status {
    gateway(
        Code::DeadlineExceeded,
        Reason::DeadlineExceeded,
        format!("no answer within the call's deadline of {budget:?}"),
        Default::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_never_zero() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
    }
}
