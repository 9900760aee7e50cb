//! Tower layers in front of the gRPC services, composed in [`layers`]. They enforce the
//! caller-side limits of [`crate::limits`] for the identities of [`crate::caller`], and
//! refuse with the statuses of [`crate::status`]; they know nothing of the handlers.
//!
//! In their order: `deadline`, `auth`, `rate_limit`, `admission` (permission and
//! stream slots, from the headers), `request_body` (the message, whole and in
//! time), `overload` (the in-flight bound), `request_size` (tonic's refusals
//! reworded).

mod admission;
mod auth;
mod deadline;
mod overload;
mod rate_limit;
mod request_body;
mod request_size;
mod stack;

pub use admission::{Admission, AdmissionLayer};
pub use auth::{Auth, AuthLayer};
pub use deadline::{Deadline, DeadlineLayer, DeadlineService, parse_grpc_timeout};
pub use overload::{Overload, OverloadLayer};
pub use rate_limit::{RateLimitLayer, RateLimitService, RateLimits};
pub use request_body::{RequestBody, RequestBodyLayer};
pub use request_size::{RequestSize, RequestSizeLayer};
pub use stack::{GatewayLayers, LayerSettings, layers};

/// The future of every layer's service: the layers wrap tonic's router, whose
/// futures they cannot name.
type BoxFuture<T> = futures_util::future::BoxFuture<'static, T>;

/// Whether `request` is for one of the gateway's own services (`/sfgate.*`), which
/// the layers guard; health and reflection pass untouched.
fn is_gateway_call<B>(request: &http::Request<B>) -> bool {
    request.uri().path().starts_with("/sfgate.")
}
