//! The OAuth endpoints' error bodies: `{"error": …, "error_description": …}`.
//!
//! Every description is a fixed string, so a submitted secret can never be echoed.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why a token, revoke or introspect request failed. Each maps to exactly one
/// Salesforce `error` / `error_description` pair: a standard OAuth error response
/// ("OAuth 2.0 Authorization Errors", <https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_flow_errors.htm&type=5>; revocation's `invalid_token`:
/// <https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_revoke_token.htm&type=5>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OAuthError {
    /// No `grant_type`.
    MissingGrantType,
    /// A `grant_type` the org does not know.
    UnsupportedGrantType,
    /// Missing or unknown `client_id` (or JWT `iss`).
    InvalidClientId,
    /// Missing or wrong `client_secret`.
    InvalidClient,
    /// Wrong username or password.
    AuthenticationFailure,
    /// JWT malformed, not RS256, bad signature, or no key configured.
    InvalidAssertion,
    /// JWT `aud` is not one the org accepts.
    AudienceInvalid,
    /// JWT `exp` is in the past (beyond the allowed skew).
    ExpiredAssertion,
    /// JWT `sub` is not a user that approved the app.
    NotApproved,
    /// Unknown, revoked or missing refresh token.
    ExpiredRefreshToken,
    /// `/revoke` of an unknown or missing token.
    InvalidToken,
}

impl OAuthError {
    /// The wire pair. Salesforce documents the shape, not every description: the texts are
    /// the ones real token endpoints answer (captures in client libraries' issues and tests;
    /// "expired authorization code" for an expired JWT is from Salesforce StackExchange
    /// question 282513).
    pub(super) fn wire(self) -> (&'static str, &'static str) {
        match self {
            OAuthError::MissingGrantType => ("invalid_request", "grant type is missing"),
            OAuthError::UnsupportedGrantType => {
                ("unsupported_grant_type", "grant type not supported")
            }
            OAuthError::InvalidClientId => ("invalid_client_id", "client identifier invalid"),
            OAuthError::InvalidClient => ("invalid_client", "invalid client credentials"),
            OAuthError::AuthenticationFailure => ("invalid_grant", "authentication failure"),
            OAuthError::InvalidAssertion => ("invalid_grant", "invalid assertion"),
            OAuthError::AudienceInvalid => ("invalid_grant", "audience is invalid"),
            OAuthError::ExpiredAssertion => ("invalid_grant", "expired authorization code"),
            OAuthError::NotApproved => ("invalid_grant", "user hasn't approved this consumer"),
            OAuthError::ExpiredRefreshToken => ("invalid_grant", "expired access/refresh token"),
            OAuthError::InvalidToken => ("invalid_token", "invalid token"),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (error, description) = self.wire();
        let body = serde_json::json!({ "error": error, "error_description": description });
        json_response(StatusCode::BAD_REQUEST, body.to_string())
    }
}

/// A JSON response with the headers every OAuth answer carries: token material
/// must not be cached (`Cache-Control: no-store`, as the Salesforce help page shows).
pub(super) fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
