//! `[server]` and `[sandbox]`, with their environment overrides.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{Origin, Problems};
use super::raw;
use super::source::{
    ENV_DEFAULT_TIMEOUT_MS, ENV_LISTEN, ENV_SANDBOX_ENABLED, ENV_SANDBOX_SEED_FILE, Env, Item,
    LineIndex, env_item,
};
use super::{DEFAULT_LISTEN, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS};

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Where the gRPC server listens.
    pub listen: SocketAddr,
    /// The per-call deadline when the caller sets none.
    pub default_timeout: Duration,
}

/// `[sandbox]` with `enabled = true`: run the embedded sandbox org as connection
/// [`SANDBOX_CONNECTION`](super::SANDBOX_CONNECTION).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Records to load at start, already checked to be readable.
    pub seed_file: Option<PathBuf>,
}

pub(crate) fn server(
    raw: raw::RawServer,
    env: &dyn Env,
    index: &LineIndex,
    problems: &mut Problems,
) -> Option<ServerConfig> {
    let listen = env_item(env, ENV_LISTEN)
        .or_else(|| raw.listen.map(|l| index.item(l)))
        .unwrap_or(Item {
            value: DEFAULT_LISTEN.to_owned(),
            origin: Origin::File,
        });
    let listen = match listen.value.trim().parse::<SocketAddr>() {
        Ok(addr) => Some(addr),
        Err(_) => {
            let message = format!("{:?} is not an address like 127.0.0.1:50051", listen.value);
            problems.push("server.listen", listen.origin, message);
            None
        }
    };
    let timeout = match env_item(env, ENV_DEFAULT_TIMEOUT_MS) {
        Some(item) => Item {
            value: item.value.trim().parse::<i64>().ok(),
            origin: item.origin,
        },
        None => match raw.default_timeout_ms {
            Some(ms) => index.item(ms).map_value(Some),
            None => Item {
                value: Some(DEFAULT_TIMEOUT_MS as i64),
                origin: Origin::File,
            },
        },
    };
    let timeout = match timeout.value.and_then(|ms| u64::try_from(ms).ok()) {
        Some(ms) if (1..=MAX_TIMEOUT_MS).contains(&ms) => Some(Duration::from_millis(ms)),
        _ => {
            let message = format!("expected milliseconds from 1 to {MAX_TIMEOUT_MS}");
            problems.push("server.default_timeout_ms", timeout.origin, message);
            None
        }
    };
    Some(ServerConfig {
        listen: listen?,
        default_timeout: timeout?,
    })
}

/// `Some(None)` when the sandbox is off, `None` on error.
pub(crate) fn sandbox(
    raw: Option<toml::Spanned<raw::RawSandbox>>,
    base_dir: &Path,
    env: &dyn Env,
    index: &LineIndex,
    problems: &mut Problems,
) -> Option<Option<SandboxConfig>> {
    let raw = raw.map(toml::Spanned::into_inner).unwrap_or_default();
    let enabled = match env_item(env, ENV_SANDBOX_ENABLED) {
        Some(item) => match item.value.trim() {
            "true" | "1" => true,
            "false" | "0" | "" => false,
            _ => {
                problems.push("sandbox.enabled", item.origin, "expected true or false");
                return None;
            }
        },
        None => raw.enabled.is_some_and(|e| *e.get_ref()),
    };
    if !enabled {
        return Some(None);
    }
    let seed =
        env_item(env, ENV_SANDBOX_SEED_FILE).or_else(|| raw.seed_file.map(|s| index.item(s)));
    let Some(seed) = seed else {
        return Some(Some(SandboxConfig { seed_file: None }));
    };
    let path = base_dir.join(seed.value.trim());
    if let Err(e) = std::fs::metadata(&path) {
        let message = format!("cannot read {}: {e}", path.display());
        problems.push("sandbox.seed_file", seed.origin, message);
        return None;
    }
    Some(Some(SandboxConfig {
        seed_file: Some(path),
    }))
}
