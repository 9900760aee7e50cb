//! Fault injection, changeable while the sandbox runs: latency, 503s,
//! `UNABLE_TO_LOCK_ROW`, dropped connections, late commits, a ceiling on
//! concurrent requests, sObjects the session's user cannot see and HTML error pages; on
//! the event bus, delayed delivery, gap events and dropped Subscribe streams. Everything
//! is off by default.

use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// The fault switches. As JSON (the admin route) every field is optional and
/// camelCase; a rate is a probability from 0 to 1 per request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultConfig {
    /// Added to every API request, in milliseconds.
    pub latency_ms: u64,
    /// When above `latency_ms`, the added latency is drawn uniformly from
    /// `latency_ms..=latency_max_ms` instead.
    pub latency_max_ms: u64,
    /// Share of API requests answered 503 `SERVER_UNAVAILABLE` without doing anything.
    pub unavailable_rate: f64,
    /// Share of writes refused with `UNABLE_TO_LOCK_ROW` without doing anything.
    pub lock_row_rate: f64,
    /// The HTTP status of `UNABLE_TO_LOCK_ROW`: real orgs have been seen
    /// sending 400 and 500.
    pub lock_row_status: u16,
    /// Share of API requests whose connection is closed before any work, with no response.
    pub drop_before_rate: f64,
    /// Share of successful writes whose connection is closed after the write
    /// committed, with no response: the caller cannot tell it from a drop before.
    pub drop_after_commit_rate: f64,
    /// Created records get a `CreatedDate` this many seconds in the past, as
    /// if their transaction had started then and committed late.
    pub late_commit_secs: u64,
    /// Share of creates that commit late, when `late_commit_secs` is set.
    pub late_commit_rate: f64,
    /// Most API requests in flight at once; over it → 403
    /// `REQUEST_LIMIT_EXCEEDED` (ConcurrentRequests). 0 means no ceiling.
    pub max_concurrent: u64,
    /// `Topic` and `TopicAssignment` are invisible to the session's user, as to an
    /// integration user without access to topics: queries naming them get 400
    /// `INVALID_TYPE`, their sObject and describe routes 404 `NOT_FOUND`, and the
    /// global describe leaves them out (see `visibility`).
    pub hide_topics: bool,
    /// Change events reach subscribers no sooner than this many milliseconds after their
    /// commit (Salesforce promises no delivery time).
    pub event_delay_ms: u64,
    /// Share of change events logged as gap events (`GAP_CREATE`, `GAP_UPDATE`, …): the
    /// header and record Id only, as Salesforce sends when it cannot capture a change.
    pub event_gap_rate: f64,
    /// Share of event batches that are not sent: the Subscribe stream ends with
    /// `UNAVAILABLE` instead (no error code, as a connection reset), and the events stay
    /// in the log for the subscriber's next Subscribe.
    pub event_stream_drop_rate: f64,
    /// Share of API requests answered with an HTML error page of status `html_error_status`
    /// instead of Salesforce's JSON: what a maintenance page or a proxy in front of the org
    /// sends. Nothing is done.
    pub html_error_rate: f64,
    /// The status of those pages (500, 502, 503, 504, 413, ...).
    pub html_error_status: u16,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            latency_ms: 0,
            latency_max_ms: 0,
            unavailable_rate: 0.0,
            lock_row_rate: 0.0,
            lock_row_status: 400,
            drop_before_rate: 0.0,
            drop_after_commit_rate: 0.0,
            late_commit_secs: 0,
            late_commit_rate: 1.0,
            max_concurrent: 0,
            hide_topics: false,
            event_delay_ms: 0,
            event_gap_rate: 0.0,
            event_stream_drop_rate: 0.0,
            html_error_rate: 0.0,
            html_error_status: 503,
        }
    }
}

/// Draws `true` with probability `rate` (clamped to 0..=1; NaN counts as 0).
pub fn chance(rate: f64) -> bool {
    rate > 0.0 && (rate >= 1.0 || rand::rng().random::<f64>() < rate)
}

impl FaultConfig {
    /// The latency to add to one request.
    pub fn latency(&self) -> Duration {
        let ms = if self.latency_max_ms > self.latency_ms {
            rand::rng().random_range(self.latency_ms..=self.latency_max_ms)
        } else {
            self.latency_ms
        };
        Duration::from_millis(ms)
    }

    /// How far in the past this create's `CreatedDate` goes.
    pub fn late_commit(&self) -> Duration {
        if self.late_commit_secs > 0 && chance(self.late_commit_rate) {
            Duration::from_secs(self.late_commit_secs)
        } else {
            Duration::ZERO
        }
    }
}

/// The live fault switches, shared by every request.
#[derive(Debug, Default)]
pub struct Faults {
    // std RwLock: read (and copied out) once per request, never held across an await.
    config: RwLock<FaultConfig>,
}

impl Faults {
    /// Switches set to `config`.
    pub fn new(config: FaultConfig) -> Faults {
        Faults {
            config: RwLock::new(config),
        }
    }

    /// The current switches.
    pub fn get(&self) -> FaultConfig {
        *self.config.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces all switches.
    pub fn set(&self, config: FaultConfig) {
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = config;
    }

    /// Changes some switches: `sandbox.faults().update(|f| f.unavailable_rate = 0.5)`.
    pub fn update(&self, change: impl FnOnce(&mut FaultConfig)) {
        change(&mut self.config.write().unwrap_or_else(PoisonError::into_inner));
    }

    /// Turns every fault off.
    pub fn clear(&self) {
        self.set(FaultConfig::default());
    }
}
