//! `[limits]` and each key's `rate_per_second` / `burst`: the gateway's caller-side limits
//! ([`Limits`]), each key defaulting to [`Limits::default`].

use std::collections::BTreeMap;

use toml::Spanned;

use crate::limits::{Limits, RateLimit};

use super::error::Problems;
use super::raw::{RawApiKey, RawLimits};
use super::source::LineIndex;

/// `[limits] rate_per_second` and `[api_keys.*] rate_per_second`: calls a second, sustained.
pub const RATE_PER_SECOND: &str = "rate_per_second";
/// `[limits] burst` and `[api_keys.*] burst`: calls that may arrive at once.
pub const BURST: &str = "burst";
/// `[limits] max_concurrent_calls`: business calls in flight at once, over all callers.
pub const MAX_CONCURRENT_CALLS: &str = "max_concurrent_calls";
/// `[limits] max_request_bytes`: the largest request message.
pub const MAX_REQUEST_BYTES: &str = "max_request_bytes";
/// `[limits] max_records`: the most records one query call returns.
pub const MAX_RECORDS: &str = "max_records";
/// `[limits] max_streams_per_caller`: trigger streams one key may hold open.
pub const MAX_STREAMS_PER_CALLER: &str = "max_streams_per_caller";
/// `[limits] max_streams`: trigger streams open at once, over all callers.
pub const MAX_STREAMS: &str = "max_streams";

/// Every `[limits]` key.
#[cfg(test)]
pub(crate) const CALLER_LIMIT_KEYS: [&str; 7] = [
    RATE_PER_SECOND,
    BURST,
    MAX_CONCURRENT_CALLS,
    MAX_REQUEST_BYTES,
    MAX_RECORDS,
    MAX_STREAMS_PER_CALLER,
    MAX_STREAMS,
];

/// Largest rate or burst accepted: beyond it a limit limits nothing.
const MAX_RATE: u64 = 1_000_000;
/// Largest `max_request_bytes`: tonic's own ceiling for a message is 4 GiB, but no
/// Salesforce call takes more than a few MiB.
const MAX_REQUEST_BYTES_CEILING: u64 = 64 * 1024 * 1024;

/// The limits of `[limits]` (absent: every default) with each key's own rate limit.
pub(crate) fn build(
    raw: Option<Spanned<RawLimits>>,
    keys: &BTreeMap<String, Spanned<RawApiKey>>,
    index: &LineIndex,
    problems: &mut Problems,
) -> Limits {
    let d = Limits::default();
    let raw = raw.map(Spanned::into_inner).unwrap_or_default();
    let mut int = |key: &str, value: Option<Spanned<i64>>, min: u64, max: u64, default: usize| {
        integer(&format!("limits.{key}"), value, min, max, index, problems)
            .map_or(default, |v| v as usize)
    };
    let (default_rate, default_burst) = match d.default_rate_limit {
        RateLimit::PerSecond { per_second, burst } => (per_second.get(), burst.get()),
        RateLimit::Unlimited => (0, 0),
    };
    let per_second = int(
        RATE_PER_SECOND,
        raw.rate_per_second,
        1,
        MAX_RATE,
        default_rate as usize,
    );
    let burst = int(BURST, raw.burst, 1, MAX_RATE, default_burst as usize);
    let mut limits = Limits {
        // Both are within 1..=MAX_RATE, so the casts and the constructor cannot fail.
        default_rate_limit: RateLimit::per_second(per_second as u32, burst as u32)
            .unwrap_or(d.default_rate_limit),
        rate_limits: Default::default(),
        max_concurrent_calls: int(
            MAX_CONCURRENT_CALLS,
            raw.max_concurrent_calls,
            1,
            1_000_000,
            d.max_concurrent_calls,
        ),
        max_request_bytes: int(
            MAX_REQUEST_BYTES,
            raw.max_request_bytes,
            1024,
            MAX_REQUEST_BYTES_CEILING,
            d.max_request_bytes,
        ),
        max_records: int(MAX_RECORDS, raw.max_records, 1, 100_000, d.max_records),
        max_streams_per_caller: int(
            MAX_STREAMS_PER_CALLER,
            raw.max_streams_per_caller,
            1,
            1_000_000,
            d.max_streams_per_caller,
        ),
        max_streams: int(MAX_STREAMS, raw.max_streams, 1, 1_000_000, d.max_streams),
    };
    for (name, table) in keys {
        let key = table.get_ref();
        let dotted = |field: &str| format!("api_keys.{name}.{field}");
        let rate = integer(
            &dotted(RATE_PER_SECOND),
            key.rate_per_second.clone(),
            1,
            MAX_RATE,
            index,
            problems,
        );
        let key_burst = integer(
            &dotted(BURST),
            key.burst.clone(),
            1,
            MAX_RATE,
            index,
            problems,
        );
        if rate.is_none() && key_burst.is_none() {
            continue;
        }
        let rate = rate.map_or(per_second as u32, |r| r as u32);
        let key_burst = key_burst.map_or(burst as u32, |b| b as u32);
        if let Ok(limit) = RateLimit::per_second(rate, key_burst) {
            limits.rate_limits.insert(name.clone(), limit);
        }
    }
    limits
}

/// An integer in `min..=max`, or `None` (unset, or wrong and recorded as a problem).
fn integer(
    key: &str,
    value: Option<Spanned<i64>>,
    min: u64,
    max: u64,
    index: &LineIndex,
    problems: &mut Problems,
) -> Option<u64> {
    let item = index.item(value?);
    match u64::try_from(item.value) {
        Ok(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            let message = format!("expected an integer from {min} to {max}");
            problems.push(key, item.origin, message);
            None
        }
    }
}
