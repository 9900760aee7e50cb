//! `Sforce-Limit-Info` parsing and the last value seen per connection.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The org's rolling 24 h API request usage, from `Sforce-Limit-Info: api-usage=N/M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiUsage {
    /// Requests used so far.
    pub used: u64,
    /// The org's daily limit.
    pub max: u64,
}

/// The response header Salesforce reports API usage in.
pub(crate) const LIMIT_INFO_HEADER: &str = "sforce-limit-info";

/// Parses `api-usage=18/5000`, also inside the longer forms
/// `api-usage=10018/100000; api-bursts=1/750` and
/// `api-usage=25/5000; per-app-api-usage=17/250(appName=x)` (only the org-wide entry counts).
pub fn parse_limit_info(header: &str) -> Option<ApiUsage> {
    header.split(';').find_map(|part| {
        let value = part.trim().strip_prefix("api-usage=")?;
        let (used, max) = value.split_once('/')?;
        Some(ApiUsage {
            used: used.trim().parse().ok()?,
            max: max.trim().parse().ok()?,
        })
    })
}

/// The last usage seen on this connection.
///
/// A std `Mutex` rather than Tokio's: the critical section is a copy of a few integers and is
/// never held across an `.await`.
#[derive(Debug, Default)]
pub(crate) struct UsageTracker {
    last: Mutex<Option<Observed>>,
}

#[derive(Debug, Clone, Copy)]
struct Observed {
    usage: ApiUsage,
    /// When it was seen, or when the last probe was let through (see [`UsageTracker::admit`]).
    at: Instant,
}

/// How long a refusal for the budget reserve stands before one request is let through to
/// learn the current usage. The usage only comes with responses, so without a probe a
/// connection that entered the reserve would refuse forever, though the 24 h window rolls on.
/// Five minutes costs at most ~300 requests a day from the reserve while the org stays in it.
pub(crate) const RESERVE_PROBE_INTERVAL: Duration = Duration::from_secs(300);

impl UsageTracker {
    /// Records the header of a response, if it carries one.
    pub(crate) fn observe(&self, headers: &http::HeaderMap) {
        let Some(usage) = headers
            .get(LIMIT_INFO_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_limit_info)
        else {
            return;
        };
        // A poisoned lock only means another thread panicked mid-copy of two integers; the
        // value is still usable.
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(Observed {
            usage,
            at: Instant::now(),
        });
    }

    pub(crate) fn last(&self) -> Option<ApiUsage> {
        self.last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|o| o.usage)
    }

    /// `Err(usage)` when the last usage leaves fewer than `reserve` requests. Once a refusal
    /// is [`RESERVE_PROBE_INTERVAL`] old, exactly one caller is admitted as a probe: the
    /// observation is re-stamped under the lock, so concurrent callers keep being refused
    /// until the probe's response brings the new usage.
    pub(crate) fn admit(&self, reserve: u64) -> Result<(), ApiUsage> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let Some(observed) = last.as_mut() else {
            return Ok(());
        };
        if observed.usage.max.saturating_sub(observed.usage.used) >= reserve {
            return Ok(());
        }
        let now = Instant::now();
        if now.saturating_duration_since(observed.at) >= RESERVE_PROBE_INTERVAL {
            observed.at = now;
            return Ok(());
        }
        Err(observed.usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(
            parse_limit_info("api-usage=18/5000"),
            Some(ApiUsage {
                used: 18,
                max: 5000
            })
        );
        assert_eq!(
            parse_limit_info("api-usage=10018/100000; api-bursts=1/750"),
            Some(ApiUsage {
                used: 10018,
                max: 100_000
            })
        );
        assert_eq!(
            parse_limit_info(
                "api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)"
            ),
            Some(ApiUsage {
                used: 25,
                max: 5000
            })
        );
        // The per-app entry alone is not the org-wide usage.
        assert_eq!(
            parse_limit_info("per-app-api-usage=17/250(appName=x)"),
            None
        );
        assert_eq!(parse_limit_info("api-usage=x/5000"), None);
        assert_eq!(parse_limit_info(""), None);
    }

    #[test]
    fn tracker_keeps_the_last_value_and_ignores_responses_without_one() {
        let tracker = UsageTracker::default();
        assert_eq!(tracker.last(), None);
        let mut headers = http::HeaderMap::new();
        headers.insert(LIMIT_INFO_HEADER, "api-usage=1/10".parse().unwrap());
        tracker.observe(&headers);
        headers.insert(LIMIT_INFO_HEADER, "api-usage=2/10".parse().unwrap());
        tracker.observe(&headers);
        tracker.observe(&http::HeaderMap::new());
        assert_eq!(tracker.last(), Some(ApiUsage { used: 2, max: 10 }));
    }

    fn observe(tracker: &UsageTracker, value: &str) {
        let mut headers = http::HeaderMap::new();
        headers.insert(LIMIT_INFO_HEADER, value.parse().unwrap());
        tracker.observe(&headers);
    }

    #[tokio::test(start_paused = true)]
    async fn the_reserve_refuses_until_one_probe_per_interval_is_let_through() {
        let tracker = UsageTracker::default();
        assert_eq!(tracker.admit(1000), Ok(()), "nothing known yet");
        observe(&tracker, "api-usage=99000/100000");
        assert_eq!(tracker.admit(1000), Ok(()), "exactly the reserve left");
        observe(&tracker, "api-usage=99001/100000");
        let inside = ApiUsage {
            used: 99001,
            max: 100_000,
        };
        assert_eq!(tracker.admit(1000), Err(inside));
        assert_eq!(tracker.admit(0), Ok(()), "a zero reserve never refuses");

        tokio::time::advance(RESERVE_PROBE_INTERVAL - Duration::from_secs(1)).await;
        assert_eq!(tracker.admit(1000), Err(inside));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(tracker.admit(1000), Ok(()), "the probe");
        assert_eq!(tracker.admit(1000), Err(inside), "only one probe");
        // The probe's response shows the window has rolled on.
        observe(&tracker, "api-usage=50000/100000");
        assert_eq!(tracker.admit(1000), Ok(()));
    }
}
