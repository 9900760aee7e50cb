//! The layers in front of the services, in their one order.

use std::time::Duration;

use tokio::sync::watch;
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};

use super::{
    AdmissionLayer, AuthLayer, DeadlineLayer, OverloadLayer, RateLimitLayer, RateLimits,
    RequestBodyLayer, RequestSizeLayer,
};
use crate::caller::ApiKey;
use crate::limits::{Limits, StreamSlots};

/// The gateway's layers, outermost first (see [`layers`]).
pub type GatewayLayers = ServiceBuilder<
    Stack<
        RequestSizeLayer,
        Stack<
            OverloadLayer,
            Stack<
                RequestBodyLayer,
                Stack<
                    AdmissionLayer,
                    Stack<RateLimitLayer, Stack<AuthLayer, Stack<DeadlineLayer, Identity>>>,
                >,
            >,
        >,
    >,
>;

/// What the layers need besides the keys and limits.
#[derive(Debug, Clone)]
pub struct LayerSettings {
    /// The deadline of a call whose caller sets none.
    pub default_timeout: Duration,
    /// The longest deadline a caller's `grpc-timeout` gets.
    pub max_timeout: Duration,
    /// How long a call's request message may take to arrive after its headers.
    pub request_body_timeout: Duration,
    /// The open streams, shared with the trigger service.
    pub stream_slots: StreamSlots,
    /// Turns `true` when the gateway starts shutting down.
    pub closing: watch::Receiver<bool>,
}

/// The layers every call passes, outermost first. Each acts only on the
/// gateway's own services (`/sfgate.*`): health and reflection pass untouched,
/// so probes and grpcurl work without a key and are never throttled or shed.
///
/// Everything up to the admission is decided from the request's headers; the
/// request message is read next, and only a call whose message has arrived takes
/// an in-flight slot.
///
/// Services must also be built with `max_decoding_message_size(limits.max_request_bytes)`:
/// tonic enforces the size, the innermost layer only words its refusal.
pub fn layers(settings: LayerSettings, api_keys: Vec<ApiKey>, limits: &Limits) -> GatewayLayers {
    let rate_limits = RateLimits::new(limits, api_keys.iter().map(|k| k.caller.key_name.as_str()));
    ServiceBuilder::new()
        // Outermost: every call answers by its deadline, whatever the layers inside do.
        .layer(DeadlineLayer::new(
            settings.default_timeout,
            settings.max_timeout,
        ))
        // Who is calling: the rate limit keys on the `Caller` it attaches, and an
        // unknown key is refused before it can use anyone's quota.
        .layer(AuthLayer::new(api_keys))
        // Per key, before the overload bound: a caller over its own quota is
        // refused without taking an in-flight slot from the others.
        .layer(RateLimitLayer::new(rate_limits))
        // The key's permission for the method, and a stream's place under the
        // stream limits, from the headers.
        .layer(AdmissionLayer::new(settings.stream_slots))
        // The request message, whole and in time, before anything is held for it.
        .layer(RequestBodyLayer::new(
            settings.request_body_timeout,
            limits.max_request_bytes,
            settings.closing,
        ))
        // Last before the work: only calls that will run hold a slot, and a call
        // over the bound is refused at once instead of queueing.
        .layer(OverloadLayer::new(limits.max_concurrent_calls))
        // Innermost, next to tonic's decoder whose size refusal it rewords.
        .layer(RequestSizeLayer::new(limits.max_request_bytes))
}
