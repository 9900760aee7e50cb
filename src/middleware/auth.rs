//! Caller authentication: `authorization: Bearer <key>` → a [`Caller`] in the
//! request extensions.
//!
//! Keys are configured as SHA-256 hashes, so the configuration never holds a
//! usable key; a presented key is hashed and compared with every configured hash
//! in constant time. Only the gateway's own services (`/sfgate.v1.*`) are guarded:
//! health and reflection stay open so probes and grpcurl work without a key.

use std::sync::Arc;
use std::task::{Context, Poll};

use tower::{Layer, Service};

use super::BoxFuture;
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
        Auth {
            inner,
            keys: self.keys.clone(),
        }
    }
}

/// Refuses requests to the gateway's services without a known API key.
#[derive(Debug, Clone)]
pub struct Auth<S> {
    inner: S,
    keys: Arc<[ApiKey]>,
}

impl<S, B> Service<http::Request<B>> for Auth<S>
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
        if !super::is_gateway_call(&request) {
            return Box::pin(self.inner.call(request));
        }
        let presented = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let refusal = match presented {
            None => status::no_api_key(),
            Some(key) => match ApiKey::find(&self.keys, key) {
                Some(caller) => {
                    request.extensions_mut().insert(caller.clone());
                    return Box::pin(self.inner.call(request));
                }
                None => status::unknown_api_key(),
            },
        };
        Box::pin(async move { Ok(refusal.into_http()) })
    }
}
