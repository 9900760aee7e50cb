//! Salesforce's Pub/Sub API (`eventbus.v1`, `proto/eventbus/v1/pubsub_api.proto`): the
//! generated messages, the `PubSub` client and the `PubSub` server trait.
//!
//! Generated code only, with tonic's default codec: it imports nothing else from the crate,
//! so both sides can share it without crossing a module boundary. The sandbox org serves it
//! ([`crate::sandbox::pubsub`]); the gateway's Change Data Capture source is to call
//! Salesforce (or the sandbox) with its client. The API itself:
//! <https://developer.salesforce.com/docs/platform/pub-sub-api/references/methods/subscribe-rpc.html>.

/// `eventbus.v1`: the messages, `pub_sub_client::PubSubClient` and
/// `pub_sub_server::{PubSub, PubSubServer}`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("eventbus.v1");
}
