//! `Publish` and `PublishStream`. The sandbox org has no platform events, and change
//! events are published by the org itself when records change, never by a client
//! (GetTopic reports `can_publish: false`). So:
//! - a blank topic is `INVALID_ARGUMENT` `publish.topic.validation.empty`;
//! - a topic that does not exist (any `/event/…__e`) is `NOT_FOUND` `topic.not.found`;
//! - a request without events is `INVALID_ARGUMENT` `publish.event.count.invalid`;
//! - events for a change event channel are each refused in their `PublishResult` (error
//!   code `PUBLISH`, `correlation_key` = the event's `id`), the way the proto reports a
//!   failed publish (<https://developer.salesforce.com/docs/platform/pub-sub-api/references/methods/publish-rpc.html>);
//! - on a stream, a later request naming another topic is `INVALID_ARGUMENT`
//!   `publish.topic.mismatch`.

use tonic::Status;

use super::status;
use crate::eventbus::v1::{Error, ErrorCode, PublishRequest, PublishResponse, PublishResult};
use crate::sandbox::Shared;

/// The response to one PublishRequest on `topic_name` (already the stream's topic).
pub(super) fn publish(
    shared: &Shared,
    topic_name: &str,
    req: &PublishRequest,
    rpc_id: &str,
) -> Result<PublishResponse, Status> {
    if topic_name.is_empty() {
        return Err(status::invalid(
            "publish.topic.validation.empty",
            "The topic name is blank.",
            rpc_id,
        ));
    }
    let topic = shared
        .bus
        .topic(topic_name)
        .ok_or_else(|| status::topic_not_found(&shared.org_id, topic_name, rpc_id))?;
    if req.events.is_empty() {
        return Err(status::invalid(
            "publish.event.count.invalid",
            "The publish request has no events.",
            rpc_id,
        ));
    }
    let results = req
        .events
        .iter()
        .map(|e| PublishResult {
            replay_id: Vec::new(),
            error: Some(Error {
                code: ErrorCode::Publish.into(),
                msg: format!(
                    "{topic_name} is a change event channel: the org publishes its events when records change, and clients cannot publish to it."
                ),
            }),
            correlation_key: e.id.clone(),
        })
        .collect();
    Ok(PublishResponse {
        results,
        schema_id: shared.bus.topic_schema_id(topic),
        rpc_id: rpc_id.to_owned(),
    })
}

/// The topic of a request on a PublishStream whose first request named `first`.
pub(super) fn stream_topic<'a>(
    first: &'a str,
    req: &'a PublishRequest,
    rpc_id: &str,
) -> Result<&'a str, Status> {
    let name = req.topic_name.trim();
    if name.is_empty() || name == first {
        Ok(first)
    } else {
        Err(status::invalid(
            "publish.topic.mismatch",
            &format!("The topic {name} differs from the stream's topic {first}."),
            rpc_id,
        ))
    }
}
