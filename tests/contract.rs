//! The server's contract beyond the actions: health per service, graceful
//! shutdown, and the descriptor set served by reflection.

mod common;

use std::time::Duration;

use common::{authed, lookup};
use prost::Message;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

#[tokio::test]
async fn health_reports_the_server_and_each_service() {
    let gw = common::start().await;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", gw.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel);
    for service in ["", "sfgate.v1.SalesforceService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn shutdown_lets_calls_in_flight_finish() {
    let gw = common::start().await;
    let mut client = gw.client().await;
    client.execute_soql_query(authed(lookup())).await.unwrap();
    gw.sandbox.faults().update(|f| f.latency_ms = 500);
    let in_flight = tokio::spawn(async move { client.execute_soql_query(authed(lookup())).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopped = tokio::time::timeout(Duration::from_secs(5), gw.shutdown()).await;
    assert!(stopped.is_ok(), "shutdown completes");
    let answer = in_flight
        .await
        .unwrap()
        .expect("the call in flight is answered");
    assert_eq!(answer.into_inner().total_size, 1);
}

#[test]
fn the_descriptor_set_holds_both_services_and_their_imports() {
    let set = prost_types::FileDescriptorSet::decode(sfgate::pb::FILE_DESCRIPTOR_SET).unwrap();
    let files: Vec<&str> = set.file.iter().filter_map(|f| f.name.as_deref()).collect();
    for expected in [
        "sfgate/v1/salesforce_service.proto",
        "sfgate/v1/trigger_service.proto",
        "google/protobuf/struct.proto",
        "google/protobuf/timestamp.proto",
    ] {
        assert!(
            files.contains(&expected),
            "{expected} missing from {files:?}"
        );
    }
    let services: Vec<&str> = set
        .file
        .iter()
        .flat_map(|f| f.service.iter().filter_map(|s| s.name.as_deref()))
        .collect();
    assert_eq!(services, ["SalesforceService", "TriggerService"]);
}
