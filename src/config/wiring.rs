//! From a checked [`Config`] to what the server runs: clients, auth keys, the sandbox's own
//! configuration.

use std::collections::HashMap;

use crate::api::{Caller, PageTokenKey};
use crate::middleware::ApiKey;
use crate::salesforce::Client;
use crate::sandbox;
use crate::server::Gateway;

use super::{ApiKeyConfig, Config};

impl Config {
    /// The API keys as the auth layer takes them. A key without `default_connection` but with
    /// exactly one connection defaults to that one; otherwise its requests must name one.
    pub fn auth_keys(&self) -> Vec<ApiKey> {
        self.api_keys.iter().map(auth_key).collect()
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

fn auth_key(key: &ApiKeyConfig) -> ApiKey {
    let only = key
        .connections
        .as_ref()
        .filter(|c| c.len() == 1)
        .and_then(|c| c.first().cloned());
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
