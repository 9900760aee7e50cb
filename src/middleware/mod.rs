//! Tower layers in front of the gRPC services, composed in [`GatewayLayers`]. They enforce
//! the caller-side limits of [`crate::limits`] for the identities of [`crate::caller`], and
//! refuse with the statuses of [`crate::status`]; they know nothing of the handlers.
//!
//! They wrap the gateway's own services, each by itself (tonic's per-service layering), so
//! health and reflection are unguarded by construction, not by a check of the path. In their
//! order: `deadline` (unary calls only), `auth`, `rate_limit`, `admission` (permission and
//! stream slots, from the headers), `request_body` (the message, whole and in time),
//! `overload` (the in-flight bound), `request_size` (tonic's refusals reworded, on every
//! service). `check` is the frame auth, the rate limit and admission share.

mod admission;
mod auth;
mod check;
mod deadline;
mod overload;
mod rate_limit;
mod request_body;
mod request_size;
mod stack;

use tonic::Status;
use tonic::body::Body;

pub use admission::{Admission, AdmissionLayer};
pub use auth::{Auth, AuthLayer};
pub use check::{Check, Checked};
pub use deadline::{Deadline, DeadlineLayer, parse_grpc_timeout};
pub use overload::{Overload, OverloadLayer};
pub use rate_limit::{RateLimit, RateLimitLayer, RateLimits};
pub use request_body::{RequestBody, RequestBodyLayer};
pub use request_size::{RequestSize, RequestSizeLayer};
pub use stack::{GatewayLayers, Guarded, LayerSettings};

/// The future of the layers' services: they box the inner service's future rather than name
/// one type per layer.
type BoxFuture<T> = futures_util::future::BoxFuture<'static, T>;

/// Answers `status` at once, without calling the inner service: a layer's refusal.
fn refuse<E: 'static>(status: Status) -> BoxFuture<Result<http::Response<Body>, E>> {
    Box::pin(async move { Ok(status.into_http()) })
}
