//! The session and refresh-token store behind [`AuthServer`].

use std::collections::HashMap;
use std::sync::MutexGuard;
use std::sync::atomic::Ordering;

use rand::distr::{Alphanumeric, SampleString};
use tokio::time::Instant;

use super::{AuthServer, OAuthConfig, Session, now_ms};

/// One access token's state.
pub(super) struct SessionEntry {
    pub(super) session: Session,
    pub(super) last_used: Instant,
    // Wall-clock issue time in epoch ms, reported by introspection.
    pub(super) issued_at_ms: u64,
    pub(super) scope: &'static str,
    // The refresh token this session was minted under, so revoking that refresh
    // token can end it too (Salesforce revokes "any associated access tokens").
    pub(super) family: Option<u64>,
}

/// One refresh token's state. Refresh tokens do not expire; only revocation ends them.
pub(super) struct RefreshEntry {
    pub(super) family: u64,
    pub(super) issued_at_ms: u64,
}

impl AuthServer {
    /// Looks a token up, sliding its idle timer; expired entries are dropped.
    pub(super) fn touch(&self, token: &str) -> Option<Session> {
        let mut sessions = self.sessions();
        let now = Instant::now();
        match sessions.get_mut(token) {
            Some(e) if now.duration_since(e.last_used) < self.inner.config.idle_timeout => {
                e.last_used = now;
                Some(e.session.clone())
            }
            Some(_) => {
                sessions.remove(token);
                None
            }
            None => None,
        }
    }

    /// Mints an access token into `sessions` (the caller holds the lock, so a
    /// refresh-token revocation cannot slip in between check and insert).
    pub(super) fn insert_session(
        &self,
        scope: &'static str,
        family: Option<u64>,
        sessions: &mut HashMap<String, SessionEntry>,
    ) -> String {
        let config = &self.inner.config;
        let token = format!(
            "{}!{}",
            org15(&config.org_id),
            Alphanumeric.sample_string(&mut rand::rng(), 96)
        );
        let now = Instant::now();
        // Idle sessions are otherwise dropped only when presented again; sweep now
        // and then so a long-running sandbox does not grow without bound.
        if sessions.len() >= 1024 && sessions.len().is_power_of_two() {
            let idle = config.idle_timeout;
            sessions.retain(|_, e| now.duration_since(e.last_used) < idle);
        }
        let entry = SessionEntry {
            session: Session {
                user_id: config.user_id.clone(),
            },
            last_used: now,
            issued_at_ms: now_ms(),
            scope,
            family,
        };
        sessions.insert(token.clone(), entry);
        token
    }

    /// Mints a refresh token into `refreshes`; returns it and its family.
    pub(super) fn insert_refresh(
        &self,
        refreshes: &mut HashMap<String, RefreshEntry>,
    ) -> (String, u64) {
        let family = self.inner.next_family.fetch_add(1, Ordering::Relaxed);
        let token = format!(
            "5Aep861{}",
            Alphanumeric.sample_string(&mut rand::rng(), 80)
        );
        let entry = RefreshEntry {
            family,
            issued_at_ms: now_ms(),
        };
        refreshes.insert(token.clone(), entry);
        (token, family)
    }

    pub(super) fn config(&self) -> &OAuthConfig {
        &self.inner.config
    }

    pub(super) fn count_token_request(&self) {
        self.inner.token_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn sessions(&self) -> MutexGuard<'_, HashMap<String, SessionEntry>> {
        // A panic while holding the lock cannot leave the map half-updated, so a
        // poisoned lock is still safe to use.
        self.inner
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn refreshes(&self) -> MutexGuard<'_, HashMap<String, RefreshEntry>> {
        self.inner
            .refresh
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The 15-character form of an Id, the prefix of every access token. Falls back to
/// the whole string rather than panicking on a short or odd configured Id.
fn org15(org_id: &str) -> &str {
    org_id.get(..15).unwrap_or(org_id)
}
