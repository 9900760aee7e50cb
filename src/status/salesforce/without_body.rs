//! An error status from Salesforce (or a proxy in front of it) without Salesforce's JSON error
//! body → the caller's status, by the HTTP status alone.

use tonic::{Code, Status};
use tonic_types::ErrorDetails;

use super::{Context, RETRY_CONCURRENCY, RETRY_SOON, not_found, uri_too_long};
use crate::status::{Reason, fit, set_gateway_info};

/// An error status from Salesforce (or a proxy in front of it) without Salesforce's JSON
/// error body: a maintenance page, a proxy's 502, the edge's 414. Each maps to a code a
/// caller can act on, never `UNKNOWN`.
pub(super) fn status_only(http: u16, ctx: &Context) -> Status {
    // Salesforce's edge answers 414 for a URI over its limit and 431 for a URI and headers
    // over it (https://help.salesforce.com/s/articleView?id=000386264&type=1).
    if matches!(http, 414 | 431) {
        let limit = crate::salesforce::client::MAX_URI_AND_HEADERS_BYTES;
        return uri_too_long(None, limit, Some(http), ctx);
    }
    let mut d = ErrorDetails::new();
    let (code, reason, message) = match http {
        413 => {
            let field = ctx.request_field();
            d.add_bad_request_violation(
                field.clone(),
                "makes a request body larger than salesforce accepts; send less",
            );
            (
                Code::InvalidArgument,
                Reason::PayloadTooLarge,
                format!("{field}: makes a request body larger than salesforce accepts (HTTP 413)"),
            )
        }
        400 => {
            let field = ctx.request_field();
            d.add_bad_request_violation(
                field.clone(),
                "salesforce refused the request (HTTP 400 without an error body)",
            );
            (
                Code::InvalidArgument,
                Reason::UpstreamHttpError,
                format!("{field}: salesforce refused the request (HTTP 400 without an error body)"),
            )
        }
        401 => (
            Code::FailedPrecondition,
            Reason::ConnectionUnauthorized,
            format!(
                "salesforce refused connection {:?}'s credentials (HTTP 401 without an error body)",
                ctx.connection
            ),
        ),
        403 => (
            Code::PermissionDenied,
            Reason::UpstreamHttpError,
            "salesforce refused access (HTTP 403 without an error body)".to_owned(),
        ),
        404 | 410 => {
            not_found(&mut d, ctx, "salesforce found no such resource");
            (
                Code::NotFound,
                Reason::UpstreamHttpError,
                format!("salesforce found no such resource (HTTP {http})"),
            )
        }
        409 => (
            Code::Aborted,
            Reason::UpstreamHttpError,
            "salesforce reported a conflict (HTTP 409); retry the whole operation".to_owned(),
        ),
        412 | 428 => (
            Code::FailedPrecondition,
            Reason::UpstreamHttpError,
            format!("salesforce refused a precondition (HTTP {http})"),
        ),
        429 => {
            d.set_retry_info(Some(RETRY_CONCURRENCY));
            (
                Code::ResourceExhausted,
                Reason::UpstreamHttpError,
                "salesforce (or a proxy in front of it) is limiting requests (HTTP 429)".to_owned(),
            )
        }
        // The gateway built a request Salesforce cannot take: a bug, not the caller's.
        405 | 406 | 415 | 501 => {
            tracing::error!(connection = %ctx.connection, http, "salesforce refused the request's form");
            (
                Code::Internal,
                Reason::UpstreamHttpError,
                format!("salesforce refused the form of the gateway's request (HTTP {http})"),
            )
        }
        // A timeout or a server error: the request may or may not have been carried out.
        408 | 500..=599 if ctx.create && http != 503 => (
            Code::Unavailable,
            Reason::UpstreamOutcomeUnknown,
            format!(
                "salesforce answered HTTP {http} without an error body; the create may or may \
                 not have been applied: query before retrying"
            ),
        ),
        408 | 500..=599 => {
            d.set_retry_info(Some(RETRY_SOON));
            (
                Code::Unavailable,
                Reason::UpstreamHttpError,
                format!("salesforce answered HTTP {http} without an error body; retry shortly"),
            )
        }
        _ if (400..500).contains(&http) => (
            Code::FailedPrecondition,
            Reason::UpstreamHttpError,
            format!("salesforce refused the request (HTTP {http} without an error body)"),
        ),
        _ => (
            Code::Internal,
            Reason::UpstreamHttpError,
            format!("salesforce answered an unexpected HTTP {http}"),
        ),
    };
    set_gateway_info(&mut d, reason, ctx.metadata(Some(http)));
    fit::status(code, message, d)
}
