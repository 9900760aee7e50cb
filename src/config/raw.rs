//! The file as written: serde structs with `deny_unknown_fields` (so a typo is an error with
//! its line) and spans on every value (so a bad value's error gives its line too).
//!
//! Connection tables are read as plain key → value maps instead: their keys depend on the
//! flow, and environment overrides are applied per key before the flow is checked.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::{Spanned, Value};

use super::error::{Origin, Problem};
use super::source::LineIndex;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    #[serde(default)]
    pub(crate) server: RawServer,
    pub(crate) sandbox: Option<Spanned<RawSandbox>>,
    #[serde(default)]
    pub(crate) connections: BTreeMap<String, Spanned<BTreeMap<String, Spanned<Value>>>>,
    #[serde(default)]
    pub(crate) api_keys: BTreeMap<String, Spanned<RawApiKey>>,
    pub(crate) limits: Option<Spanned<RawLimits>>,
    #[serde(default)]
    pub(crate) triggers: RawTriggers,
}

/// `[limits]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    pub(crate) rate_per_second: Option<Spanned<i64>>,
    pub(crate) burst: Option<Spanned<i64>>,
    pub(crate) max_concurrent_calls: Option<Spanned<i64>>,
    pub(crate) max_request_bytes: Option<Spanned<i64>>,
    pub(crate) max_records: Option<Spanned<i64>>,
    pub(crate) max_streams_per_caller: Option<Spanned<i64>>,
    pub(crate) max_streams: Option<Spanned<i64>>,
}

/// `[triggers]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTriggers {
    pub(crate) poll_interval_ms: Option<Spanned<i64>>,
    pub(crate) min_interval_ms: Option<Spanned<i64>>,
    pub(crate) max_interval_ms: Option<Spanned<i64>>,
    pub(crate) overlap_ms: Option<Spanned<i64>>,
    pub(crate) heartbeat_ms: Option<Spanned<i64>>,
    pub(crate) buffer: Option<Spanned<i64>>,
    pub(crate) api_share: Option<Spanned<Value>>,
    pub(crate) poll_timeout_ms: Option<Spanned<i64>>,
}

/// `[server]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub(crate) listen: Option<Spanned<String>>,
    pub(crate) default_timeout_ms: Option<Spanned<i64>>,
    pub(crate) max_timeout_ms: Option<Spanned<i64>>,
    pub(crate) max_connections: Option<Spanned<i64>>,
    pub(crate) max_concurrent_streams: Option<Spanned<i64>>,
    pub(crate) first_request_timeout_ms: Option<Spanned<i64>>,
    pub(crate) idle_timeout_ms: Option<Spanned<i64>>,
    pub(crate) keepalive_interval_ms: Option<Spanned<i64>>,
    pub(crate) keepalive_timeout_ms: Option<Spanned<i64>>,
    pub(crate) request_body_timeout_ms: Option<Spanned<i64>>,
    pub(crate) shutdown_grace_ms: Option<Spanned<i64>>,
    pub(crate) page_token_key_env: Option<Spanned<String>>,
    pub(crate) page_token_key_file: Option<Spanned<String>>,
    /// Accepted only to refuse it with a clear message: secrets are never inline.
    pub(crate) page_token_key: Option<Spanned<IgnoredAny>>,
}

/// `[sandbox]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSandbox {
    pub(crate) enabled: Option<Spanned<bool>>,
    pub(crate) seed_file: Option<Spanned<String>>,
}

/// `[api_keys.<name>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApiKey {
    pub(crate) sha256: Option<Spanned<String>>,
    pub(crate) connections: Option<Spanned<Vec<String>>>,
    pub(crate) default_connection: Option<Spanned<String>>,
    pub(crate) permissions: Option<Spanned<Vec<String>>>,
    pub(crate) rate_per_second: Option<Spanned<i64>>,
    pub(crate) burst: Option<Spanned<i64>>,
    /// Accepted only to refuse it with a clear message: keys are configured by hash.
    pub(crate) key: Option<Spanned<IgnoredAny>>,
}

/// Parses the file. A syntax or shape error names the key (as far as serde got) and the line;
/// its message is toml's own short one, without the quoted source line toml's `Display` adds.
pub(crate) fn parse(text: &str, index: &LineIndex) -> Result<RawFile, Problem> {
    let problem = |e: &toml::de::Error, key: Option<String>| {
        let line = e.span().map(|span| index.line(span.start));
        let key = key
            .or_else(|| line.and_then(|line| key_at(text, line)))
            .unwrap_or_else(|| "(file)".to_owned());
        let origin = line.map_or(Origin::File, Origin::Line);
        Problem::new(key, origin, e.message().trim_end().to_owned())
    };
    let deserializer = toml::Deserializer::parse(text).map_err(|e| problem(&e, None))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| problem(e.inner(), dotted(e.path())))
}

/// The path serde reached, without the segments [`Spanned`] adds; `None` at the root.
fn dotted(path: &serde_path_to_error::Path) -> Option<String> {
    let parts: Vec<String> = path
        .iter()
        .map(|segment| segment.to_string())
        .filter(|segment| !segment.starts_with("$__serde_spanned"))
        .collect();
    (!parts.is_empty()).then(|| parts.join("."))
}

/// For a syntax error, which toml reports without a key: the table header above `line` and
/// the key written on it, e.g. `connections.acme.client_secret`.
fn key_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?)?.trim();
    let key = here.split_once('=').map(|(k, _)| k.trim())?;
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = lines[..line - 1].iter().rev().find_map(|l| {
        let header = l.trim().strip_prefix('[')?;
        Some(header.trim_start_matches('[').split(']').next()?.trim())
    });
    Some(match table {
        Some(table) if !table.is_empty() => format!("{table}.{key}"),
        _ => key.to_owned(),
    })
}
