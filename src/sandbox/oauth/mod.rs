//! The org's OAuth 2.0 side: the token endpoint, revocation and the sessions
//! (access tokens) that the REST routes check.
//!
//! Routes (all under the instance URL given to [`AuthServer::router`]):
//! - `POST /services/oauth2/token`: grants `client_credentials` (body or HTTP Basic),
//!   `password`, `refresh_token` and `urn:ietf:params:oauth:grant-type:jwt-bearer`.
//! - `POST|GET /services/oauth2/revoke`: revokes an access or refresh token.
//! - `POST /services/oauth2/introspect` and `GET /services/oauth2/userinfo`.
//!
//! Sandbox conventions that real Salesforce does not have (documented here because
//! clients may rely on them in tests):
//! - The password grant returns a `refresh_token` when the request's `scope` contains
//!   `refresh_token` (real orgs issue refresh tokens only from interactive flows).
//! - JWT assertions may also name the sandbox's own instance URL as `aud`, besides
//!   `https://login.salesforce.com` and `https://test.salesforce.com`.
//! - With no `jwt_public_key_pem` (or one that cannot be read), every JWT grant fails
//!   with `invalid_grant` / `invalid assertion`.
//! - [`AuthServer::revoke_all`] ends sessions but keeps refresh tokens, as an admin
//!   ending sessions does, so clients can recover with a refresh.

mod errors;
mod form;
mod introspect;
mod jwt;
mod revoke;
mod store;
mod token;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_jwt;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use store::{RefreshEntry, SessionEntry};

/// How the sandbox's OAuth side is set up.
#[derive(Clone)]
pub struct OAuthConfig {
    /// The connected app's consumer key (`client_id`).
    pub client_id: String,
    /// The connected app's consumer secret.
    pub client_secret: String,
    /// The one user's username.
    pub username: String,
    /// The user's password (the password flow also accepts it followed by `security_token`).
    pub password: String,
    /// The user's security token, appended to the password in the password flow.
    pub security_token: String,
    /// PEM public key or X.509 certificate that verifies JWT bearer assertions.
    pub jwt_public_key_pem: Option<String>,
    /// How long an unused access token stays valid (Salesforce's idle session timeout).
    pub idle_timeout: Duration,
    /// The 18-character org Id.
    pub org_id: String,
    /// The 18-character Id of the user every token belongs to.
    pub user_id: String,
}

impl std::fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("username", &self.username)
            .field("password", &"***")
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

/// Salesforce's typical default session timeout (the org setting ranges from 15
/// minutes to 24 hours).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);

/// The documented sandbox defaults: client id `sandbox`, client secret `sandbox`,
/// user `dev@sandbox.local` with password `sandbox` and no security token, no JWT
/// key, a 2-hour idle timeout, and fixed, checksum-valid org and user Ids.
impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            client_id: "sandbox".into(),
            client_secret: "sandbox".into(),
            username: "dev@sandbox.local".into(),
            password: "sandbox".into(),
            security_token: String::new(),
            jwt_public_key_pem: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            org_id: "00D000000000001EAA".into(),
            user_id: "005000000000001AAA".into(),
        }
    }
}

/// A valid session, as the REST routes see it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user the token belongs to.
    pub user_id: String,
}

/// Why a request's `Authorization` header was refused (HTTP 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No header, or not `Bearer …` / `OAuth …`: `INVALID_AUTH_HEADER`.
    BadHeader,
    /// Unknown, expired or revoked token: `INVALID_SESSION_ID`.
    InvalidSession,
}

/// The OAuth server and session store. Cheap to clone.
#[derive(Clone)]
pub struct AuthServer {
    inner: Arc<Inner>,
}

struct Inner {
    config: OAuthConfig,
    // Parsed once: the REST side never pays for PEM/DER parsing per request.
    jwt_key: Option<jsonwebtoken::DecodingKey>,
    // std Mutex: held only for map operations, never across an await. Lock order,
    // where both are needed: `refresh` before `sessions`.
    sessions: Mutex<HashMap<String, SessionEntry>>,
    refresh: Mutex<HashMap<String, RefreshEntry>>,
    next_family: AtomicU64,
    token_requests: AtomicU64,
}

/// The scope string of sessions that come with a refresh token.
const SCOPE_WITH_REFRESH: &str = "refresh_token api";
/// The scope string of sessions without one.
const SCOPE_API: &str = "api";

impl std::fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServer")
            .field("config", &self.inner.config)
            .field("jwt_key", &self.inner.jwt_key.is_some())
            .finish_non_exhaustive()
    }
}

impl AuthServer {
    /// A server with no sessions yet.
    pub fn new(config: OAuthConfig) -> Self {
        let jwt_key = config.jwt_public_key_pem.as_deref().and_then(jwt::load_key);
        if config.jwt_public_key_pem.is_some() && jwt_key.is_none() {
            tracing::warn!("sandbox jwt_public_key_pem is not a readable RSA key or certificate");
        }
        AuthServer {
            inner: Arc::new(Inner {
                config,
                jwt_key,
                sessions: Mutex::new(HashMap::new()),
                refresh: Mutex::new(HashMap::new()),
                next_family: AtomicU64::new(1),
                token_requests: AtomicU64::new(0),
            }),
        }
    }

    /// The OAuth routes under `/services/oauth2/`. `instance_url` is the org's own
    /// base URL, returned in token responses.
    pub fn router(&self, instance_url: String) -> axum::Router {
        use axum::routing::{get, post};
        let ctx = Ctx {
            server: self.clone(),
            instance_url: instance_url.trim_end_matches('/').into(),
        };
        axum::Router::new()
            .route("/services/oauth2/token", post(token::handle))
            .route(
                "/services/oauth2/revoke",
                get(revoke::handle).post(revoke::handle),
            )
            .route("/services/oauth2/introspect", post(introspect::introspect))
            .route(
                "/services/oauth2/userinfo",
                get(introspect::userinfo).post(introspect::userinfo),
            )
            .with_state(ctx)
    }

    /// Mints a session directly, as a login would.
    pub fn issue_session(&self) -> String {
        self.insert_session(SCOPE_API, None, &mut self.sessions())
    }

    /// Mints a refresh token directly, as an interactive login with the
    /// `refresh_token` scope would. Use it with the `refresh_token` grant.
    pub fn issue_refresh_token(&self) -> String {
        self.insert_refresh(&mut self.refreshes()).0
    }

    /// How many requests the token endpoint has received (every grant, success or not).
    pub fn token_requests(&self) -> u64 {
        self.inner.token_requests.load(Ordering::Relaxed)
    }

    /// Checks an `Authorization` header value and touches the session's idle timer.
    pub fn authenticate(&self, header: Option<&str>) -> Result<Session, AuthFailure> {
        let token = header
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("OAuth "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthFailure::BadHeader)?;
        self.touch(token).ok_or(AuthFailure::InvalidSession)
    }

    /// Revokes one access token, or one refresh token together with every access
    /// token minted from it; false if it was not known.
    pub fn revoke(&self, token: &str) -> bool {
        let mut refresh = self.refreshes();
        if let Some(entry) = refresh.remove(token) {
            self.sessions()
                .retain(|_, s| s.family != Some(entry.family));
            return true;
        }
        drop(refresh);
        self.sessions().remove(token).is_some()
    }

    /// Revokes every access token, as an admin ending all sessions would. Refresh
    /// tokens stay valid, so clients can get new sessions with them.
    pub fn revoke_all(&self) {
        self.sessions().clear();
    }
}

/// State shared by the OAuth handlers.
#[derive(Clone)]
struct Ctx {
    server: AuthServer,
    instance_url: Arc<str>,
}

/// Wall-clock now in epoch milliseconds (`issued_at` is wall time, not tokio time).
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The identity URL Salesforce returns as `id`.
fn identity_url(config: &OAuthConfig) -> String {
    format!(
        "https://login.salesforce.com/id/{}/{}",
        config.org_id, config.user_id
    )
}
