//! A connection's upstream limits: optional keys next to its auth keys, each defaulting to
//! [`UpstreamLimits::default`], overridable like every connection key.

use std::time::Duration;

use toml::Value;

use crate::salesforce::UpstreamLimits;

use super::error::{Origin, Problem, Problems};
use super::fields::Fields;

/// `max_concurrent`: data requests in flight at once (1 or more).
pub(super) const MAX_CONCURRENT: &str = "max_concurrent";
/// `daily_budget_reserve`: daily API requests kept back for others (0 disables).
pub(super) const DAILY_BUDGET_RESERVE: &str = "daily_budget_reserve";
/// `max_retries`: retries after the first attempt, for failures safe to retry.
pub(super) const MAX_RETRIES: &str = "max_retries";
/// `retry_base_ms`: the first backoff; it doubles per retry, with jitter.
pub(super) const RETRY_BASE_MS: &str = "retry_base_ms";
/// `retry_budget_percent`: retries allowed as a fraction (0 to 1) of recent calls.
pub(super) const RETRY_BUDGET_PERCENT: &str = "retry_budget_percent";
/// `retry_budget_min_per_sec`: retries per second always allowed.
pub(super) const RETRY_BUDGET_MIN_PER_SEC: &str = "retry_budget_min_per_sec";

/// `session_lifetime_secs`: the org's session timeout; tokens are re-minted before it
/// runs out (0 disables).
pub(super) const SESSION_LIFETIME_SECS: &str = "session_lifetime_secs";

/// `max_queue_wait_ms`: the longest a call waits for a request slot (0: until its deadline).
pub(super) const MAX_QUEUE_WAIT_MS: &str = "max_queue_wait_ms";

/// Every limit key.
pub(crate) const LIMIT_KEYS: [&str; 8] = [
    MAX_CONCURRENT,
    DAILY_BUDGET_RESERVE,
    MAX_RETRIES,
    RETRY_BASE_MS,
    RETRY_BUDGET_PERCENT,
    RETRY_BUDGET_MIN_PER_SEC,
    SESSION_LIFETIME_SECS,
    MAX_QUEUE_WAIT_MS,
];

/// The connection's limits; `default_timeout` (from `[server] default_timeout_ms`) bounds a
/// call made without a deadline in scope.
pub(crate) fn limits(
    fields: &Fields<'_>,
    default_timeout: Duration,
    problems: &mut Problems,
) -> Option<UpstreamLimits> {
    let defaults = UpstreamLimits::default();
    let before = problems.0.len();
    let mut int = |key: &str, min: u64, max: u64, default: u64| {
        problems
            .ok(integer(fields, key, min, max))
            .flatten()
            .unwrap_or(default)
    };
    let max_concurrent = int(MAX_CONCURRENT, 1, 10_000, defaults.max_concurrent as u64);
    let reserve = int(
        DAILY_BUDGET_RESERVE,
        0,
        u64::MAX >> 1,
        defaults.daily_budget_reserve,
    );
    let max_retries = int(MAX_RETRIES, 0, 10, u64::from(defaults.max_retries));
    let base_ms = int(
        RETRY_BASE_MS,
        1,
        60_000,
        defaults.retry_base.as_millis() as u64,
    );
    let min_per_sec = int(
        RETRY_BUDGET_MIN_PER_SEC,
        0,
        100_000,
        u64::from(defaults.retry_budget_min_per_sec),
    );
    let lifetime_secs = int(
        SESSION_LIFETIME_SECS,
        0,
        7 * 24 * 60 * 60,
        defaults.session_lifetime.map_or(0, |d| d.as_secs()),
    );
    let queue_wait_ms = int(
        MAX_QUEUE_WAIT_MS,
        0,
        10 * 60 * 1000,
        defaults.max_queue_wait.map_or(0, |d| d.as_millis() as u64),
    );
    let percent = problems
        .ok(fraction(fields, RETRY_BUDGET_PERCENT))
        .flatten()
        .unwrap_or(defaults.retry_budget_percent);
    if problems.0.len() > before {
        return None;
    }
    // The casts cannot truncate: each value was checked against a range that fits.
    Some(UpstreamLimits {
        max_concurrent: max_concurrent as usize,
        daily_budget_reserve: reserve,
        max_retries: max_retries as u32,
        retry_base: Duration::from_millis(base_ms),
        default_timeout,
        retry_budget_percent: percent,
        retry_budget_min_per_sec: min_per_sec as u32,
        session_lifetime: (lifetime_secs > 0).then(|| Duration::from_secs(lifetime_secs)),
        max_queue_wait: (queue_wait_ms > 0).then(|| Duration::from_millis(queue_wait_ms)),
    })
}

/// An integer in `min..=max`: a TOML integer, or an override's text.
fn integer(fields: &Fields<'_>, key: &str, min: u64, max: u64) -> Result<Option<u64>, Problem> {
    let Some(item) = fields.values.get(key) else {
        return Ok(None);
    };
    let value = match &item.value {
        Value::Integer(i) => u64::try_from(*i).ok(),
        Value::String(s) if matches!(item.origin, Origin::Env(_)) => s.trim().parse().ok(),
        _ => None,
    };
    match value {
        Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
        _ => Err(Problem::new(
            fields.key(key),
            item.origin.clone(),
            format!("expected an integer from {min} to {max}"),
        )),
    }
}

/// A number from 0 to 1: a TOML float or integer, or an override's text.
fn fraction(fields: &Fields<'_>, key: &str) -> Result<Option<f32>, Problem> {
    let Some(item) = fields.values.get(key) else {
        return Ok(None);
    };
    let value = match &item.value {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        Value::String(s) if matches!(item.origin, Origin::Env(_)) => s.trim().parse().ok(),
        _ => None,
    };
    match value {
        Some(v) if (0.0..=1.0).contains(&v) => Ok(Some(v as f32)),
        _ => Err(Problem::new(
            fields.key(key),
            item.origin.clone(),
            "expected a number from 0 to 1",
        )),
    }
}
