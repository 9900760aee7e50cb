//! `Sforce-Limit-Info` parsing and the last value seen per connection.

use std::sync::Mutex;

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
/// A std `Mutex` rather than Tokio's: the critical section is a copy of two integers and is
/// never held across an `.await`.
#[derive(Debug, Default)]
pub(crate) struct UsageTracker {
    last: Mutex<Option<ApiUsage>>,
}

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
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(usage);
    }

    pub(crate) fn last(&self) -> Option<ApiUsage> {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
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
}
