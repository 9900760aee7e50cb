//! `POST /services/oauth2/introspect` ("OpenID Connect Token Introspection",
//! <https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oidc_token_introspection_endpoint.htm&type=5>; RFC 7662) and `GET /services/oauth2/userinfo`.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::time::Instant;

use super::errors::json_response;
use super::form::Params;
use super::token::check_client;
use super::{AuthServer, Ctx, SCOPE_WITH_REFRESH, identity_url, now_ms};

/// What introspection reports about a live token.
struct TokenInfo {
    kind: &'static str,
    scope: &'static str,
    issued_at_secs: u64,
    // Only access tokens expire (on their idle timer).
    expires_at_secs: Option<u64>,
}

/// Reports whether a token is live. Needs the client's credentials (Basic or body);
/// looking a token up here does not count as using it, so the idle timer is left
/// alone. Unknown or dead tokens are `{"active": false}`.
pub(super) async fn introspect(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = Params::parse(query.as_deref(), &body);
    let config = ctx.server.config();
    if let Err(error) = check_client(&ctx.server, &headers, &params, true) {
        return error.into_response();
    }
    let info = params.get("token").and_then(|t| ctx.server.peek(t));
    let body = match info {
        None => json!({ "active": false }),
        Some(info) => {
            let mut body = json!({
                "active": true,
                "scope": info.scope,
                "client_id": config.client_id,
                "username": config.username,
                "sub": identity_url(config),
                "token_type": info.kind,
                "iat": info.issued_at_secs,
                "nbf": info.issued_at_secs,
            });
            if let (Some(exp), Some(map)) = (info.expires_at_secs, body.as_object_mut()) {
                map.insert("exp".to_owned(), exp.into());
            }
            body
        }
    };
    json_response(StatusCode::OK, body.to_string())
}

/// The OpenID Connect userinfo of the token's user. A bad token gets 403
/// `Bad_OAuth_Token` as plain text, as Salesforce's identity service answers
/// (not in Salesforce's documentation: taken from its identity service's answers, not
/// re-verified here).
pub(super) async fn userinfo(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if ctx.server.authenticate(header).is_err() {
        return (StatusCode::FORBIDDEN, "Bad_OAuth_Token").into_response();
    }
    let config = ctx.server.config();
    let body = json!({
        "sub": identity_url(config),
        "user_id": config.user_id,
        "organization_id": config.org_id,
        "preferred_username": config.username,
        "nickname": config.username.split('@').next().unwrap_or_default(),
        "name": "Sandbox User",
        "email": config.username,
        "email_verified": true,
        "zoneinfo": "America/Los_Angeles",
        "locale": "en_US",
        "user_type": "STANDARD",
        "active": true,
    });
    json_response(StatusCode::OK, body.to_string())
}

impl AuthServer {
    /// Looks a token up without touching its idle timer.
    fn peek(&self, token: &str) -> Option<TokenInfo> {
        let now_secs = now_ms() / 1000;
        if let Some(entry) = self.refreshes().get(token) {
            return Some(TokenInfo {
                kind: "refresh_token",
                scope: SCOPE_WITH_REFRESH,
                issued_at_secs: entry.issued_at_ms / 1000,
                expires_at_secs: None,
            });
        }
        let sessions = self.sessions();
        let entry = sessions.get(token)?;
        let idle = Instant::now().duration_since(entry.last_used);
        let remaining = self.config().idle_timeout.checked_sub(idle)?;
        if remaining.is_zero() {
            return None;
        }
        Some(TokenInfo {
            kind: "access_token",
            scope: entry.scope,
            issued_at_secs: entry.issued_at_ms / 1000,
            expires_at_secs: Some(now_secs.saturating_add(remaining.as_secs())),
        })
    }
}
