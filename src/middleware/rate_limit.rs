//! Per-caller rate limits: each API key has its own token bucket, with its own
//! quota from configuration; a call over it is refused at once with
//! `RESOURCE_EXHAUSTED` (RetryInfo = the wait, plus `retry-after` metadata).
//!
//! Built on `governor` directly rather than `tower_governor`: tower_governor's
//! keyed limiter has one quota for every key, so per-key quotas would take one
//! `GovernorLayer` per distinct quota and a router in front of them, and its
//! errors would still need mapping to our status (its default turns key
//! extraction failures into `INTERNAL` and rounds the wait down to `0s`). The
//! keys are known from configuration when the server starts, so this holds one
//! *direct* (unkeyed) limiter per key name in a map that never grows: no
//! `retain_recent` sweeping, and no lock on the hot path (a lookup in an
//! immutable map, then governor's lock-free compare-and-swap).
//!
//! It keys on the [`Caller`] the auth layer put into the request, so it sits
//! inside auth. It wraps the gateway's own services only: grpcurl's reflection calls
//! and health probes are never throttled.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tonic::Status;
use tower::Layer;

use super::check::{Check, Checked};
use crate::caller::Caller;
use crate::limits::Limits;
use crate::status::rate_limited;

/// One key's bucket and the quota it was built from (for the error message).
#[derive(Debug)]
struct Bucket {
    limiter: DefaultDirectRateLimiter,
    per_second: NonZeroU32,
    burst: NonZeroU32,
}

/// The rate limiters of every configured API key, shared by all connections.
#[derive(Debug, Clone)]
pub struct RateLimits {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// By key name; `None` is an unlimited key.
    buckets: HashMap<String, Option<Bucket>>,
    /// For a caller whose key name was not given at start (not possible when
    /// built from the same keys as the auth layer): the default quota, per name.
    /// A keyed limiter grows with its keys, but auth admits only configured
    /// names, so it stays bounded.
    fallback: Option<(DefaultKeyedRateLimiter<String>, NonZeroU32, NonZeroU32)>,
}

fn quota(per_second: NonZeroU32, burst: NonZeroU32) -> Quota {
    Quota::per_second(per_second).allow_burst(burst)
}

// === impl RateLimits ===

impl RateLimits {
    /// A limiter for each of `key_names`, with its quota from `limits`.
    pub fn new<'a>(limits: &Limits, key_names: impl IntoIterator<Item = &'a str>) -> Self {
        let buckets = key_names
            .into_iter()
            .map(|name| {
                let bucket = match limits.rate_limit(name) {
                    crate::limits::RateLimit::Unlimited => None,
                    crate::limits::RateLimit::PerSecond { per_second, burst } => Some(Bucket {
                        limiter: RateLimiter::direct(quota(per_second, burst)),
                        per_second,
                        burst,
                    }),
                };
                (name.to_owned(), bucket)
            })
            .collect();
        let fallback = match limits.default_rate_limit {
            crate::limits::RateLimit::Unlimited => None,
            crate::limits::RateLimit::PerSecond { per_second, burst } => Some((
                RateLimiter::keyed(quota(per_second, burst)),
                per_second,
                burst,
            )),
        };
        RateLimits {
            inner: Arc::new(Inner { buckets, fallback }),
        }
    }

    /// Takes one call from `key_name`'s bucket, or says how long to wait.
    pub fn check(&self, key_name: &str) -> Result<(), Status> {
        let refused = |per_second: NonZeroU32, burst: NonZeroU32, wait| {
            rate_limited(key_name, per_second.get(), burst.get(), wait)
        };
        match self.inner.buckets.get(key_name) {
            Some(None) => Ok(()),
            Some(Some(b)) => b.limiter.check().map_err(|not_until| {
                let wait = not_until.wait_time_from(b.limiter.clock().now());
                refused(b.per_second, b.burst, wait)
            }),
            None => match &self.inner.fallback {
                None => Ok(()),
                Some((limiter, per_second, burst)) => limiter
                    .check_key(&key_name.to_owned())
                    .map_err(|not_until| {
                        let wait = not_until.wait_time_from(limiter.clock().now());
                        refused(*per_second, *burst, wait)
                    }),
            },
        }
    }
}

/// Adds [`RateLimit`] to a service.
#[derive(Debug, Clone)]
pub struct RateLimitLayer {
    limits: RateLimits,
}

impl RateLimitLayer {
    /// A layer enforcing these limits.
    pub fn new(limits: RateLimits) -> Self {
        RateLimitLayer { limits }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;
    fn layer(&self, inner: S) -> RateLimit<S> {
        Checked::new(self.clone(), inner)
    }
}

/// Refuses a caller's calls over its rate limit, before they do any work.
pub type RateLimit<S> = Checked<RateLimitLayer, S>;

impl Check for RateLimitLayer {
    fn check<B>(&self, request: &mut http::Request<B>) -> Result<(), Status> {
        match request.extensions().get::<Caller>() {
            Some(caller) => self.limits.check(&caller.key_name),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::RateLimit;
    use tonic::Code;
    use tonic_types::StatusExt;

    fn limits(per_second: u32, burst: u32) -> Limits {
        Limits {
            default_rate_limit: RateLimit::per_second(per_second, burst).unwrap(),
            ..Limits::default()
        }
    }

    #[test]
    fn a_burst_is_allowed_then_the_next_call_waits() {
        let limits = RateLimits::new(&limits(1, 3), ["agent"]);
        for _ in 0..3 {
            limits.check("agent").expect("within the burst");
        }
        let refused = limits.check("agent").unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted);
        let wait = refused
            .get_details_retry_info()
            .and_then(|r| r.retry_delay)
            .expect("RetryInfo");
        // One call a second: the next token is at most a second away.
        assert!(wait > std::time::Duration::from_millis(500), "{wait:?}");
        assert!(wait <= std::time::Duration::from_secs(1), "{wait:?}");
        assert_eq!(refused.metadata().get("retry-after").unwrap(), "1");
    }

    #[test]
    fn keys_have_their_own_buckets_and_quotas() {
        let mut l = limits(1, 1);
        l.rate_limits.insert("ops".into(), RateLimit::Unlimited);
        l.rate_limits
            .insert("bulk".into(), RateLimit::per_second(1, 5).unwrap());
        let limits = RateLimits::new(&l, ["agent", "ops", "bulk"]);
        limits.check("agent").unwrap();
        assert!(limits.check("agent").is_err());
        for _ in 0..1000 {
            limits.check("ops").expect("unlimited");
        }
        for _ in 0..5 {
            limits.check("bulk").expect("its own burst of 5");
        }
        assert!(limits.check("bulk").is_err());
        // A name not given at start still gets the default quota.
        limits.check("stranger").unwrap();
        assert!(limits.check("stranger").is_err());
    }
}
