//! Connections: the cap, the first-request and idle timeouts, keepalive.

use std::time::{Duration, Instant};

use sfgate::sandbox::SandboxConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::common::{self, authed, lookup};
use crate::raw;

async fn gateway(change: impl FnOnce(&mut sfgate::limits::Transport)) -> common::Gateway {
    common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        change(&mut gateway.transport)
    })
    .await
}

#[tokio::test]
async fn connections_that_never_send_a_request_are_closed_after_the_first_request_timeout() {
    let gw = gateway(|t| t.first_request_timeout = Duration::from_millis(300)).await;
    let started = Instant::now();
    // Nothing at all; only the preface; the preface and half a HEADERS frame.
    let mut silent = TcpStream::connect(gw.addr).await.unwrap();
    let mut preface_only = raw::handshake(gw.addr).await;
    let mut half_headers = raw::handshake(gw.addr).await;
    let headers = raw::frame(
        raw::HEADERS,
        raw::END_HEADERS,
        1,
        &raw::grpc_headers("/sfgate.v1.SalesforceService/ExecuteSoqlQuery", "sandbox"),
    );
    half_headers
        .write_all(&headers[..headers.len() / 2])
        .await
        .unwrap();
    for socket in [&mut silent, &mut preface_only, &mut half_headers] {
        raw::read_until_closed(socket, Duration::from_secs(5))
            .await
            .expect("the gateway closes the connection");
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
    // The timeout, plus at most the 2 s a closing connection is given.
    assert!(took < Duration::from_secs(4), "{took:?}");
    // A real client is served all along.
    let mut client = gw.client().await;
    client.execute_soql_query(authed(lookup())).await.unwrap();
}

#[tokio::test]
async fn an_idle_connection_gets_a_goaway_and_is_closed_after_the_idle_timeout() {
    let gw = gateway(|t| t.idle_timeout = Duration::from_secs(1)).await;
    let mut socket = raw::handshake(gw.addr).await;
    let request = raw::frame(
        raw::HEADERS,
        raw::END_HEADERS | raw::END_STREAM,
        1,
        &raw::grpc_headers("/grpc.health.v1.Health/Check", "none"),
    );
    socket.write_all(&request).await.unwrap();
    let started = Instant::now();
    let seen = raw::read_until_closed(&mut socket, Duration::from_secs(6))
        .await
        .expect("closed once idle");
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(seen.contains(&raw::GOAWAY), "a GOAWAY first: {seen:?}");
}

#[tokio::test]
async fn a_client_that_never_answers_pings_is_closed_after_the_keepalive_timeout() {
    let gw = gateway(|t| {
        t.keepalive_interval = Duration::from_secs(1);
        t.keepalive_timeout = Duration::from_millis(500);
    })
    .await;
    let mut socket = raw::handshake(gw.addr).await;
    let request = raw::frame(
        raw::HEADERS,
        raw::END_HEADERS | raw::END_STREAM,
        1,
        &raw::grpc_headers("/grpc.health.v1.Health/Check", "none"),
    );
    socket.write_all(&request).await.unwrap();
    // The idle timeout (300 s) is far away: only the unanswered PING can close it.
    let seen = raw::read_until_closed(&mut socket, Duration::from_secs(6))
        .await
        .expect("closed for not answering pings");
    assert!(seen.contains(&raw::PING), "pinged: {seen:?}");
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once_and_the_rest_keep_being_served() {
    let gw = gateway(|t| t.max_connections = 3).await;
    let mut client = gw.client().await;
    client.execute_soql_query(authed(lookup())).await.unwrap();
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(raw::handshake(gw.addr).await);
    }
    // The fourth: accepted and closed at once.
    let started = Instant::now();
    let mut over = raw::handshake(gw.addr).await;
    raw::read_until_closed(&mut over, Duration::from_secs(1))
        .await
        .expect("closed at once");
    assert!(started.elapsed() < Duration::from_millis(500));
    // The client holding the first connection is still served.
    client.execute_soql_query(authed(lookup())).await.unwrap();
    // One leaves: room for another.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = raw::handshake(gw.addr).await;
    assert!(
        raw::read_until_closed(&mut again, Duration::from_millis(500))
            .await
            .is_err(),
        "kept"
    );
}

#[tokio::test]
async fn a_connection_may_open_at_most_max_concurrent_streams() {
    let gw = gateway(|t| t.max_concurrent_streams = 2).await;
    let tcp = TcpStream::connect(gw.addr).await.unwrap();
    let (_h2, mut connection) = h2::client::handshake(tcp).await.unwrap();
    // Drive the connection until the server's SETTINGS have arrived.
    let _ = tokio::time::timeout(Duration::from_millis(300), &mut connection).await;
    assert_eq!(connection.max_concurrent_send_streams(), 2);
}
