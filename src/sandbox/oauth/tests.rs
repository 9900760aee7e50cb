//! Token endpoint, revocation, sessions: driven through `router()`.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine as _;
use serde_json::Value;
use tower::ServiceExt as _;

use super::{AuthFailure, AuthServer, OAuthConfig};

pub(super) const INSTANCE: &str = "http://127.0.0.1:8443";
pub(super) const ORG: &str = "00D000000000001EAA";
pub(super) const USER: &str = "005000000000001AAA";
const IDLE: Duration = Duration::from_secs(2 * 60 * 60);

pub(super) fn config() -> OAuthConfig {
    OAuthConfig {
        client_id: "sandbox".into(),
        client_secret: "sandbox".into(),
        username: "dev@sandbox.local".into(),
        password: "sandbox".into(),
        security_token: "SECTOKEN".into(),
        jwt_public_key_pem: None,
        idle_timeout: IDLE,
        org_id: ORG.into(),
        user_id: USER.into(),
    }
}

pub(super) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub(super) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// Asserts an OAuth error body and its headers.
    #[track_caller]
    pub(super) fn assert_error(&self, error: &str, description: &str) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "body: {}", self.text);
        assert_eq!(
            self.json(),
            serde_json::json!({ "error": error, "error_description": description })
        );
        assert_eq!(self.headers[header::CACHE_CONTROL], "no-store");
    }
}

pub(super) async fn send(server: &AuthServer, request: Request<Body>) -> Reply {
    let response = server
        .router(INSTANCE.to_owned())
        .oneshot(request)
        .await
        .expect("router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Reply {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub(super) async fn post_form(server: &AuthServer, path: &str, body: &str) -> Reply {
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .expect("request");
    send(server, request).await
}

pub(super) async fn token(server: &AuthServer, body: &str) -> Reply {
    post_form(server, "/services/oauth2/token", body).await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Checks every success field Salesforce sends, and that `expires_in` is absent.
#[track_caller]
pub(super) fn assert_success(reply: &Reply, scope: &str, with_refresh: bool) -> Value {
    assert_eq!(reply.status, StatusCode::OK, "body: {}", reply.text);
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    assert!(
        reply.headers[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|v| v.starts_with("application/json"))
    );
    let body = reply.json();
    let access = body["access_token"].as_str().expect("access_token");
    assert!(access.starts_with("00D000000000001!"), "{access}");
    assert!(access.len() > 40);
    assert_eq!(body["instance_url"], INSTANCE);
    assert_eq!(
        body["id"],
        format!("https://login.salesforce.com/id/{ORG}/{USER}")
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], scope);
    let issued_at = body["issued_at"].as_str().expect("issued_at is a string");
    let issued_ms: u64 = issued_at.parse().expect("issued_at is numeric");
    let now_ms = super::now_ms();
    assert!(
        issued_ms <= now_ms && now_ms - issued_ms < 60_000,
        "ms, not s"
    );
    let signature = base64::engine::general_purpose::STANDARD
        .decode(body["signature"].as_str().expect("signature"))
        .expect("signature is base64");
    assert_eq!(signature.len(), 32);
    assert!(body.get("expires_in").is_none());
    assert_eq!(body.get("refresh_token").is_some(), with_refresh);
    body
}

#[tokio::test]
async fn client_credentials_in_body() {
    let server = AuthServer::new(config());
    let reply = token(
        &server,
        "grant_type=client_credentials&client_id=sandbox&client_secret=sandbox",
    )
    .await;
    let body = assert_success(&reply, "api", false);
    let access = body["access_token"].as_str().unwrap_or_default();
    let session = server.authenticate(Some(&bearer(access))).expect("valid");
    assert_eq!(session.user_id, USER);
    // signature = Base64(HMAC-SHA256(client_secret, id + issued_at))
    let id = body["id"].as_str().unwrap_or_default();
    let issued_at = body["issued_at"].as_str().unwrap_or_default();
    let mac = super::token::hmac_sha256(b"sandbox", &[id.as_bytes(), issued_at.as_bytes()]);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac);
    assert_eq!(body["signature"], expected);
}

#[tokio::test]
async fn client_credentials_with_basic_auth() {
    let server = AuthServer::new(config());
    let basic = |id_secret: &str| {
        let encoded = base64::engine::general_purpose::STANDARD.encode(id_secret);
        Request::post("/services/oauth2/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::AUTHORIZATION, format!("Basic {encoded}"))
            .body(Body::from("grant_type=client_credentials"))
            .expect("request")
    };
    assert_success(&send(&server, basic("sandbox:sandbox")).await, "api", false);
    let wrong = send(&server, basic("sandbox:not-the-secret")).await;
    wrong.assert_error("invalid_client", "invalid client credentials");
    assert!(!wrong.text.contains("not-the-secret"));
    send(&server, basic("other:sandbox"))
        .await
        .assert_error("invalid_client_id", "client identifier invalid");
}

#[tokio::test]
async fn client_errors() {
    let server = AuthServer::new(config());
    token(
        &server,
        "grant_type=client_credentials&client_id=nope&client_secret=sandbox",
    )
    .await
    .assert_error("invalid_client_id", "client identifier invalid");
    token(
        &server,
        "grant_type=client_credentials&client_secret=sandbox",
    )
    .await
    .assert_error("invalid_client_id", "client identifier invalid");
    let wrong = token(
        &server,
        "grant_type=client_credentials&client_id=sandbox&client_secret=s3cr3t-guess",
    )
    .await;
    wrong.assert_error("invalid_client", "invalid client credentials");
    assert!(!wrong.text.contains("s3cr3t-guess"));
    token(&server, "grant_type=client_credentials&client_id=sandbox")
        .await
        .assert_error("invalid_client", "invalid client credentials");
}

#[tokio::test]
async fn grant_type_errors() {
    let server = AuthServer::new(config());
    token(&server, "")
        .await
        .assert_error("invalid_request", "grant type is missing");
    token(&server, "client_id=sandbox&grant_type=")
        .await
        .assert_error("invalid_request", "grant type is missing");
    token(&server, "grant_type=authorization_code&code=x")
        .await
        .assert_error("unsupported_grant_type", "grant type not supported");
}

#[tokio::test]
async fn parameters_in_query_string_and_percent_encoding() {
    let server = AuthServer::new(config());
    let request = Request::post(
        "/services/oauth2/token?grant_type=password&client_id=sandbox&client_secret=sandbox\
         &username=dev%40sandbox.local&password=sandbox",
    )
    .body(Body::empty())
    .expect("request");
    assert_success(&send(&server, request).await, "api", false);
}

#[tokio::test]
async fn password_grant() {
    let server = AuthServer::new(config());
    let base =
        "grant_type=password&client_id=sandbox&client_secret=sandbox&username=dev%40sandbox.local";
    assert_success(
        &token(&server, &format!("{base}&password=sandbox")).await,
        "api",
        false,
    );
    assert_success(
        &token(&server, &format!("{base}&password=sandboxSECTOKEN")).await,
        "api",
        false,
    );
    // Usernames are case-insensitive, passwords are not.
    let upper =
        "grant_type=password&client_id=sandbox&client_secret=sandbox&username=DEV%40Sandbox.local";
    assert_success(
        &token(&server, &format!("{upper}&password=sandbox")).await,
        "api",
        false,
    );
    token(&server, &format!("{base}&password=SANDBOX"))
        .await
        .assert_error("invalid_grant", "authentication failure");
    for wrong in ["sandboxWRONG", "hunter2-typed", "sandboxSECTOKENx", ""] {
        let reply = token(&server, &format!("{base}&password={wrong}")).await;
        reply.assert_error("invalid_grant", "authentication failure");
        assert!(wrong.is_empty() || !reply.text.contains(wrong));
    }
    token(
        &server,
        "grant_type=password&client_id=sandbox&client_secret=sandbox&username=x%40y.z&password=sandbox",
    )
    .await
    .assert_error("invalid_grant", "authentication failure");
    token(
        &server,
        "grant_type=password&client_id=sandbox&client_secret=bad&username=dev%40sandbox.local&password=sandbox",
    )
    .await
    .assert_error("invalid_client", "invalid client credentials");
}

#[tokio::test]
async fn password_grant_with_refresh_scope_then_refresh_grant() {
    let server = AuthServer::new(config());
    let reply = token(
        &server,
        "grant_type=password&client_id=sandbox&client_secret=sandbox&username=dev%40sandbox.local\
         &password=sandbox&scope=api+refresh_token",
    )
    .await;
    let body = assert_success(&reply, "refresh_token api", true);
    let refresh = body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refreshed = token(
        &server,
        &format!("grant_type=refresh_token&client_id=sandbox&refresh_token={refresh}"),
    )
    .await;
    let refreshed = assert_success(&refreshed, "refresh_token api", false);
    assert_ne!(refreshed["access_token"], body["access_token"]);
}

#[tokio::test]
async fn refresh_token_grant() {
    let server = AuthServer::new(config());
    let refresh = server.issue_refresh_token();
    let ok = |extra: &str| format!("grant_type=refresh_token&refresh_token={refresh}{extra}");
    assert_success(
        &token(&server, &ok("&client_id=sandbox")).await,
        "refresh_token api",
        false,
    );
    assert_success(
        &token(&server, &ok("&client_id=sandbox&client_secret=sandbox")).await,
        "refresh_token api",
        false,
    );
    token(&server, &ok("&client_id=sandbox&client_secret=wrong"))
        .await
        .assert_error("invalid_client", "invalid client credentials");
    token(&server, &ok(""))
        .await
        .assert_error("invalid_client_id", "client identifier invalid");
    token(
        &server,
        "grant_type=refresh_token&client_id=sandbox&refresh_token=5Aep861nope",
    )
    .await
    .assert_error("invalid_grant", "expired access/refresh token");
    token(&server, "grant_type=refresh_token&client_id=sandbox")
        .await
        .assert_error("invalid_grant", "expired access/refresh token");
}

#[tokio::test]
async fn revoke_access_token() {
    let server = AuthServer::new(config());
    let access = server.issue_session();
    let other = server.issue_session();
    let reply = post_form(
        &server,
        "/services/oauth2/revoke",
        &format!("token={access}"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "");
    assert_eq!(
        server
            .authenticate(Some(&bearer(&access)))
            .map(|s| s.user_id),
        Err(AuthFailure::InvalidSession)
    );
    assert!(server.authenticate(Some(&bearer(&other))).is_ok());
    // Revoking twice: the token is now unknown.
    post_form(
        &server,
        "/services/oauth2/revoke",
        &format!("token={access}"),
    )
    .await
    .assert_error("invalid_token", "invalid token");
    post_form(&server, "/services/oauth2/revoke", "")
        .await
        .assert_error("invalid_token", "invalid token");
    // The "blind GET" variant.
    let get = Request::get(format!("/services/oauth2/revoke?token={other}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&server, get).await.status, StatusCode::OK);
    assert!(server.authenticate(Some(&bearer(&other))).is_err());
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_access_tokens() {
    let server = AuthServer::new(config());
    let reply = token(
        &server,
        "grant_type=password&client_id=sandbox&client_secret=sandbox&username=dev%40sandbox.local\
         &password=sandbox&scope=refresh_token",
    )
    .await;
    let body = assert_success(&reply, "refresh_token api", true);
    let first = body["access_token"].as_str().unwrap_or_default().to_owned();
    let refresh = body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refresh_body =
        format!("grant_type=refresh_token&client_id=sandbox&refresh_token={refresh}");
    let second = token(&server, &refresh_body).await.json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let unrelated = server.issue_session();
    let other_refresh = server.issue_refresh_token();
    assert!(server.authenticate(Some(&bearer(&first))).is_ok());
    assert!(server.authenticate(Some(&bearer(&second))).is_ok());

    let reply = post_form(
        &server,
        "/services/oauth2/revoke",
        &format!("token={refresh}"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    for dead in [&first, &second] {
        assert_eq!(
            server.authenticate(Some(&bearer(dead))).map(|s| s.user_id),
            Err(AuthFailure::InvalidSession)
        );
    }
    assert!(server.authenticate(Some(&bearer(&unrelated))).is_ok());
    token(&server, &refresh_body)
        .await
        .assert_error("invalid_grant", "expired access/refresh token");
    let other = format!("grant_type=refresh_token&client_id=sandbox&refresh_token={other_refresh}");
    assert_success(&token(&server, &other).await, "refresh_token api", false);
}

#[tokio::test]
async fn revoke_all_ends_sessions_but_keeps_refresh_tokens() {
    let server = AuthServer::new(config());
    let access = server.issue_session();
    let refresh = server.issue_refresh_token();
    server.revoke_all();
    assert!(server.authenticate(Some(&bearer(&access))).is_err());
    let body = format!("grant_type=refresh_token&client_id=sandbox&refresh_token={refresh}");
    assert_success(&token(&server, &body).await, "refresh_token api", false);
    // The admin API revokes refresh tokens too.
    assert!(server.revoke(&refresh));
    assert!(!server.revoke(&refresh));
}

#[tokio::test(start_paused = true)]
async fn sessions_expire_after_idle_time_and_use_slides_it() {
    let server = AuthServer::new(config());
    let reply = token(
        &server,
        "grant_type=client_credentials&client_id=sandbox&client_secret=sandbox",
    )
    .await;
    let access = reply.json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let header = bearer(&access);
    let almost = IDLE - Duration::from_secs(1);
    tokio::time::advance(almost).await;
    assert!(server.authenticate(Some(&header)).is_ok());
    // Beyond the idle time since issue, but not since the last use.
    tokio::time::advance(almost).await;
    assert!(server.authenticate(Some(&header)).is_ok());
    tokio::time::advance(IDLE).await;
    assert_eq!(
        server.authenticate(Some(&header)).map(|s| s.user_id),
        Err(AuthFailure::InvalidSession)
    );
    // Gone for good, even though the check above removed it.
    assert!(server.authenticate(Some(&header)).is_err());
}

#[tokio::test]
async fn authorization_header_forms() {
    let server = AuthServer::new(config());
    let access = server.issue_session();
    assert!(
        server
            .authenticate(Some(&format!("OAuth {access}")))
            .is_ok()
    );
    assert!(server.authenticate(Some(&bearer(&access))).is_ok());
    for bad in [
        None,
        Some(""),
        Some("Bearer "),
        Some("Basic abc"),
        Some(access.as_str()),
    ] {
        assert_eq!(
            server.authenticate(bad).map(|s| s.user_id),
            Err(AuthFailure::BadHeader)
        );
    }
    assert_eq!(
        server
            .authenticate(Some("Bearer 00D000000000001!unknown"))
            .map(|s| s.user_id),
        Err(AuthFailure::InvalidSession)
    );
}

#[tokio::test]
async fn token_requests_counts_every_token_call() {
    let server = AuthServer::new(config());
    assert_eq!(server.token_requests(), 0);
    token(
        &server,
        "grant_type=client_credentials&client_id=sandbox&client_secret=sandbox",
    )
    .await;
    token(
        &server,
        "grant_type=client_credentials&client_id=sandbox&client_secret=x",
    )
    .await;
    token(&server, "").await;
    post_form(&server, "/services/oauth2/revoke", "token=x").await;
    server.issue_session();
    assert_eq!(server.token_requests(), 3);
    // Clones share the counter.
    assert_eq!(server.clone().token_requests(), 3);
}

#[tokio::test(start_paused = true)]
async fn introspect_reports_live_tokens_without_touching_them() {
    let server = AuthServer::new(config());
    let access = server.issue_session();
    let refresh = server.issue_refresh_token();
    let ask = |token: &str| {
        format!(
            "token={token}&token_type_hint=access_token&client_id=sandbox&client_secret=sandbox"
        )
    };
    let reply = post_form(&server, "/services/oauth2/introspect", &ask(&access)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "access_token");
    assert_eq!(body["username"], "dev@sandbox.local");
    assert_eq!(body["client_id"], "sandbox");
    assert!(body["exp"].as_u64() > body["iat"].as_u64());
    let reply = post_form(&server, "/services/oauth2/introspect", &ask(&refresh)).await;
    assert_eq!(reply.json()["token_type"], "refresh_token");
    let reply = post_form(&server, "/services/oauth2/introspect", &ask("nope")).await;
    assert_eq!(reply.json(), serde_json::json!({ "active": false }));
    post_form(
        &server,
        "/services/oauth2/introspect",
        &format!("token={access}&client_id=sandbox"),
    )
    .await
    .assert_error("invalid_client", "invalid client credentials");
    post_form(
        &server,
        "/services/oauth2/introspect",
        &format!("token={access}&client_id=x&client_secret=sandbox"),
    )
    .await
    .assert_error("invalid_client_id", "client identifier invalid");
    // Introspection is not use: the session still expires on its original timer.
    tokio::time::advance(IDLE - Duration::from_secs(1)).await;
    post_form(&server, "/services/oauth2/introspect", &ask(&access)).await;
    tokio::time::advance(Duration::from_secs(2)).await;
    let reply = post_form(&server, "/services/oauth2/introspect", &ask(&access)).await;
    assert_eq!(reply.json(), serde_json::json!({ "active": false }));
    assert!(server.authenticate(Some(&bearer(&access))).is_err());
}

#[tokio::test]
async fn userinfo() {
    let server = AuthServer::new(config());
    let access = server.issue_session();
    let request = |auth: &str| {
        Request::get("/services/oauth2/userinfo")
            .header(header::AUTHORIZATION, auth)
            .body(Body::empty())
            .expect("request")
    };
    let reply = send(&server, request(&bearer(&access))).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["user_id"], USER);
    assert_eq!(body["organization_id"], ORG);
    assert_eq!(body["preferred_username"], "dev@sandbox.local");
    let reply = send(&server, request("Bearer 00D000000000001!nope")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

/// The 3-character suffix of an 18-character Salesforce Id.
fn id_checksum(id15: &str) -> String {
    crate::sandbox::ids::to18(id15)[15..].to_owned()
}

#[tokio::test]
async fn documented_defaults_work() {
    // Real Ids from Salesforce's docs check the helper itself.
    assert_eq!(id_checksum("001D000000IRFma"), "IAH");
    assert_eq!(id_checksum("003RO0000035WQg"), "YAM");
    let defaults = OAuthConfig::default();
    for id in [&defaults.org_id, &defaults.user_id] {
        assert_eq!(id.len(), 18);
        assert_eq!(id[15..], id_checksum(&id[..15]), "{id}");
    }
    assert!(defaults.org_id.starts_with("00D") && defaults.user_id.starts_with("005"));
    let server = AuthServer::new(defaults);
    let reply = token(
        &server,
        "grant_type=password&client_id=sandbox&client_secret=sandbox\
         &username=dev%40sandbox.local&password=sandbox",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[test]
fn hmac_matches_rfc_4231_test_case_2() {
    let mac = super::token::hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn form_decoding() {
    let params = super::form::Params::parse(Some("a=query&q=1"), b"a=b%20c+d&e=%zz&f&g=%4");
    assert_eq!(params.get("a"), Some("b c d"));
    assert_eq!(params.get("e"), Some("%zz"));
    assert_eq!(params.get("f"), None);
    assert_eq!(params.get("g"), Some("%4"));
    assert_eq!(params.get("q"), Some("1"));
}

#[test]
fn debug_output_has_no_secrets() {
    let mut config = config();
    config.client_secret = "topsecret-client".into();
    config.password = "topsecret-password".into();
    config.security_token = "topsecret-token".into();
    let server = AuthServer::new(config);
    let token = server.issue_session();
    let refresh = server.issue_refresh_token();
    let params = super::form::Params::parse(None, b"client_secret=topsecret-param");
    let printed = format!("{server:?} {params:?}");
    for secret in ["topsecret", token.as_str(), refresh.as_str()] {
        assert!(!printed.contains(secret), "{printed}");
    }
}
