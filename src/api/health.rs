//! Health per connection: a connection whose grant Salesforce revoked turns
//! `NOT_SERVING` until a token is minted on it again.
//!
//! The gRPC health service answers for `sfgate.connection.<name>` as well as for
//! the services, so an operator's probe (or `grpcurl … grpc.health.v1.Health/Check`)
//! shows which org must be reconnected. The state comes from the connection's token
//! requests, so an action and a trigger's poller find a revoked grant alike.

use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::salesforce::Client;

/// The health service name of a connection.
pub fn service_name(connection: &str) -> String {
    format!("sfgate.connection.{connection}")
}

/// Reports `client`'s connection as serving, then follows its grant for as long as
/// the client lives: `NOT_SERVING` once Salesforce refuses the grant, `SERVING`
/// again once a token is minted.
pub async fn follow(reporter: &HealthReporter, client: &Client) {
    let name = service_name(client.name());
    reporter
        .set_service_status(&name, ServingStatus::Serving)
        .await;
    let mut revoked = client.grant_revoked();
    let (reporter, connection) = (reporter.clone(), client.name().to_owned());
    tokio::spawn(async move {
        // Ends when the client (the sender) is dropped.
        while revoked.changed().await.is_ok() {
            let status = if *revoked.borrow_and_update() {
                tracing::error!(
                    connection,
                    "salesforce revoked the connection's grant: reconnect the org"
                );
                ServingStatus::NotServing
            } else {
                tracing::info!(connection, "connection serving again");
                ServingStatus::Serving
            };
            reporter.set_service_status(&name, status).await;
        }
    });
}
