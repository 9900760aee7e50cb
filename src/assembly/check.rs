//! `sfgate check`: after the file has been validated, try each connection's login once, with a
//! timeout, and report one line per connection.

use std::collections::HashMap;
use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::config::Config;
use crate::salesforce::{AuthFlow, Client, ConnectionConfig};

/// How long one login may take before it is reported as timed out.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// The outcome of one connection's login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionCheck {
    /// The connection's name.
    pub connection: String,
    /// `Ok(instance host)` (with a note for a static token, which is only checked against
    /// the allowlist) or `Err(why)`; never holds a secret.
    pub outcome: Result<String, String>,
}

/// What [`check`] found, one entry per connection, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// One entry per configured connection.
    pub connections: Vec<ConnectionCheck>,
}

impl CheckReport {
    /// Whether every login worked (`sfgate check` exits 0 only then).
    pub fn is_ok(&self) -> bool {
        self.connections.iter().all(|c| c.outcome.is_ok())
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .connections
            .iter()
            .map(|c| c.connection.len())
            .max()
            .unwrap_or(0);
        for c in &self.connections {
            match &c.outcome {
                Ok(host) => writeln!(f, "ok    {:width$}  instance {host}", c.connection)?,
                Err(why) => writeln!(f, "FAIL  {:width$}  {why}", c.connection)?,
            }
        }
        let failed = self
            .connections
            .iter()
            .filter(|c| c.outcome.is_err())
            .count();
        write!(
            f,
            "{} connection(s) checked, {failed} failed",
            self.connections.len()
        )
    }
}

/// Tries every configured connection's login concurrently, each within [`CHECK_TIMEOUT`].
/// The embedded sandbox is not among them: it is not running during a check.
pub async fn check(config: &Config) -> CheckReport {
    check_connections(
        config.connection_configs(),
        reqwest::Client::new(),
        CHECK_TIMEOUT,
    )
    .await
}

/// [`check`] with the HTTP client and the timeout given (tests use short ones).
pub async fn check_connections(
    connections: Vec<ConnectionConfig>,
    http: reqwest::Client,
    timeout: Duration,
) -> CheckReport {
    let mut tasks = JoinSet::new();
    let mut names = HashMap::new();
    for conn in connections {
        let http = http.clone();
        let name = conn.name.clone();
        let task = tasks.spawn(async move {
            let connection = conn.name.clone();
            // A static token is not sent anywhere by `token()`: only its instance is checked.
            let note = match conn.auth {
                AuthFlow::AccessToken { .. } => " (static access token: not tried)",
                _ => "",
            };
            let client = Client::new(conn, http);
            let outcome = match tokio::time::timeout(timeout, client.token()).await {
                Ok(Ok(token)) => {
                    let host = token.instance_url.host_str().unwrap_or_default();
                    Ok(format!("{host}{note}"))
                }
                Ok(Err(e)) => Err(chain(&e)),
                Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
            };
            ConnectionCheck {
                connection,
                outcome,
            }
        });
        names.insert(task.id(), name);
    }
    let mut connections = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(check) => connections.push(check),
            // A panic in the client is a bug; the report still lists the others.
            Err(e) => connections.push(ConnectionCheck {
                connection: names.get(&e.id()).cloned().unwrap_or_default(),
                outcome: Err(format!("check task failed: {e}")),
            }),
        }
    }
    connections.sort_by(|a, b| a.connection.cmp(&b.connection));
    CheckReport { connections }
}

/// `error: source: source`, as the client's errors carry no secret at any level.
fn chain(error: &crate::salesforce::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use reqwest::Url;
    use tokio::net::TcpListener;

    use super::*;
    use crate::salesforce::{Secret, UpstreamLimits};
    use crate::sandbox::oauth::{AuthServer, OAuthConfig};

    fn conn(name: &str, login_url: &str, auth: AuthFlow) -> ConnectionConfig {
        ConnectionConfig {
            name: name.to_owned(),
            login_url: Url::parse(login_url).unwrap(),
            api_version: "62.0".to_owned(),
            auth,
            allowed_hosts: vec!["127.0.0.1".to_owned()],
            limits: UpstreamLimits::default(),
        }
    }

    fn password(password: &str) -> AuthFlow {
        AuthFlow::Password {
            client_id: "sandbox".to_owned(),
            client_secret: Secret::new("sandbox"),
            username: "dev@sandbox.local".to_owned(),
            password: Secret::new(password),
            security_token: Secret::default(),
        }
    }

    /// The sandbox's token endpoint on a free loopback port.
    async fn sandbox_login() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = AuthServer::new(OAuthConfig::default()).router(url.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        url
    }

    async fn run(connections: Vec<ConnectionConfig>, timeout: Duration) -> CheckReport {
        check_connections(connections, reqwest::Client::new(), timeout).await
    }

    #[tokio::test]
    async fn good_and_bad_logins_are_reported_per_connection() {
        let login = sandbox_login().await;
        let report = run(
            vec![
                conn("good", &login, password("sandbox")),
                conn("bad", &login, password("wrong-pass-61")),
            ],
            CHECK_TIMEOUT,
        )
        .await;
        assert!(!report.is_ok());
        assert_eq!(report.connections[0].connection, "bad");
        assert!(report.connections[0].outcome.is_err(), "{report}");
        assert_eq!(
            report.connections[1].outcome,
            Ok("127.0.0.1".to_owned()),
            "{report}"
        );
        let text = report.to_string();
        assert!(text.contains("ok    good  instance 127.0.0.1"), "{text}");
        assert!(text.contains("FAIL  bad"), "{text}");
        assert!(
            text.ends_with("2 connection(s) checked, 1 failed"),
            "{text}"
        );
        assert!(!text.contains("wrong-pass-61"), "{text}");
    }

    #[tokio::test]
    async fn a_static_token_passes_when_its_instance_is_allowed() {
        let auth = AuthFlow::AccessToken {
            access_token: Secret::new("tok"),
            instance_url: Url::parse("https://acme.my.salesforce.com").unwrap(),
        };
        let report = run(
            vec![conn("static", "https://login.salesforce.com", auth)],
            CHECK_TIMEOUT,
        )
        .await;
        assert!(report.is_ok(), "{report}");
        assert_eq!(
            report.connections[0].outcome,
            Ok("acme.my.salesforce.com (static access token: not tried)".to_owned())
        );
    }

    #[tokio::test]
    async fn a_silent_login_host_times_out_instead_of_hanging() {
        // Accepts connections and never answers.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let login = format!("http://{}", listener.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let report = run(
            vec![conn("slow", &login, password("p"))],
            Duration::from_millis(300),
        )
        .await;
        held.abort();
        assert_eq!(
            report.connections[0].outcome,
            Err("no answer within 300 ms".to_owned())
        );
    }

    #[tokio::test]
    async fn an_unreachable_login_host_fails() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let login = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let report = run(vec![conn("gone", &login, password("p"))], CHECK_TIMEOUT).await;
        let Err(why) = &report.connections[0].outcome else {
            panic!("{report}")
        };
        assert!(why.contains("could not reach salesforce"), "{why}");
    }
}
