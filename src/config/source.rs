//! Where values come from: the TOML file (with each value's line) and the environment, read
//! through the [`Env`] trait so tests pass a `HashMap` instead of mutating the process
//! environment.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::ops::Range;

use toml::Spanned;

use super::error::Origin;

/// `[server] listen` override.
pub const ENV_LISTEN: &str = "SFGATE_LISTEN";
/// `[server] default_timeout_ms` override.
pub const ENV_DEFAULT_TIMEOUT_MS: &str = "SFGATE_DEFAULT_TIMEOUT_MS";
/// `[sandbox] enabled` override (`true` / `false`).
pub const ENV_SANDBOX_ENABLED: &str = "SFGATE_SANDBOX_ENABLED";
/// `[sandbox] seed_file` override.
pub const ENV_SANDBOX_SEED_FILE: &str = "SFGATE_SANDBOX_SEED_FILE";
/// The configuration file's path (`--config`).
pub const ENV_CONFIG: &str = "SFGATE_CONFIG";
/// The log filter (`tracing` `EnvFilter` syntax); wins over `RUST_LOG`.
pub const ENV_LOG: &str = "SFGATE_LOG";
/// `sfgate sandbox --listen`.
pub const ENV_SANDBOX_LISTEN: &str = "SFGATE_SANDBOX_LISTEN";
/// Prefix of a connection key override: `SFGATE_CONNECTIONS__<NAME>__<KEY>`.
pub const ENV_CONNECTION_PREFIX: &str = "SFGATE_CONNECTIONS__";

/// Reads environment variables. The real one is [`ProcessEnv`]; tests use a `HashMap`.
pub trait Env {
    /// The variable's value, `None` if unset (or not valid Unicode).
    fn var(&self, name: &str) -> Option<String>;
    /// The names of the variables that start with `prefix`, sorted.
    fn names_with_prefix(&self, prefix: &str) -> Vec<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
    fn names_with_prefix(&self, prefix: &str) -> Vec<String> {
        let mut names: Vec<String> = std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .filter(|name| name.starts_with(prefix))
            .collect();
        names.sort();
        names
    }
}

impl<S: BuildHasher> Env for HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
    fn names_with_prefix(&self, prefix: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        names.sort();
        names
    }
}

impl<S: BuildHasher> Env for HashMap<&str, &str, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| (*v).to_owned())
    }
    fn names_with_prefix(&self, prefix: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .keys()
            .filter(|k| k.starts_with(prefix))
            .map(|k| (*k).to_owned())
            .collect();
        names.sort();
        names
    }
}

/// The variable that overrides `connections.<name>.<key>`: the name upper-cased with `-`
/// turned into `_`, e.g. `voice-eu` + `api_version` → `SFGATE_CONNECTIONS__VOICE_EU__API_VERSION`.
pub fn connection_var(name: &str, key: &str) -> String {
    format!(
        "{ENV_CONNECTION_PREFIX}{}__{}",
        env_segment(name),
        key.to_ascii_uppercase()
    )
}

/// A connection name as it appears in its override variables.
pub(crate) fn env_segment(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// A value and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Item<T> {
    pub(crate) value: T,
    pub(crate) origin: Origin,
}

impl<T> Item<T> {
    pub(crate) fn map_value<U>(self, f: impl FnOnce(T) -> U) -> Item<U> {
        Item {
            value: f(self.value),
            origin: self.origin,
        }
    }
}

/// Byte offset → line number, for turning TOML spans into `line N`.
#[derive(Debug)]
pub(crate) struct LineIndex {
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }

    pub(crate) fn origin(&self, span: Range<usize>) -> Origin {
        Origin::Line(self.line(span.start))
    }

    pub(crate) fn item<T>(&self, spanned: Spanned<T>) -> Item<T> {
        let origin = self.origin(spanned.span());
        Item {
            value: spanned.into_inner(),
            origin,
        }
    }
}

/// Reads `var` and, if set, gives it as an [`Item`] from the environment.
pub(crate) fn env_item(env: &dyn Env, var: &str) -> Option<Item<String>> {
    env.var(var).map(|value| Item {
        value,
        origin: Origin::Env(var.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_from_one() {
        let index = LineIndex::new("a = 1\nb = 2\n\nc = 3");
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line(5), 1);
        assert_eq!(index.line(6), 2);
        assert_eq!(index.line(12), 3);
        assert_eq!(index.line(13), 4);
    }

    #[test]
    fn connection_vars_upper_case_and_map_dashes() {
        assert_eq!(
            connection_var("voice-eu", "api_version"),
            "SFGATE_CONNECTIONS__VOICE_EU__API_VERSION"
        );
    }
}
