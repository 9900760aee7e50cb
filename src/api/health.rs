//! Health per connection: a connection whose grant Salesforce revoked turns
//! `NOT_SERVING` until a call on it succeeds again.
//!
//! The gRPC health service answers for `sfgate.connection.<name>` as well as for
//! the services, so an operator's probe (or `grpcurl … grpc.health.v1.Health/Check`)
//! shows which org must be reconnected.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tonic::Status;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tonic_types::StatusExt;

use super::status::RECONNECT_REQUIRED;

/// The health service name of a connection.
pub fn service_name(connection: &str) -> String {
    format!("sfgate.connection.{connection}")
}

/// Tracks which connections need reconnecting and tells the health service.
#[derive(Clone)]
pub struct ConnectionHealth {
    reporter: HealthReporter,
    // std Mutex: held for a set lookup only, never across an await.
    unhealthy: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for ConnectionHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionHealth").finish_non_exhaustive()
    }
}

impl ConnectionHealth {
    /// Reports through `reporter`; call [`ConnectionHealth::serving`] for each
    /// connection at start.
    pub fn new(reporter: HealthReporter) -> Self {
        ConnectionHealth {
            reporter,
            unhealthy: Arc::default(),
        }
    }

    /// Marks a connection as serving (at start).
    pub async fn serving(&self, connection: &str) {
        self.reporter
            .set_service_status(service_name(connection), ServingStatus::Serving)
            .await;
    }

    /// Notes the outcome of a call on `connection`.
    pub(crate) fn observe<T>(&self, connection: &str, result: &Result<T, Status>) {
        let needs_reconnect = match result {
            Ok(_) => false,
            Err(status) => status
                .get_error_details()
                .error_info()
                .is_some_and(|i| i.reason == RECONNECT_REQUIRED),
        };
        let changed = {
            let mut unhealthy = self
                .unhealthy
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if needs_reconnect {
                unhealthy.insert(connection.to_owned())
            } else if result.is_ok() {
                unhealthy.remove(connection)
            } else {
                false
            }
        };
        if changed {
            let status = if needs_reconnect {
                tracing::error!(
                    connection,
                    "salesforce revoked the connection's grant: reconnect the org"
                );
                ServingStatus::NotServing
            } else {
                tracing::info!(connection, "connection serving again");
                ServingStatus::Serving
            };
            let reporter = self.reporter.clone();
            let name = service_name(connection);
            tokio::spawn(async move { reporter.set_service_status(name, status).await });
        }
    }
}
