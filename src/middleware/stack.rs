//! The layers in front of the services, in their one order.

use std::time::Duration;

use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};

use super::{
    ApiKey, AuthLayer, DeadlineLayer, Limits, OverloadLayer, RateLimitLayer, RateLimits,
    RequestSizeLayer,
};

/// The gateway's layers, outermost first (see [`layers`]).
pub type GatewayLayers = ServiceBuilder<
    Stack<
        RequestSizeLayer,
        Stack<
            OverloadLayer,
            Stack<RateLimitLayer, Stack<AuthLayer, Stack<DeadlineLayer, Identity>>>,
        >,
    >,
>;

/// The layers every call passes, outermost first. Each acts only on the
/// gateway's own services (`/sfgate.*`): health and reflection pass untouched,
/// so probes and grpcurl work without a key and are never throttled or shed.
///
/// Services must also be built with `max_decoding_message_size(limits.max_request_bytes)`:
/// tonic enforces the size, the innermost layer only words its refusal.
pub fn layers(default_timeout: Duration, api_keys: Vec<ApiKey>, limits: &Limits) -> GatewayLayers {
    let rate_limits = RateLimits::new(limits, api_keys.iter().map(|k| k.caller.key_name.as_str()));
    ServiceBuilder::new()
        // Outermost: every call answers by its deadline, whatever the layers inside do.
        .layer(DeadlineLayer::new(default_timeout))
        // Who is calling: the rate limit keys on the `Caller` it attaches, and an
        // unknown key is refused before it can use anyone's quota.
        .layer(AuthLayer::new(api_keys))
        // Per key, before the overload bound: a caller over its own quota is
        // refused without taking an in-flight slot from the others.
        .layer(RateLimitLayer::new(rate_limits))
        // Last before the work: only calls that will run hold a slot, and a call
        // over the bound is refused at once instead of queueing.
        .layer(OverloadLayer::new(limits.max_concurrent_calls))
        // Innermost, next to tonic's decoder whose size refusal it rewords.
        .layer(RequestSizeLayer::new(limits.max_request_bytes))
}
