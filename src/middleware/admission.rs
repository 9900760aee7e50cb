//! Admission: from the request's headers alone, whether its API key may call the method
//! at all, and for a trigger stream its place under the stream limits — before the request
//! message is read, so a caller cannot hold anything with a message it never finishes
//! sending, and a stream over the caller's quota costs nothing.
//!
//! The stream's [`StreamSlot`](crate::limits::StreamSlot) travels to the handler in the request extensions; the handler
//! moves it into the stream, which gives it back when it ends. A request that fails before
//! the handler (its message never arrives) drops it with the request.

use std::task::{Context, Poll};

use tower::{Layer, Service};

use super::BoxFuture;
use crate::caller::{Caller, Permission};
use crate::limits::{AdmittedStream, StreamSlots};

/// The one method that opens a stream.
const SUBSCRIBE: &str = "/sfgate.v1.TriggerService/Subscribe";

/// Adds [`Admission`] to a service.
#[derive(Debug, Clone)]
pub struct AdmissionLayer {
    slots: StreamSlots,
}

impl AdmissionLayer {
    /// Streams take their place in `slots`, shared with the trigger service.
    pub fn new(slots: StreamSlots) -> Self {
        AdmissionLayer { slots }
    }
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = Admission<S>;
    fn layer(&self, inner: S) -> Admission<S> {
        Admission {
            inner,
            slots: self.slots.clone(),
        }
    }
}

/// Refuses a call its key has no permission for, and a stream over the stream limits,
/// before the request message is read.
#[derive(Debug, Clone)]
pub struct Admission<S> {
    inner: S,
    slots: StreamSlots,
}

impl<S, B> Service<http::Request<B>> for Admission<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // Auth put the caller there; without one (auth refused) there is nothing to check.
        let admitted = match (
            request.extensions().get::<Caller>(),
            Permission::for_method(request.uri().path()),
        ) {
            (Some(caller), Some(needs)) => caller.check_permission(needs).and_then(|()| {
                if request.uri().path() == SUBSCRIBE {
                    self.slots.acquire(&caller.key_name).map(Some)
                } else {
                    Ok(None)
                }
            }),
            _ => Ok(None),
        };
        match admitted {
            Ok(slot) => {
                if let Some(slot) = slot {
                    request.extensions_mut().insert(AdmittedStream::new(slot));
                }
                Box::pin(self.inner.call(request))
            }
            Err(status) => Box::pin(async move { Ok(status.into_http()) }),
        }
    }
}
