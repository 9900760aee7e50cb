//! Connections end to end against sandbox orgs: every OAuth flow, the shared token
//! cache under load and revocation, refused logins, tenant separation, and logs
//! that never carry a secret.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{authed, fields, str_field, with_key};
use serde_json::json;
use sfgate::assembly::{self, embedded};
use sfgate::caller::{ApiKey, Caller, Permission};
use sfgate::config::Config;
use sfgate::config::SANDBOX_CONNECTION;
use sfgate::pb::*;
use sfgate::salesforce::{AuthFlow, Client, ConnectionConfig, Secret};
use sfgate::sandbox::{self, SandboxConfig};
use sfgate::triggers::TriggerConfig;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_types::StatusExt;

/// A private key and its self-signed certificate, made with the openssl CLI.
fn rsa_key_and_certificate() -> (String, String) {
    let dir = std::env::temp_dir().join(format!(
        "sfgate-jwt-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=sfgate-test",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command line is installed (.ci/run installs it)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let pair = (
        std::fs::read_to_string(&key).unwrap(),
        std::fs::read_to_string(&cert).unwrap(),
    );
    std::fs::remove_dir_all(&dir).unwrap();
    pair
}

fn connection(name: &str, addr: std::net::SocketAddr, auth: AuthFlow) -> ConnectionConfig {
    ConnectionConfig {
        name: name.into(),
        login_url: format!("http://{addr}").parse().unwrap(),
        api_version: "62.0".into(),
        auth,
        allowed_hosts: vec!["127.0.0.1".into()],
        limits: Default::default(),
    }
}

#[tokio::test]
async fn every_flow_obtains_a_token_and_queries() {
    let (private_key, certificate) = rsa_key_and_certificate();
    let mut config = SandboxConfig::default();
    config.oauth.jwt_public_key_pem = Some(certificate);
    config.oauth.security_token = "tok3n".into();
    let (addr, org) = sandbox::spawn(config).await.unwrap();
    let http = assembly::http_client();
    let flows = [
        AuthFlow::ClientCredentials {
            client_id: "sandbox".into(),
            client_secret: Secret::new("sandbox"),
        },
        AuthFlow::Password {
            client_id: "sandbox".into(),
            client_secret: Secret::new("sandbox"),
            username: "dev@sandbox.local".into(),
            password: Secret::new("sandbox"),
            security_token: Secret::new("tok3n"),
        },
        AuthFlow::RefreshToken {
            client_id: "sandbox".into(),
            client_secret: None,
            refresh_token: Secret::new(org.auth().issue_refresh_token()),
        },
        AuthFlow::JwtBearer {
            client_id: "sandbox".into(),
            username: "dev@sandbox.local".into(),
            private_key_pem: Secret::new(private_key),
            audience: "https://login.salesforce.com".into(),
        },
        AuthFlow::AccessToken {
            access_token: Secret::new(org.auth().issue_session()),
            instance_url: format!("http://{addr}").parse().unwrap(),
        },
    ];
    for (i, flow) in flows.into_iter().enumerate() {
        let client = Client::new(connection(&format!("flow{i}"), addr, flow), http.clone());
        let token = client
            .token()
            .await
            .unwrap_or_else(|e| panic!("flow {i}: {e}"));
        assert_eq!(token.instance_url.as_str(), format!("http://{addr}/"));
        let page = client
            .query("SELECT Id FROM Contact LIMIT 1", false, None)
            .await
            .unwrap();
        assert_eq!(page.total_size, 1, "flow {i}");
    }
}

#[tokio::test]
async fn a_hundred_concurrent_calls_on_a_cold_connection_cost_one_token_request() {
    let gw = common::start().await;
    let client = gw.client().await;
    let calls = (0..100).map(|_| {
        let mut client = client.clone();
        tokio::spawn(async move {
            client
                .execute_soql_query(authed(ExecuteSoqlQueryRequest {
                    query: "SELECT Id FROM Contact LIMIT 1".into(),
                    ..Default::default()
                }))
                .await
        })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().expect("every call succeeds");
    }
    assert_eq!(gw.sandbox.requests().token, 1);
}

#[tokio::test]
async fn revoking_the_token_mid_traffic_fails_no_call_and_costs_one_token_request() {
    let gw = common::start().await;
    let client = gw.client().await;
    let sandbox = gw.sandbox.clone();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let mut client = client.clone();
            let sandbox = sandbox.clone();
            tokio::spawn(async move {
                for i in 0..40 {
                    if w == 0 && i == 20 {
                        sandbox.auth().revoke_all();
                    }
                    client
                        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
                            query: "SELECT Id FROM Contact LIMIT 1".into(),
                            ..Default::default()
                        }))
                        .await
                        .expect("no call fails");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    assert_eq!(
        gw.sandbox.requests().token,
        2,
        "the first login and exactly one after the revocation"
    );
}

#[tokio::test]
async fn a_wrong_secret_fails_check_with_a_clear_report() {
    let (addr, _org) = sandbox::spawn(SandboxConfig::default()).await.unwrap();
    let toml = format!(
        r#"
[connections.good]
login_url = "http://{addr}"
api_version = "62.0"
allowed_hosts = ["127.0.0.1"]
flow = "client_credentials"
client_id = "sandbox"
client_secret_env = "GOOD_SECRET"

[connections.bad]
login_url = "http://{addr}"
api_version = "62.0"
allowed_hosts = ["127.0.0.1"]
flow = "client_credentials"
client_id = "sandbox"
client_secret_env = "BAD_SECRET"
"#
    );
    let env: HashMap<&str, &str> =
        HashMap::from([("GOOD_SECRET", "sandbox"), ("BAD_SECRET", "wr0ng-s3cret")]);
    let config =
        Config::from_toml(&toml, "test.toml", &PathBuf::from("."), &env).expect("valid file");
    let started = std::time::Instant::now();
    let report = sfgate::assembly::check(&config).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "no hang"
    );
    assert!(!report.is_ok());
    let text = report.to_string();
    assert!(text.contains("good") && text.contains("bad"), "{text}");
    assert!(
        text.contains("invalid_client"),
        "the report says why: {text}"
    );
    assert!(!text.contains("wr0ng-s3cret"), "never the secret: {text}");
}

#[tokio::test]
async fn two_orgs_never_see_each_others_records() {
    let (other_addr, _other) = sandbox::spawn(SandboxConfig::default()).await.unwrap();
    let both = "both-orgs-key";
    let only_a = "org-a-key";
    let gw = common::start_custom(SandboxConfig::default(), |gateway, _, _| {
        let b = embedded::connection_config(other_addr, "sandbox", "sandbox");
        let b = ConnectionConfig {
            name: "other".into(),
            ..b
        };
        gateway
            .connections
            .insert("other".into(), Client::new(b, assembly::http_client()));
        let caller = |name: &str, conns: &[&str]| Caller {
            key_name: name.into(),
            connections: Some(
                conns
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect::<BTreeSet<_>>(),
            ),
            default_connection: SANDBOX_CONNECTION.into(),
            permissions: Permission::ALL.into_iter().collect(),
        };
        gateway.api_keys.push(ApiKey::from_plain(
            both,
            caller("both", &["sandbox", "other"]),
        ));
        gateway
            .api_keys
            .push(ApiKey::from_plain(only_a, caller("a", &["sandbox"])));
    })
    .await;
    let mut client = gw.client().await;
    let id = client
        .create_object(with_key(
            CreateObjectRequest {
                sobject: "Contact".into(),
                fields: Some(fields(json!({"LastName": "OnlyInA"}))),
                ..Default::default()
            },
            both,
        ))
        .await
        .unwrap()
        .into_inner()
        .id;
    let find = |connection: &str| ExecuteSoqlQueryRequest {
        connection: connection.into(),
        query: "SELECT Id FROM Contact WHERE LastName = 'OnlyInA'".into(),
        ..Default::default()
    };
    let in_a = client
        .execute_soql_query(with_key(find("sandbox"), both))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(str_field(&in_a.records[0], "Id"), Some(id.as_str()));
    let in_b = client
        .execute_soql_query(with_key(find("other"), both))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_b.total_size, 0, "org B never sees org A's record");
    let err = client
        .execute_soql_query(with_key(find("other"), only_a))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A current-thread runtime, so the thread-local subscriber sees every task's logs.
#[tokio::test(flavor = "current_thread")]
async fn logs_of_a_whole_session_carry_no_secret_or_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut config = SandboxConfig::default();
    config.oauth.client_secret = "cl1ent-s3cret-XYZ".into();
    let gw = common::start_custom(config, |gateway, addr, _| {
        let c = embedded::connection_config(addr, "sandbox", "cl1ent-s3cret-XYZ");
        gateway.connections.insert(
            SANDBOX_CONNECTION.into(),
            Client::new(c, assembly::http_client()),
        );
    })
    .await;
    let mut client = gw.client().await;
    let token = client
        .get_access_token(authed(GetAccessTokenRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .access_token;
    client
        .create_object(authed(CreateObjectRequest {
            sobject: "Contact".into(),
            fields: Some(fields(json!({"LastName": "Logged"}))),
            ..Default::default()
        }))
        .await
        .unwrap();
    gw.sandbox.auth().revoke_all();
    client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Contact LIMIT 1".into(),
            ..Default::default()
        }))
        .await
        .unwrap();
    let bad_secret = common::start_custom(SandboxConfig::default(), |gateway, addr, _| {
        let c = embedded::connection_config(addr, "sandbox", "wr0ng-s3cret-XYZ");
        gateway.connections.insert(
            SANDBOX_CONNECTION.into(),
            Client::new(c, assembly::http_client()),
        );
    })
    .await;
    let mut bad = bad_secret.client().await;
    let _ = bad
        .get_access_token(authed(GetAccessTokenRequest::default()))
        .await
        .unwrap_err();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.len() > 1000,
        "the session was logged at trace level ({} bytes)",
        logs.len()
    );
    for secret in [
        "cl1ent-s3cret-XYZ",
        "wr0ng-s3cret-XYZ",
        token.as_str(),
        "Bearer sandbox",
    ] {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs");
    }
}

/// A gateway whose connection logs in with a refresh token the sandbox issued (returned,
/// so a test can revoke it), polling triggers every 100 ms, and a health client.
async fn refresh_token_gateway() -> (
    common::Gateway,
    String,
    HealthClient<tonic::transport::Channel>,
) {
    let refresh_token = Arc::new(Mutex::new(String::new()));
    let issued = refresh_token.clone();
    // The sandbox's daily budget is raised so the pollers poll at their own pace.
    let org = SandboxConfig {
        daily_api_limit: 1_000_000_000,
        ..SandboxConfig::default()
    };
    let gw = common::start_custom(org, |gateway, addr, sandbox| {
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
            SANDBOX_CONNECTION.into(),
            Client::new(c, assembly::http_client()),
        );
        gateway.triggers = TriggerConfig {
            poll_interval: Duration::from_millis(100),
            min_interval: Duration::from_millis(100),
            max_interval: Duration::from_millis(200),
            overlap: Duration::from_secs(1),
            api_share: 1.0,
            ..TriggerConfig::default()
        };
    })
    .await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", gw.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let token = refresh_token.lock().unwrap().clone();
    (gw, token, HealthClient::new(channel))
}

/// The health status of `service` (`""`: the whole server).
async fn health_of(health: &HealthClient<tonic::transport::Channel>, service: &str) -> i32 {
    health
        .clone()
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
}

/// Waits up to `within` for the connection's health to read `want`; returns what it read last.
async fn connection_health_becomes(
    health: &HealthClient<tonic::transport::Channel>,
    want: ServingStatus,
    within: Duration,
) -> i32 {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let status = health_of(health, "sfgate.connection.sandbox").await;
        if status == want as i32 || tokio::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_revoked_refresh_token_says_reconnect_and_turns_the_connection_not_serving() {
    let (gw, token, health) = refresh_token_gateway().await;
    assert_eq!(
        health_of(&health, "sfgate.connection.sandbox").await,
        ServingStatus::Serving as i32
    );

    let mut client = gw.client().await;
    let query = || {
        authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Contact LIMIT 1".into(),
            ..Default::default()
        })
    };
    client.execute_soql_query(query()).await.unwrap();
    assert!(
        gw.sandbox.auth().revoke(&token),
        "the refresh token was known"
    );

    let err = client.execute_soql_query(query()).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated, "{err:?}");
    assert!(err.message().contains("reconnect"), "{}", err.message());
    assert!(!err.message().contains(&token), "never the token");
    let info = err.get_error_details().error_info().cloned().unwrap();
    assert_eq!(info.reason, "CONNECTION_RECONNECT_REQUIRED");
    // The health service hears of it from a spawned task: give it a moment.
    assert_eq!(
        connection_health_becomes(&health, ServingStatus::NotServing, Duration::from_secs(2)).await,
        ServingStatus::NotServing as i32
    );
    assert_eq!(
        health_of(&health, "").await,
        ServingStatus::Serving as i32,
        "other connections still serve: the process stays up"
    );
}

#[tokio::test]
async fn a_grant_revoked_under_a_trigger_alone_turns_the_connection_not_serving() {
    // No action is ever called: only the trigger's poller uses the connection.
    let (gw, token, health) = refresh_token_gateway().await;
    let mut triggers = sfgate::pb::trigger_service_client::TriggerServiceClient::connect(format!(
        "http://{}",
        gw.addr
    ))
    .await
    .unwrap();
    let mut stream = triggers
        .subscribe(authed(SubscribeRequest {
            trigger: Some(subscribe_request::Trigger::NewContact(
                NewContactTrigger::default(),
            )),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health_of(&health, "sfgate.connection.sandbox").await,
        ServingStatus::Serving as i32
    );
    assert!(
        gw.sandbox.auth().revoke(&token),
        "the refresh token was known"
    );

    assert_eq!(
        connection_health_becomes(&health, ServingStatus::NotServing, Duration::from_secs(5)).await,
        ServingStatus::NotServing as i32,
        "the poller's refused token request reaches the connection's health"
    );
    // Upstream trouble never ends a stream: it is still open (nothing to read yet).
    let next = tokio::time::timeout(Duration::from_millis(300), stream.message()).await;
    assert!(
        !matches!(next, Ok(Ok(None)) | Ok(Err(_))),
        "the stream stays open: {next:?}"
    );
}

#[tokio::test]
async fn a_token_is_re_minted_ahead_of_the_session_lifetime_without_making_callers_wait() {
    // Long enough that a loaded machine still makes the call between 90% and 100%.
    let lifetime = std::time::Duration::from_secs(4);
    let gw = common::start_custom(SandboxConfig::default(), |gateway, addr, _| {
        let mut c = embedded::connection_config(addr, "sandbox", "sandbox");
        c.limits.session_lifetime = Some(lifetime);
        gateway.connections.insert(
            SANDBOX_CONNECTION.into(),
            Client::new(c, assembly::http_client()),
        );
    })
    .await;
    let mut client = gw.client().await;
    let token = || authed(GetAccessTokenRequest::default());
    let first = client.get_access_token(token()).await.unwrap().into_inner();
    assert_eq!(gw.sandbox.requests().token, 1);

    // Past 90% of the lifetime: the call gets the current token at once, and a new one
    // is minted behind it.
    tokio::time::sleep(lifetime.mul_f64(0.91)).await;
    let during = client.get_access_token(token()).await.unwrap().into_inner();
    assert_eq!(
        during.access_token, first.access_token,
        "the caller did not wait for the new token"
    );
    let mut requests = 0;
    for _ in 0..200 {
        requests = gw.sandbox.requests().token;
        if requests == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(requests, 2, "one token request ahead of the lifetime");
    let after = client.get_access_token(token()).await.unwrap().into_inner();
    assert_ne!(after.access_token, first.access_token);
    client
        .execute_soql_query(authed(ExecuteSoqlQueryRequest {
            query: "SELECT Id FROM Contact LIMIT 1".into(),
            ..Default::default()
        }))
        .await
        .expect("the new token works");
    assert_eq!(gw.sandbox.requests().token, 2, "and is reused");

    // Idle past the whole lifetime: the next call fetches before using a token.
    tokio::time::sleep(lifetime.mul_f64(1.05)).await;
    let late = client.get_access_token(token()).await.unwrap().into_inner();
    assert_ne!(late.access_token, after.access_token);
    assert_eq!(gw.sandbox.requests().token, 3);
}
