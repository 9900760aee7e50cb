//! The mapping table: the Salesforce client's errors as the caller's statuses, following the
//! README's error table ("Errors"); the only module that knows both Salesforce errors and
//! gRPC.
//!
//! Salesforce's refusals keep its `errorCode` as the ErrorInfo reason (domain
//! `salesforce.com`); what the gateway concludes on its own (unreachable, deadline, budget
//! reserve) has a gateway [`Reason`] (domain `sfgate`). [`from_salesforce`] matches every
//! variant of [`sf::Error`] by name, with no catch-all arm, so a new kind of failure does not
//! compile until it has a row here.
//!
//! - this file: [`from_salesforce`], and the failures of sfgate's own lookups and of logins;
//! - `context`: [`Context`], what the call was about;
//! - `error_code`: Salesforce's `errorCode`s in named groups, with the documented default;
//! - `envelope`: an answer with Salesforce's JSON error body, by its `errorCode`'s group;
//! - `without_body`: an error status without it (a proxy's page, the edge's 414), by HTTP
//!   status.

mod context;
mod envelope;
mod error_code;
#[cfg(test)]
mod tests;
mod without_body;

use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::ErrorDetails;

use super::{DOMAIN_SALESFORCE, Reason, Violation, fit, gateway, invalid_one, set_gateway_info};
use crate::salesforce as sf;

pub(crate) use context::Context;
use envelope::api_error;
pub(crate) use error_code::ErrorCode;
use without_body::status_only;

/// How long a caller should wait before retrying a transient upstream failure.
const RETRY_SOON: Duration = Duration::from_millis(500);
/// How long a caller should wait after Salesforce's concurrent-request limit (or a 429).
const RETRY_CONCURRENCY: Duration = Duration::from_secs(3);

/// Maps a Salesforce client error to the caller's status, following the table in
/// the README ("Errors").
pub(crate) fn from_salesforce(error: sf::Error, ctx: &Context) -> Status {
    match error {
        sf::Error::Api { status, errors } => api_error(status.as_u16(), &errors, ctx),
        sf::Error::Status { status, .. } => status_only(status.as_u16(), ctx),
        sf::Error::UriTooLong { length, limit } => uri_too_long(Some(length), limit, None, ctx),
        sf::Error::Unreachable(e) if e.is_builder() => {
            tracing::error!(connection = %ctx.connection, error = %e, "a salesforce request could not be built");
            gateway(
                Code::Internal,
                Reason::RequestNotBuilt,
                "the gateway could not build the salesforce request; nothing was sent",
                ctx.metadata(None),
            )
        }
        sf::Error::Unreachable(e) => {
            let message = if ctx.create {
                "could not reach salesforce; the create may or may not have been applied: query before retrying"
            } else {
                "could not reach salesforce"
            };
            tracing::warn!(connection = %ctx.connection, error = %e, "salesforce unreachable");
            let mut d = ErrorDetails::new();
            let reason = if ctx.create {
                Reason::UpstreamOutcomeUnknown
            } else {
                Reason::UpstreamUnreachable
            };
            set_gateway_info(&mut d, reason, ctx.metadata(None));
            if !ctx.create {
                d.set_retry_info(Some(RETRY_SOON));
            }
            fit::status(Code::Unavailable, message, d)
        }
        sf::Error::Auth(e) => auth_error(&e, ctx),
        sf::Error::Lookup { sobject, source } => lookup_error(sobject, *source, ctx),
        sf::Error::DeadlineExceeded => gateway(
            Code::DeadlineExceeded,
            Reason::DeadlineExceeded,
            "salesforce did not answer within the call's deadline",
            ctx.metadata(None),
        ),
        sf::Error::BudgetReserve { used, max, reserve } => {
            let mut d = ErrorDetails::new();
            let mut m = ctx.metadata(None);
            m.insert("apiUsage".to_owned(), format!("{used}/{max}"));
            m.insert("reserve".to_owned(), reserve.to_string());
            set_gateway_info(&mut d, Reason::ApiBudgetReserve, m);
            d.add_quota_failure_violation(
                format!("connection:{}", ctx.connection),
                format!("the org has used {used} of its {max} daily api requests; the last {reserve} are kept in reserve"),
            );
            fit::status(
                Code::ResourceExhausted,
                format!(
                    "connection {:?} is inside its daily api budget reserve ({used}/{max} used)",
                    ctx.connection
                ),
                d,
            )
        }
        sf::Error::InstanceNotAllowed { host } => {
            let mut m = ctx.metadata(None);
            m.insert("host".to_owned(), host.clone());
            gateway(
                Code::FailedPrecondition,
                Reason::InstanceUrlNotAllowed,
                format!(
                    "the token's instance url host {host:?} is not allowed for connection {:?}",
                    ctx.connection
                ),
                m,
            )
        }
        sf::Error::ConnectionBusy { waited } => {
            let mut d = ErrorDetails::new();
            set_gateway_info(&mut d, Reason::ConnectionBusy, ctx.metadata(None));
            d.set_retry_info(Some(waited.max(Duration::from_millis(100))));
            fit::status(
                Code::Unavailable,
                format!(
                    "connection {:?} is at its concurrency ceiling: no request slot freed up within {} ms; nothing was sent",
                    ctx.connection,
                    waited.as_millis()
                ),
                d,
            )
        }
        sf::Error::InvalidArgument { name, reason } => {
            // The only URL a caller can influence is the one inside a page token.
            let field = if name == "next_records_url" {
                "page_token"
            } else {
                name
            };
            invalid_one(Violation::new(field, reason))
        }
        e @ sf::Error::Decode { .. } => {
            tracing::error!(connection = %ctx.connection, error = %e, "unexpected salesforce client error");
            gateway(
                Code::Internal,
                Reason::UpstreamResponseInvalid,
                e.to_string(),
                ctx.metadata(None),
            )
        }
    }
}

/// A failure of a call sfgate made on its own (finding a Topic, the global describe): not the
/// caller's bad argument. Salesforce refusing sfgate's read (the connection's user cannot see
/// the sObject: `INVALID_TYPE`, `INVALID_FIELD`, `NOT_FOUND`) is `FAILED_PRECONDITION` with a
/// `PreconditionFailure` naming the sObject; an access refusal (403, `INSUFFICIENT_ACCESS…`)
/// is `PERMISSION_DENIED`. Both keep Salesforce's `errorCode` as the reason and name the sObject
/// in `lookupSobject`. Transient failures map as for any call.
fn lookup_error(sobject: &'static str, source: sf::Error, ctx: &Context) -> Status {
    let sf::Error::Api { status, errors } = &source else {
        return from_salesforce(source, ctx);
    };
    let code_name = errors
        .first()
        .map_or("UNKNOWN_EXCEPTION", |e| e.error_code.as_str());
    let transient = ErrorCode::of(code_name).is_transient();
    if transient || status.is_server_error() {
        return from_salesforce(source, ctx);
    }
    let denied = status.as_u16() == 403 || code_name.starts_with("INSUFFICIENT_ACCESS");
    let what = if sobject == "sobjects" {
        "the org's list of sObjects (global describe)"
    } else {
        sobject
    };
    let said = errors
        .iter()
        .map(|e| e.message.trim())
        .collect::<Vec<_>>()
        .join("; ");
    let message = format!(
        "sfgate could not read {what}, which it needs to carry out this call, on connection {:?}: {said}; the connection's Salesforce user needs read access to {sobject}",
        ctx.connection
    );
    let mut meta = ctx.metadata(Some(status.as_u16()));
    meta.insert("lookupSobject".to_owned(), sobject.to_owned());
    let mut d = ErrorDetails::new();
    d.set_error_info(code_name, DOMAIN_SALESFORCE, meta);
    let code = if denied {
        Code::PermissionDenied
    } else {
        d.add_precondition_failure_violation("SALESFORCE_ACCESS", sobject, said);
        Code::FailedPrecondition
    };
    fit::status(code, message, d)
}

/// `INVALID_ARGUMENT` `URI_TOO_LONG` on the field that made the URI: sfgate refused to send
/// it (`length` known), or Salesforce answered 414 / 431. Never worth a retry.
/// Used by [`without_body`] for the edge's 414 and 431 too.
fn uri_too_long(length: Option<usize>, limit: usize, http: Option<u16>, ctx: &Context) -> Status {
    let field = ctx.request_field();
    let mut meta = ctx.metadata(http);
    meta.insert("limitBytes".to_owned(), limit.to_string());
    let size = match length {
        Some(n) => {
            meta.insert("sizeBytes".to_owned(), n.to_string());
            format!("a request URI of {n} bytes")
        }
        None => "a request URI that salesforce refused as too long".to_owned(),
    };
    let description = format!(
        "makes {size}, over the {limit} bytes salesforce accepts for a URI (with its headers, \
         16384 bytes); shorten it or split the call"
    );
    let mut d = ErrorDetails::new();
    set_gateway_info(&mut d, Reason::UriTooLong, meta);
    d.add_bad_request_violation(field.clone(), description.clone());
    fit::status(Code::InvalidArgument, format!("{field}: {description}"), d)
}

fn auth_error(e: &sf::AuthError, ctx: &Context) -> Status {
    let (code, reason) = match e {
        // The grant itself is dead (revoked refresh token, changed password): no retry
        // helps; the operator must reconnect the org. Health turns the connection
        // NOT_SERVING until then.
        e if e.needs_reconnect() => (Code::Unauthenticated, Reason::ConnectionReconnectRequired),
        sf::AuthError::Status { status } if status.is_server_error() => {
            (Code::Unavailable, Reason::TokenEndpointUnavailable)
        }
        _ => (Code::FailedPrecondition, Reason::ConnectionAuthFailed),
    };
    tracing::warn!(connection = %ctx.connection, error = %e, "salesforce login failed");
    // The AuthError's text carries the OAuth error and description only, never a credential.
    let message = format!(
        "connection {:?} cannot log in to salesforce: {e}",
        ctx.connection
    );
    gateway(code, reason, message, ctx.metadata(None))
}

/// `NOT_FOUND` with a `ResourceInfo` naming the call's sObject and record.
fn not_found(d: &mut ErrorDetails, ctx: &Context, message: &str) -> Code {
    d.set_resource_info(
        ctx.sobject.clone().unwrap_or_default(),
        ctx.record_id.clone().unwrap_or_default(),
        "",
        message.to_owned(),
    );
    Code::NotFound
}
