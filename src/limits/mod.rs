//! The caller-side limits, below both the middleware that enforces most of them and the
//! handlers that enforce the rest: what one caller, one call or one connection may take.
//! Their defaults are what a gateway without configuration runs with.
//!
//! - this file: [`Limits`] (per-key rate limits, the bound on calls in flight, sizes,
//!   open streams) and the per-call deadlines ([`DEFAULT_TIMEOUT`], [`MAX_TIMEOUT`]);
//! - `stream_slots`: [`StreamSlots`], the bookkeeping of open streams;
//! - `transport`: [`Transport`], what one client connection may hold and for how long.

mod stream_slots;
mod transport;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

pub use stream_slots::{AdmittedStream, StreamSlot, StreamSlots};
pub use transport::{
    DEFAULT_FIRST_REQUEST_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_KEEPALIVE_TIMEOUT, DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_BODY_TIMEOUT, DEFAULT_SHUTDOWN_GRACE, Transport,
};

/// The deadline of a call whose caller sets none (`[server] default_timeout_ms`): long
/// enough for a slow Salesforce query, short enough that nothing hangs.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default ceiling on a caller's own deadline (`[server] max_timeout_ms`): Salesforce's
/// own limit on a REST request, 10 minutes
/// (<https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm>).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);

/// How many calls an API key may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    /// No rate limit: for trusted internal callers (the overload bound still applies).
    Unlimited,
    /// On average `per_second` calls a second, with up to `burst` calls at once
    /// after a quiet spell (a token bucket of `burst` tokens refilled at `per_second`).
    PerSecond {
        /// The sustained rate.
        per_second: NonZeroU32,
        /// The bucket's size: calls that may arrive together.
        burst: NonZeroU32,
    },
}

/// A rate limit that cannot be built: zero calls a second or a zero burst.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be at least 1 (to lift the limit, say so explicitly)")]
pub struct ZeroRateLimit {
    /// The offending setting: `rate_per_second` or `burst`.
    pub field: &'static str,
}

impl RateLimit {
    /// `per_second` calls a second, bursts of up to `burst`; both must be at least 1.
    pub fn per_second(per_second: u32, burst: u32) -> Result<Self, ZeroRateLimit> {
        let per_second = NonZeroU32::new(per_second).ok_or(ZeroRateLimit {
            field: "rate_per_second",
        })?;
        let burst = NonZeroU32::new(burst).ok_or(ZeroRateLimit { field: "burst" })?;
        Ok(RateLimit::PerSecond { per_second, burst })
    }
}

impl Default for RateLimit {
    /// 100 calls a second, bursts of 200: far above what one voice agent
    /// conversation makes, low enough that one runaway caller cannot take the
    /// gateway (or the org's API budget) from the others.
    fn default() -> Self {
        RateLimit::PerSecond {
            per_second: DEFAULT_RATE_PER_SECOND,
            burst: DEFAULT_BURST,
        }
    }
}

/// See [`RateLimit::default`]. (`unwrap` in a const runs at compile time.)
pub const DEFAULT_RATE_PER_SECOND: NonZeroU32 = NonZeroU32::new(100).unwrap();
/// See [`RateLimit::default`].
pub const DEFAULT_BURST: NonZeroU32 = NonZeroU32::new(200).unwrap();

/// Every caller-side limit of the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The rate limit of a key with no entry in `rate_limits`.
    pub default_rate_limit: RateLimit,
    /// Rate limits by API key *name* (`[api_keys.NAME]`), overriding the default.
    pub rate_limits: HashMap<String, RateLimit>,
    /// Most business calls in flight at once, over all callers; a call over it is
    /// refused at once with `UNAVAILABLE`, not queued. At least 1.
    pub max_concurrent_calls: usize,
    /// Largest request message accepted, in bytes (encoded protobuf).
    pub max_request_bytes: usize,
    /// Most records one `ExecuteSoqlQuery` call returns; a larger `max_records` is
    /// refused, and an unset one means this many.
    pub max_records: usize,
    /// Most trigger streams one API key may hold open.
    pub max_streams_per_caller: usize,
    /// Most trigger streams open at once, over all callers.
    pub max_streams: usize,
}

/// See [`Limits::max_concurrent_calls`]. Calls mostly wait on Salesforce, so the
/// bound is about memory and fairness rather than CPU: 256 calls of a few KiB
/// each, while a 2-core box serves thousands of cheap calls a second.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 256;
/// See [`Limits::max_request_bytes`]: 1 MiB, far above any record a call writes
/// (Salesforce caps a text area at 128 KiB), a quarter of tonic's default.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// See [`Limits::max_records`]: Salesforce's own largest query batch.
pub const DEFAULT_MAX_RECORDS: usize = 2000;
/// See [`Limits::max_streams_per_caller`].
pub const DEFAULT_MAX_STREAMS_PER_CALLER: usize = 16;
/// See [`Limits::max_streams`].
pub const DEFAULT_MAX_STREAMS: usize = 256;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            default_rate_limit: RateLimit::default(),
            rate_limits: HashMap::new(),
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_records: DEFAULT_MAX_RECORDS,
            max_streams_per_caller: DEFAULT_MAX_STREAMS_PER_CALLER,
            max_streams: DEFAULT_MAX_STREAMS,
        }
    }
}

impl Limits {
    /// The rate limit of the key named `key_name`.
    pub fn rate_limit(&self, key_name: &str) -> RateLimit {
        self.rate_limits
            .get(key_name)
            .copied()
            .unwrap_or(self.default_rate_limit)
    }

    /// The open-stream bookkeeping for the trigger service.
    pub fn stream_slots(&self) -> StreamSlots {
        StreamSlots::new(self.max_streams_per_caller, self.max_streams)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_rates_are_refused_naming_the_setting() {
        assert_eq!(
            RateLimit::per_second(0, 5),
            Err(ZeroRateLimit {
                field: "rate_per_second"
            })
        );
        assert_eq!(
            RateLimit::per_second(5, 0),
            Err(ZeroRateLimit { field: "burst" })
        );
        assert!(matches!(
            RateLimit::default(),
            RateLimit::PerSecond { per_second, burst } if per_second.get() == 100 && burst.get() == 200
        ));
    }

    #[test]
    fn a_key_without_an_entry_gets_the_default() {
        let mut limits = Limits::default();
        limits
            .rate_limits
            .insert("ops".into(), RateLimit::Unlimited);
        assert_eq!(limits.rate_limit("ops"), RateLimit::Unlimited);
        assert_eq!(limits.rate_limit("agent"), RateLimit::default());
    }
}
