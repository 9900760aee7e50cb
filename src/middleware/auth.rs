//! Caller authentication: `authorization: Bearer <key>` → a [`Caller`](crate::caller::Caller)
//! in the request extensions, or `UNAUTHENTICATED` `API_KEY_INVALID`.
//!
//! Keys are configured as SHA-256 hashes ([`ApiKey`]), so the configuration never holds a
//! usable key; a presented key is hashed and compared with every configured hash in
//! constant time. The layer wraps the gateway's own services only: health and reflection
//! stay open so probes and grpcurl work without a key.

use std::sync::Arc;

use tonic::Status;
use tower::Layer;

use super::check::{Check, Checked};
use crate::caller::ApiKey;
use crate::status;

/// Adds [`Auth`] to a service.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    keys: Arc<[ApiKey]>,
}

impl AuthLayer {
    /// A layer accepting these keys.
    pub fn new(keys: Vec<ApiKey>) -> Self {
        AuthLayer { keys: keys.into() }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;
    fn layer(&self, inner: S) -> Auth<S> {
        Checked::new(self.clone(), inner)
    }
}

/// Refuses calls without a known API key; attaches the caller of the others.
pub type Auth<S> = Checked<AuthLayer, S>;

impl Check for AuthLayer {
    fn check<B>(&self, request: &mut http::Request<B>) -> Result<(), Status> {
        let presented = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let Some(key) = presented else {
            return Err(status::no_api_key());
        };
        let caller = ApiKey::find(&self.keys, key).ok_or_else(status::unknown_api_key)?;
        request.extensions_mut().insert(caller.clone());
        Ok(())
    }
}
