//! The auth flow of one connection: its plain keys and its secrets, read into an [`AuthFlow`].

use std::path::Path;

use reqwest::Url;

use crate::salesforce::{AuthFlow, Secret};

use super::connection::{
    ACCESS_TOKEN, AUDIENCE, CLIENT_ID, CLIENT_SECRET, INSTANCE_URL, PASSWORD, PRIVATE_KEY,
    REFRESH_TOKEN, SECURITY_TOKEN, USERNAME,
};
use super::error::{Problem, Problems};
use super::fields::Fields;
use super::secrets::{ENV_SUFFIX, FILE_SUFFIX};
use super::source::Env;
use super::urls;

/// Builds `flow`'s [`AuthFlow`], reading its secrets; every problem goes to `problems`.
pub(crate) fn auth_flow(
    fields: &Fields<'_>,
    flow: &str,
    login_url: &Url,
    allowed_hosts: &[String],
    env: &dyn Env,
    base_dir: &Path,
    problems: &mut Problems,
) -> Option<AuthFlow> {
    let why = format!("flow {flow} needs it");
    let mut text = |key: &str| problems.ok(fields.required(key, &why)).map(|i| i.value);
    let secret = |name: &'static str, problems: &mut Problems| {
        let result = fields
            .secret(name)
            .and_then(|s| s.require(flow, env, base_dir));
        problems.ok(result)
    };
    let optional = |name: &'static str, problems: &mut Problems| {
        let result = fields.secret(name).and_then(|s| s.resolve(env, base_dir));
        problems.ok(result)
    };
    match flow {
        "client_credentials" => {
            let client_id = text(CLIENT_ID);
            let client_secret = secret(CLIENT_SECRET, problems);
            Some(AuthFlow::ClientCredentials {
                client_id: client_id?,
                client_secret: client_secret?,
            })
        }
        "password" => {
            let (client_id, username) = (text(CLIENT_ID), text(USERNAME));
            let client_secret = secret(CLIENT_SECRET, problems);
            let password = secret(PASSWORD, problems);
            let security_token = optional(SECURITY_TOKEN, problems);
            Some(AuthFlow::Password {
                client_id: client_id?,
                client_secret: client_secret?,
                username: username?,
                password: password?,
                security_token: security_token?.unwrap_or_default(),
            })
        }
        "refresh_token" => {
            let client_id = text(CLIENT_ID);
            let client_secret = optional(CLIENT_SECRET, problems);
            let refresh_token = secret(REFRESH_TOKEN, problems);
            Some(AuthFlow::RefreshToken {
                client_id: client_id?,
                client_secret: client_secret?,
                refresh_token: refresh_token?,
            })
        }
        "jwt_bearer" => {
            let (client_id, username) = (text(CLIENT_ID), text(USERNAME));
            let audience = problems.ok(audience(fields, login_url));
            let private_key_pem = secret(PRIVATE_KEY, problems)
                .and_then(|pem| usable_private_key(fields, pem, problems));
            Some(AuthFlow::JwtBearer {
                client_id: client_id?,
                username: username?,
                private_key_pem: private_key_pem?,
                audience: audience?,
            })
        }
        "access_token" => {
            let instance_url = problems.ok(instance_url(fields, allowed_hosts));
            let access_token = secret(ACCESS_TOKEN, problems);
            Some(AuthFlow::AccessToken {
                access_token: access_token?,
                instance_url: instance_url?,
            })
        }
        _ => None,
    }
}

/// The PEM, if it can sign the flow's assertion; else a problem on the key that named it
/// (the key's text never appears, only what kind of key it is not).
fn usable_private_key(fields: &Fields<'_>, pem: Secret, problems: &mut Problems) -> Option<Secret> {
    if crate::salesforce::auth::check_private_key(&pem).is_ok() {
        return Some(pem);
    }
    let (key, origin) = [ENV_SUFFIX, FILE_SUFFIX]
        .iter()
        .find_map(|suffix| {
            let key = format!("{PRIVATE_KEY}{suffix}");
            fields
                .values
                .get(&key)
                .map(|item| (key, item.origin.clone()))
        })
        .unwrap_or_else(|| (PRIVATE_KEY.to_owned(), fields.origin.clone()));
    problems.push(
        fields.key(&key),
        origin,
        "is not a usable RSA private key in PEM form (PKCS#1 `BEGIN RSA PRIVATE KEY` or PKCS#8 \
         `BEGIN PRIVATE KEY`): the jwt_bearer flow could not sign its assertion with it",
    );
    None
}

fn audience(fields: &Fields<'_>, login_url: &Url) -> Result<String, Problem> {
    match fields.str(AUDIENCE)? {
        None => Ok(urls::default_audience(login_url).to_owned()),
        Some(item) => urls::audience(&item.value)
            .map_err(|message| Problem::new(fields.key(AUDIENCE), item.origin, message)),
    }
}

fn instance_url(fields: &Fields<'_>, allowed_hosts: &[String]) -> Result<Url, Problem> {
    let item = fields.required(INSTANCE_URL, "flow access_token needs it")?;
    urls::instance_url(&item.value, allowed_hosts)
        .map_err(|message| Problem::new(fields.key(INSTANCE_URL), item.origin, message))
}
