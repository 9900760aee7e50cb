//! From a checked [`Config`] to what the server runs: clients, auth keys, the sandbox's own
//! configuration.

use std::collections::HashMap;

use crate::caller::{ApiKey, Caller};
use crate::config::PageTokenKey;
use crate::salesforce::Client;
use crate::sandbox;
use crate::server::Gateway;

use super::{ApiKeyConfig, Config};

impl Config {
    /// The API keys as the auth layer takes them. A key without `default_connection` that may
    /// use exactly one connection (it lists one, or lists none and the gateway has one)
    /// defaults to that one; otherwise its requests must name one.
    pub fn auth_keys(&self) -> Vec<ApiKey> {
        let names = self.connection_names();
        self.api_keys.iter().map(|k| auth_key(k, &names)).collect()
    }

    /// What an operator should hear at start-up about this configuration: things that
    /// load fine but are likely not what was meant (logged as warnings by `sfgate serve`,
    /// printed by `sfgate check`).
    pub fn startup_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.api_keys.is_empty() && !self.connections.is_empty() {
            let names: Vec<&str> = self.connections.iter().map(|c| c.name.as_str()).collect();
            let sandbox = if self.sandbox.is_some() {
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
        for key in self.auth_keys() {
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

    /// The embedded sandbox's settings ([`sandbox::SandboxConfig::default`] plus the seed
    /// file), if `[sandbox]` is enabled.
    pub fn sandbox_config(&self) -> Option<sandbox::SandboxConfig> {
        self.sandbox.as_ref().map(|s| sandbox::SandboxConfig {
            seed_path: s.seed_file.clone(),
            ..sandbox::SandboxConfig::default()
        })
    }

    /// A client per configured connection and the configured keys. The embedded sandbox's
    /// connection (and its loopback key) are added by the caller, from
    /// [`embedded::start`](crate::embedded::start).
    pub fn gateway(&self, http: &reqwest::Client) -> Gateway {
        let connections: HashMap<String, Client> = self
            .connections
            .iter()
            .map(|c| (c.name.clone(), Client::new(c.clone(), http.clone())))
            .collect();
        Gateway {
            connections,
            api_keys: self.auth_keys(),
            default_timeout: self.server.default_timeout,
            max_timeout: self.server.max_timeout,
            limits: self.limits.clone(),
            triggers: self.triggers.clone(),
            transport: self.server.transport.clone(),
            page_token_key: self
                .server
                .page_token_key
                .clone()
                .unwrap_or_else(PageTokenKey::generate),
        }
    }
}

fn auth_key(key: &ApiKeyConfig, all: &std::collections::BTreeSet<String>) -> ApiKey {
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
