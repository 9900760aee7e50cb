//! Every `SFGATE_*` variable in the environment must be one sfgate reads, as every key in
//! the file must be one it knows: a misspelt override (`..._CLIENT_SECRET_FLIE`,
//! `..._API_VERSON`) or one naming no connection would otherwise be ignored without a word,
//! and a secret rotation could silently not happen.
//!
//! Known are the documented variables, the overrides of the connections in the file (their
//! keys upper-cased), and any variable the configuration names as a secret's source
//! (`client_secret_env = "SFGATE_BENCH_SECRET"`).

use std::collections::BTreeSet;

use super::connection::{SECRETS, known_keys};
use super::error::{Origin, Problems};
use super::source::{
    ENV_CONFIG, ENV_CONNECTION_PREFIX, ENV_DEFAULT_TIMEOUT_MS, ENV_LISTEN, ENV_LOG,
    ENV_SANDBOX_ENABLED, ENV_SANDBOX_LISTEN, ENV_SANDBOX_SEED_FILE, Env, env_segment,
};

/// The prefix of every variable sfgate owns.
pub(super) const PREFIX: &str = "SFGATE_";

/// The variables sfgate reads whatever the file says.
const FIXED: [&str; 7] = [
    ENV_CONFIG,
    ENV_LISTEN,
    ENV_LOG,
    ENV_DEFAULT_TIMEOUT_MS,
    ENV_SANDBOX_ENABLED,
    ENV_SANDBOX_SEED_FILE,
    ENV_SANDBOX_LISTEN,
];

/// The variables that override the file, meaningless without one.
const FILE_OVERRIDES: [&str; 3] = [
    ENV_DEFAULT_TIMEOUT_MS,
    ENV_SANDBOX_ENABLED,
    ENV_SANDBOX_SEED_FILE,
];

/// Checks every `SFGATE_*` variable of `env` against a configuration with `connections`
/// (their names as in the file) whose secrets are read from the variables in `referenced`.
pub(crate) fn check(
    env: &dyn Env,
    connections: &BTreeSet<String>,
    referenced: &BTreeSet<String>,
    problems: &mut Problems,
) {
    let segments: Vec<(String, &String)> =
        connections.iter().map(|c| (env_segment(c), c)).collect();
    let keys: Vec<String> = known_keys()
        .iter()
        .map(|k| k.to_ascii_uppercase())
        .collect();
    for var in env.names_with_prefix(PREFIX) {
        if FIXED.contains(&var.as_str()) || referenced.contains(&var) {
            continue;
        }
        let origin = Origin::Env(var.clone());
        let Some(rest) = var.strip_prefix(ENV_CONNECTION_PREFIX) else {
            unknown(var, problems);
            continue;
        };
        let Some((segment, key)) = rest.rsplit_once("__") else {
            let message = "expected SFGATE_CONNECTIONS__<NAME>__<KEY>";
            problems.push(var.clone(), Origin::File, message);
            continue;
        };
        let Some((_, name)) = segments.iter().find(|(s, _)| s == segment) else {
            let names: Vec<&str> = connections.iter().map(String::as_str).collect();
            let message = format!(
                "names no connection of the file ({}); the environment cannot add one",
                if names.is_empty() {
                    "it has none".to_owned()
                } else {
                    names.join(", ")
                }
            );
            problems.push(
                format!("connections.{}", segment.to_ascii_lowercase()),
                origin,
                message,
            );
            continue;
        };
        // A variable holding a secret itself is refused where overrides are applied.
        if keys.contains(&key.to_owned()) || SECRETS.iter().any(|s| s.eq_ignore_ascii_case(key)) {
            continue;
        }
        let mut message = "unknown key".to_owned();
        if let Some(near) = closest(key, keys.iter().map(String::as_str)) {
            message.push_str(&format!(
                "; did you mean {ENV_CONNECTION_PREFIX}{segment}__{near}?"
            ));
        }
        problems.push(
            format!("connections.{name}.{}", key.to_ascii_lowercase()),
            origin,
            message,
        );
    }
}

/// Without a configuration file: only the variables that need none are meaningful.
pub(crate) fn check_without_file(env: &dyn Env, problems: &mut Problems) {
    for var in env.names_with_prefix(PREFIX) {
        if FILE_OVERRIDES.contains(&var.as_str()) || var.starts_with(ENV_CONNECTION_PREFIX) {
            let message = format!(
                "overrides the configuration file, but none is given (--config or {ENV_CONFIG})"
            );
            problems.push(var, Origin::File, message);
        } else if !FIXED.contains(&var.as_str()) {
            unknown(var, problems);
        }
    }
}

fn unknown(var: String, problems: &mut Problems) {
    let mut message = format!(
        "unknown variable; sfgate reads {} and SFGATE_CONNECTIONS__<NAME>__<KEY>",
        FIXED.join(", ")
    );
    if let Some(near) = closest(&var, FIXED.iter().copied()) {
        message.push_str(&format!(" (did you mean {near}?)"));
    }
    problems.push(var, Origin::File, message);
}

/// The candidate nearest to `word` if it is a likely misspelling: at most two edits, and
/// fewer than a third of the word.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= 2 && *d * 3 < word.len().max(1))
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance, by bytes (the names are ASCII).
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, y) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(x != y);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_find_their_intended_name() {
        assert_eq!(distance("API_VERSON", "API_VERSION"), 1);
        assert_eq!(distance("CLIENT_SECRET_FLIE", "CLIENT_SECRET_FILE"), 2);
        assert_eq!(
            closest(
                "CLIENT_SECRET_FLIE",
                ["CLIENT_SECRET_FILE", "CLIENT_ID"].into_iter()
            ),
            Some("CLIENT_SECRET_FILE")
        );
        assert_eq!(closest("XYZ", ["LISTEN"].into_iter()), None);
    }
}
