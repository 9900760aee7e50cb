//! [`Fields`]: one connection table as key → value (with origin), and typed reads of it.

use std::collections::BTreeMap;

use toml::Value;

use super::connection::{ALLOWED_HOSTS, SECRETS, known_keys};
use super::error::{Origin, Problem, Problems};
use super::secrets::{ENV_SUFFIX, FILE_SUFFIX, SecretRef};
use super::source::{Env, Item, connection_var, env_item};

/// One connection table while it is being checked.
pub(crate) struct Fields<'a> {
    pub(crate) name: &'a str,
    /// `connections.<name>`.
    pub(crate) table: String,
    /// Where the table starts, for errors about missing keys.
    pub(crate) origin: Origin,
    pub(crate) values: BTreeMap<String, Item<Value>>,
}

impl Fields<'_> {
    pub(crate) fn key(&self, key: &str) -> String {
        format!("{}.{key}", self.table)
    }

    pub(crate) fn str(&self, key: &str) -> Result<Option<Item<String>>, Problem> {
        let Some(item) = self.values.get(key) else {
            return Ok(None);
        };
        match &item.value {
            Value::String(s) => Ok(Some(Item {
                value: s.clone(),
                origin: item.origin.clone(),
            })),
            other => Err(Problem::new(
                self.key(key),
                item.origin.clone(),
                format!("expected a string, found {}", other.type_str()),
            )),
        }
    }

    pub(crate) fn required(&self, key: &str, why: &str) -> Result<Item<String>, Problem> {
        let item = self.str(key)?.ok_or_else(|| {
            Problem::new(
                self.key(key),
                self.origin.clone(),
                format!("missing: {why}"),
            )
        })?;
        if item.value.trim().is_empty() {
            return Err(Problem::new(self.key(key), item.origin, "is empty"));
        }
        Ok(item)
    }

    pub(crate) fn secret(&self, name: &'static str) -> Result<SecretRef<'_>, Problem> {
        Ok(SecretRef {
            table: &self.table,
            name,
            table_origin: &self.origin,
            from_env: self.str(&format!("{name}{ENV_SUFFIX}"))?,
            from_file: self.str(&format!("{name}{FILE_SUFFIX}"))?,
        })
    }

    /// Applies `SFGATE_CONNECTIONS__<NAME>__<KEY>` overrides. Setting either key of a secret
    /// replaces the file's choice of variable or file for that secret. An override holding a
    /// secret itself (`..._CLIENT_SECRET`) is refused like an inline one, not ignored.
    pub(crate) fn apply_env(&mut self, env: &dyn Env, problems: &mut Problems) {
        for secret in SECRETS {
            let var = connection_var(self.name, secret);
            if env.var(&var).is_some() {
                let message = format!(
                    "an override cannot hold the secret itself; set {var}_ENV (a variable's \
                     name) or {var}_FILE (a file's path) instead"
                );
                problems.push(self.key(secret), Origin::Env(var), message);
            }
        }
        for key in known_keys() {
            let Some(item) = env_item(env, &connection_var(self.name, &key)) else {
                continue;
            };
            let value = if key == ALLOWED_HOSTS {
                let hosts = item
                    .value
                    .split(',')
                    .map(str::trim)
                    .filter(|h| !h.is_empty());
                Value::Array(hosts.map(|h| Value::String(h.to_owned())).collect())
            } else {
                Value::String(item.value)
            };
            if let Some(base) = key
                .strip_suffix(ENV_SUFFIX)
                .or_else(|| key.strip_suffix(FILE_SUFFIX))
            {
                self.values.remove(&format!("{base}{ENV_SUFFIX}"));
                self.values.remove(&format!("{base}{FILE_SUFFIX}"));
            }
            let origin = item.origin;
            self.values.insert(key, Item { value, origin });
        }
    }
}
