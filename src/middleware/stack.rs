//! The layers in their one order, built once and applied to each service by itself.

use std::time::Duration;

use tokio::sync::watch;
use tonic::service::{LayerExt, Layered};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};

use super::{
    Admission, AdmissionLayer, Auth, AuthLayer, Deadline, DeadlineLayer, Overload, OverloadLayer,
    RateLimit, RateLimitLayer, RateLimits, RequestBody, RequestBodyLayer, RequestSize,
    RequestSizeLayer,
};
use crate::caller::ApiKey;
use crate::limits::{Limits, StreamSlots};

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

/// A gateway service behind every guard, outermost first: auth, rate limit, admission, the
/// request message, the in-flight bound, and the rewording of tonic's refusals.
pub type Guarded<S> = Auth<RateLimit<Admission<RequestBody<Overload<RequestSize<S>>>>>>;

/// The guards of [`Guarded`], as one layer.
type GuardLayers = ServiceBuilder<
    Stack<
        RequestSizeLayer,
        Stack<
            OverloadLayer,
            Stack<
                RequestBodyLayer,
                Stack<AdmissionLayer, Stack<RateLimitLayer, Stack<AuthLayer, Identity>>>,
            >,
        >,
    >,
>;

/// The gateway's layers, built once so that every service shares their state (the rate
/// limiters, the in-flight bound, the stream slots), and applied to each service by itself:
/// [`unary`](Self::unary) and [`streaming`](Self::streaming) for the gateway's own services,
/// [`unguarded`](Self::unguarded) for health and reflection, which must answer however hard a
/// caller is throttled and without a key.
///
/// Everything up to the admission is decided from the request's headers; the request message
/// is read next, and only a call whose message has arrived takes an in-flight slot.
///
/// Services must also be built with `max_decoding_message_size(limits.max_request_bytes)`:
/// tonic enforces the size, the innermost layer only words its refusal.
#[derive(Debug, Clone)]
pub struct GatewayLayers {
    deadline: DeadlineLayer,
    auth: AuthLayer,
    rate_limit: RateLimitLayer,
    stream_slots: StreamSlots,
    request_body: RequestBodyLayer,
    overload: OverloadLayer,
    request_size: RequestSizeLayer,
}

impl GatewayLayers {
    /// The layers for callers with `api_keys`, under `limits`.
    pub fn new(settings: LayerSettings, api_keys: Vec<ApiKey>, limits: &Limits) -> Self {
        let rate_limits =
            RateLimits::new(limits, api_keys.iter().map(|k| k.caller.key_name.as_str()));
        GatewayLayers {
            deadline: DeadlineLayer::new(settings.default_timeout, settings.max_timeout),
            auth: AuthLayer::new(api_keys),
            rate_limit: RateLimitLayer::new(rate_limits),
            stream_slots: settings.stream_slots,
            request_body: RequestBodyLayer::new(
                settings.request_body_timeout,
                limits.max_request_bytes,
                settings.closing,
            ),
            overload: OverloadLayer::new(limits.max_concurrent_calls),
            request_size: RequestSizeLayer::new(limits.max_request_bytes),
        }
    }

    /// A service of unary calls (`SalesforceService`): every call answers by its deadline,
    /// whatever the guards inside it do.
    pub fn unary<S>(&self, service: S) -> Layered<Deadline<Guarded<S>>, S> {
        ServiceBuilder::new()
            .layer(self.deadline)
            .layer(self.guards(AdmissionLayer::unary()))
            .named_layer(service)
    }

    /// A service whose calls open server streams (`TriggerService`): no deadline (a stream
    /// outlives any per-call timeout), and each stream takes its place under the stream
    /// limits at admission.
    pub fn streaming<S>(&self, service: S) -> Layered<Guarded<S>, S> {
        self.guards(AdmissionLayer::streams(self.stream_slots.clone()))
            .named_layer(service)
    }

    /// Health or reflection: no guard, only tonic's refusals of a request message reworded.
    pub fn unguarded<S>(&self, service: S) -> Layered<RequestSize<S>, S> {
        self.request_size.named_layer(service)
    }

    /// The guards, outermost first, each with one reason for its place.
    fn guards(&self, admission: AdmissionLayer) -> GuardLayers {
        ServiceBuilder::new()
            // Who is calling: the rate limit keys on the `Caller` it attaches, and an
            // unknown key is refused before it can use anyone's quota.
            .layer(self.auth.clone())
            // Per key, before the overload bound: a caller over its own quota is
            // refused without taking an in-flight slot from the others.
            .layer(self.rate_limit.clone())
            // The key's permission for the method, and a stream's place under the
            // stream limits, from the headers.
            .layer(admission)
            // The request message, whole and in time, before anything is held for it.
            .layer(self.request_body.clone())
            // Last before the work: only calls that will run hold a slot, and a call
            // over the bound is refused at once instead of queueing.
            .layer(self.overload.clone())
            // Innermost, next to tonic's decoder whose size refusal it rewords.
            .layer(self.request_size)
    }
}
