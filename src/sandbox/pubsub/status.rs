//! Pub/Sub API errors: a gRPC status whose message ends in `rpcId: <id>` and whose
//! trailers carry `error-code` and `rpc-id`
//! (<https://developer.salesforce.com/docs/platform/pub-sub-api/guide/handling-errors.html>).

use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Status};

/// The prefix of every Pub/Sub API error code.
pub const PREFIX: &str = "sfdc.platform.eventbus.grpc.";

/// An error with `code` and the Pub/Sub API error code `PREFIX + suffix`.
pub fn error(code: Code, suffix: &str, message: &str, rpc_id: &str) -> Status {
    let mut trailers = MetadataMap::new();
    if let Ok(v) = MetadataValue::try_from(format!("{PREFIX}{suffix}")) {
        trailers.insert("error-code", v);
    }
    if let Ok(v) = MetadataValue::try_from(rpc_id) {
        trailers.insert("rpc-id", v);
    }
    Status::with_metadata(code, format!("{message} rpcId: {rpc_id}"), trailers)
}

/// `UNAUTHENTICATED` `service.auth.error`, Salesforce's answer to a token it does not accept.
pub fn auth(rpc_id: &str) -> Status {
    error(
        Code::Unauthenticated,
        "service.auth.error",
        "An authentication exception occurred. Provide valid authentication via metadata headers.",
        rpc_id,
    )
}

/// `NOT_FOUND` `topic.not.found`: no such channel, or its object is not selected for
/// Change Data Capture.
pub fn topic_not_found(org_id: &str, topic: &str, rpc_id: &str) -> Status {
    error(
        Code::NotFound,
        "topic.not.found",
        &format!(
            "The topic information for org {org_id} and topic {topic} not found. Ensure the topic name is correct and that the topic exists."
        ),
        rpc_id,
    )
}

/// `INVALID_ARGUMENT` with a Pub/Sub API error code.
pub fn invalid(suffix: &str, message: &str, rpc_id: &str) -> Status {
    error(Code::InvalidArgument, suffix, message, rpc_id)
}

/// A stream ended by the network, not by the Pub/Sub API: `UNAVAILABLE` without an error
/// code or rpc id, as a reset HTTP/2 stream reaches a client.
pub fn reset() -> Status {
    Status::unavailable("RST_STREAM closed stream. HTTP/2 error code: CANCEL")
}
