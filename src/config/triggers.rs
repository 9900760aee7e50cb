//! `[triggers]`: how the trigger pollers run. Every key is optional and defaults to
//! [`TriggerConfig::default`]; the file is the only source (no environment overrides).

use std::time::Duration;

use toml::{Spanned, Value};

use crate::triggers::TriggerConfig;

use super::error::Problems;
use super::raw::RawTriggers;
use super::source::LineIndex;

/// `poll_interval_ms`: the interval a poller starts with.
pub const POLL_INTERVAL_MS: &str = "poll_interval_ms";
/// `min_interval_ms`: the fastest a poller polls while records flow.
pub const MIN_INTERVAL_MS: &str = "min_interval_ms";
/// `max_interval_ms`: the slowest a poller polls while idle, and the longest backoff.
pub const MAX_INTERVAL_MS: &str = "max_interval_ms";
/// `overlap_ms`: the settle delay before a record is released.
pub const OVERLAP_MS: &str = "overlap_ms";
/// `heartbeat_ms`: how often an idle stream gets a heartbeat.
pub const HEARTBEAT_MS: &str = "heartbeat_ms";
/// `buffer`: events buffered per subscriber before it counts as too slow.
pub const BUFFER: &str = "buffer";
/// `api_share`: the share of the org's daily API requests the pollers may use.
pub const API_SHARE: &str = "api_share";
/// `poll_timeout_ms`: how long one poll may take before it counts as failed.
pub const POLL_TIMEOUT_MS: &str = "poll_timeout_ms";

/// The longest duration any `*_ms` key takes: one day.
const MAX_MS: u64 = 86_400_000;

/// The checked `[triggers]` table, `None` if a value was wrong (each problem pushed).
pub(crate) fn triggers(
    raw: RawTriggers,
    index: &LineIndex,
    problems: &mut Problems,
) -> Option<TriggerConfig> {
    let d = TriggerConfig::default();
    let before = problems.0.len();
    let mut ms = |key: &str, value: Option<Spanned<i64>>, min: u64, default: Duration| {
        let Some(value) = value else {
            return default;
        };
        let item = index.item(value);
        match u64::try_from(item.value) {
            Ok(v) if (min..=MAX_MS).contains(&v) => Duration::from_millis(v),
            _ => {
                let message = format!("expected milliseconds from {min} to {MAX_MS}");
                problems.push(format!("triggers.{key}"), item.origin, message);
                default
            }
        }
    };
    let config = TriggerConfig {
        poll_interval: ms(POLL_INTERVAL_MS, raw.poll_interval_ms, 1, d.poll_interval),
        min_interval: ms(MIN_INTERVAL_MS, raw.min_interval_ms, 1, d.min_interval),
        max_interval: ms(MAX_INTERVAL_MS, raw.max_interval_ms, 1, d.max_interval),
        overlap: ms(OVERLAP_MS, raw.overlap_ms, 0, d.overlap),
        heartbeat: ms(HEARTBEAT_MS, raw.heartbeat_ms, 1, d.heartbeat),
        poll_timeout: ms(POLL_TIMEOUT_MS, raw.poll_timeout_ms, 1, d.poll_timeout),
        buffer: d.buffer,
        api_share: d.api_share,
    };
    let buffer = raw.buffer.map(|b| index.item(b));
    let buffer = match buffer {
        None => Some(d.buffer),
        Some(item) => match usize::try_from(item.value) {
            Ok(b) if (1..=1_000_000).contains(&b) => Some(b),
            _ => {
                let message = "expected an integer from 1 to 1000000";
                problems.push(format!("triggers.{BUFFER}"), item.origin, message);
                None
            }
        },
    };
    let share = raw.api_share.map(|s| index.item(s));
    let share = match share {
        None => Some(d.api_share),
        Some(item) => {
            let value = match item.value {
                Value::Float(f) => Some(f),
                Value::Integer(i) => Some(i as f64),
                _ => None,
            };
            match value {
                Some(v) if v > 0.0 && v <= 1.0 => Some(v),
                _ => {
                    let message = "expected a number above 0, at most 1";
                    problems.push(format!("triggers.{API_SHARE}"), item.origin, message);
                    None
                }
            }
        }
    };
    if problems.0.len() > before {
        return None;
    }
    let config = TriggerConfig {
        buffer: buffer?,
        api_share: share?,
        ..config
    };
    let ordered =
        config.min_interval <= config.poll_interval && config.poll_interval <= config.max_interval;
    if !ordered {
        let message = "expected min_interval_ms <= poll_interval_ms <= max_interval_ms";
        problems.push("triggers", super::Origin::File, message);
        return None;
    }
    Some(config)
}
