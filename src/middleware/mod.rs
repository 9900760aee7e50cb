//! Tower layers in front of the gRPC services, composed in [`crate::server`].

mod auth;
mod deadline;

pub use auth::{ApiKey, Auth, AuthLayer};
pub use deadline::{Deadline, DeadlineLayer, DeadlineService, parse_grpc_timeout};
