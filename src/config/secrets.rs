//! Secrets come from an environment variable (`<name>_env`) or a file (`<name>_file`, e.g. a
//! mounted Kubernetes secret), never from the configuration file itself. Errors name the key
//! and the variable or path, never the value.

use std::path::Path;

use crate::salesforce::Secret;

use super::error::{Origin, Problem};
use super::source::{Env, Item};

/// Suffix of a key naming the environment variable that holds a secret.
pub(super) const ENV_SUFFIX: &str = "_env";
/// Suffix of a key naming the file that holds a secret.
pub(super) const FILE_SUFFIX: &str = "_file";

/// Where one secret (e.g. `client_secret`) is to be read from, as configured.
#[derive(Debug)]
pub(crate) struct SecretRef<'a> {
    /// Dotted path of the table holding it, e.g. `connections.acme`.
    pub(crate) table: &'a str,
    /// The secret's base name, e.g. `client_secret`.
    pub(crate) name: &'a str,
    /// Where the table starts, for "missing" errors.
    pub(crate) table_origin: &'a Origin,
    /// `<name>_env`: the variable's name.
    pub(crate) from_env: Option<Item<String>>,
    /// `<name>_file`: the file's path.
    pub(crate) from_file: Option<Item<String>>,
}

impl SecretRef<'_> {
    fn key(&self, suffix: &str) -> String {
        format!("{}.{}{suffix}", self.table, self.name)
    }

    /// Reads the secret; `Ok(None)` if neither key is set. Relative paths are taken from
    /// `base_dir` (the configuration file's folder).
    pub(crate) fn resolve(self, env: &dyn Env, base_dir: &Path) -> Result<Option<Secret>, Problem> {
        match (&self.from_env, &self.from_file) {
            (None, None) => Ok(None),
            (Some(_), Some(file)) => Err(Problem::new(
                self.key(FILE_SUFFIX),
                file.origin.clone(),
                format!(
                    "both {name}_env and {name}_file are set; keep one",
                    name = self.name
                ),
            )),
            (Some(var), None) => {
                let key = self.key(ENV_SUFFIX);
                let name = var.value.trim();
                if name.is_empty() {
                    return Err(Problem::new(key, var.origin.clone(), "names no variable"));
                }
                match env.var(name) {
                    None => Err(Problem::new(
                        key,
                        var.origin.clone(),
                        format!("environment variable {name} is not set"),
                    )),
                    Some(value) if value.trim().is_empty() => Err(Problem::new(
                        key,
                        var.origin.clone(),
                        format!("environment variable {name} is empty"),
                    )),
                    Some(value) => Ok(Some(Secret::new(value))),
                }
            }
            (None, Some(file)) => {
                let key = self.key(FILE_SUFFIX);
                if file.value.trim().is_empty() {
                    return Err(Problem::new(key, file.origin.clone(), "names no file"));
                }
                let path = base_dir.join(&file.value);
                // The io::Error's text is about the file (not found, permission denied, not
                // UTF-8), never its contents.
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Problem::new(
                        key.clone(),
                        file.origin.clone(),
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                let value = text.trim();
                if value.is_empty() {
                    return Err(Problem::new(
                        key,
                        file.origin.clone(),
                        format!("{} is empty", path.display()),
                    ));
                }
                Ok(Some(Secret::new(value)))
            }
        }
    }

    /// Like [`SecretRef::resolve`], but a missing secret is an error naming both keys.
    pub(crate) fn require(
        self,
        flow: &str,
        env: &dyn Env,
        base_dir: &Path,
    ) -> Result<Secret, Problem> {
        let key = self.key(ENV_SUFFIX);
        let origin = self.table_origin.clone();
        let message = format!(
            "missing: flow {flow} needs {name}_env or {name}_file",
            name = self.name
        );
        self.resolve(env, base_dir)?
            .ok_or_else(|| Problem::new(key, origin, message))
    }
}
