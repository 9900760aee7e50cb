//! The org's OAuth 2.0 side: the token endpoint, revocation and the sessions
//! (access tokens) that the REST routes check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

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
    // std Mutex: held only for map operations, never across an await.
    sessions: Mutex<HashMap<String, SessionEntry>>,
}

struct SessionEntry {
    session: Session,
    last_used: Instant,
}

impl std::fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServer")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl AuthServer {
    /// A server with no sessions yet.
    pub fn new(config: OAuthConfig) -> Self {
        AuthServer {
            inner: Arc::new(Inner {
                config,
                sessions: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The OAuth routes under `/services/oauth2/`. `instance_url` is the org's own
    /// base URL, returned in token responses.
    pub fn router(&self, instance_url: String) -> axum::Router {
        let _ = instance_url;
        axum::Router::new()
    }

    /// Mints a session directly, as a login would.
    pub fn issue_session(&self) -> String {
        use rand::distr::{Alphanumeric, SampleString};
        let org15 = &self.inner.config.org_id[..15];
        let token = format!(
            "{org15}!{}",
            Alphanumeric.sample_string(&mut rand::rng(), 96)
        );
        let entry = SessionEntry {
            session: Session {
                user_id: self.inner.config.user_id.clone(),
            },
            last_used: Instant::now(),
        };
        self.sessions().insert(token.clone(), entry);
        token
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
        let mut sessions = self.sessions();
        let now = Instant::now();
        match sessions.get_mut(token) {
            Some(e) if now.duration_since(e.last_used) < self.inner.config.idle_timeout => {
                e.last_used = now;
                Ok(e.session.clone())
            }
            Some(_) => {
                sessions.remove(token);
                Err(AuthFailure::InvalidSession)
            }
            None => Err(AuthFailure::InvalidSession),
        }
    }

    /// Revokes one access token; false if it was not known.
    pub fn revoke(&self, token: &str) -> bool {
        self.sessions().remove(token).is_some()
    }

    /// Revokes every access token, as an admin ending all sessions would.
    pub fn revoke_all(&self) {
        self.sessions().clear();
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionEntry>> {
        // A panic while holding the lock cannot leave the map half-updated, so a
        // poisoned lock is still safe to use.
        self.inner
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
