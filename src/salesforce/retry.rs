//! Which failed calls may be sent again, and how long to wait first.
//!
//! Idempotent calls (GET, and PATCH / DELETE by Id: sending them twice leaves the record as
//! sending them once) are retried on failures that say Salesforce was briefly unable to
//! answer: 502 / 503 / 504, `SERVER_UNAVAILABLE`, `UNABLE_TO_LOCK_ROW`, and a connection that
//! failed or broke. A create (POST) is retried only when the request provably never left: a
//! connect error. After any later failure it may have been applied, and a second POST would
//! make a duplicate record (the sObject API has no idempotency key). A POST that carries an
//! `Idempotency-Key` (a UI API create) is the exception: Salesforce answers a repeat with the
//! first answer, so it is retried like a GET.
//!
//! `REQUEST_LIMIT_EXCEEDED` is never retried: the daily budget is spent, or the org is at its
//! concurrent-request limit and more requests make that worse. A rejected session is handled
//! by the token refresh-once in `Client::send_once`, never here.

use std::time::Duration;

use http::{Method, StatusCode};
use rand::Rng;
use tokio::time::Instant;

use super::Client;
use super::Error;
use super::request::{ApiRequest, ApiResponse};

// === impl Client ===

impl Client {
    /// Sends `request` within the deadline in scope (or the connection's default timeout),
    /// retrying what [`retry_reason`] allows while `max_retries`, the retry budget and
    /// the deadline permit. A retry whose backoff would end past the deadline is not started:
    /// the last failure is returned as it is, which says more than a deadline error.
    pub(crate) async fn send(&self, request: ApiRequest<'_>) -> Result<ApiResponse, Error> {
        let deadline = self.deadline();
        tokio::time::timeout_at(deadline, self.send_with_retries(&request, deadline))
            .await
            .unwrap_or(Err(Error::DeadlineExceeded))
    }

    async fn send_with_retries(
        &self,
        request: &ApiRequest<'_>,
        deadline: Instant,
    ) -> Result<ApiResponse, Error> {
        let (config, upstream) = (self.config(), self.upstream());
        upstream.deposit();
        let mut retries = 0;
        loop {
            let error = match self.send_once(request, deadline).await {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            if retries > 0
                && let Some(code) = request.done_on_retry
                && error.has_error_code(code)
            {
                tracing::debug!(connection = %config.name, code, "retry found the work done");
                // No body: the one caller that sets `done_on_retry` (delete) reads none.
                return Ok(ApiResponse {
                    path: String::new(),
                    body: Vec::new(),
                });
            }
            let Some(reason) = retry_reason(&error, request) else {
                return Err(error);
            };
            if retries >= config.limits.max_retries {
                return Err(error);
            }
            let backoff = backoff(config.limits.retry_base, retries);
            if Instant::now() + backoff >= deadline {
                tracing::debug!(connection = %config.name, reason, "no time left to retry");
                return Err(error);
            }
            if !upstream.withdraw_retry() {
                tracing::debug!(connection = %config.name, reason, "retry budget spent");
                return Err(error);
            }
            retries += 1;
            tracing::debug!(
                connection = %config.name,
                method = %request.method,
                attempt = retries + 1,
                reason,
                backoff_ms = backoff.as_millis() as u64,
                "retrying salesforce call"
            );
            tokio::time::sleep(backoff).await;
        }
    }
}

/// Why `error` is worth another attempt, for the debug log; `None` when it is not.
fn retry_reason(error: &Error, request: &ApiRequest<'_>) -> Option<&'static str> {
    let keyed = request.idempotency_key.is_some();
    reason_for(error, &request.method, keyed)
}

/// [`retry_reason`] for a request of `method`, `keyed` when it carries an idempotency key.
fn reason_for(error: &Error, method: &Method, keyed: bool) -> Option<&'static str> {
    if let Error::Unreachable(e) = error
        && e.is_builder()
    {
        // The request could not even be built (a URI or header value that HTTP refuses):
        // it never will be.
        return None;
    }
    if let Error::Unreachable(e) = error
        && e.is_connect()
    {
        // No byte of the request was sent, so even a create can go again.
        return Some("connect error");
    }
    if !keyed && !is_idempotent(method) {
        return None;
    }
    match error {
        Error::Unreachable(_) => Some("connection error"),
        Error::Api { errors, .. } if errors.iter().any(|e| e.error_code == LIMIT_EXCEEDED) => None,
        Error::Api { errors, .. } if errors.iter().any(|e| e.error_code == LOCKED) => Some(LOCKED),
        Error::Api { errors, .. } if errors.iter().any(|e| e.error_code == UNAVAILABLE) => {
            Some(UNAVAILABLE)
        }
        Error::Api { status, .. } | Error::Status { status, .. } => match *status {
            StatusCode::BAD_GATEWAY => Some("http 502"),
            StatusCode::SERVICE_UNAVAILABLE => Some("http 503"),
            StatusCode::GATEWAY_TIMEOUT => Some("http 504"),
            _ => None,
        },
        _ => None,
    }
}

const LIMIT_EXCEEDED: &str = "REQUEST_LIMIT_EXCEEDED";
const LOCKED: &str = "UNABLE_TO_LOCK_ROW";
const UNAVAILABLE: &str = "SERVER_UNAVAILABLE";

/// GET, PATCH by Id and DELETE: the methods the client uses idempotently. (A PATCH upsert by
/// external Id could create, but the client makes none.)
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PATCH | Method::PUT | Method::DELETE
    )
}

/// The wait before retry number `retry` (0 for the first): `base · 2^retry`, of which the
/// upper half is random. Callers that failed together then come back apart, and no retry is
/// immediate.
fn backoff(base: Duration, retry: u32) -> Duration {
    let exp = base.saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX));
    let half = exp / 2;
    half + rand::rng().random_range(Duration::ZERO..=half)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::salesforce::ApiError;

    fn api(status: u16, code: &str) -> Error {
        Error::Api {
            status: StatusCode::from_u16(status).unwrap(),
            errors: vec![ApiError {
                error_code: code.into(),
                message: "m".into(),
                fields: vec![],
            }],
        }
    }

    fn status(status: u16) -> Error {
        Error::Status {
            status: StatusCode::from_u16(status).unwrap(),
            path: "/services/data/v62.0/query".into(),
        }
    }

    #[test]
    fn transient_failures_of_idempotent_calls_are_retried() {
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            assert_eq!(reason_for(&status(503), &method, false), Some("http 503"));
            assert_eq!(reason_for(&status(502), &method, false), Some("http 502"));
            assert_eq!(reason_for(&status(504), &method, false), Some("http 504"));
            assert_eq!(
                reason_for(&api(400, "UNABLE_TO_LOCK_ROW"), &method, false),
                Some("UNABLE_TO_LOCK_ROW")
            );
            assert_eq!(
                reason_for(&api(500, "UNABLE_TO_LOCK_ROW"), &method, false),
                Some("UNABLE_TO_LOCK_ROW")
            );
            assert_eq!(
                reason_for(&api(503, "SERVER_UNAVAILABLE"), &method, false),
                Some("SERVER_UNAVAILABLE")
            );
        }
    }

    #[test]
    fn final_answers_are_not_retried() {
        for e in [
            api(403, "REQUEST_LIMIT_EXCEEDED"),
            // Even on a status that would otherwise be retried.
            api(503, "REQUEST_LIMIT_EXCEEDED"),
            api(401, "INVALID_SESSION_ID"),
            api(400, "MALFORMED_QUERY"),
            api(404, "ENTITY_IS_DELETED"),
            api(500, "UNKNOWN_EXCEPTION"),
            status(500),
            Error::DeadlineExceeded,
            Error::BudgetReserve {
                used: 1,
                max: 2,
                reserve: 3,
            },
            // Requests that can never succeed: the same request is refused again.
            Error::UriTooLong {
                length: 20_000,
                limit: 14_336,
            },
            status(413),
            status(414),
            status(431),
            status(400),
            status(404),
            status(501),
        ] {
            for keyed in [false, true] {
                for method in [Method::GET, Method::PATCH, Method::POST] {
                    assert_eq!(reason_for(&e, &method, keyed), None, "{e:?}");
                }
            }
        }
    }

    #[tokio::test]
    async fn a_request_that_cannot_be_built_is_never_retried() {
        // A URI longer than HTTP's 65,534-byte ceiling: reqwest refuses to build it.
        let long = format!("http://127.0.0.1:9/{}", "a".repeat(70_000));
        let e = reqwest::Client::new().get(long).send().await.unwrap_err();
        assert!(e.is_builder(), "{e:?}");
        let e = Error::unreachable(e);
        assert_eq!(reason_for(&e, &Method::GET, false), None);
        assert_eq!(reason_for(&e, &Method::POST, true), None);
    }

    #[test]
    fn a_create_is_retried_only_when_it_never_left() {
        for e in [
            status(503),
            api(400, "UNABLE_TO_LOCK_ROW"),
            api(503, "SERVER_UNAVAILABLE"),
        ] {
            assert_eq!(reason_for(&e, &Method::POST, false), None, "{e:?}");
        }
    }

    #[test]
    fn a_create_with_an_idempotency_key_is_retried_like_a_read() {
        for e in [
            status(503),
            api(400, "UNABLE_TO_LOCK_ROW"),
            api(503, "SERVER_UNAVAILABLE"),
        ] {
            assert!(reason_for(&e, &Method::POST, true).is_some(), "{e:?}");
        }
        assert_eq!(
            reason_for(&api(403, "REQUEST_LIMIT_EXCEEDED"), &Method::POST, true),
            None
        );
        assert_eq!(
            reason_for(&api(400, "REQUIRED_FIELD_MISSING"), &Method::POST, true),
            None
        );
    }

    #[tokio::test]
    async fn a_connect_error_to_a_closed_port_is_retried_even_for_a_create() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let e = reqwest::Client::new()
            .post(format!(
                "http://{addr}/services/data/v62.0/sobjects/Contact"
            ))
            .send()
            .await
            .unwrap_err();
        assert!(e.is_connect(), "{e:?}");
        let e = Error::unreachable(e);
        assert_eq!(reason_for(&e, &Method::POST, false), Some("connect error"));
        assert_eq!(reason_for(&e, &Method::GET, false), Some("connect error"));
    }

    #[tokio::test]
    async fn a_connection_cut_after_sending_is_retried_for_reads_not_creates() {
        // Accepts, reads the request, then closes without answering.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
            }
        });
        let e = reqwest::Client::new()
            .post(format!(
                "http://{addr}/services/data/v62.0/sobjects/Contact"
            ))
            .body("{}")
            .send()
            .await
            .unwrap_err();
        assert!(!e.is_connect(), "{e:?}");
        let e = Error::unreachable(e);
        assert_eq!(reason_for(&e, &Method::POST, false), None);
        assert_eq!(
            reason_for(&e, &Method::GET, false),
            Some("connection error")
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_in_the_upper_half() {
        let base = Duration::from_millis(50);
        for retry in 0..4 {
            let exp = base * 2u32.pow(retry);
            for _ in 0..100 {
                let b = backoff(base, retry);
                assert!(b >= exp / 2 && b <= exp, "{b:?} for retry {retry}");
            }
        }
        // Absurd retry counts saturate instead of overflowing.
        assert!(backoff(base, 200) >= Duration::from_secs(1));
    }
}
