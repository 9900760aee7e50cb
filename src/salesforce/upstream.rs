//! Upstream protection for one connection: how many requests may be in flight, how much of the
//! org's daily API budget is kept back, and the retry budget.
//!
//! Salesforce calls are the scarce resource. An org allows 25 concurrent long-running requests
//! and a rolling 24 h request budget shared with every other integration and with people using
//! the org, so the gateway stays below both on its own.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tower::retry::budget::{Budget, TpsBudget};

use super::Error;

/// Per-connection limits on what the client asks of Salesforce.
///
/// Build it with struct update syntax:
/// `UpstreamLimits { max_concurrent: 5, ..Default::default() }`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamLimits {
    /// Data requests in flight at once on this connection (default 20). Below Salesforce's
    /// 25 concurrent long-running requests per org, leaving room for other integrations.
    /// Token requests don't count: they are single-flight per connection already, and a caller
    /// holding a slot while waiting for a token could otherwise starve the token request.
    /// Zero is treated as one.
    pub max_concurrent: usize,
    /// Requests of the org's daily API budget kept back (default 1000): once the last
    /// `Sforce-Limit-Info` says fewer than this many remain, calls are refused with
    /// [`Error::BudgetReserve`] before sending, so the rest stays
    /// for people and other integrations. An absolute count rather than a percentage, because
    /// what the people using an org need does not grow with its licence count. Zero disables.
    pub daily_budget_reserve: u64,
    /// Retries after the first attempt (default 3), for the failures and operations that are
    /// safe to retry.
    pub max_retries: u32,
    /// The first backoff (default 50 ms); it doubles per retry, with jitter.
    pub retry_base: Duration,
    /// The deadline of a call made without one in scope (default 30 s); see
    /// [`deadline`](super::deadline).
    pub default_timeout: Duration,
    /// Retries allowed as a fraction of calls over the last 10 s (default 0.2), on top of
    /// `retry_min_per_sec`, so a failing upstream is not hammered with retries.
    pub retry_budget_percent: f32,
    /// Retries per second always allowed (default 10), so a quiet connection can still retry.
    pub retry_budget_min_per_sec: u32,
    /// The org's session timeout (default 2 h, Salesforce's default). Once 90% of it has
    /// passed since a token was minted, the next call re-mints one in the background
    /// while still using the old; once all of it has passed, a call fetches a new token
    /// before using it. `None` (or the `access_token` flow) re-mints only when Salesforce
    /// refuses the token.
    pub session_lifetime: Option<Duration>,
    /// The longest a call waits for a request slot (default 200 ms, about one Salesforce
    /// round trip) before it is refused with [`Error::ConnectionBusy`]:
    /// under sustained overload the calls that get through keep their normal latency and
    /// the rest are refused at once instead of queueing until their deadline. A burst that
    /// drains within it waits. `None`: wait until the deadline.
    pub max_queue_wait: Option<Duration>,
}

impl Default for UpstreamLimits {
    fn default() -> Self {
        UpstreamLimits {
            max_concurrent: 20,
            daily_budget_reserve: 1000,
            max_retries: 3,
            retry_base: Duration::from_millis(50),
            default_timeout: Duration::from_secs(30),
            retry_budget_percent: 0.2,
            retry_budget_min_per_sec: 10,
            session_lifetime: Some(Duration::from_secs(2 * 60 * 60)),
            max_queue_wait: Some(Duration::from_millis(200)),
        }
    }
}

/// What the connection has done, for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct UpstreamStats {
    /// The most data requests that were ever in flight at once.
    pub peak_in_flight: usize,
    /// Retries started (attempts after the first).
    pub retries: u64,
    /// Calls refused to keep the daily budget reserve.
    pub reserve_refusals: u64,
    /// Calls refused because no slot freed up within the queue wait.
    pub busy_refusals: u64,
}

/// The shared state behind one connection's limits.
#[derive(Debug)]
pub(crate) struct Upstream {
    /// A semaphore rather than a counter: waiters queue fairly, and a waiter dropped at its
    /// deadline leaves the queue without holding anything.
    permits: Semaphore,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    retries: AtomicU64,
    reserve_refusals: AtomicU64,
    busy_refusals: AtomicU64,
    max_queue_wait: Option<Duration>,
    budget: TpsBudget,
}

/// A slot for one data request; frees it on drop.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    _permit: SemaphorePermit<'a>,
    in_flight: &'a AtomicUsize,
}

/// The window the retry budget counts calls over.
const RETRY_BUDGET_TTL: Duration = Duration::from_secs(10);

// === impl Upstream ===

impl Upstream {
    pub(crate) fn new(limits: &UpstreamLimits) -> Upstream {
        // `TpsBudget::new` panics outside these ranges (and on NaN): clamp instead, a config
        // value must not be able to crash the gateway.
        let percent = if limits.retry_budget_percent >= 0.0 {
            limits.retry_budget_percent.min(1000.0)
        } else {
            0.0
        };
        let min_per_sec = limits.retry_budget_min_per_sec.min(1_000_000);
        Upstream {
            permits: Semaphore::new(limits.max_concurrent.clamp(1, Semaphore::MAX_PERMITS)),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            retries: AtomicU64::new(0),
            reserve_refusals: AtomicU64::new(0),
            busy_refusals: AtomicU64::new(0),
            max_queue_wait: limits.max_queue_wait,
            budget: TpsBudget::new(RETRY_BUDGET_TTL, min_per_sec, percent),
        }
    }

    /// Waits for a slot, at most the queue wait (the caller's deadline bounds the whole call
    /// too); [`Error::ConnectionBusy`] when none frees up in time.
    pub(crate) async fn acquire(&self) -> Result<Permit<'_>, Error> {
        let waiting = self.permits.acquire();
        let acquired = match self.max_queue_wait {
            Some(wait) => tokio::time::timeout(wait, waiting).await.ok(),
            None => Some(waiting.await),
        };
        let Some(acquired) = acquired else {
            self.busy_refusals.fetch_add(1, Ordering::Relaxed);
            return Err(Error::ConnectionBusy {
                waited: self.max_queue_wait.unwrap_or_default(),
            });
        };
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = acquired.expect("semaphore never closed");
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Ok(Permit {
            _permit: permit,
            in_flight: &self.in_flight,
        })
    }

    /// Counts a call towards the retry budget.
    pub(crate) fn deposit(&self) {
        self.budget.deposit();
    }

    /// Takes one retry from the budget; `false` when it is spent.
    pub(crate) fn withdraw_retry(&self) -> bool {
        let ok = self.budget.withdraw();
        if ok {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    pub(crate) fn count_reserve_refusal(&self) {
        self.reserve_refusals.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> UpstreamStats {
        UpstreamStats {
            peak_in_flight: self.peak.load(Ordering::SeqCst),
            retries: self.retries.load(Ordering::Relaxed),
            reserve_refusals: self.reserve_refusals.load(Ordering::Relaxed),
            busy_refusals: self.busy_refusals.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_retry_budget_runs_out_and_refills_with_calls() {
        let upstream = Upstream::new(&UpstreamLimits {
            retry_budget_percent: 0.5,
            retry_budget_min_per_sec: 0,
            ..Default::default()
        });
        assert!(!upstream.withdraw_retry(), "no calls yet, no reserve");
        upstream.deposit();
        upstream.deposit();
        assert!(upstream.withdraw_retry(), "two calls at 50% buy one retry");
        assert!(!upstream.withdraw_retry());
        assert_eq!(upstream.stats().retries, 1);
    }

    #[test]
    fn nonsense_limits_are_clamped_not_panics() {
        let upstream = Upstream::new(&UpstreamLimits {
            max_concurrent: 0,
            retry_budget_percent: f32::NAN,
            retry_budget_min_per_sec: u32::MAX,
            ..Default::default()
        });
        assert_eq!(upstream.permits.available_permits(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_waits_for_a_slot_at_most_the_queue_wait() {
        let upstream = Upstream::new(&UpstreamLimits {
            max_concurrent: 1,
            max_queue_wait: Some(Duration::from_millis(200)),
            ..Default::default()
        });
        let held = upstream.acquire().await.unwrap();
        let started = tokio::time::Instant::now();
        let refused = upstream.acquire().await.unwrap_err();
        assert!(
            matches!(refused, Error::ConnectionBusy { waited } if waited == Duration::from_millis(200))
        );
        assert_eq!(started.elapsed(), Duration::from_millis(200));
        assert_eq!(upstream.stats().busy_refusals, 1);
        drop(held);
        assert!(
            upstream.acquire().await.is_ok(),
            "a freed slot is taken at once"
        );
    }

    #[tokio::test]
    async fn the_peak_counts_permits_held_together() {
        let upstream = Upstream::new(&UpstreamLimits::default());
        let a = upstream.acquire().await.unwrap();
        let b = upstream.acquire().await.unwrap();
        drop(a);
        let _c = upstream.acquire().await.unwrap();
        drop(b);
        assert_eq!(upstream.stats().peak_in_flight, 2);
    }
}
