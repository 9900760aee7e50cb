//! A careless operator: configuration that must never be silently ignored (issue 13 item 8).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use sfgate::caller::{ApiKey, Caller, Permission};
use sfgate::pb::ExecuteSoqlQueryRequest;
use sfgate::sandbox::SandboxConfig;
use tokio::process::Command;
use tonic::Code;
use tonic_types::StatusExt;

use crate::common::{self, authed, with_key};

/// Runs `sfgate` with `args` and `env` (on a clean environment but for PATH and HOME);
/// returns whether it succeeded and what it printed. Each run here ends on its own.
async fn sfgate(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sfgate"));
    command
        .args(args)
        .env_clear()
        .envs(std::env::vars().filter(|(k, _)| k == "PATH" || k == "HOME"))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("sfgate exits on its own")
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A connection to a closed loopback port (nothing logs in) and a key for it.
const CONNECTION: &str = r#"
[connections.conn_a]
login_url = "http://127.0.0.1:9"
api_version = "62.0"
flow = "client_credentials"
client_id = "id"
client_secret_env = "CONN_A_SECRET"
"#;

#[tokio::test]
async fn misspelt_or_dangling_sfgate_variables_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "sfgate.toml", CONNECTION);
    for (var, names) in [
        (
            "SFGATE_CONNECTIONS__CONN_A__CLIENT_SECRET_FLIE",
            "did you mean SFGATE_CONNECTIONS__CONN_A__CLIENT_SECRET_FILE",
        ),
        (
            "SFGATE_CONNECTIONS__CONN_A__API_VERSON",
            "did you mean SFGATE_CONNECTIONS__CONN_A__API_VERSION",
        ),
        (
            "SFGATE_CONNECTIONS__CONN_B__API_VERSION",
            "names no connection",
        ),
    ] {
        let (ok, out) = sfgate(
            &["serve", "--config", &config],
            &[("CONN_A_SECRET", "s"), (var, "x")],
        )
        .await;
        assert!(!ok, "{var}: {out}");
        assert!(out.contains(var) && out.contains(names), "{var}: {out}");
    }
    // Without a configuration file, an override of one is refused too.
    let (ok, out) = sfgate(&["serve"], &[("SFGATE_DEFAULT_TIMEOUT_MS", "5000")]).await;
    assert!(!ok, "{out}");
    assert!(out.contains("SFGATE_DEFAULT_TIMEOUT_MS"), "{out}");
}

#[tokio::test]
async fn an_unusable_jwt_private_key_refuses_to_start_naming_connection_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "key.pem",
        "-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n",
    );
    let config = write(
        dir.path(),
        "sfgate.toml",
        r#"
[connections.acme-jwt]
login_url = "https://acme.my.salesforce.com"
api_version = "62.0"
flow = "jwt_bearer"
client_id = "id"
username = "u@acme.example"
private_key_file = "key.pem"
"#,
    );
    for command in ["serve", "check"] {
        let (ok, out) = sfgate(&[command, "--config", &config], &[]).await;
        assert!(!ok, "{command}: {out}");
        assert!(
            out.contains("connections.acme-jwt.private_key_file")
                && out.contains("not a usable RSA private key"),
            "{command}: {out}"
        );
        assert!(!out.contains("bm9wZQ"), "never the key: {out}");
    }
}

#[tokio::test]
async fn the_listen_flag_gets_the_same_refusal_as_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "sfgate.toml", "[sandbox]\nenabled = true\n");
    let (ok, out) = sfgate(
        &["serve", "--config", &config, "--listen", "0.0.0.0:0"],
        &[],
    )
    .await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("sandbox.enabled") && out.contains("--listen"),
        "{out}"
    );
    let (ok, out) = sfgate(
        &["serve", "--config", &config],
        &[("SFGATE_LISTEN", "0.0.0.0:0")],
    )
    .await;
    assert!(!ok, "{out}");
    assert!(out.contains("sandbox.enabled"), "{out}");
}

#[tokio::test]
async fn rust_log_is_read_and_sfgate_log_wins() {
    let (ok, out) = sfgate(&["serve"], &[("RUST_LOG", "info,[[[")]).await;
    assert!(!ok, "{out}");
    assert!(out.contains("RUST_LOG is not a log filter"), "{out}");
    let (ok, out) = sfgate(&["serve"], &[("SFGATE_LOG", "sfgate=[[[")]).await;
    assert!(!ok, "{out}");
    assert!(out.contains("SFGATE_LOG is not a log filter"), "{out}");
    // SFGATE_LOG is read first: a broken RUST_LOG no longer matters (hash-key exits at once).
    let (ok, out) = sfgate(
        &["hash-key", "k"],
        &[("SFGATE_LOG", "warn"), ("RUST_LOG", "[[[")],
    )
    .await;
    assert!(ok, "{out}");
}

#[tokio::test]
async fn connections_without_api_keys_are_named_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "sfgate.toml", CONNECTION);
    // `check` fails the login (nothing listens on port 9) but says it first.
    let (_, out) = sfgate(&["check", "--config", &config], &[("CONN_A_SECRET", "s")]).await;
    assert!(
        out.contains("no [api_keys] configured") && out.contains("conn_a"),
        "{out}"
    );
}

#[tokio::test]
async fn default_timeout_applies_only_without_a_deadline_and_max_timeout_caps_the_callers() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.default_timeout = Duration::from_millis(300);
        gateway.max_timeout = Duration::from_millis(1500);
    })
    .await;
    gw.sandbox.faults().update(|f| f.latency_ms = 700);
    let mut client = gw.client().await;
    let lookup = || {
        authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Contact LIMIT 1".into(),
            ..Default::default()
        })
    };
    // No deadline: the default, 300 ms.
    let started = Instant::now();
    let err = client.execute_soql_query(lookup()).await.unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(650));
    // A caller's 5 s deadline is honoured (up to the 1.5 s ceiling): the 700 ms call succeeds.
    let mut request = lookup();
    request.set_timeout(Duration::from_secs(5));
    client
        .execute_soql_query(request)
        .await
        .expect("a caller's longer deadline is not cut to the default");
    // Past the ceiling, the ceiling.
    gw.sandbox.faults().update(|f| f.latency_ms = 3000);
    let mut request = lookup();
    request.set_timeout(Duration::from_secs(10));
    let started = Instant::now();
    let err = client.execute_soql_query(request).await.unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_millis(2500),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_key_with_several_connections_and_no_default_is_asked_for_connection() {
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        gateway.api_keys.push(ApiKey::from_plain(
            "roaming-secret",
            Caller {
                key_name: "roaming".into(),
                connections: None,
                default_connection: String::new(),
                permissions: BTreeSet::from([Permission::Query]),
            },
        ));
    })
    .await;
    let mut client = gw.client().await;
    let err = client
        .execute_soql_query(with_key(
            ExecuteSoqlQueryRequest {
                query: "SELECT Id FROM Contact LIMIT 1".into(),
                ..Default::default()
            },
            "roaming-secret",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    let bad = err.get_details_bad_request().expect("BadRequest");
    assert_eq!(bad.field_violations[0].field, "connection");
    assert_eq!(
        err.get_details_error_info().unwrap().reason,
        "CONNECTION_REQUIRED"
    );
}
