//! The gRPC edge: request validation, proto ⇄ JSON conversion and error mapping,
//! in front of the Salesforce client.
//!
//! Handlers follow one shape — authorize the caller, validate and convert the
//! request, call [`crate::salesforce`], convert the answer — and every error
//! leaves through [`status`], the one place that maps errors to gRPC statuses
//! (the refusals of the gateway's own limits are built in `refusals`); both build
//! every status through `fit`, which keeps it small enough for any client.

mod caller;
pub mod codec;
mod convert;
mod decimal;
mod fit;
pub mod health;
mod idempotency;
mod page_token;
mod params;
mod query;
mod refusals;
mod salesforce;
mod status;
mod triggers;
mod validate;

pub use caller::{Caller, Permission};
pub use page_token::{MIN_KEY_BYTES as MIN_PAGE_TOKEN_KEY_BYTES, PageTokenKey};
pub(crate) use refusals::{
    overloaded, rate_limited, request_body_timeout, request_too_large, shutting_down,
    too_many_streams,
};
pub use salesforce::SalesforceApi;
pub use triggers::TriggerApi;

/// `INVALID_ARGUMENT` `MALFORMED_REQUEST` on `field`, for the middleware.
pub(crate) fn malformed_request(field: &str, problem: &str) -> tonic::Status {
    status::malformed_request(field, problem)
}

/// `INVALID_ARGUMENT` `MALFORMED_REQUEST` for prost's decode error text, for the middleware.
pub(crate) fn undecodable(prost_error: &str) -> tonic::Status {
    codec::malformed(prost_error)
}

/// A gateway error status (domain `sfgate`) with this reason, for the middleware.
pub fn gateway_status(code: tonic::Code, reason: &str, message: &str) -> tonic::Status {
    status::gateway(code, reason, message, Default::default())
}
