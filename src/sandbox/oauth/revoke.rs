//! `POST|GET /services/oauth2/revoke` ("Revoke OAuth Tokens Programmatically",
//! <https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_revoke_token.htm&type=5>).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::Ctx;
use super::errors::OAuthError;
use super::form::Params;

/// Revokes the access or refresh token in `token` (form body, or query for the
/// "blind GET" variant). 200 with an empty body; an unknown or missing token is
/// 400 `invalid_token`.
pub(super) async fn handle(
    State(ctx): State<Ctx>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = Params::parse(query.as_deref(), &body);
    match params.get("token") {
        Some(token) if ctx.server.revoke(token) => StatusCode::OK.into_response(),
        _ => OAuthError::InvalidToken.into_response(),
    }
}
