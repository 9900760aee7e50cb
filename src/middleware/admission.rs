//! Admission: from the request's headers alone, whether its API key may call the method
//! at all, and for a trigger stream its place under the stream limits — before the request
//! message is read, so a caller cannot hold anything with a message it never finishes
//! sending, and a stream over the caller's quota costs nothing.
//!
//! The stream's [`StreamSlot`](crate::limits::StreamSlot) travels to the handler in the
//! request extensions; the handler moves it into the stream, which gives it back when it
//! ends. A request that fails before the handler (its message never arrives) drops it with
//! the request.
//!
//! Which calls open a stream is said by structure, not by path: the stream service's
//! admission is [`AdmissionLayer::streams`], the unary service's [`AdmissionLayer::unary`].

use tonic::Status;
use tower::Layer;

use super::check::{Check, Checked};
use crate::caller::{Caller, Permission};
use crate::limits::{AdmittedStream, StreamSlots};

/// Adds [`Admission`] to a service.
#[derive(Debug, Clone)]
pub struct AdmissionLayer {
    /// Where the service's calls take their place; `None` for a service of unary calls.
    slots: Option<StreamSlots>,
}

impl AdmissionLayer {
    /// For a service of unary calls: the permission only.
    pub fn unary() -> Self {
        AdmissionLayer { slots: None }
    }

    /// For a service whose calls open streams: each takes its place in `slots`, shared with
    /// the service's handler.
    pub fn streams(slots: StreamSlots) -> Self {
        AdmissionLayer { slots: Some(slots) }
    }
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = Admission<S>;
    fn layer(&self, inner: S) -> Admission<S> {
        Checked::new(self.clone(), inner)
    }
}

/// Refuses a call its key has no permission for, and a stream over the stream limits,
/// before the request message is read.
pub type Admission<S> = Checked<AdmissionLayer, S>;

impl Check for AdmissionLayer {
    fn check<B>(&self, request: &mut http::Request<B>) -> Result<(), Status> {
        // Auth put the caller there. A path that is no method of the service (tonic answers
        // it `UNIMPLEMENTED`) needs no permission and opens no stream.
        let (Some(caller), Some(needs)) = (
            request.extensions().get::<Caller>(),
            Permission::for_method(request.uri().path()),
        ) else {
            return Ok(());
        };
        caller.check_permission(needs)?;
        if let Some(slots) = &self.slots {
            let slot = slots.acquire(&caller.key_name)?;
            request.extensions_mut().insert(AdmittedStream::new(slot));
        }
        Ok(())
    }
}
