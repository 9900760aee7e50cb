//! Salesforce's JSON error envelope (`[{"message","errorCode","fields"}]`) → the caller's
//! status, by the group ([`ErrorCode`]) of its first `errorCode`, which stays the
//! `ErrorInfo` reason (domain `salesforce.com`).

use tonic::{Code, Status};
use tonic_types::ErrorDetails;

use super::error_code::ErrorCode;
use super::{Context, RETRY_CONCURRENCY, RETRY_SOON, not_found};
use crate::salesforce as sf;
use crate::status::{DOMAIN_SALESFORCE, Reason, fit, gateway, jittered};

/// Salesforce's error envelope → status, by its first `errorCode`.
pub(super) fn api_error(http: u16, errors: &[sf::ApiError], ctx: &Context) -> Status {
    let first = errors.first();
    let code_name = first.map_or("UNKNOWN_EXCEPTION", |e| e.error_code.as_str());
    let message = match errors {
        [] => format!("salesforce answered HTTP {http}"),
        errs => errs
            .iter()
            .map(|e| e.message.trim())
            .collect::<Vec<_>>()
            .join("; "),
    };
    let fields: Vec<&str> = errors
        .iter()
        .flat_map(|e| e.fields.iter().map(String::as_str))
        .collect();
    let mut meta = ctx.metadata(Some(http));
    if !fields.is_empty() {
        meta.insert("fields".to_owned(), fields.join(","));
    }
    let mut d = ErrorDetails::new();
    let code = match ErrorCode::of(code_name) {
        ErrorCode::InvalidSession => {
            // The client already refreshed the token once; the connection's grant is bad,
            // not the caller's key.
            return gateway(
                Code::FailedPrecondition,
                Reason::ConnectionUnauthorized,
                format!(
                    "salesforce refused connection {:?}'s session after a token refresh: {message}",
                    ctx.connection
                ),
                meta,
            );
        }
        ErrorCode::Query if ctx.query => {
            d.add_bad_request_violation("query", message.clone());
            Code::InvalidArgument
        }
        ErrorCode::IdempotencyKeyReused => {
            d.add_bad_request_violation(
                "idempotency_key",
                "was already used for a create with other fields; use a new key per record",
            );
            Code::InvalidArgument
        }
        ErrorCode::InvalidQueryLocator => {
            d.add_bad_request_violation("page_token", message.clone());
            Code::InvalidArgument
        }
        ErrorCode::ValidationRule => {
            for e in errors {
                let subject = e.fields.first().map_or("", String::as_str);
                d.add_precondition_failure_violation("VALIDATION_RULE", subject, e.message.clone());
            }
            Code::FailedPrecondition
        }
        ErrorCode::Gone => not_found(&mut d, ctx, &message),
        ErrorCode::CrossReference if fields.is_empty() => not_found(&mut d, ctx, &message),
        ErrorCode::Duplicate => {
            if let Some(id) = errors.iter().find_map(sf::ApiError::duplicate_id) {
                meta.insert("duplicateId".to_owned(), id.to_owned());
            }
            Code::AlreadyExists
        }
        ErrorCode::InsufficientAccess => Code::PermissionDenied,
        ErrorCode::RequestLimit => {
            let concurrent = message.contains("ConcurrentRequests");
            let limit = if concurrent {
                "ConcurrentRequests"
            } else {
                "TotalRequests"
            };
            meta.insert("limit".to_owned(), limit.to_owned());
            d.add_quota_failure_violation(
                format!("connection:{}", ctx.connection),
                message.clone(),
            );
            if concurrent {
                d.set_retry_info(Some(RETRY_CONCURRENCY));
            }
            Code::ResourceExhausted
        }
        ErrorCode::RowLock => {
            d.set_retry_info(Some(jittered(RETRY_SOON)));
            Code::Aborted
        }
        ErrorCode::ServerUnavailable => {
            d.set_retry_info(Some(RETRY_SOON));
            Code::Unavailable
        }
        ErrorCode::GatewayBug => {
            tracing::error!(connection = %ctx.connection, code = code_name, %message, "salesforce says the gateway built a bad request");
            Code::Internal
        }
        // The documented default (see `error_code`): the HTTP status decides.
        ErrorCode::Query
        | ErrorCode::CrossReference
        | ErrorCode::Field
        | ErrorCode::UnknownException
        | ErrorCode::Other => match http {
            400 => {
                field_violations(&mut d, errors, &message, ctx);
                Code::InvalidArgument
            }
            404 => not_found(&mut d, ctx, &message),
            403 => Code::PermissionDenied,
            502..=504 => {
                d.set_retry_info(Some(RETRY_SOON));
                Code::Unavailable
            }
            _ => Code::Unknown,
        },
    };
    d.set_error_info(code_name, DOMAIN_SALESFORCE, meta);
    // A query error's details carry Salesforce's text whole, with the echoed query and its
    // caret; the message says it once, without them.
    let message = if d.has_bad_request_violations() {
        fit::without_echo(&message)
    } else {
        message
    };
    fit::status(code, message, d)
}

/// One `fields.<Name>` violation per field Salesforce named (or the request field it stands
/// for, see [`Context::renamed`]), or one on `fields`.
fn field_violations(d: &mut ErrorDetails, errors: &[sf::ApiError], message: &str, ctx: &Context) {
    let mut any = false;
    for e in errors {
        for f in &e.fields {
            d.add_bad_request_violation(ctx.field_named(f), e.message.clone());
            any = true;
        }
    }
    if !any {
        d.add_bad_request_violation("fields", message.to_owned());
    }
}
