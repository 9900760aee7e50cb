//! The gateway's configuration: a TOML file (see `sfgate.example.toml` at the repository root,
//! which documents every key), overridden by environment variables, checked as a whole at
//! start.
//!
//! # Layout
//!
//! - this file: [`Config`] and [`Config::load`];
//! - `raw`: the file's serde shape (unknown keys are errors, every value keeps its line);
//! - [`source`]: the [`Env`] trait (tests pass a `HashMap`), the override variables, lines;
//! - `connection` (with `fields`, `flows`, `limits`), `urls`, `secrets`: connections, their
//!   URLs, limits and secrets;
//! - `api_keys`: callers' keys; `caller_limits`: `[limits]` and each key's rate limit;
//!   `triggers`: `[triggers]`, the pollers' settings; `page_token_key`: [`PageTokenKey`];
//! - `env_names`: every `SFGATE_*` variable must be one sfgate reads.
//!
//! A leaf of settings: it takes the settings types of [`crate::salesforce`],
//! [`crate::triggers`], [`crate::caller`] and [`crate::limits`], and nothing from the server,
//! the handlers, the middleware, the sandbox or the assembly (`.ci/run` checks). From a
//! [`Config`] to what runs is [`crate::assembly`]'s.
//!
//! # Environment overrides
//!
//! [`ENV_LISTEN`], [`ENV_DEFAULT_TIMEOUT_MS`], [`ENV_SANDBOX_ENABLED`],
//! [`ENV_SANDBOX_SEED_FILE`], and for each connection in the file every key of its table as
//! `SFGATE_CONNECTIONS__<NAME>__<KEY>` (see [`connection_var`]). The environment cannot add a
//! connection or an API key. Any other `SFGATE_*` variable is an error, as an unknown key is
//! (but a variable the file names as a secret's source may have any name). Command-line
//! [`Flags`] win over both and are checked with them.
//!
//! # Errors
//!
//! Every validation problem is reported at once (a TOML syntax or shape error stops at the
//! first), each naming its dotted key and its line (or the variable that set it). Secrets are never shown: not in errors, not in `Debug`.

mod api_keys;
mod caller_limits;
mod connection;
mod env_names;
mod error;
mod fields;
mod flows;
mod limits;
mod page_token_key;
mod raw;
mod secrets;
mod server;
pub mod source;
mod triggers;
mod urls;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use crate::limits::{DEFAULT_TIMEOUT, Limits, MAX_TIMEOUT};
use crate::salesforce::ConnectionConfig;
use crate::triggers::TriggerConfig;

pub use api_keys::ApiKeyConfig;
pub use caller_limits::{
    BURST, MAX_CONCURRENT_CALLS, MAX_RECORDS, MAX_REQUEST_BYTES, MAX_STREAMS,
    MAX_STREAMS_PER_CALLER, RATE_PER_SECOND,
};
pub use connection::FLOWS;
pub use error::{ConfigError, Origin, Problem};
pub use page_token_key::{MIN_PAGE_TOKEN_KEY_BYTES, PageTokenKey};
pub use server::{SandboxConfig, ServerConfig};
pub use source::{
    ENV_CONFIG, ENV_DEFAULT_TIMEOUT_MS, ENV_LISTEN, ENV_LOG, ENV_SANDBOX_ENABLED,
    ENV_SANDBOX_LISTEN, ENV_SANDBOX_SEED_FILE, Env, ProcessEnv, connection_var,
};
pub use triggers::{
    API_SHARE, BUFFER, HEARTBEAT_MS, MAX_INTERVAL_MS, MIN_INTERVAL_MS, OVERLAP_MS,
    POLL_INTERVAL_MS, POLL_TIMEOUT_MS,
};
pub use urls::{LOGIN, TEST};

use error::Problems;
use source::{LineIndex, env_item, env_segment};

/// `[server] listen` when unset, and where `sfgate` serves without a configuration file.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 50051);
/// `[server] default_timeout_ms` when unset: [`DEFAULT_TIMEOUT`].
pub const DEFAULT_TIMEOUT_MS: u64 = DEFAULT_TIMEOUT.as_millis() as u64;
/// Largest `default_timeout_ms` and `max_timeout_ms` accepted (one hour).
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;
/// `[server] max_timeout_ms` when unset: [`MAX_TIMEOUT`], Salesforce's own 10-minute
/// limit on a request.
pub const DEFAULT_MAX_TIMEOUT_MS: u64 = MAX_TIMEOUT.as_millis() as u64;
/// The connection name the embedded sandbox takes (with or without a configuration file).
pub const SANDBOX_CONNECTION: &str = "sandbox";

/// The checked configuration. Secrets are already read; `Debug` shows them as `***`.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[sandbox]`, if enabled.
    pub sandbox: Option<SandboxConfig>,
    /// `[connections.*]`, sorted by name; the sandbox's connection is not among them.
    pub connections: Vec<ConnectionConfig>,
    /// `[api_keys.*]`, sorted by name.
    pub api_keys: Vec<ApiKeyConfig>,
    /// `[limits]`, with each key's own `rate_per_second` / `burst`.
    pub limits: Limits,
    /// `[triggers]`: how the trigger pollers run.
    pub triggers: TriggerConfig,
}

impl Config {
    /// Reads and checks `path`, with overrides from `env`. Relative paths in the file
    /// (`*_file`, `seed_file`) are taken from the file's folder.
    pub fn load(path: &Path, env: &impl Env) -> Result<Config, ConfigError> {
        Config::load_with_flags(path, env, &Flags::default())
    }

    /// [`Config::load`] with the command line's flags, which win over the environment and
    /// the file, and are checked with them: the configuration checked is the one that runs.
    pub fn load_with_flags(
        path: &Path,
        env: &impl Env,
        flags: &Flags,
    ) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        Config::from_toml_with_flags(&text, &path.display().to_string(), base_dir, env, flags)
    }

    /// Checks `text` as a configuration file named `file` (for the report) whose relative
    /// paths are taken from `base_dir`.
    pub fn from_toml(
        text: &str,
        file: &str,
        base_dir: &Path,
        env: &impl Env,
    ) -> Result<Config, ConfigError> {
        Config::from_toml_with_flags(text, file, base_dir, env, &Flags::default())
    }

    /// [`Config::from_toml`] with the command line's flags.
    pub fn from_toml_with_flags(
        text: &str,
        file: &str,
        base_dir: &Path,
        env: &impl Env,
        flags: &Flags,
    ) -> Result<Config, ConfigError> {
        let mut problems = Problems::default();
        let config = build(text, base_dir, env, flags, &mut problems);
        match config {
            Some(config) if problems.0.is_empty() => Ok(config),
            _ => Err(ConfigError::Invalid {
                file: file.to_owned(),
                problems: problems.0,
            }),
        }
    }

    /// The connections, for building one [`Client`](crate::salesforce::Client) each.
    pub fn connection_configs(&self) -> Vec<ConnectionConfig> {
        self.connections.clone()
    }

    /// Every connection name callers may use, the sandbox's included.
    pub fn connection_names(&self) -> BTreeSet<String> {
        let sandbox = self.sandbox.as_ref().map(|_| SANDBOX_CONNECTION.to_owned());
        self.connections
            .iter()
            .map(|c| c.name.clone())
            .chain(sandbox)
            .collect()
    }
}

/// Command-line flags that override the file and the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    /// `--listen`.
    pub listen: Option<std::net::SocketAddr>,
}

fn build(
    text: &str,
    base_dir: &Path,
    env: &dyn Env,
    flags: &Flags,
    problems: &mut Problems,
) -> Option<Config> {
    let index = LineIndex::new(text);
    let raw = problems.ok(raw::parse(text, &index))?;
    let referenced = referenced_vars(&raw, env);
    let in_file: BTreeSet<String> = raw.connections.keys().cloned().collect();
    env_names::check(env, &in_file, &referenced, problems);

    let server = server::server(raw.server, env, flags, base_dir, &index, problems);
    let enabled_at = env_item(env, ENV_SANDBOX_ENABLED)
        .map(|item| item.origin)
        .or_else(|| {
            let enabled = raw.sandbox.as_ref()?.get_ref().enabled.as_ref()?;
            Some(index.origin(enabled.span()))
        })
        .unwrap_or(Origin::File);
    let sandbox = server::sandbox(raw.sandbox, base_dir, env, &index, problems);
    // A sandbox whose settings are wrong counts as on, so no second error follows from it.
    let sandbox_on = !matches!(sandbox, Some(None));

    let mut connections = Vec::new();
    let mut prefixes: Vec<(String, String)> = Vec::new();
    for (name, table) in &raw.connections {
        let origin = index.origin(table.span());
        let key = format!("connections.{name}");
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            || name.is_empty()
        {
            problems.push(
                &key,
                origin.clone(),
                "names may hold only letters, digits, - and _",
            );
        }
        if name == SANDBOX_CONNECTION && sandbox_on {
            problems.push(
                &key,
                origin.clone(),
                "the name sandbox is taken by the enabled [sandbox]",
            );
        }
        let segment = env_segment(name);
        if let Some((other, _)) = prefixes.iter().find(|(_, s)| *s == segment) {
            let message = format!(
                "overrides for it and connections.{other} would share SFGATE_CONNECTIONS__{segment}__*"
            );
            problems.push(&key, origin.clone(), message);
        }
        prefixes.push((name.clone(), segment));
        let values = table
            .get_ref()
            .iter()
            .map(|(k, v)| (k.clone(), index.item(v.clone())))
            .collect();
        let timeout = server
            .as_ref()
            .map_or(DEFAULT_TIMEOUT, |s| s.default_timeout);
        let built = connection::build(name, origin, values, timeout, env, base_dir, problems);
        if let Some(c) = built {
            connections.push(c);
        }
    }

    let mut names: BTreeSet<String> = raw.connections.keys().cloned().collect();
    if sandbox_on {
        names.insert(SANDBOX_CONNECTION.to_owned());
    }
    if names.is_empty() {
        problems.push(
            "connections",
            Origin::File,
            "no connections configured and [sandbox] is not enabled",
        );
    }
    let triggers = triggers::triggers(raw.triggers, &index, problems);
    let has_keys = !raw.api_keys.is_empty();
    let limits = caller_limits::build(raw.limits, &raw.api_keys, &index, problems);
    let api_keys = api_keys::build(raw.api_keys, &names, &index, problems);
    let listen = server.as_ref().map(|s| s.listen);
    if let Some(listen) = listen.filter(|l| sandbox_on && !has_keys && !l.ip().is_loopback()) {
        let from = match &flags.listen {
            Some(_) => " (from --listen)",
            None => "",
        };
        let message = format!(
            "the sandbox's built-in key only serves loopback, but server.listen is \
             {listen}{from}: configure [api_keys] or listen on a loopback address"
        );
        problems.push("sandbox.enabled", enabled_at, message);
    }
    Some(Config {
        server: server?,
        sandbox: sandbox?,
        connections,
        api_keys,
        limits,
        triggers: triggers?,
    })
}

/// The variables the configuration reads secrets from (`*_env` keys, as overridden), which
/// may have any name, `SFGATE_*` ones included.
fn referenced_vars(raw: &raw::RawFile, env: &dyn Env) -> BTreeSet<String> {
    let mut vars = BTreeSet::new();
    for (name, table) in &raw.connections {
        for secret in connection::SECRETS {
            let key = format!("{secret}{}", secrets::ENV_SUFFIX);
            let overridden = env.var(&connection_var(name, &key));
            let in_file = table
                .get_ref()
                .get(&key)
                .and_then(|v| v.get_ref().as_str().map(str::to_owned));
            vars.extend(overridden.or(in_file).map(|v| v.trim().to_owned()));
        }
    }
    if let Some(var) = &raw.server.page_token_key_env {
        vars.insert(var.get_ref().trim().to_owned());
    }
    vars
}

/// Checks the environment of a gateway run without a configuration file: every `SFGATE_*`
/// variable must be one that needs none.
pub fn check_env_without_file(env: &impl Env) -> Result<(), ConfigError> {
    let mut problems = Problems::default();
    env_names::check_without_file(env, &mut problems);
    if problems.0.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            file: "environment".to_owned(),
            problems: problems.0,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
