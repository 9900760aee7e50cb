//! From a checked [`Config`] to what the server runs: clients, auth keys, the sandbox's own
//! settings, and what an operator should hear about the configuration at start.

use std::collections::{BTreeSet, HashMap};

use crate::caller::{ApiKey, Caller};
use crate::config::{ApiKeyConfig, Config, PageTokenKey};
use crate::salesforce::Client;
use crate::sandbox;
use crate::server::Gateway;

/// The API keys as the auth layer takes them. A key without `default_connection` that may
/// use exactly one connection (it lists one, or lists none and the gateway has one) defaults
/// to that one; otherwise its requests must name one.
pub fn auth_keys(config: &Config) -> Vec<ApiKey> {
    let names = config.connection_names();
    config
        .api_keys
        .iter()
        .map(|k| auth_key(k, &names))
        .collect()
}

/// What an operator should hear at start-up about this configuration: things that load fine
/// but are likely not what was meant (logged as warnings by `sfgate serve`, printed by
/// `sfgate check`).
pub fn startup_warnings(config: &Config) -> Vec<String> {
    let mut warnings = Vec::new();
    if config.api_keys.is_empty() && !config.connections.is_empty() {
        let names: Vec<&str> = config.connections.iter().map(|c| c.name.as_str()).collect();
        let sandbox = if config.sandbox.is_some() {
            " (the sandbox's built-in key still serves the sandbox connection on loopback)"
        } else {
            ""
        };
        warnings.push(format!(
            "no [api_keys] configured: every call to {} is refused with UNAUTHENTICATED \
             until a key is added (`sfgate hash-key` prints its sha256){sandbox}",
            names.join(", ")
        ));
    }
    for key in auth_keys(config) {
        if key.caller.default_connection.is_empty() {
            warnings.push(format!(
                "api key {:?} may use several connections and has no default_connection: \
                 its requests must name one in `connection`",
                key.caller.key_name
            ));
        }
    }
    warnings
}

/// The embedded sandbox's settings ([`sandbox::SandboxConfig::default`] plus the seed file),
/// if `[sandbox]` is enabled.
pub fn sandbox_config(config: &Config) -> Option<sandbox::SandboxConfig> {
    config.sandbox.as_ref().map(|s| sandbox::SandboxConfig {
        seed_path: s.seed_file.clone(),
        ..sandbox::SandboxConfig::default()
    })
}

/// A client per configured connection and the configured keys. The embedded sandbox's
/// connection (and its loopback key) are added by the caller, from
/// [`embedded::start`](super::embedded::start).
pub fn gateway(config: &Config, http: &reqwest::Client) -> Gateway {
    let connections: HashMap<String, Client> = config
        .connections
        .iter()
        .map(|c| (c.name.clone(), Client::new(c.clone(), http.clone())))
        .collect();
    Gateway {
        connections,
        api_keys: auth_keys(config),
        default_timeout: config.server.default_timeout,
        max_timeout: config.server.max_timeout,
        limits: config.limits.clone(),
        triggers: config.triggers.clone(),
        transport: config.server.transport.clone(),
        page_token_key: config
            .server
            .page_token_key
            .clone()
            .unwrap_or_else(PageTokenKey::generate),
    }
}

fn auth_key(key: &ApiKeyConfig, all: &BTreeSet<String>) -> ApiKey {
    let usable = key.connections.as_ref().unwrap_or(all);
    let only = (usable.len() == 1)
        .then(|| usable.first().cloned())
        .flatten();
    ApiKey {
        hash: key.sha256,
        caller: Caller {
            key_name: key.name.clone(),
            connections: key.connections.clone(),
            default_connection: key.default_connection.clone().or(only).unwrap_or_default(),
            permissions: key.permissions.clone(),
        },
    }
}
