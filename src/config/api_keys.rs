//! `[api_keys.<name>]`: who may call the gateway, identified by the SHA-256 of their key.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use crate::caller::Permission;

use super::error::{Origin, Problems};
use super::raw::RawApiKey;
use super::source::LineIndex;

/// The permission names, as `permissions` spells them.
fn names() -> String {
    let names: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
    names.join(", ")
}

/// One configured API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyConfig {
    /// The table's name, used as the caller's `key_name` in logs and metrics.
    pub name: String,
    /// SHA-256 of the key the caller sends (`sfgate hash-key` prints it).
    pub sha256: [u8; 32],
    /// Connections the key may use; `None` (key omitted) means every connection.
    pub connections: Option<BTreeSet<String>>,
    /// The connection used when a request names none.
    pub default_connection: Option<String>,
    /// Granted permissions.
    pub permissions: BTreeSet<Permission>,
}

/// Checks every key against `connections` (the configured names, plus `sandbox` when the
/// embedded sandbox runs).
pub(crate) fn build(
    raw: BTreeMap<String, Spanned<RawApiKey>>,
    connections: &BTreeSet<String>,
    index: &LineIndex,
    problems: &mut Problems,
) -> Vec<ApiKeyConfig> {
    let mut keys = Vec::new();
    let mut seen: BTreeMap<[u8; 32], String> = BTreeMap::new();
    for (name, table) in raw {
        let table_origin = index.origin(table.span());
        let raw = table.into_inner();
        let key = |field: &str| format!("api_keys.{name}.{field}");
        if let Some(inline) = &raw.key {
            let message = "raw keys are refused; set sha256 to the output of `sfgate hash-key`";
            problems.push(key("key"), index.origin(inline.span()), message);
        }

        let sha256 = match raw.sha256.map(|s| index.item(s)) {
            None => {
                let message = "missing: set it to the output of `sfgate hash-key`";
                problems.push(key("sha256"), table_origin.clone(), message);
                None
            }
            Some(item) => match decode_hex(item.value.trim()) {
                Some(hash) => {
                    if let Some(other) = seen.insert(hash, name.clone()) {
                        let message = format!("the same hash as api_keys.{other}");
                        problems.push(key("sha256"), item.origin, message);
                    }
                    Some(hash)
                }
                None => {
                    // The value is not echoed: a raw key pasted here by mistake must not leak.
                    let message = format!(
                        "expected 64 hex characters (a SHA-256 from `sfgate hash-key`), got {} characters",
                        item.value.trim().chars().count()
                    );
                    problems.push(key("sha256"), item.origin, message);
                    None
                }
            },
        };

        let allowed = raw.connections.map(|list| {
            let origin = index.origin(list.span());
            let list = list.into_inner();
            if list.is_empty() {
                let message = "is empty; omit it to allow every connection";
                problems.push(key("connections"), origin.clone(), message);
            }
            for conn in list.iter().filter(|c| !connections.contains(*c)) {
                let message = format!("unknown connection {conn:?}");
                problems.push(key("connections"), origin.clone(), message);
            }
            list.into_iter().collect::<BTreeSet<_>>()
        });

        let default_connection = raw.default_connection.map(|d| {
            let item = index.item(d);
            let listed = allowed.as_ref().map_or(connections, |a| a);
            if !listed.contains(&item.value) {
                let message = match &allowed {
                    Some(_) => format!("{:?} is not one of this key's connections", item.value),
                    None => format!("unknown connection {:?}", item.value),
                };
                problems.push(key("default_connection"), item.origin, message);
            }
            item.value
        });

        let permissions = permissions(
            raw.permissions,
            &key("permissions"),
            &table_origin,
            index,
            problems,
        );
        if let Some(sha256) = sha256 {
            keys.push(ApiKeyConfig {
                name,
                sha256,
                connections: allowed,
                default_connection,
                permissions,
            });
        }
    }
    keys
}

fn permissions(
    raw: Option<Spanned<Vec<String>>>,
    key: &str,
    table_origin: &Origin,
    index: &LineIndex,
    problems: &mut Problems,
) -> BTreeSet<Permission> {
    let Some(list) = raw.map(|l| index.item(l)) else {
        let message = format!("missing: grant some of {}", names());
        problems.push(key, table_origin.clone(), message);
        return BTreeSet::new();
    };
    if list.value.is_empty() {
        let message = format!("is empty: grant some of {}", names());
        problems.push(key, list.origin.clone(), message);
    }
    let mut granted = BTreeSet::new();
    for name in &list.value {
        match Permission::ALL.into_iter().find(|p| p.as_str() == name) {
            Some(permission) => {
                granted.insert(permission);
            }
            None => {
                let message = format!("unknown permission {name:?}; expected one of {}", names());
                problems.push(key, list.origin.clone(), message);
            }
        }
    }
    granted
}

/// 64 hex digits → 32 bytes.
fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}
