//! The zero-configuration default: a sandbox org in-process on a loopback port, a
//! connection named [`SANDBOX_CONNECTION`] pointed at it over HTTP, and the documented API
//! key `sandbox`. The org's Pub/Sub API (its Change Data Capture events) listens on another
//! ephemeral loopback port; the gateway does not use it yet.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use crate::caller::{ApiKey, Caller, Permission};
use crate::config::{PageTokenKey, SANDBOX_CONNECTION};
use crate::limits::{self, Limits, RateLimit};
use crate::salesforce::{AuthFlow, Client, ConnectionConfig, Secret};
use crate::sandbox::{self, Sandbox, SandboxConfig};
use crate::server::Gateway;
use crate::triggers::TriggerConfig;

/// The API key callers of the embedded default send (`authorization: Bearer sandbox`).
/// Accepted only while the gateway listens on loopback.
pub const API_KEY: &str = "sandbox";
/// The Salesforce API version the embedded connection uses.
pub const API_VERSION: &str = "62.0";

/// A running sandbox org and a gateway configuration pointed at it.
#[derive(Debug)]
pub struct Embedded {
    /// The sandbox org's handle (faults, counters, sessions).
    pub sandbox: Sandbox,
    /// Where the sandbox org listens.
    pub sandbox_addr: SocketAddr,
    /// Where the sandbox org's Pub/Sub API (`eventbus.v1.PubSub`, plaintext) listens.
    pub pubsub_addr: SocketAddr,
    /// The gateway's connections and keys.
    pub gateway: Gateway,
}

/// Starts a sandbox org on an ephemeral loopback port and returns a gateway
/// configured for it.
pub async fn start(config: SandboxConfig) -> std::io::Result<Embedded> {
    let (client_id, client_secret) = (
        config.oauth.client_id.clone(),
        config.oauth.client_secret.clone(),
    );
    let (sandbox_addr, sandbox) = sandbox::spawn(config).await?;
    let pubsub_addr = sandbox.spawn_pubsub().await?;
    let connection = connection_config(sandbox_addr, &client_id, &client_secret);
    let client = Client::new(connection, super::http_client());
    Ok(Embedded {
        sandbox,
        sandbox_addr,
        pubsub_addr,
        gateway: Gateway {
            connections: HashMap::from([(SANDBOX_CONNECTION.to_owned(), client)]),
            api_keys: vec![api_key()],
            default_timeout: limits::DEFAULT_TIMEOUT,
            max_timeout: limits::MAX_TIMEOUT,
            limits: limits(),
            triggers: triggers(),
            transport: Default::default(),
            page_token_key: PageTokenKey::generate(),
        },
    })
}

/// The trigger settings of the zero-configuration default: the sandbox shares this
/// host's clock and commits every create at once (unless its late-commit fault is
/// switched on), so a 1 s settle delay is safe; its API budget is nobody else's, so
/// pollers may use all of it (100,000 requests a day: one poll every 0.9 s); and an
/// idle poller slows to 5 s at most. A new record reaches a subscriber within
/// about 2 to 7 s.
pub fn triggers() -> TriggerConfig {
    TriggerConfig {
        poll_interval: Duration::from_secs(2),
        min_interval: Duration::from_secs(1),
        max_interval: Duration::from_secs(5),
        overlap: Duration::from_secs(1),
        api_share: 1.0,
        ..TriggerConfig::default()
    }
}

/// The [`SANDBOX_CONNECTION`] to a sandbox org at `addr`, logging in with the
/// client credentials flow.
pub fn connection_config(
    addr: SocketAddr,
    client_id: &str,
    client_secret: &str,
) -> ConnectionConfig {
    ConnectionConfig {
        name: SANDBOX_CONNECTION.to_owned(),
        login_url: reqwest::Url::parse(&format!("http://{addr}"))
            // A socket address always makes a valid http URL.
            .expect("an http URL from a socket address"),
        api_version: API_VERSION.to_owned(),
        auth: AuthFlow::ClientCredentials {
            client_id: client_id.to_owned(),
            client_secret: Secret::new(client_secret),
        },
        // The sandbox hands out its own loopback URL as the instance URL.
        allowed_hosts: vec![addr.ip().to_string()],
        limits: Default::default(),
    }
}

/// The default limits, except that the documented key is not rate limited: it is
/// accepted only on loopback, by one local user trying things out, for whom a
/// rate limit would only get in the way of loading sample data.
pub fn limits() -> Limits {
    let mut limits = Limits::default();
    limits
        .rate_limits
        .insert(API_KEY.to_owned(), RateLimit::Unlimited);
    limits
}

/// The documented key `sandbox`, with every permission on the `sandbox` connection.
pub fn api_key() -> ApiKey {
    ApiKey::from_plain(
        API_KEY,
        Caller {
            key_name: API_KEY.to_owned(),
            connections: Some(BTreeSet::from([SANDBOX_CONNECTION.to_owned()])),
            default_connection: SANDBOX_CONNECTION.to_owned(),
            permissions: Permission::ALL.into_iter().collect(),
        },
    )
}
