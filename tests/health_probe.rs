//! `sfgate health` end to end: the built binary probes gateways over real sockets — a
//! healthy one, a stopped one, one whose connection's grant was revoked, one that never
//! answers — and exits with the documented code (src/health_probe.rs) and a one-line
//! reason.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::authed;
use sfgate::assembly::embedded;
use sfgate::pb::ExecuteSoqlQueryRequest;
use sfgate::salesforce::{AuthFlow, Client, ConnectionConfig, Secret};
use sfgate::sandbox::SandboxConfig;

/// What one run of `sfgate health` did.
#[derive(Debug)]
struct Probe {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `sfgate health ARGS` with no `SFGATE_*` variable but those in `env`.
async fn health(args: &[&str], env: &[(&str, &str)]) -> Probe {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sfgate"));
    command.arg("health").args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("SFGATE_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("sfgate health ends")
        .expect("sfgate health runs");
    Probe {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// An address nothing listens on: bound, then released.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_gateway_exits_0_with_a_line_per_service() {
    let gw = common::start().await;
    let addr = gw.addr.to_string();

    let probe = health(&[&addr], &[]).await;
    assert_eq!(probe.code, 0, "{probe:?}");
    assert_eq!(probe.stdout, "server: SERVING\n");
    assert_eq!(probe.stderr, "");

    // Every connection of the embedded default (no configuration file: `sandbox`), a
    // service, and the same connection named twice (probed once).
    let probe = health(
        &[
            &addr,
            "--all-connections",
            "--connection",
            "sandbox",
            "--service",
            "sfgate.v1.TriggerService",
        ],
        &[],
    )
    .await;
    assert_eq!(probe.code, 0, "{probe:?}");
    assert_eq!(
        probe.stdout,
        "server: SERVING\nsfgate.v1.TriggerService: SERVING\nsfgate.connection.sandbox: SERVING\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_comes_from_sfgate_listen_then_the_configuration_file() {
    let gw = common::start().await;
    let port = gw.addr.port();

    // A container's listen address, 0.0.0.0, is probed on loopback.
    let listen = format!("0.0.0.0:{port}");
    let probe = health(&[], &[("SFGATE_LISTEN", &listen)]).await;
    assert_eq!(probe.code, 0, "{probe:?}");

    // No ADDR, no SFGATE_LISTEN: the file's [server] listen. Its connections are what
    // --all-connections probes: `acme` is not this gateway's, so it is an unknown service.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sfgate.toml");
    std::fs::write(
        &file,
        format!("[server]\nlisten = \"127.0.0.1:{port}\"\n[connections.acme]\nflow = \"client_credentials\"\n"),
    )
    .unwrap();
    let config = file.to_str().unwrap();
    let probe = health(&["--config", config], &[]).await;
    assert_eq!(probe.code, 0, "{probe:?}");
    let probe = health(&["--all-connections"], &[("SFGATE_CONFIG", config)]).await;
    assert_eq!(probe.code, 4, "{probe:?}");
    assert_eq!(probe.stdout, "server: SERVING\n");
    assert_eq!(
        probe.stderr,
        format!(
            "error: sfgate.connection.acme at 127.0.0.1:{port}: unknown service (the gateway does not report it: check the name)\n"
        )
    );
    // The file's embedded sandbox, turned on by the environment, is `sandbox`: served here.
    let probe = health(
        &["--all-connections", "--connection", "sandbox"],
        &[
            ("SFGATE_CONFIG", config),
            ("SFGATE_SANDBOX_ENABLED", "true"),
        ],
    )
    .await;
    assert_eq!(probe.code, 4, "acme is still unknown: {probe:?}");
    assert!(probe.stdout.contains("sfgate.connection.sandbox: SERVING"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_gateway_exits_3_saying_it_cannot_be_reached() {
    let gw = common::start().await;
    let addr = gw.addr.to_string();
    assert_eq!(health(&[&addr], &[]).await.code, 0);
    gw.shutdown().await;

    let probe = health(&[&addr, "--connection", "sandbox"], &[]).await;
    assert_eq!(probe.code, 3, "{probe:?}");
    assert_eq!(probe.stdout, "");
    assert_eq!(probe.stderr.lines().count(), 1, "one line: {probe:?}");
    assert!(
        probe
            .stderr
            .starts_with(&format!("error: cannot reach {addr}: "))
            && probe.stderr.contains("Connection refused"),
        "{probe:?}"
    );

    // A port nothing listens on: the same.
    let addr = closed_port().await.to_string();
    let probe = health(&[&addr], &[]).await;
    assert_eq!(probe.code, 3, "{probe:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_exits_3_within_the_timeout() {
    // Accepts connections and reads nothing: the HTTP/2 handshake never completes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let held = Arc::new(Mutex::new(Vec::new()));
    let holder = held.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            holder.lock().unwrap().push(socket);
        }
    });

    let probe = health(&[&addr, "--timeout-ms", "300"], &[]).await;
    assert_eq!(probe.code, 3, "{probe:?}");
    assert_eq!(
        probe.stderr,
        format!("error: no answer from {addr} within 300 ms\n")
    );
    assert!(!held.lock().unwrap().is_empty(), "the probe did connect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_whose_grant_was_revoked_exits_1_while_the_server_still_serves() {
    let refresh_token = Arc::new(Mutex::new(String::new()));
    let issued = refresh_token.clone();
    let gw = common::start_custom(SandboxConfig::default(), |gateway, addr, sandbox| {
        let token = sandbox.auth().issue_refresh_token();
        *issued.lock().unwrap() = token.clone();
        let c = ConnectionConfig {
            auth: AuthFlow::RefreshToken {
                client_id: "sandbox".into(),
                client_secret: None,
                refresh_token: Secret::new(token),
            },
            ..embedded::connection_config(addr, "sandbox", "sandbox")
        };
        gateway.connections.insert(
            sfgate::config::SANDBOX_CONNECTION.into(),
            Client::new(c, sfgate::assembly::http_client()),
        );
    })
    .await;
    let addr = gw.addr.to_string();
    let probe = health(&[&addr, "--connection", "sandbox"], &[]).await;
    assert_eq!(probe.code, 0, "{probe:?}");

    let mut client = gw.client().await;
    let query = || {
        authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Contact LIMIT 1".into(),
            ..Default::default()
        })
    };
    client.execute_soql_query(query()).await.unwrap();
    let token = refresh_token.lock().unwrap().clone();
    assert!(gw.sandbox.auth().revoke(&token), "the token was known");
    let err = client.execute_soql_query(query()).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated, "{err:?}");

    // The health service hears of it from a spawned task: a few probes at most.
    let mut probe = health(&[&addr, "--connection", "sandbox"], &[]).await;
    for _ in 0..20 {
        if probe.code != 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        probe = health(&[&addr, "--connection", "sandbox"], &[]).await;
    }
    assert_eq!(probe.code, 1, "{probe:?}");
    assert_eq!(probe.stdout, "server: SERVING\n");
    assert_eq!(
        probe.stderr,
        format!("error: sfgate.connection.sandbox at {addr}: NOT_SERVING\n")
    );
    // The whole server still serves: a container health check does not restart it.
    let probe = health(&[&addr], &[]).await;
    assert_eq!(probe.code, 0, "{probe:?}");
    assert!(!probe.stderr.contains(&token) && !probe.stdout.contains(&token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_exit_2_naming_what_is_wrong() {
    for (args, env, says) in [
        (
            vec!["http://127.0.0.1:50051"],
            vec![],
            "ADDR \"http://127.0.0.1:50051\"",
        ),
        (vec!["127.0.0.1"], vec![], "ADDR \"127.0.0.1\""),
        (
            vec!["--connection", "acme corp"],
            vec![],
            "--connection \"acme corp\"",
        ),
        (
            vec![],
            vec![("SFGATE_LISTEN", "localhost")],
            "SFGATE_LISTEN=\"localhost\"",
        ),
        (
            vec!["--config", "/nonexistent/sfgate.toml"],
            vec![],
            "/nonexistent/sfgate.toml",
        ),
        (vec!["--timeout-ms", "0"], vec![], "--timeout-ms"),
    ] {
        let probe = health(&args, &env).await;
        assert_eq!(probe.code, 2, "{args:?}: {probe:?}");
        assert!(probe.stderr.contains(says), "{args:?}: {probe:?}");
        assert_eq!(probe.stdout, "", "{args:?}");
    }
}
