//! `[connections.<name>]`: one Salesforce org each, turned into a
//! [`ConnectionConfig`](crate::salesforce::ConnectionConfig) with its secrets already read.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use reqwest::Url;
use toml::Value;

use crate::salesforce::ConnectionConfig;

use super::error::{Origin, Problem, Problems};
use super::fields::Fields;
use super::flows::auth_flow;
use super::limits::{LIMIT_KEYS, limits};
use super::secrets::{ENV_SUFFIX, FILE_SUFFIX};
use super::source::{Env, Item};
use super::urls;

/// `login_url`: `login`, `test`, or an `https://` My Domain URL.
pub(super) const LOGIN_URL: &str = "login_url";
/// `api_version`: e.g. `62.0`.
pub(super) const API_VERSION: &str = "api_version";
/// `allowed_hosts`: extra hosts a token's `instance_url` may name.
pub(super) const ALLOWED_HOSTS: &str = "allowed_hosts";
/// `flow`: one of [`FLOWS`].
pub(super) const FLOW: &str = "flow";
/// `client_id`: the connected app's consumer key (not a secret).
pub(super) const CLIENT_ID: &str = "client_id";
/// `username`: the Salesforce user (password, jwt_bearer).
pub(super) const USERNAME: &str = "username";
/// `audience`: `login`, `test` or a URL (jwt_bearer).
pub(super) const AUDIENCE: &str = "audience";
/// `instance_url`: the org's REST host (access_token).
pub(super) const INSTANCE_URL: &str = "instance_url";
/// Secrets, each configured as `<name>_env` or `<name>_file`.
pub(super) const CLIENT_SECRET: &str = "client_secret";
/// See [`CLIENT_SECRET`].
pub(super) const PASSWORD: &str = "password";
/// See [`CLIENT_SECRET`].
pub(super) const SECURITY_TOKEN: &str = "security_token";
/// See [`CLIENT_SECRET`].
pub(super) const REFRESH_TOKEN: &str = "refresh_token";
/// See [`CLIENT_SECRET`]; the PEM of the RSA key (jwt_bearer).
pub(super) const PRIVATE_KEY: &str = "private_key";
/// See [`CLIENT_SECRET`].
pub(super) const ACCESS_TOKEN: &str = "access_token";

/// The auth flows, as spelled in `flow`.
pub const FLOWS: [&str; 5] = [
    "client_credentials",
    "jwt_bearer",
    "refresh_token",
    "password",
    "access_token",
];

pub(crate) const COMMON: [&str; 4] = [LOGIN_URL, API_VERSION, ALLOWED_HOSTS, FLOW];
pub(crate) const PLAIN: [&str; 4] = [CLIENT_ID, USERNAME, AUDIENCE, INSTANCE_URL];
pub(crate) const SECRETS: [&str; 6] = [
    CLIENT_SECRET,
    PASSWORD,
    SECURITY_TOKEN,
    REFRESH_TOKEN,
    PRIVATE_KEY,
    ACCESS_TOKEN,
];

/// The plain keys and secrets a flow reads.
pub(crate) fn flow_keys(flow: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match flow {
        "client_credentials" => (&[CLIENT_ID], &[CLIENT_SECRET]),
        "password" => (
            &[CLIENT_ID, USERNAME],
            &[CLIENT_SECRET, PASSWORD, SECURITY_TOKEN],
        ),
        "refresh_token" => (&[CLIENT_ID], &[CLIENT_SECRET, REFRESH_TOKEN]),
        "jwt_bearer" => (&[CLIENT_ID, USERNAME, AUDIENCE], &[PRIVATE_KEY]),
        "access_token" => (&[INSTANCE_URL], &[ACCESS_TOKEN]),
        _ => (&[], &[]),
    }
}

/// Every key a connection table may hold (secrets by their `_env` / `_file` names).
pub(crate) fn known_keys() -> Vec<String> {
    let mut keys: Vec<String> = COMMON
        .iter()
        .chain(&PLAIN)
        .chain(&LIMIT_KEYS)
        .map(|k| k.to_string())
        .collect();
    for secret in SECRETS {
        keys.push(format!("{secret}{ENV_SUFFIX}"));
        keys.push(format!("{secret}{FILE_SUFFIX}"));
    }
    keys
}

/// Checks one `[connections.<name>]` table, reads its secrets and builds its config. Every
/// problem goes to `problems`; `None` if there was any.
pub(crate) fn build(
    name: &str,
    origin: Origin,
    values: BTreeMap<String, Item<Value>>,
    default_timeout: Duration,
    env: &dyn Env,
    base_dir: &Path,
    problems: &mut Problems,
) -> Option<ConnectionConfig> {
    let mut fields = Fields {
        name,
        table: format!("connections.{name}"),
        origin,
        values,
    };
    let known = known_keys();
    let before = problems.0.len();
    for (key, item) in &fields.values {
        if SECRETS.contains(&key.as_str()) {
            let message = format!(
                "inline secrets are refused; set {key}_env (an environment variable's name) \
                 or {key}_file (a file's path) instead"
            );
            problems.push(fields.key(key), item.origin.clone(), message);
        } else if !known.contains(key) {
            let message = format!("unknown key; expected one of {}", known.join(", "));
            problems.push(fields.key(key), item.origin.clone(), message);
        }
    }
    fields.values.retain(|key, _| known.contains(key));
    fields.apply_env(env, problems);

    // Without a valid flow, the keys common to all flows are still checked.
    let flow = problems.ok(flow(&fields));
    let flow = flow.as_deref().unwrap_or_default();
    let (plain, secrets) = flow_keys(flow);
    for (key, item) in fields.values.iter().filter(|_| !flow.is_empty()) {
        let base = key
            .strip_suffix(ENV_SUFFIX)
            .or_else(|| key.strip_suffix(FILE_SUFFIX))
            .unwrap_or(key);
        let used = COMMON.contains(&key.as_str())
            || LIMIT_KEYS.contains(&key.as_str())
            || plain.contains(&key.as_str())
            || (secrets.contains(&base) && base != key);
        if !used {
            let message = format!("not used by flow {flow}");
            problems.push(fields.key(key), item.origin.clone(), message);
        }
    }

    let api_version = problems.ok(api_version(&fields));
    let allowed_hosts = problems.ok(allowed_hosts(&fields));
    let login_url = problems.ok(login_url(&fields, flow));
    let auth = match (&login_url, &allowed_hosts) {
        (Some(login_url), Some(allowed)) => {
            auth_flow(&fields, flow, login_url, allowed, env, base_dir, problems)
        }
        _ => None,
    };
    let limits = limits(&fields, default_timeout, problems);
    if problems.0.len() > before {
        return None;
    }
    Some(ConnectionConfig {
        name: name.to_owned(),
        login_url: login_url?,
        api_version: api_version?,
        auth: auth?,
        allowed_hosts: allowed_hosts?,
        limits: limits?,
    })
}

fn flow(fields: &Fields<'_>) -> Result<String, Problem> {
    let flow = fields.required(FLOW, &format!("set one of {}", FLOWS.join(", ")))?;
    if FLOWS.contains(&flow.value.as_str()) {
        Ok(flow.value)
    } else {
        Err(Problem::new(
            fields.key(FLOW),
            flow.origin,
            format!(
                "unknown flow {:?}; expected one of {}",
                flow.value,
                FLOWS.join(", ")
            ),
        ))
    }
}

fn api_version(fields: &Fields<'_>) -> Result<String, Problem> {
    let item = fields.required(API_VERSION, "set the REST API version, e.g. \"62.0\"")?;
    let ok = item.value.split_once('.').is_some_and(|(major, minor)| {
        [major, minor]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    if ok {
        Ok(item.value)
    } else {
        Err(Problem::new(
            fields.key(API_VERSION),
            item.origin,
            format!("expected a version like \"62.0\", got {:?}", item.value),
        ))
    }
}

fn allowed_hosts(fields: &Fields<'_>) -> Result<Vec<String>, Problem> {
    let Some(item) = fields.values.get(ALLOWED_HOSTS) else {
        return Ok(Vec::new());
    };
    let bad =
        |message: String| Problem::new(fields.key(ALLOWED_HOSTS), item.origin.clone(), message);
    let Value::Array(values) = &item.value else {
        return Err(bad(format!(
            "expected an array of host names, found {}",
            item.value.type_str()
        )));
    };
    values
        .iter()
        .map(|value| {
            let host = value
                .as_str()
                .ok_or_else(|| bad(format!("expected host names, found {}", value.type_str())))?;
            urls::host(host).map_err(bad)
        })
        .collect()
}

fn login_url(fields: &Fields<'_>, flow: &str) -> Result<Url, Problem> {
    // A static token never logs in, so the login URL is only a placeholder there.
    let item = match fields.str(LOGIN_URL)? {
        None if flow == "access_token" => return Ok(urls::production_login()),
        _ => fields.required(LOGIN_URL, "set login, test or a My Domain URL")?,
    };
    let bad = |message: String| Problem::new(fields.key(LOGIN_URL), item.origin.clone(), message);
    let url = urls::login_url(&item.value).map_err(bad)?;
    if flow == "client_credentials" && urls::is_generic_login(&url) {
        return Err(bad(
            "client_credentials needs the org's My Domain URL, not login or test".to_owned(),
        ));
    }
    Ok(url)
}
