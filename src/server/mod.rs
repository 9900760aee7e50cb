//! The gRPC server: the services each with its layers, health, reflection, the accept loop
//! and a shutdown bounded by its grace period.
//!
//! # Layout
//!
//! - this file: [`Gateway`] and [`serve`], which puts the services and layers together;
//! - `fd_limit`: `max_connections` fitted under the process's open-file limit;
//! - `accept`: the accept loop (connection cap, accept-error backoff, bounded shutdown);
//! - `connection`: one connection (HTTP/2 settings, first-request and idle timeouts).

mod accept;
mod connection;
mod fd_limit;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::service::Routes;

use crate::api::{SalesforceApi, TriggerApi, health};
use crate::caller::ApiKey;
use crate::config::PageTokenKey;
use crate::limits::{Limits, Transport};
use crate::middleware::{GatewayLayers, LayerSettings};
use crate::pb::trigger_service_server::TriggerServiceServer;
use crate::pb::{self, salesforce_service_server::SalesforceServiceServer};
use crate::salesforce::Client;
use crate::triggers::{Engine, TriggerConfig};

/// Everything the server needs: the Salesforce connections by name and the API keys.
#[derive(Debug)]
pub struct Gateway {
    /// The configured Salesforce orgs, by connection name.
    pub connections: HashMap<String, Client>,
    /// The keys callers may present.
    pub api_keys: Vec<ApiKey>,
    /// The deadline of a call whose caller sets none.
    pub default_timeout: Duration,
    /// The longest deadline a caller's own `grpc-timeout` gets; a longer one is shortened
    /// to it.
    pub max_timeout: Duration,
    /// The caller-side limits: rate limits per key, calls in flight, sizes.
    pub limits: Limits,
    /// How the trigger pollers run.
    pub triggers: TriggerConfig,
    /// How connections are accepted, kept and closed.
    pub transport: Transport,
    /// What `page_token`s are signed with: the same on every replica for tokens to work
    /// across them and across restarts.
    pub page_token_key: PageTokenKey,
}

/// A server that failed to start or stopped with an error.
pub type ServeError = Box<dyn std::error::Error + Send + Sync>;

/// Serves the gateway on `listener` until `shutdown` completes, then stops taking
/// calls, lets the ones in flight finish, and returns: at the latest after
/// `gateway.transport.shutdown_grace`, whatever the clients do.
pub async fn serve(
    listener: TcpListener,
    gateway: Gateway,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<SalesforceServiceServer<SalesforceApi>>()
        .await;
    health
        .set_serving::<TriggerServiceServer<TriggerApi>>()
        .await;
    // grpcurl 1.8.6 and many tools speak only reflection v1alpha; newer ones v1.
    // google.rpc's error details are registered so grpcurl can print them.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    for client in gateway.connections.values() {
        health::follow(&health, client).await;
    }
    let connections = Arc::new(gateway.connections);
    if gateway.page_token_key.is_generated() {
        tracing::info!(
            "page tokens are signed with a key generated at start: they stop working at a \
             restart and on other replicas; set [server] page_token_key_env or \
             page_token_key_file to share one"
        );
    }
    let api = SalesforceApi::new(connections.clone())
        .with_max_records(gateway.limits.max_records)
        .with_page_token_key(gateway.page_token_key);
    let engine = Engine::new(connections, gateway.triggers);
    let stream_slots = gateway.limits.stream_slots();
    let triggers = TriggerApi::new(engine.clone(), stream_slots.clone());
    let (closing, closing_rx) = tokio::sync::watch::channel(false);

    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing calls in flight");
        // Calls whose request message has not arrived are refused now, not waited for.
        let _ = closing.send(true);
        health
            .set_not_serving::<SalesforceServiceServer<SalesforceApi>>()
            .await;
        health
            .set_not_serving::<TriggerServiceServer<TriggerApi>>()
            .await;
        // Graceful shutdown waits for open streams: end them (UNAVAILABLE, with a cursor).
        engine.shutdown();
    };
    tracing::info!(
        default_timeout_ms = gateway.default_timeout.as_millis() as u64,
        max_timeout_ms = gateway.max_timeout.as_millis() as u64,
        "a call without a grpc-timeout ends after default_timeout_ms; a caller's \
         grpc-timeout is honoured up to max_timeout_ms"
    );
    let settings = LayerSettings {
        default_timeout: gateway.default_timeout,
        max_timeout: gateway.max_timeout.max(gateway.default_timeout),
        request_body_timeout: gateway.transport.request_body_timeout,
        stream_slots,
        closing: closing_rx,
    };
    let layers = GatewayLayers::new(settings, gateway.api_keys, &gateway.limits);
    let max_request_bytes = gateway.limits.max_request_bytes;
    // Each service with its own layers: the gateway's guarded, health and reflection not.
    let routes =
        Routes::new(layers.unguarded(health_service))
            .add_service(layers.unguarded(reflection_v1))
            .add_service(layers.unguarded(reflection_v1alpha))
            .add_service(layers.unary(
                SalesforceServiceServer::new(api).max_decoding_message_size(max_request_bytes),
            ))
            .add_service(layers.streaming(
                TriggerServiceServer::new(triggers).max_decoding_message_size(max_request_bytes),
            ))
            .prepare();
    let mut transport = gateway.transport;
    let fitted = fd_limit::fit_to_fd_limit(transport.max_connections, fd_limit::fd_soft_limit());
    if fitted < transport.max_connections {
        tracing::warn!(
            max_connections = transport.max_connections,
            lowered_to = fitted,
            "max_connections lowered to fit the open-file limit (ulimit -n)"
        );
        transport.max_connections = fitted;
    }
    accept::run(listener, routes, transport, shutdown).await;
    Ok(())
}
