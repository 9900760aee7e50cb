//! Request messages that do not decode: `INVALID_ARGUMENT` naming the field, never
//! `INTERNAL` (issue 13 item 5).

use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use sfgate::assembly::embedded;
use sfgate::pb::{CreateObjectRequest, ExecuteSoqlQueryRequest};
use tonic::Code;
use tonic_types::StatusExt;

use crate::common::{self, fields};
use crate::stalled::{h2_connection, status_of};

/// Sends `body` (already framed, or not) to `path` and ends the stream; the answer's status.
async fn send(addr: std::net::SocketAddr, path: &str, body: Vec<u8>) -> tonic::Status {
    let mut h2 = h2_connection(addr).await;
    let request = http::Request::post(format!("http://localhost{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {}", embedded::API_KEY))
        .body(())
        .unwrap();
    h2 = h2.ready().await.unwrap();
    let (response, mut stream) = h2.send_request(request, body.is_empty()).unwrap();
    if !body.is_empty() {
        stream.send_data(Bytes::from(body), true).unwrap();
    }
    status_of(response, Duration::from_secs(5)).await
}

/// A gRPC frame: no compression, the length, the bytes.
fn framed(message: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

fn assert_malformed(what: &str, status: &tonic::Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
    assert_eq!(
        status.get_details_error_info().map(|i| i.reason),
        Some("MALFORMED_REQUEST".to_owned()),
        "{what}"
    );
    let bad = status.get_details_bad_request().expect("BadRequest");
    assert_eq!(bad.field_violations[0].field, field, "{what}: {status:?}");
    assert!(
        status.message().len() < 300,
        "{what}: short: {}",
        status.message()
    );
}

#[tokio::test]
async fn undecodable_requests_are_invalid_argument_naming_the_field() {
    let gw = common::start().await;
    const CREATE: &str = "/sfgate.v1.SalesforceService/CreateObject";
    const QUERY: &str = "/sfgate.v1.SalesforceService/ExecuteSoqlQuery";

    // A Struct nested 40 deep in `fields`: past prost's recursion limit.
    let mut nested = serde_json::json!({"leaf": 1});
    for _ in 0..40 {
        nested = serde_json::json!({ "a": nested });
    }
    let deep = CreateObjectRequest {
        sobject: "Contact".into(),
        fields: Some(fields(nested)),
        ..Default::default()
    };
    let status = send(gw.addr, CREATE, framed(&deep.encode_to_vec())).await;
    assert_malformed("deep Struct", &status, "fields");

    // Invalid UTF-8 in `sobject` (field 2): tag, length, bytes.
    let bad_utf8 = [0x12, 0x03, 0xff, 0xfe, 0x41];
    let status = send(gw.addr, CREATE, framed(&bad_utf8)).await;
    assert_malformed("invalid UTF-8", &status, "sobject");

    // Truncated bytes inside a whole frame: `query` (field 2) announces 50 bytes, has 6.
    let mut truncated = vec![0x12, 50];
    truncated.extend_from_slice(b"SELECT");
    let status = send(gw.addr, QUERY, framed(&truncated)).await;
    assert_malformed("truncated field", &status, "query");

    // A frame cut short: its prefix announces 100 bytes, 7 arrive, the stream ends.
    let mut cut = vec![0, 0, 0, 0, 100];
    cut.extend_from_slice(&ExecuteSoqlQueryRequest::default().encode_to_vec());
    cut.extend_from_slice(b"\x12\x05SELEC");
    let status = send(gw.addr, QUERY, cut).await;
    assert_malformed("cut frame", &status, "request");

    // No message at all, and a compressed flag without a grpc-encoding.
    let status = send(gw.addr, QUERY, Vec::new()).await;
    assert_malformed("no message", &status, "request");
    let mut compressed = framed(b"");
    compressed[0] = 1;
    let status = send(gw.addr, QUERY, compressed).await;
    assert_malformed("compressed flag", &status, "request");

    // Health speaks tonic's own codec: its decode errors are reworded too.
    // `service` (field 1) with invalid UTF-8.
    let status = send(
        gw.addr,
        "/grpc.health.v1.Health/Check",
        framed(&[0x0a, 0x02, 0xff, 0xfe]),
    )
    .await;
    assert_malformed("health", &status, "service");
}
