//! One trip to `{login_url}/services/oauth2/token`.

use std::time::Instant;

use reqwest::Url;
use serde::Deserialize;
use time::OffsetDateTime;

use super::{AuthFlow, Fetched, Token, check_instance, jwt};
use crate::salesforce::{AuthError, ConnectionConfig, Error, Secret};

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The success body. Deliberately no `Debug`: it holds tokens as plain strings until they are
/// wrapped in [`Secret`].
#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    instance_url: String,
    #[serde(default)]
    token_type: Option<String>,
    /// Epoch milliseconds as a string; absent in some JWT responses.
    #[serde(default)]
    issued_at: Option<serde_json::Value>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Gets a token for `config`'s flow and checks its instance URL against the allowlist.
/// `rotated` is the newest refresh token seen, for apps that rotate them.
pub(crate) async fn request_token(
    http: &reqwest::Client,
    config: &ConnectionConfig,
    rotated: Option<Secret>,
) -> Result<Fetched, Error> {
    if let AuthFlow::AccessToken {
        access_token,
        instance_url,
    } = &config.auth
    {
        check_instance(instance_url, &config.allowed_hosts)?;
        let token = Token {
            access_token: access_token.clone(),
            instance_url: instance_url.clone(),
            token_type: "Bearer".to_owned(),
            issued_at: OffsetDateTime::now_utc(),
        };
        return Ok(Fetched {
            token,
            refresh_token: None,
        });
    }
    let body = post_form(http, config, &form(&config.auth, rotated.as_ref())?).await?;
    // serde's message could quote a value from the body, so only its category is kept.
    let body: TokenBody =
        serde_json::from_slice(&body).map_err(|e| AuthError::Decode(e.classify()))?;
    let instance_url = Url::parse(&body.instance_url).map_err(AuthError::InvalidInstanceUrl)?;
    check_instance(&instance_url, &config.allowed_hosts)?;
    let token = Token {
        access_token: Secret::new(body.access_token),
        instance_url,
        token_type: body.token_type.unwrap_or_else(|| "Bearer".to_owned()),
        issued_at: body
            .issued_at
            .as_ref()
            .and_then(issued_at)
            .unwrap_or_else(OffsetDateTime::now_utc),
    };
    Ok(Fetched {
        token,
        refresh_token: body.refresh_token.map(Secret::new),
    })
}

/// Posts the grant to the token endpoint; returns the body of a 2xx, or the OAuth refusal.
async fn post_form(
    http: &reqwest::Client,
    config: &ConnectionConfig,
    form: &[(&'static str, String)],
) -> Result<Vec<u8>, Error> {
    let started = Instant::now();
    let response = http
        .post(token_url(&config.login_url)?)
        .form(form)
        .send()
        .await
        .map_err(Error::unreachable)?;
    let status = response.status();
    let body = response.bytes().await.map_err(Error::unreachable)?;
    tracing::debug!(
        connection = %config.name,
        grant = form[0].1.as_str(),
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "salesforce token request"
    );
    if status.is_success() {
        return Ok(body.to_vec());
    }
    Err(match serde_json::from_slice::<OAuthErrorBody>(&body) {
        Ok(e) => AuthError::Refused {
            status,
            error: e.error,
            description: e.error_description,
        },
        Err(_) => AuthError::Status { status },
    }
    .into())
}

/// The form fields; `grant_type` first (the log line reads it from there).
fn form(flow: &AuthFlow, rotated: Option<&Secret>) -> Result<Vec<(&'static str, String)>, Error> {
    let s = |v: &str| v.to_owned();
    Ok(match flow {
        AuthFlow::ClientCredentials {
            client_id,
            client_secret,
        } => vec![
            ("grant_type", s("client_credentials")),
            ("client_id", s(client_id)),
            ("client_secret", s(client_secret.expose())),
        ],
        AuthFlow::Password {
            client_id,
            client_secret,
            username,
            password,
            security_token,
        } => vec![
            ("grant_type", s("password")),
            ("client_id", s(client_id)),
            ("client_secret", s(client_secret.expose())),
            ("username", s(username)),
            (
                "password",
                format!("{}{}", password.expose(), security_token.expose()),
            ),
        ],
        AuthFlow::RefreshToken {
            client_id,
            client_secret,
            refresh_token,
        } => {
            let refresh_token = rotated.unwrap_or(refresh_token);
            let mut form = vec![
                ("grant_type", s("refresh_token")),
                ("refresh_token", s(refresh_token.expose())),
                ("client_id", s(client_id)),
            ];
            if let Some(secret) = client_secret {
                form.push(("client_secret", s(secret.expose())));
            }
            form
        }
        AuthFlow::JwtBearer {
            client_id,
            username,
            private_key_pem,
            audience,
        } => {
            let now = OffsetDateTime::now_utc();
            let assertion = jwt::assertion(client_id, username, private_key_pem, audience, now)?;
            vec![("grant_type", s(JWT_BEARER)), ("assertion", assertion)]
        }
        AuthFlow::AccessToken { .. } => {
            return Err(Error::InvalidArgument {
                name: "auth",
                reason: "a static access token has no token request",
            });
        }
    })
}

/// `{login_url}/services/oauth2/token`, keeping any path prefix of `login_url` (communities).
fn token_url(login_url: &Url) -> Result<Url, Error> {
    let mut url = login_url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|()| Error::InvalidArgument {
            name: "login_url",
            reason: "not an http(s) url",
        })?
        .pop_if_empty()
        .extend(["services", "oauth2", "token"]);
    Ok(url)
}

/// `issued_at` is epoch milliseconds in a string; a number is accepted too.
fn issued_at(value: &serde_json::Value) -> Option<OffsetDateTime> {
    let millis: i128 = match value {
        serde_json::Value::String(s) => s.parse().ok()?,
        serde_json::Value::Number(n) => n.as_i64()?.into(),
        _ => return None,
    };
    OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_url_appends_to_the_login_url() {
        let u = |s: &str| token_url(&Url::parse(s).unwrap()).unwrap().to_string();
        assert_eq!(
            u("https://login.salesforce.com"),
            "https://login.salesforce.com/services/oauth2/token"
        );
        assert_eq!(
            u("http://127.0.0.1:9/"),
            "http://127.0.0.1:9/services/oauth2/token"
        );
        assert_eq!(
            u("https://x.force.com/community?a=b"),
            "https://x.force.com/community/services/oauth2/token"
        );
    }

    #[test]
    fn issued_at_is_epoch_millis() {
        let t = issued_at(&serde_json::json!("1589009375588")).unwrap();
        assert_eq!(t.unix_timestamp(), 1_589_009_375);
        assert_eq!(t.millisecond(), 588);
        assert!(issued_at(&serde_json::json!("soon")).is_none());
    }
}
