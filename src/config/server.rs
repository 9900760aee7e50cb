//! `[server]` and `[sandbox]`, with their environment overrides.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{Origin, Problems};
use super::page_token_key::{MIN_PAGE_TOKEN_KEY_BYTES, PageTokenKey};
use super::raw;
use super::secrets::SecretRef;
use super::source::{
    ENV_DEFAULT_TIMEOUT_MS, ENV_LISTEN, ENV_SANDBOX_ENABLED, ENV_SANDBOX_SEED_FILE, Env, Item,
    LineIndex, env_item,
};
use super::{DEFAULT_LISTEN, DEFAULT_MAX_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS};
use crate::limits::Transport;

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Where the gRPC server listens.
    pub listen: SocketAddr,
    /// The per-call deadline when the caller sets none.
    pub default_timeout: Duration,
    /// The longest deadline a caller's own `grpc-timeout` gets.
    pub max_timeout: Duration,
    /// How connections are accepted, kept and closed.
    pub transport: Transport,
    /// `page_token_key_env` / `_file`: the key page tokens are signed with; `None` when
    /// unset (a key is then generated at start).
    pub page_token_key: Option<PageTokenKey>,
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
    flags: &super::Flags,
    base_dir: &Path,
    index: &LineIndex,
    problems: &mut Problems,
) -> Option<ServerConfig> {
    let transport = transport(&raw, index, problems);
    let page_token_key = page_token_key(&raw, env, base_dir, index, problems);
    let flag = flags.listen.map(|l| Item {
        value: l.to_string(),
        origin: Origin::Flag("--listen".to_owned()),
    });
    let listen = flag
        .or_else(|| env_item(env, ENV_LISTEN))
        .or_else(|| raw.listen.map(|l| index.item(l)))
        .unwrap_or(Item {
            value: DEFAULT_LISTEN.to_string(),
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
    let max_timeout = match raw.max_timeout_ms.clone().map(|ms| index.item(ms)) {
        None => Some(Duration::from_millis(DEFAULT_MAX_TIMEOUT_MS)),
        Some(item) => match u64::try_from(item.value) {
            Ok(ms) if (1..=MAX_TIMEOUT_MS).contains(&ms) => Some(Duration::from_millis(ms)),
            _ => {
                let message = format!("expected milliseconds from 1 to {MAX_TIMEOUT_MS}");
                problems.push("server.max_timeout_ms", item.origin, message);
                None
            }
        },
    };
    if let (Some(default), Some(max)) = (timeout, max_timeout)
        && max < default
    {
        let message = format!(
            "{} ms is shorter than default_timeout_ms ({} ms): a caller's own deadline would \
             be cut below the one of a caller who sets none",
            max.as_millis(),
            default.as_millis()
        );
        let origin = raw_origin(index, &raw.max_timeout_ms);
        problems.push("server.max_timeout_ms", origin, message);
    }
    Some(ServerConfig {
        listen: listen?,
        default_timeout: timeout?,
        max_timeout: max_timeout?,
        transport,
        page_token_key: page_token_key?,
    })
}

/// Where an optional value of `[server]` is, or the file when it is unset.
fn raw_origin<T>(index: &LineIndex, value: &Option<toml::Spanned<T>>) -> Origin {
    value
        .as_ref()
        .map_or(Origin::File, |v| index.origin(v.span()))
}

/// `page_token_key_env` / `page_token_key_file`: `Some(None)` when unset, `None` on error.
fn page_token_key(
    raw: &raw::RawServer,
    env: &dyn Env,
    base_dir: &Path,
    index: &LineIndex,
    problems: &mut Problems,
) -> Option<Option<PageTokenKey>> {
    if let Some(inline) = &raw.page_token_key {
        let message = "inline secrets are refused; set page_token_key_env (an environment \
                       variable's name) or page_token_key_file (a file's path) instead";
        problems.push(
            "server.page_token_key",
            index.origin(inline.span()),
            message,
        );
        return None;
    }
    let secret = SecretRef {
        table: "server",
        name: "page_token_key",
        table_origin: &Origin::File,
        from_env: raw.page_token_key_env.clone().map(|v| index.item(v)),
        from_file: raw.page_token_key_file.clone().map(|v| index.item(v)),
    };
    let origin = secret
        .from_env
        .as_ref()
        .or(secret.from_file.as_ref())
        .map(|i| i.origin.clone());
    let key = if secret.from_env.is_some() {
        "server.page_token_key_env"
    } else {
        "server.page_token_key_file"
    };
    let value = problems.ok(secret.resolve(env, base_dir))?;
    let Some(value) = value else {
        return Some(None);
    };
    match PageTokenKey::new(value.expose().as_bytes()) {
        Some(k) => Some(Some(k)),
        None => {
            // The length only: the value is a secret.
            let message = format!(
                "the key is {} bytes; use at least {MIN_PAGE_TOKEN_KEY_BYTES} (e.g. `openssl rand -base64 48`)",
                value.expose().len()
            );
            problems.push(key, origin.unwrap_or(Origin::File), message);
            None
        }
    }
}

/// `[server] max_connections`: client connections open at once.
pub(super) const MAX_CONNECTIONS: &str = "max_connections";
/// `[server] max_concurrent_streams`: calls open at once on one connection.
pub(super) const MAX_CONCURRENT_STREAMS: &str = "max_concurrent_streams";
/// `[server] first_request_timeout_ms`: a new connection's time to send a request.
pub(super) const FIRST_REQUEST_TIMEOUT_MS: &str = "first_request_timeout_ms";
/// `[server] idle_timeout_ms`: a connection without calls is closed after it.
pub(super) const IDLE_TIMEOUT_MS: &str = "idle_timeout_ms";
/// `[server] keepalive_interval_ms`: how often a quiet connection is pinged.
pub(super) const KEEPALIVE_INTERVAL_MS: &str = "keepalive_interval_ms";
/// `[server] keepalive_timeout_ms`: how long a ping may go unanswered.
pub(super) const KEEPALIVE_TIMEOUT_MS: &str = "keepalive_timeout_ms";
/// `[server] request_body_timeout_ms`: a call's message must arrive within it.
pub(super) const REQUEST_BODY_TIMEOUT_MS: &str = "request_body_timeout_ms";
/// `[server] shutdown_grace_ms`: how long calls in flight may finish at shutdown.
pub(super) const SHUTDOWN_GRACE_MS: &str = "shutdown_grace_ms";

/// One day, in milliseconds: the longest interval any of the timeouts takes.
const DAY_MS: u64 = 86_400_000;

/// The connection settings of `[server]`, each defaulting to [`Transport::default`].
fn transport(raw: &raw::RawServer, index: &LineIndex, problems: &mut Problems) -> Transport {
    let d = Transport::default();
    let mut int = |key: &str, value: &Option<toml::Spanned<i64>>, min: u64, max: u64| {
        let item = index.item(value.clone()?);
        match u64::try_from(item.value) {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            _ => {
                let message = format!("expected an integer from {min} to {max}");
                problems.push(format!("server.{key}"), item.origin, message);
                None
            }
        }
    };
    let mut ms = |key: &str, value: &Option<toml::Spanned<i64>>, min, max, default| {
        int(key, value, min, max).map_or(default, Duration::from_millis)
    };
    let first_request_timeout = ms(
        FIRST_REQUEST_TIMEOUT_MS,
        &raw.first_request_timeout_ms,
        100,
        600_000,
        d.first_request_timeout,
    );
    let idle_timeout = ms(
        IDLE_TIMEOUT_MS,
        &raw.idle_timeout_ms,
        1000,
        DAY_MS,
        d.idle_timeout,
    );
    let keepalive_interval = ms(
        KEEPALIVE_INTERVAL_MS,
        &raw.keepalive_interval_ms,
        1000,
        DAY_MS,
        d.keepalive_interval,
    );
    let keepalive_timeout = ms(
        KEEPALIVE_TIMEOUT_MS,
        &raw.keepalive_timeout_ms,
        100,
        600_000,
        d.keepalive_timeout,
    );
    let request_body_timeout = ms(
        REQUEST_BODY_TIMEOUT_MS,
        &raw.request_body_timeout_ms,
        100,
        600_000,
        d.request_body_timeout,
    );
    let shutdown_grace = ms(
        SHUTDOWN_GRACE_MS,
        &raw.shutdown_grace_ms,
        0,
        600_000,
        d.shutdown_grace,
    );
    // The casts cannot truncate: each value was checked against a range that fits.
    Transport {
        max_connections: int(MAX_CONNECTIONS, &raw.max_connections, 1, 1_000_000)
            .map_or(d.max_connections, |v| v as usize),
        max_concurrent_streams: int(
            MAX_CONCURRENT_STREAMS,
            &raw.max_concurrent_streams,
            1,
            10_000,
        )
        .map_or(d.max_concurrent_streams, |v| v as u32),
        first_request_timeout,
        idle_timeout,
        keepalive_interval,
        keepalive_timeout,
        request_body_timeout,
        shutdown_grace,
    }
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
