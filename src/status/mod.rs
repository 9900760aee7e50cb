//! Every status a caller can get, built in one place (AIP-193), below both the middleware
//! and the handlers.
//!
//! Each status carries exactly one `google.rpc.ErrorInfo`: domain `salesforce.com` with
//! Salesforce's `errorCode` as the reason when Salesforce refused the call, domain `sfgate`
//! with the gateway's own reason otherwise. Bad input adds a `BadRequest` naming each field;
//! errors worth retrying later add `RetryInfo`.
//!
//! # Layout
//!
//! - this file: the builders every status goes through (`invalid_argument`, `gateway`,
//!   `Violation`);
//! - `reason`: [`Reason`], the closed set of the gateway's own reasons;
//! - `fit`: every status cut to a size any client accepts;
//! - `caller`: the refusals of who is calling (key, permission, connection);
//! - `refusals`: the refusals of the gateway's own caller-side limits;
//! - `triggers`: how a trigger stream ends, or fails to start;
//! - `salesforce`: the mapping of the Salesforce client's errors (the only module that knows
//!   both Salesforce errors and gRPC).

mod caller;
mod fit;
#[cfg(test)]
mod readme;
mod reason;
mod refusals;
mod salesforce;
mod triggers;

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::ErrorDetails;

pub(crate) use caller::{
    connection_not_allowed, connection_required, no_api_key, permission_missing, unknown_api_key,
    unknown_connection,
};
pub use reason::Reason;
pub(crate) use refusals::{
    deadline_exceeded, overloaded, rate_limited, request_body_timeout, request_too_large,
    shutting_down, too_many_streams,
};
pub(crate) use salesforce::{Context, ErrorCode, from_salesforce};
pub(crate) use triggers::{subscribe_failed, trigger_ended};

/// The ErrorInfo domain of the gateway's own errors.
const DOMAIN_SFGATE: &str = "sfgate";
/// The ErrorInfo domain of errors Salesforce returned.
pub(crate) const DOMAIN_SALESFORCE: &str = "salesforce.com";

/// Sets the one `ErrorInfo` of a gateway's own status: `reason`, domain `sfgate`. Every
/// gateway reason goes through here, so it is always one of [`Reason`].
pub(crate) fn set_gateway_info(
    details: &mut ErrorDetails,
    reason: Reason,
    metadata: HashMap<String, String>,
) {
    details.set_error_info(reason.as_str(), DOMAIN_SFGATE, metadata);
}

/// One bad field of a request, for a `BadRequest` field violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// The request field's path, e.g. `id` or `fields.LastName`.
    pub(crate) field: String,
    /// What is wrong with it.
    pub(crate) description: String,
}

impl Violation {
    /// `description` of what is wrong with the request field `field`.
    pub(crate) fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// `INVALID_ARGUMENT` from the gateway itself, naming every bad field.
pub(crate) fn invalid_argument(reason: Reason, violations: Vec<Violation>) -> Status {
    // The details carry each description whole; the message leaves out the query
    // Salesforce echoes, so the caller's text is said once.
    let message = match violations.as_slice() {
        [one] => format!("{}: {}", one.field, fit::without_echo(&one.description)),
        many => format!(
            "invalid request: {}",
            many.iter()
                .map(|v| format!("{}: {}", v.field, fit::without_echo(&v.description)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    let mut details = ErrorDetails::new();
    set_gateway_info(&mut details, reason, HashMap::new());
    for v in violations {
        details.add_bad_request_violation(v.field, v.description);
    }
    fit::status(Code::InvalidArgument, message, details)
}

/// A gateway error with only an ErrorInfo.
pub(crate) fn gateway(
    code: Code,
    reason: Reason,
    message: impl Into<String>,
    metadata: HashMap<String, String>,
) -> Status {
    let mut details = ErrorDetails::new();
    set_gateway_info(&mut details, reason, metadata);
    fit::status(code, message, details)
}

/// `INVALID_ARGUMENT` for one bad field.
pub(crate) fn invalid_one(violation: Violation) -> Status {
    invalid_argument(Reason::InvalidArgument, vec![violation])
}

/// `INVALID_ARGUMENT` `MALFORMED_REQUEST`: the request message (or its framing) could not
/// be read; `field` is the request field at fault, or `request`.
pub(crate) fn malformed_request(field: &str, problem: &str) -> Status {
    invalid_argument(
        Reason::MalformedRequest,
        vec![Violation::new(field, problem)],
    )
}

/// `base` plus up to 50% random jitter, so callers told to retry do not retry in step.
pub(crate) fn jittered(base: Duration) -> Duration {
    base + base.mul_f64(rand::random::<f64>() * 0.5)
}

/// `INVALID_ARGUMENT` `MALFORMED_REQUEST` for prost's decode error `text`: `failed to decode
/// Protobuf message: Msg.field: Inner.field: … what went wrong`. The first `Msg.field` is the
/// request's field.
pub(crate) fn undecodable(text: &str) -> Status {
    let rest = text
        .strip_prefix("failed to decode Protobuf message: ")
        .unwrap_or(text);
    let mut parts: Vec<&str> = rest.split(": ").collect();
    let problem = parts.pop().unwrap_or_default();
    let field = parts
        .first()
        .and_then(|first| first.split_once('.'))
        .map_or("request", |(_, field)| field);
    malformed_request(field, &format!("could not be decoded: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;
    use tonic_types::StatusExt;

    #[test]
    fn decode_errors_name_the_request_field() {
        let s = undecodable(
            "failed to decode Protobuf message: CreateObjectRequest.fields: Struct.fields: \
             Value.kind: Struct.fields: recursion limit reached",
        );
        assert_eq!(s.code(), Code::InvalidArgument);
        let bad = s.get_details_bad_request().unwrap();
        assert_eq!(bad.field_violations[0].field, "fields");
        assert!(
            bad.field_violations[0]
                .description
                .contains("recursion limit reached")
        );
        let s = undecodable("failed to decode Protobuf message: buffer underflow");
        assert_eq!(
            s.get_details_bad_request().unwrap().field_violations[0].field,
            "request"
        );
        assert_eq!(
            s.get_details_error_info().unwrap().reason,
            "MALFORMED_REQUEST"
        );
    }
}
