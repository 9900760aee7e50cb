//! The per-connection token cache with single-flight refresh.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

use super::Token;
use crate::salesforce::{Error, Secret};

/// What one trip to the token endpoint produced.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) token: Token,
    /// A rotated refresh token, when the app rotates them.
    pub(crate) refresh_token: Option<Secret>,
}

/// One token per connection, reused until Salesforce rejects it.
///
/// A Tokio `Mutex` held *across* the token request is what makes refreshes single-flight:
/// concurrent callers queue on the lock and find the new token when they get it. Dropping a
/// caller mid-request drops the guard without touching the slot, so the cache is never
/// half-updated; the next caller simply asks again.
///
/// Failures are single-flight too: callers that queued while an attempt failed get a copy
/// of its error instead of each trying again in turn. Without that, a revoked grant would
/// cost one token request per queued caller, serially (and repeated failed password logins
/// can lock the user out).
///
/// With a session lifetime, a token is also renewed before Salesforce would time it out:
/// past 90% of the lifetime one caller starts a refresh *ahead* ([`TokenCache::refresh_ahead`])
/// that fetches without holding the lock, so every caller keeps using the current token
/// meanwhile; past the whole lifetime the token counts as gone and callers wait for a new one.
///
/// Every token request also tells whether the grant itself is alive: `invalid_grant` marks it
/// revoked ([`TokenCache::grant_revoked`]) until a later request mints a token again.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    slot: Mutex<Slot>,
    /// Finished token requests (successful or not). Read before queueing on the lock, so a
    /// caller can tell whether an attempt ended while it waited.
    attempts: AtomicU64,
    /// The org's session timeout, if tokens are to be renewed before it.
    lifetime: Option<Duration>,
    /// Set while a refresh ahead runs, so at most one does.
    refreshing: AtomicBool,
    /// Whether the last token request was refused with `invalid_grant`.
    revoked: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct Slot {
    token: Option<Token>,
    /// When the token was stored (monotonic; Salesforce's `issued_at` is the org's clock).
    minted: Option<Instant>,
    /// Bumped each time a new token is stored, so a caller whose token was rejected can tell
    /// whether someone else has already replaced it.
    generation: u64,
    /// The newest rotated refresh token, if the app rotates them.
    refresh_token: Option<Secret>,
    /// The error of the last attempt, if it failed in a way worth sharing.
    failure: Option<Error>,
}

// === impl TokenCache ===

impl TokenCache {
    /// A cache renewing tokens before `lifetime` runs out, if given.
    pub(crate) fn new(lifetime: Option<Duration>) -> Self {
        TokenCache {
            lifetime: lifetime.filter(|l| !l.is_zero()),
            ..TokenCache::default()
        }
    }

    /// The cached token and its generation, fetching one if there is none (or if the one
    /// there has outlived the session lifetime).
    pub(crate) async fn current<F, Fut>(&self, fetch: F) -> Result<(Token, u64), Error>
    where
        F: FnOnce(Option<Secret>) -> Fut,
        Fut: Future<Output = Result<Fetched, Error>>,
    {
        let seen = self.attempts.load(Ordering::SeqCst);
        let mut slot = self.slot.lock().await;
        if self.outlived(&slot, 1.0) {
            slot.token = None;
        }
        if let Some(token) = &slot.token {
            return Ok((token.clone(), slot.generation));
        }
        self.shared_failure(&slot, seen)?;
        self.fill(&mut slot, fetch).await
    }

    /// Whether Salesforce refused the grant at the last token request (`invalid_grant`: a
    /// person must reconnect the org); changes as token requests end, whoever made them.
    pub(crate) fn grant_revoked(&self) -> watch::Receiver<bool> {
        self.revoked.subscribe()
    }

    /// Counts a finished token request and notes what it says of the grant. Other failures
    /// (the endpoint unreachable, a wrong client secret) say nothing about it.
    fn finished(&self, result: &Result<Fetched, Error>) {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let revoked = match result {
            Ok(_) => false,
            Err(Error::Auth(e)) if e.needs_reconnect() => true,
            Err(_) => return,
        };
        self.revoked
            .send_if_modified(|r| std::mem::replace(r, revoked) != revoked);
    }

    /// Whether the token has lived `fraction` of the session lifetime.
    fn outlived(&self, slot: &Slot, fraction: f64) -> bool {
        match (self.lifetime, slot.minted) {
            (Some(lifetime), Some(minted)) => minted.elapsed() >= lifetime.mul_f64(fraction),
            _ => false,
        }
    }

    /// Whether the caller should start a refresh ahead: the token has lived 90% of the
    /// session lifetime and no refresh ahead is running. A `true` claims the refresh; the
    /// caller must then run [`TokenCache::refresh_ahead`].
    pub(crate) fn claim_refresh_ahead(&self) -> bool {
        if self.lifetime.is_none() {
            return false;
        }
        let due = match self.slot.try_lock() {
            Ok(slot) => slot.token.is_some() && self.outlived(&slot, 0.9),
            // Someone holds the lock: a token request is under way, or a caller is reading.
            Err(_) => false,
        };
        due && !self.refreshing.swap(true, Ordering::AcqRel)
    }

    /// Mints a new token while callers keep using the current one: the lock is held only
    /// to read the refresh token and to store the result. A failure is logged and left for
    /// the ordinary paths (a full lifetime, or a 401) to retry.
    pub(crate) async fn refresh_ahead<F, Fut>(&self, fetch: F)
    where
        F: FnOnce(Option<Secret>) -> Fut,
        Fut: Future<Output = Result<Fetched, Error>>,
    {
        let rotated = self.slot.lock().await.refresh_token.clone();
        let result = fetch(rotated).await;
        self.finished(&result);
        match result {
            Ok(fetched) => {
                let mut slot = self.slot.lock().await;
                slot.failure = None;
                slot.generation += 1;
                slot.token = Some(fetched.token);
                slot.minted = Some(Instant::now());
                if let Some(rotated) = fetched.refresh_token {
                    slot.refresh_token = Some(rotated);
                }
            }
            Err(e) => tracing::warn!(error = %e, "renewing the token ahead of its lifetime failed"),
        }
        self.refreshing.store(false, Ordering::Release);
    }

    /// Replaces the token of generation `stale`, which Salesforce rejected. If another caller
    /// already replaced it, returns theirs without asking the token endpoint again.
    pub(crate) async fn replace<F, Fut>(&self, stale: u64, fetch: F) -> Result<(Token, u64), Error>
    where
        F: FnOnce(Option<Secret>) -> Fut,
        Fut: Future<Output = Result<Fetched, Error>>,
    {
        let seen = self.attempts.load(Ordering::SeqCst);
        let mut slot = self.slot.lock().await;
        if let Some(token) = &slot.token
            && slot.generation != stale
        {
            return Ok((token.clone(), slot.generation));
        }
        if slot.token.is_none() {
            self.shared_failure(&slot, seen)?;
        }
        // The rejected token must not be handed out again, even if the refresh fails or is
        // cancelled: an empty slot makes the next caller fetch.
        slot.token = None;
        self.fill(&mut slot, fetch).await
    }

    /// The error of an attempt that ended while this caller waited, if any.
    fn shared_failure(&self, slot: &Slot, seen: u64) -> Result<(), Error> {
        if self.attempts.load(Ordering::SeqCst) == seen {
            return Ok(());
        }
        match slot.failure.as_ref().and_then(Error::replay) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    async fn fill<F, Fut>(&self, slot: &mut Slot, fetch: F) -> Result<(Token, u64), Error>
    where
        F: FnOnce(Option<Secret>) -> Fut,
        Fut: Future<Output = Result<Fetched, Error>>,
    {
        let result = fetch(slot.refresh_token.clone()).await;
        // Only written after the await: a cancelled fetch leaves the slot as it was.
        self.finished(&result);
        let fetched = match result {
            Ok(fetched) => fetched,
            Err(e) => {
                slot.failure = e.replay();
                return Err(e);
            }
        };
        slot.failure = None;
        slot.generation += 1;
        slot.token = Some(fetched.token.clone());
        slot.minted = Some(Instant::now());
        if let Some(rotated) = fetched.refresh_token {
            slot.refresh_token = Some(rotated);
        }
        Ok((fetched.token, slot.generation))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn token(n: usize) -> Token {
        Token {
            access_token: Secret::new(format!("t{n}")),
            instance_url: "https://x.my.salesforce.com".parse().unwrap(),
            token_type: "Bearer".into(),
            issued_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn counting_fetch(
        calls: &AtomicUsize,
    ) -> impl FnOnce(Option<Secret>) -> std::future::Ready<Result<Fetched, Error>> + '_ {
        move |_| {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            std::future::ready(Ok(Fetched {
                token: token(n),
                refresh_token: None,
            }))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_are_renewed_ahead_of_the_lifetime_once_and_refetched_after_it() {
        let cache = TokenCache::new(Some(Duration::from_secs(100)));
        let calls = AtomicUsize::new(0);
        let (t, _) = cache.current(counting_fetch(&calls)).await.unwrap();
        assert_eq!(t.access_token.expose(), "t1");
        tokio::time::advance(Duration::from_secs(89)).await;
        assert!(!cache.claim_refresh_ahead(), "not yet 90%");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(
            cache.claim_refresh_ahead(),
            "past 90%: one caller claims it"
        );
        assert!(!cache.claim_refresh_ahead(), "and only one");
        let (t, _) = cache.current(counting_fetch(&calls)).await.unwrap();
        assert_eq!(
            t.access_token.expose(),
            "t1",
            "callers keep the current token"
        );
        cache.refresh_ahead(counting_fetch(&calls)).await;
        let (t, _) = cache.current(counting_fetch(&calls)).await.unwrap();
        assert_eq!(t.access_token.expose(), "t2");
        assert!(!cache.claim_refresh_ahead(), "the new token is fresh");
        tokio::time::advance(Duration::from_secs(100)).await;
        let (t, _) = cache.current(counting_fetch(&calls)).await.unwrap();
        assert_eq!(
            t.access_token.expose(),
            "t3",
            "an outlived token is not handed out"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert!(!TokenCache::new(None).claim_refresh_ahead());
    }

    #[tokio::test]
    async fn a_stale_generation_refreshes_once_and_later_callers_reuse_it() {
        let cache = TokenCache::default();
        let calls = AtomicUsize::new(0);
        let (t, generation) = cache.current(counting_fetch(&calls)).await.unwrap();
        assert_eq!(t.access_token.expose(), "t1");
        // Two callers both saw generation `generation` rejected: only the first refreshes.
        let (a, _) = cache
            .replace(generation, counting_fetch(&calls))
            .await
            .unwrap();
        let (b, _) = cache
            .replace(generation, counting_fetch(&calls))
            .await
            .unwrap();
        assert_eq!(a.access_token.expose(), "t2");
        assert_eq!(b.access_token.expose(), "t2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_cancelled_fetch_leaves_the_cache_empty_not_half_written() {
        let cache = Arc::new(TokenCache::default());
        let fetch = |_| async {
            std::future::pending::<()>().await;
            Ok(Fetched {
                token: token(9),
                refresh_token: None,
            })
        };
        let pending = cache.current(fetch);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(10), pending)
                .await
                .is_err()
        );
        let calls = AtomicUsize::new(0);
        let (t, generation) = cache.current(counting_fetch(&calls)).await.unwrap();
        assert_eq!((t.access_token.expose(), generation), ("t1", 1));
    }

    #[tokio::test]
    async fn a_failed_refresh_does_not_bring_back_the_rejected_token() {
        let cache = TokenCache::default();
        let calls = AtomicUsize::new(0);
        let (_, generation) = cache.current(counting_fetch(&calls)).await.unwrap();
        let failed = cache
            .replace(generation, |_| async {
                Err(Error::InvalidArgument {
                    name: "test",
                    reason: "refused",
                })
            })
            .await;
        assert!(failed.is_err());
        let (t, _) = cache.current(counting_fetch(&calls)).await.unwrap();
        assert_eq!(t.access_token.expose(), "t2");
    }
}
