//! `POST /services/oauth2/token` and its four grants.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::errors::{OAuthError, json_response};
use super::form::{Params, basic_credentials};
use super::{AuthServer, Ctx, SCOPE_API, SCOPE_WITH_REFRESH, identity_url, jwt, now_ms};

/// The success body, as Salesforce's OAuth flows document it (e.g. the JWT bearer flow's
/// response, <https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_jwt_flow.htm&type=5>). No `expires_in`: Salesforce sessions have an idle timeout instead.
#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    signature: String,
    scope: &'a str,
    instance_url: &'a str,
    id: String,
    token_type: &'static str,
    issued_at: String,
}

/// What a successful grant produced.
struct Granted {
    access_token: String,
    refresh_token: Option<String>,
    scope: &'static str,
}

pub(super) async fn handle(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    ctx.server.count_token_request();
    let params = Params::parse(query.as_deref(), &body);
    match grant(&ctx, &headers, &params) {
        Ok(granted) => success(&ctx, &granted),
        Err(error) => error.into_response(),
    }
}

fn grant(ctx: &Ctx, headers: &HeaderMap, params: &Params) -> Result<Granted, OAuthError> {
    let server = &ctx.server;
    let grant_type = params
        .get("grant_type")
        .ok_or(OAuthError::MissingGrantType)?;
    match grant_type {
        "client_credentials" => {
            check_client(server, headers, params, true)?;
            Ok(server.grant_plain())
        }
        "password" => password(server, headers, params),
        "refresh_token" => {
            check_client(server, headers, params, false)?;
            let refresh_token = params
                .get("refresh_token")
                .ok_or(OAuthError::ExpiredRefreshToken)?;
            server
                .grant_from_refresh(refresh_token)
                .ok_or(OAuthError::ExpiredRefreshToken)
        }
        jwt::GRANT_TYPE => {
            let assertion = params
                .get("assertion")
                .ok_or(OAuthError::InvalidAssertion)?;
            jwt::verify(
                assertion,
                server.inner.jwt_key.as_ref(),
                server.config(),
                &ctx.instance_url,
            )?;
            Ok(server.grant_plain())
        }
        _ => Err(OAuthError::UnsupportedGrantType),
    }
}

fn password(
    server: &AuthServer,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Granted, OAuthError> {
    check_client(server, headers, params, true)?;
    let config = server.config();
    // Salesforce usernames are case-insensitive.
    let username_ok = params
        .get("username")
        .is_some_and(|u| u.eq_ignore_ascii_case(&config.username));
    let given = params.get("password").unwrap_or_default();
    // The password alone, or followed by the security token (an empty token makes
    // both forms the same).
    let password_ok = secret_eq(given, &config.password)
        || given
            .strip_prefix(config.password.as_str())
            .is_some_and(|rest| secret_eq(rest, &config.security_token));
    if !(username_ok && password_ok) {
        return Err(OAuthError::AuthenticationFailure);
    }
    // Sandbox convenience: a password login that asks for the `refresh_token` scope
    // also gets a refresh token, so refresh handling can be tested without an
    // interactive flow.
    let wants_refresh = params
        .get("scope")
        .is_some_and(|s| s.split_whitespace().any(|w| w == "refresh_token"));
    Ok(if wants_refresh {
        server.grant_with_refresh()
    } else {
        server.grant_plain()
    })
}

/// Checks `client_id` / `client_secret` from HTTP Basic, else from the body. The
/// secret may be omitted only where the grant allows it (`refresh_token`).
pub(super) fn check_client(
    server: &AuthServer,
    headers: &HeaderMap,
    params: &Params,
    secret_required: bool,
) -> Result<(), OAuthError> {
    let (id, secret) = match basic_credentials(headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            params.get("client_id").map(str::to_owned),
            params.get("client_secret").map(str::to_owned),
        ),
    };
    let config = server.config();
    if id.as_deref() != Some(config.client_id.as_str()) {
        return Err(OAuthError::InvalidClientId);
    }
    match secret.as_deref().filter(|s| !s.is_empty()) {
        Some(s) if secret_eq(s, &config.client_secret) => Ok(()),
        None if !secret_required => Ok(()),
        _ => Err(OAuthError::InvalidClient),
    }
}

/// Compares secrets without an early exit on the first differing byte.
fn secret_eq(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn success(ctx: &Ctx, granted: &Granted) -> Response {
    let config = ctx.server.config();
    let id = identity_url(config);
    let issued_at = now_ms().to_string();
    let mac = hmac_sha256(
        config.client_secret.as_bytes(),
        &[id.as_bytes(), issued_at.as_bytes()],
    );
    let body = TokenResponse {
        access_token: &granted.access_token,
        refresh_token: granted.refresh_token.as_deref(),
        signature: base64::engine::general_purpose::STANDARD.encode(mac),
        scope: granted.scope,
        instance_url: &ctx.instance_url,
        id,
        token_type: "Bearer",
        issued_at,
    };
    match serde_json::to_string(&body) {
        Ok(json) => json_response(StatusCode::OK, json),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// HMAC-SHA256 (RFC 2104) over the concatenation of `parts`, the `signature`
/// Salesforce documents: Base64(HMAC-SHA256(client_secret, id + issued_at)).
pub(super) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

impl AuthServer {
    /// A session without a refresh token (client_credentials, JWT, plain password).
    fn grant_plain(&self) -> Granted {
        Granted {
            access_token: self.insert_session(SCOPE_API, None, &mut self.sessions()),
            refresh_token: None,
            scope: SCOPE_API,
        }
    }

    /// A new refresh token plus a session minted under it.
    fn grant_with_refresh(&self) -> Granted {
        // Both under the refresh lock, so a concurrent revocation of the new
        // refresh token also ends the new session.
        let mut refreshes = self.refreshes();
        let (refresh_token, family) = self.insert_refresh(&mut refreshes);
        let access_token =
            self.insert_session(SCOPE_WITH_REFRESH, Some(family), &mut self.sessions());
        drop(refreshes);
        Granted {
            access_token,
            refresh_token: Some(refresh_token),
            scope: SCOPE_WITH_REFRESH,
        }
    }

    /// A session from a live refresh token (no rotation: the refresh token stays).
    fn grant_from_refresh(&self, refresh_token: &str) -> Option<Granted> {
        // Hold the refresh lock while minting, so a concurrent revocation of this
        // refresh token also sees (and ends) the new session.
        let refreshes = self.refreshes();
        let family = refreshes.get(refresh_token)?.family;
        let access_token =
            self.insert_session(SCOPE_WITH_REFRESH, Some(family), &mut self.sessions());
        drop(refreshes);
        Some(Granted {
            access_token,
            refresh_token: None,
            scope: SCOPE_WITH_REFRESH,
        })
    }
}
