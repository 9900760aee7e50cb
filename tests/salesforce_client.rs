//! `sfgate::salesforce::Client` against a scripted, stateful Salesforce fake on loopback.
//!
//! The fake issues tokens `tok-1`, `tok-2`, … from its token endpoint, accepts only tokens it
//! issued and has not revoked, answers every other request from a per-test script (in order),
//! and records everything it saw. An unscripted request gets a 500 naming it, so a test that
//! forgets an expectation fails loudly.

mod common;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::json_map;
use serde_json::{Value, json};
use sfgate::salesforce::{
    ApiError, AuthError, AuthFlow, Client, ConnectionConfig, Error, RecordId, Secret,
};

// === the fake ===

#[derive(Debug, Clone)]
struct Scripted {
    status: u16,
    body: String,
}

#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: HashMap<String, String>,
    authorization: Option<String>,
    batch: Option<String>,
    body: Option<Value>,
}

#[derive(Default)]
struct FakeState {
    addr: Mutex<Option<SocketAddr>>,
    token_forms: Mutex<Vec<HashMap<String, String>>>,
    /// Scripted token endpoint answers; when empty a fresh token is issued.
    token_script: Mutex<VecDeque<Scripted>>,
    /// Overrides the `instance_url` of issued tokens (default: the fake itself).
    instance_url: Mutex<Option<String>>,
    /// Sent as `refresh_token` with the next issued token (rotation).
    rotate_to: Mutex<Option<String>>,
    issued: AtomicUsize,
    valid: Mutex<HashSet<String>>,
    /// When set, every data call is refused with 401 whatever the token.
    reject_all: Mutex<bool>,
    token_delay: Mutex<Duration>,
    jwt_public_pem: Mutex<Option<Vec<u8>>>,
    jwt_claims: Mutex<Vec<Value>>,
    seen: Mutex<Vec<Seen>>,
    script: Mutex<VecDeque<Scripted>>,
}

#[derive(Clone)]
struct Fake {
    state: Arc<FakeState>,
    url: reqwest::Url,
}

impl Fake {
    async fn start() -> Fake {
        let state = Arc::new(FakeState::default());
        let app = axum::Router::new()
            .route("/services/oauth2/token", post(token_endpoint))
            .fallback(data_endpoint)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        *state.addr.lock().unwrap() = Some(addr);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Fake {
            state,
            url: format!("http://{addr}").parse().unwrap(),
        }
    }

    fn respond(&self, status: u16, body: Value) {
        self.respond_raw(status, &body.to_string());
    }

    fn respond_raw(&self, status: u16, body: &str) {
        self.state.script.lock().unwrap().push_back(Scripted {
            status,
            body: body.to_owned(),
        });
    }

    fn token_answer(&self, status: u16, body: Value) {
        let s = Scripted {
            status,
            body: body.to_string(),
        };
        self.state.token_script.lock().unwrap().push_back(s);
    }

    fn revoke_all(&self) {
        self.state.valid.lock().unwrap().clear();
    }

    fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.state.token_forms.lock().unwrap().clone()
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn config(&self, auth: AuthFlow) -> ConnectionConfig {
        ConnectionConfig {
            name: "test-org".into(),
            login_url: self.url.clone(),
            api_version: "62.0".into(),
            auth,
            allowed_hosts: vec!["127.0.0.1".into()],
            limits: Default::default(),
        }
    }

    fn client(&self, auth: AuthFlow) -> Client {
        Client::new(self.config(auth), reqwest::Client::new())
    }

    /// A client with the client-credentials flow, the default for tests about calls.
    fn cc_client(&self) -> Client {
        self.client(client_credentials())
    }
}

fn client_credentials() -> AuthFlow {
    AuthFlow::ClientCredentials {
        client_id: "cid".into(),
        client_secret: Secret::new("cc-secret-value"),
    }
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

async fn token_endpoint(
    State(state): State<Arc<FakeState>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    state.token_forms.lock().unwrap().push(form.clone());
    let delay = *state.token_delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    if let Some(s) = state.token_script.lock().unwrap().pop_front() {
        return scripted(s, None);
    }
    if form.get("grant_type").map(String::as_str)
        == Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        let public = state
            .jwt_public_pem
            .lock()
            .unwrap()
            .clone()
            .expect("jwt key configured");
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(&public).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&["https://login.salesforce.com"]);
        validation.set_issuer(&["cid"]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        match jsonwebtoken::decode::<Value>(&form["assertion"], &key, &validation) {
            Ok(data) => state.jwt_claims.lock().unwrap().push(data.claims),
            Err(_) => return oauth_error(400, "invalid_grant", "invalid assertion"),
        }
    }
    let n = state.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("tok-{n}");
    state.valid.lock().unwrap().insert(token.clone());
    let addr = state.addr.lock().unwrap().unwrap();
    let instance = state
        .instance_url
        .lock()
        .unwrap()
        .clone()
        .unwrap_or(format!("http://{addr}"));
    let mut body = json!({
        "access_token": token,
        "instance_url": instance,
        "id": "https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA",
        "token_type": "Bearer",
        "issued_at": "1589009375588",
        "signature": "c2lnbmF0dXJl",
    });
    if let Some(rotated) = state.rotate_to.lock().unwrap().take() {
        body["refresh_token"] = json!(rotated);
    }
    axum::Json(body).into_response()
}

async fn data_endpoint(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    let query = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let authorization = header("authorization");
    state.seen.lock().unwrap().push(Seen {
        method: method.clone(),
        path: uri.path().to_owned(),
        query,
        authorization: authorization.clone(),
        batch: header("sforce-query-options"),
        body: serde_json::from_slice(&body).ok(),
    });
    let used = state.seen.lock().unwrap().len();
    let token = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "));
    let accepted = token.is_some_and(|t| state.valid.lock().unwrap().contains(t));
    if !accepted || *state.reject_all.lock().unwrap() {
        let body =
            json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]);
        return scripted(
            Scripted {
                status: 401,
                body: body.to_string(),
            },
            Some(used),
        );
    }
    match state.script.lock().unwrap().pop_front() {
        Some(s) => scripted(s, Some(used)),
        None => {
            let body = format!("unscripted request {method} {uri}");
            (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
        }
    }
}

fn scripted(s: Scripted, used: Option<usize>) -> Response {
    let mut response = Response::builder()
        .status(s.status)
        .header("content-type", "application/json;charset=UTF-8");
    if let Some(used) = used {
        response = response.header("Sforce-Limit-Info", format!("api-usage={used}/5000"));
    }
    response.body(axum::body::Body::from(s.body)).unwrap()
}

fn page(records: Value, next: Option<&str>) -> Value {
    let mut body = json!({"totalSize": 3, "done": next.is_none(), "records": records});
    if let Some(next) = next {
        body["nextRecordsUrl"] = json!(next);
    }
    body
}

fn bearer(n: usize) -> Option<String> {
    Some(format!("Bearer tok-{n}"))
}

// === token flows ===

#[tokio::test]
async fn client_credentials_posts_its_form_and_calls_the_returned_instance() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(200, json!({"totalSize": 0, "done": true, "records": []}));

    let page = client
        .query("SELECT Id FROM Contact", false, None)
        .await
        .unwrap();

    assert!(page.done && page.records.is_empty());
    let forms = fake.token_requests();
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0]["grant_type"], "client_credentials");
    assert_eq!(forms[0]["client_id"], "cid");
    assert_eq!(forms[0]["client_secret"], "cc-secret-value");
    let seen = fake.seen();
    assert_eq!(seen[0].authorization, bearer(1));
    assert_eq!(seen[0].path, "/services/data/v62.0/query");
    assert_eq!(seen[0].query["q"], "SELECT Id FROM Contact");
    let token = client.token().await.unwrap();
    assert_eq!(token.access_token.expose(), "tok-1");
    assert_eq!(token.issued_at.unix_timestamp(), 1_589_009_375);
    assert_eq!(
        fake.token_requests().len(),
        1,
        "token() reuses the cached token"
    );
}

#[tokio::test]
async fn password_flow_appends_the_security_token_to_the_password() {
    let fake = Fake::start().await;
    let client = fake.client(AuthFlow::Password {
        client_id: "cid".into(),
        client_secret: Secret::new("csecret"),
        username: "agent@example.com".into(),
        password: Secret::new("pw"),
        security_token: Secret::new("SECTOK"),
    });
    client.token().await.unwrap();
    let form = &fake.token_requests()[0];
    assert_eq!(form["grant_type"], "password");
    assert_eq!(form["client_id"], "cid");
    assert_eq!(form["client_secret"], "csecret");
    assert_eq!(form["username"], "agent@example.com");
    assert_eq!(form["password"], "pwSECTOK");
}

#[tokio::test]
async fn refresh_token_flow_omits_an_absent_secret_and_follows_rotation() {
    let fake = Fake::start().await;
    let client = fake.client(AuthFlow::RefreshToken {
        client_id: "cid".into(),
        client_secret: None,
        refresh_token: Secret::new("rt-1"),
    });
    *fake.state.rotate_to.lock().unwrap() = Some("rt-2".into());
    client.token().await.unwrap();
    fake.revoke_all();
    fake.respond(204, json!(null));
    let id = RecordId::parse("003RO0000035WQg").unwrap();
    client.delete("Contact", &id).await.unwrap();

    let forms = fake.token_requests();
    assert_eq!(forms.len(), 2);
    assert_eq!(forms[0]["grant_type"], "refresh_token");
    assert_eq!(forms[0]["client_id"], "cid");
    assert_eq!(forms[0]["refresh_token"], "rt-1");
    assert!(!forms[0].contains_key("client_secret"));
    assert_eq!(
        forms[1]["refresh_token"], "rt-2",
        "the rotated refresh token is used next"
    );
}

#[tokio::test]
async fn jwt_bearer_assertion_verifies_with_the_public_key() {
    let dir = std::env::temp_dir().join(format!("sfgate-jwt-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("key.pem");
    let public = dir.join("public.pem");
    let stranger = dir.join("stranger.pem");
    let openssl = |args: &[&str]| {
        let ok = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "openssl {args:?}");
    };
    openssl(&["genrsa", "-out", key.to_str().unwrap(), "2048"]);
    openssl(&[
        "rsa",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    openssl(&[
        "genrsa",
        "-traditional",
        "-out",
        stranger.to_str().unwrap(),
        "2048",
    ]);
    let private_pem = std::fs::read_to_string(&key).unwrap();
    let stranger_pem = std::fs::read_to_string(&stranger).unwrap();
    let public_pem = std::fs::read(&public).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let fake = Fake::start().await;
    *fake.state.jwt_public_pem.lock().unwrap() = Some(public_pem);
    let client = fake.client(AuthFlow::JwtBearer {
        client_id: "cid".into(),
        username: "agent@example.com".into(),
        private_key_pem: Secret::new(private_pem.clone()),
        audience: "https://login.salesforce.com".into(),
    });
    let token = client.token().await.unwrap();

    assert_eq!(
        token.access_token.expose(),
        "tok-1",
        "the fake accepted the signature"
    );
    let form = &fake.token_requests()[0];
    assert_eq!(
        form["grant_type"],
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    assert_eq!(
        form.len(),
        2,
        "only grant_type and assertion: {:?}",
        form.keys()
    );
    let claims = fake.state.jwt_claims.lock().unwrap()[0].clone();
    assert_eq!(claims["sub"], "agent@example.com");
    let exp = claims["exp"].as_i64().unwrap();
    let in_3_min = time::OffsetDateTime::now_utc().unix_timestamp() + 180;
    assert!(
        (in_3_min - 5..=in_3_min).contains(&exp),
        "exp {exp} vs {in_3_min}"
    );

    // A key the fake does not know (PKCS#1 this time) is refused by the fake, so the
    // verification above is real.
    assert!(stranger_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let other = fake.client(AuthFlow::JwtBearer {
        client_id: "cid".into(),
        username: "agent@example.com".into(),
        private_key_pem: Secret::new(stranger_pem),
        audience: "https://login.salesforce.com".into(),
    });
    let err = other.token().await.unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::Refused { ref description, .. }) if description == "invalid assertion"),
        "{err:?}"
    );
}

#[tokio::test]
async fn static_access_token_is_used_as_is_and_a_401_reaches_the_caller() {
    let fake = Fake::start().await;
    let client = fake.client(AuthFlow::AccessToken {
        access_token: Secret::new("static-tok"),
        instance_url: fake.url.clone(),
    });
    let id = RecordId::parse("003RO0000035WQg").unwrap();
    let err = client.delete("Contact", &id).await.unwrap_err();

    assert!(
        matches!(err, Error::Api { status, .. } if status == 401),
        "{err:?}"
    );
    assert!(fake.token_requests().is_empty());
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "nothing to refresh, so no retry");
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer static-tok"));
}

#[tokio::test]
async fn invalid_grant_is_an_auth_error_that_says_reconnect_and_holds_no_secret() {
    let fake = Fake::start().await;
    fake.token_answer(
        400,
        json!({"error": "invalid_grant", "error_description": "expired access/refresh token"}),
    );
    let client = fake.client(AuthFlow::RefreshToken {
        client_id: "cid".into(),
        client_secret: Some(Secret::new("rt-client-secret")),
        refresh_token: Secret::new("rt-secret-value"),
    });
    let err = client
        .query("SELECT Id FROM Account", false, None)
        .await
        .unwrap_err();

    let Error::Auth(auth) = &err else {
        panic!("{err:?}")
    };
    assert!(auth.needs_reconnect());
    assert!(
        matches!(auth, AuthError::Refused { status, error, description }
        if *status == 400 && error == "invalid_grant" && description == "expired access/refresh token")
    );
    let shown = format!("{err} | {err:?}");
    assert!(shown.contains("reconnected"), "{shown}");
    for secret in ["rt-secret-value", "rt-client-secret"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(fake.seen().is_empty());
}

// === single flight and refresh ===

#[tokio::test]
async fn a_hundred_concurrent_calls_on_a_cold_client_make_one_token_request() {
    let fake = Fake::start().await;
    *fake.state.token_delay.lock().unwrap() = Duration::from_millis(100);
    for _ in 0..100 {
        fake.respond(200, json!({"totalSize": 0, "done": true, "records": []}));
    }
    let client = fake.cc_client();
    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.query("SELECT Id FROM Lead", false, None).await })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    assert_eq!(fake.token_requests().len(), 1);
    assert_eq!(fake.seen().len(), 100);
    assert!(fake.seen().iter().all(|s| s.authorization == bearer(1)));
}

#[tokio::test]
async fn callers_waiting_on_a_refused_token_request_share_its_error() {
    let fake = Fake::start().await;
    *fake.state.token_delay.lock().unwrap() = Duration::from_millis(100);
    fake.token_answer(
        400,
        json!({"error": "invalid_grant", "error_description": "authentication failure"}),
    );
    let client = fake.cc_client();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.query("SELECT Id FROM Lead", false, None).await })
        })
        .collect();
    for call in calls {
        let err = call.await.unwrap().unwrap_err();
        assert!(
            matches!(&err, Error::Auth(a) if a.needs_reconnect()),
            "{err:?}"
        );
    }
    assert_eq!(
        fake.token_requests().len(),
        1,
        "one refused request, not one per caller"
    );

    // A caller arriving afterwards tries again.
    fake.respond(200, json!({"totalSize": 0, "done": true, "records": []}));
    client
        .query("SELECT Id FROM Lead", false, None)
        .await
        .unwrap();
    assert_eq!(fake.token_requests().len(), 2);
}

#[tokio::test]
async fn an_invalid_session_refreshes_once_and_retries_once() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    client.token().await.unwrap();
    fake.revoke_all();
    fake.respond(
        201,
        json!({"id": "001D000000IqhSLIAZ", "errors": [], "success": true}),
    );

    let id = client
        .create("Account", &json_map(json!({"Name": "Acme"})))
        .await
        .unwrap();

    assert_eq!(id, "001D000000IqhSLIAZ");
    assert_eq!(fake.token_requests().len(), 2);
    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].authorization, bearer(1));
    assert_eq!(seen[1].authorization, bearer(2));
    assert_eq!(
        seen[1].body,
        Some(json!({"Name": "Acme"})),
        "the retry resends the body"
    );
}

#[tokio::test]
async fn concurrent_callers_rejected_together_share_one_refresh() {
    let fake = Fake::start().await;
    *fake.state.token_delay.lock().unwrap() = Duration::from_millis(50);
    let client = fake.cc_client();
    client.token().await.unwrap();
    fake.revoke_all();
    for _ in 0..20 {
        fake.respond(200, json!({"totalSize": 0, "done": true, "records": []}));
    }
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.query("SELECT Id FROM Lead", false, None).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        fake.token_requests().len(),
        2,
        "one initial token, one refresh"
    );
    let seen = fake.seen();
    assert_eq!(
        seen.iter().filter(|s| s.authorization == bearer(2)).count(),
        20
    );
}

#[tokio::test]
async fn a_rejected_fresh_token_is_an_error_after_one_refresh_not_a_loop() {
    let fake = Fake::start().await;
    *fake.state.reject_all.lock().unwrap() = true;
    let client = fake.cc_client();

    let err = client
        .query("SELECT Id FROM Lead", false, None)
        .await
        .unwrap_err();

    let Error::Api { status, errors } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 401);
    assert_eq!(errors[0].error_code, "INVALID_SESSION_ID");
    assert_eq!(fake.token_requests().len(), 2);
    assert_eq!(fake.seen().len(), 2);
}

#[tokio::test]
async fn other_401s_are_not_refreshed() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(
        401,
        json!([{"message": "INVALID_HEADER_TYPE", "errorCode": "INVALID_AUTH_HEADER"}]),
    );
    let err = client
        .query("SELECT Id FROM Lead", false, None)
        .await
        .unwrap_err();
    assert!(err.has_error_code("INVALID_AUTH_HEADER"), "{err:?}");
    assert_eq!(fake.token_requests().len(), 1);
    assert_eq!(fake.seen().len(), 1);
}

// === instance allowlist ===

#[tokio::test]
async fn an_instance_url_off_the_allowlist_is_refused_and_not_cached() {
    let fake = Fake::start().await;
    *fake.state.instance_url.lock().unwrap() = Some("https://evil.example".into());
    let client = fake.cc_client();

    for _ in 0..2 {
        let err = client
            .query("SELECT Id FROM Lead", false, None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InstanceNotAllowed { ref host } if host == "evil.example"),
            "{err:?}"
        );
    }
    assert_eq!(
        fake.token_requests().len(),
        2,
        "the refused token was not cached"
    );
    assert!(fake.seen().is_empty());

    // Plain http on a Salesforce domain is refused too.
    *fake.state.instance_url.lock().unwrap() = Some("http://acme.my.salesforce.com".into());
    let err = client.token().await.unwrap_err();
    assert!(matches!(err, Error::InstanceNotAllowed { .. }), "{err:?}");
}

// === calls, errors, paging, limits ===

#[tokio::test]
async fn error_bodies_reach_the_caller_whole() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(400, json!([
        {"message": "Required fields are missing: [Name]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Name"]},
        {"errorCode": "INVALID_FIELD", "message": "No such column 'X__c' on sobject of type Account", "fields": []}
    ]));
    let err = client
        .create("Account", &json_map(json!({"X__c": 1})))
        .await
        .unwrap_err();
    let Error::Api { status, errors } = err else {
        panic!("{err:?}")
    };
    assert_eq!(status, 400);
    assert_eq!(
        errors,
        vec![
            ApiError {
                error_code: "REQUIRED_FIELD_MISSING".into(),
                message: "Required fields are missing: [Name]".into(),
                fields: vec!["Name".into()],
            },
            ApiError {
                error_code: "INVALID_FIELD".into(),
                message: "No such column 'X__c' on sobject of type Account".into(),
                fields: vec![],
            },
        ]
    );

    fake.respond(404, json!([{"message": "invalid cross reference id", "errorCode": "INVALID_CROSS_REFERENCE_KEY"}]));
    let id = RecordId::parse("001D000000IqhSL").unwrap();
    let err = client.delete("Account", &id).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, errors } if *status == 404 && errors[0].fields.is_empty())
    );

    // A query is retried on a 503 (three times by default): the last answer is returned.
    for _ in 0..4 {
        fake.respond_raw(503, "<html>down for maintenance</html>");
    }
    let err = client
        .query("SELECT Id FROM Account", false, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Status { status, path } if *status == 503 && path == "/services/data/v62.0/query"),
        "{err:?}"
    );
    assert_eq!(client.upstream_stats().retries, 3);
}

#[tokio::test]
async fn crud_builds_the_documented_requests() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(
        201,
        json!({"id": "003RO0000035WQgYAM", "errors": [], "success": true}),
    );
    fake.respond(204, json!(null));
    fake.respond(204, json!(null));
    let id = RecordId::parse("003RO0000035WQg").unwrap();

    let created = client
        .create("Contact", &json_map(json!({"LastName": "Smith"})))
        .await
        .unwrap();
    client
        .update("Contact", &id, &json_map(json!({"Email": null})))
        .await
        .unwrap();
    client.delete("Contact", &id).await.unwrap();

    assert_eq!(created, "003RO0000035WQgYAM");
    let seen = fake.seen();
    let calls: Vec<_> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.path.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("POST", "/services/data/v62.0/sobjects/Contact"),
            (
                "PATCH",
                "/services/data/v62.0/sobjects/Contact/003RO0000035WQgYAM"
            ),
            (
                "DELETE",
                "/services/data/v62.0/sobjects/Contact/003RO0000035WQgYAM"
            ),
        ]
    );
    assert_eq!(seen[0].body, Some(json!({"LastName": "Smith"})));
    assert_eq!(seen[1].body, Some(json!({"Email": null})));
}

#[tokio::test]
async fn sobject_names_cannot_alter_the_path() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(
        201,
        json!({"id": "001D000000IqhSLIAZ", "errors": [], "success": true}),
    );
    client
        .create("../../evil?x=1", &json_map(json!({})))
        .await
        .unwrap();
    let seen = fake.seen();
    assert_eq!(
        seen[0].path,
        "/services/data/v62.0/sobjects/..%2F..%2Fevil%3Fx=1"
    );
    assert!(seen[0].query.is_empty());
}

#[tokio::test]
async fn query_pages_follow_next_records_url_with_the_batch_size() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    let next = "/services/data/v62.0/query/01gRO0000016PIAYA2-2";
    fake.respond(200, page(json!([{"Id": "1"}, {"Id": "2"}]), Some(next)));
    fake.respond(200, page(json!([{"Id": "3"}]), None));

    let first = client
        .query("SELECT Id FROM Contact WHERE Name = 'A&B'", true, Some(200))
        .await
        .unwrap();
    assert_eq!(
        (first.total_size, first.done, first.records.len()),
        (3, false, 2)
    );
    let url = first.next_records_url.unwrap();
    let second = client.query_more(&url, Some(200)).await.unwrap();
    assert!(second.done);
    assert_eq!(second.records[0]["Id"], "3");

    let seen = fake.seen();
    assert_eq!(seen[0].path, "/services/data/v62.0/queryAll");
    assert_eq!(
        seen[0].query["q"],
        "SELECT Id FROM Contact WHERE Name = 'A&B'"
    );
    assert_eq!(seen[0].batch.as_deref(), Some("batchSize=200"));
    assert_eq!(seen[1].path, next);
    assert!(seen[1].query.is_empty());
    assert_eq!(seen[1].batch.as_deref(), Some("batchSize=200"));
}

#[tokio::test]
async fn a_foreign_next_records_url_is_refused_before_any_request() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    for bad in [
        "http://127.0.0.1:1/services/data/v62.0/query/x",
        "/services/data/../oauth2/token",
    ] {
        let err = client.query_more(bad, None).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    name: "next_records_url",
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
    }
    assert!(fake.token_requests().is_empty());
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn api_usage_tracks_the_last_limit_info_header() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    assert_eq!(client.api_usage(), None);
    fake.respond(200, json!({"totalSize": 0, "done": true, "records": []}));
    fake.respond(
        400,
        json!([{"message": "unexpected token: q", "errorCode": "MALFORMED_QUERY"}]),
    );
    client
        .query("SELECT Id FROM Lead", false, None)
        .await
        .unwrap();
    let usage = client.api_usage().unwrap();
    assert_eq!((usage.used, usage.max), (1, 5000));
    client.query("q", false, None).await.unwrap_err();
    assert_eq!(
        client.api_usage().unwrap().used,
        2,
        "error responses count too"
    );
}

#[tokio::test]
async fn key_prefixes_come_from_one_cached_global_describe() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(
        200,
        json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [
            {"name": "Account", "keyPrefix": "001", "custom": false},
            {"name": "Contact", "keyPrefix": "003"},
            {"name": "AccountChangeEvent", "keyPrefix": null},
            {"name": "Profile", "keyPrefix": "00e"},
        ]}),
    );

    assert_eq!(
        client
            .sobject_for_key_prefix("003")
            .await
            .unwrap()
            .as_deref(),
        Some("Contact")
    );
    assert_eq!(
        client
            .sobject_for_key_prefix("00e")
            .await
            .unwrap()
            .as_deref(),
        Some("Profile")
    );
    assert_eq!(client.sobject_for_key_prefix("00E").await.unwrap(), None);
    assert!(matches!(
        client.sobject_for_key_prefix("0/1").await,
        Err(Error::InvalidArgument { .. })
    ));

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/services/data/v62.0/sobjects/");
}

// === topics ===

#[tokio::test]
async fn add_topic_reuses_an_existing_topic_and_escapes_its_name() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(
        200,
        page(
            json!([{"Id": "0TOD000000009ABCDE", "Name": "VIP's \\ list"}]),
            None,
        ),
    );
    fake.respond(
        201,
        json!({"id": "0FTD00000000001AAA", "errors": [], "success": true}),
    );
    let record = RecordId::parse("003RO0000035WQg").unwrap();

    let a = client.add_topic(&record, "VIP's \\ list").await.unwrap();

    assert_eq!(a.topic_id, "0TOD000000009ABCDE");
    assert_eq!(a.assignment_id, "0FTD00000000001AAA");
    assert!(a.created);
    let seen = fake.seen();
    assert_eq!(
        seen[0].query["q"],
        r"SELECT Id, Name FROM Topic WHERE Name = 'VIP\'s \\ list'"
    );
    assert_eq!(
        seen[1].path,
        "/services/data/v62.0/sobjects/TopicAssignment"
    );
    assert_eq!(
        seen[1].body,
        Some(json!({"TopicId": "0TOD000000009ABCDE", "EntityId": "003RO0000035WQgYAM"}))
    );
}

#[tokio::test]
async fn add_topic_creates_a_missing_topic_and_finds_an_existing_assignment() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    let duplicate = json!([{"message": "duplicate value found: <unknown> duplicates value on record with id: <unknown>", "errorCode": "DUPLICATE_VALUE", "fields": []}]);
    fake.respond(200, page(json!([]), None)); // no topic yet
    fake.respond(400, duplicate.clone()); // someone else created it meanwhile
    fake.respond(200, page(json!([{"Id": "0TOD000000009XYZAB"}]), None));
    fake.respond(400, duplicate); // the record already has it
    fake.respond(200, page(json!([{"Id": "0FTD00000000002AAA"}]), None));
    let record = RecordId::parse("003RO0000035WQgYAM").unwrap();

    let a = client.add_topic(&record, "Hot").await.unwrap();

    assert_eq!(a.topic_id, "0TOD000000009XYZAB");
    assert_eq!(a.assignment_id, "0FTD00000000002AAA");
    assert!(!a.created);
    let seen = fake.seen();
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[1].path, "/services/data/v62.0/sobjects/Topic");
    assert_eq!(seen[1].body, Some(json!({"Name": "Hot"})));
    assert_eq!(
        seen[4].query["q"],
        "SELECT Id FROM TopicAssignment WHERE TopicId = '0TOD000000009XYZAB' AND EntityId = '003RO0000035WQgYAM'"
    );
}

#[tokio::test]
async fn add_topic_reports_other_failures_as_they_are() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(200, page(json!([{"Id": "0TOD000000009ABCDE"}]), None));
    fake.respond(400, json!([{"message": "Topics are not enabled", "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["EntityId"]}]));
    let record = RecordId::parse("003RO0000035WQg").unwrap();
    let err = client.add_topic(&record, "Hot").await.unwrap_err();
    assert!(err.has_error_code("FIELD_INTEGRITY_EXCEPTION"), "{err:?}");
    assert_eq!(fake.seen().len(), 2);
}

#[tokio::test]
async fn add_topic_takes_the_existing_records_salesforce_names_in_a_duplicate() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    // "Callback  requested" is "Callback requested" to Salesforce, not to SOQL's `=`.
    fake.respond(200, page(json!([]), None));
    fake.respond(400, json!([{"message": "duplicate value found: Name duplicates value on record with id: 0TOD000000009XY", "errorCode": "DUPLICATE_VALUE", "fields": []}]));
    fake.respond(400, json!([{"message": "duplicate value found: TopicId duplicates value on record with id: 0FTD00000000002", "errorCode": "DUPLICATE_VALUE", "fields": []}]));
    let record = RecordId::parse("003RO0000035WQgYAM").unwrap();

    let a = client
        .add_topic(&record, "Callback  requested")
        .await
        .unwrap();

    let topic = RecordId::parse("0TOD000000009XY").unwrap();
    let assignment = RecordId::parse("0FTD00000000002").unwrap();
    assert_eq!(a.topic_id, topic.as_str18());
    assert_eq!(a.assignment_id, assignment.as_str18());
    assert!(!a.created);
    let seen = fake.seen();
    assert_eq!(seen.len(), 3, "no query after Salesforce named the records");
    assert_eq!(
        seen[2].body,
        Some(json!({"TopicId": topic.as_str18(), "EntityId": "003RO0000035WQgYAM"}))
    );
}

#[tokio::test]
async fn sfgates_own_lookups_fail_as_lookups_naming_the_sobject() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(
        400,
        json!([{"message": "sObject type 'Topic' is not supported.", "errorCode": "INVALID_TYPE"}]),
    );
    let record = RecordId::parse("003RO0000035WQgYAM").unwrap();
    let err = client.add_topic(&record, "Hot").await.unwrap_err();
    let Error::Lookup { sobject, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*sobject, "Topic");
    assert!(source.has_error_code("INVALID_TYPE"), "{err:?}");

    fake.respond(
        403,
        json!([{"message": "no access", "errorCode": "INSUFFICIENT_ACCESS"}]),
    );
    let err = client.sobject_for_key_prefix("a0X").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Lookup {
                sobject: "sobjects",
                ..
            }
        ),
        "{err:?}"
    );
    // A standard object's prefix needs no describe at all.
    let before = fake.seen().len();
    assert_eq!(
        client
            .sobject_for_key_prefix("00Q")
            .await
            .unwrap()
            .as_deref(),
        Some("Lead")
    );
    assert_eq!(fake.seen().len(), before);
}

// === secrets and transport ===

#[tokio::test]
async fn debug_output_never_shows_a_secret() {
    let fake = Fake::start().await;
    let flows = [
        AuthFlow::ClientCredentials {
            client_id: "cid".into(),
            client_secret: Secret::new("s3cr3t-client"),
        },
        AuthFlow::RefreshToken {
            client_id: "cid".into(),
            client_secret: Some(Secret::new("s3cr3t-client")),
            refresh_token: Secret::new("s3cr3t-refresh"),
        },
        AuthFlow::Password {
            client_id: "cid".into(),
            client_secret: Secret::new("s3cr3t-client"),
            username: "u".into(),
            password: Secret::new("s3cr3t-password"),
            security_token: Secret::new("s3cr3t-sectoken"),
        },
        AuthFlow::JwtBearer {
            client_id: "cid".into(),
            username: "u".into(),
            private_key_pem: Secret::new("s3cr3t-pem"),
            audience: "https://login.salesforce.com".into(),
        },
        AuthFlow::AccessToken {
            access_token: Secret::new("s3cr3t-access"),
            instance_url: fake.url.clone(),
        },
    ];
    for flow in flows {
        let config = fake.config(flow);
        let shown = format!(
            "{config:?} {:?}",
            Client::new(config.clone(), reqwest::Client::new())
        );
        assert!(shown.contains("***"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
    let client = fake.cc_client();
    client.token().await.unwrap();
    let shown = format!("{:?} {:?}", client.token().await.unwrap(), client);
    assert!(
        !shown.contains("tok-1") && !shown.contains("cc-secret-value"),
        "{shown}"
    );
}

#[tokio::test]
async fn an_unreachable_instance_is_unreachable_without_the_query_in_the_error() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let config = ConnectionConfig {
        name: "down".into(),
        login_url: format!("http://{addr}").parse().unwrap(),
        api_version: "62.0".into(),
        auth: AuthFlow::AccessToken {
            access_token: Secret::new("t"),
            instance_url: format!("http://{addr}").parse().unwrap(),
        },
        allowed_hosts: vec!["127.0.0.1".into()],
        limits: Default::default(),
    };
    let client = Client::new(config, reqwest::Client::new());
    let err = client
        .query(
            "SELECT Id FROM Contact WHERE Email = 'pii@example.com'",
            false,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable(_)), "{err:?}");
    let shown = format!("{err} {err:?} {:?}", std::error::Error::source(&err));
    assert!(!shown.contains("pii"), "{shown}");
}

#[tokio::test]
async fn bodies_that_are_not_the_documented_shape_are_decode_errors() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(200, json!({"done": "yes"}));
    let err = client
        .query("SELECT Id FROM Lead", false, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, .. } if path == "/services/data/v62.0/query"),
        "{err:?}"
    );

    // A malformed token response is refused without quoting it: it may hold a token.
    let fake = Fake::start().await;
    fake.token_answer(
        200,
        json!({"access_token": "leaky-token-value", "instance_url": 12}),
    );
    let err = fake.cc_client().token().await.unwrap_err();
    assert!(matches!(err, Error::Auth(AuthError::Decode(_))), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("leaky-token-value"), "{shown}");
}

#[tokio::test]
async fn a_refresh_refused_with_invalid_grant_reaches_the_rejected_caller() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    client.token().await.unwrap();
    fake.revoke_all();
    fake.token_answer(
        400,
        json!({"error": "invalid_grant", "error_description": "authentication failure"}),
    );

    let err = client
        .query("SELECT Id FROM Lead", false, None)
        .await
        .unwrap_err();

    assert!(
        matches!(&err, Error::Auth(a) if a.needs_reconnect()),
        "{err:?}"
    );
    assert_eq!(fake.seen().len(), 1, "no retry without a new token");
    // The rejected token is not handed out again: the next call asks for a new one.
    fake.respond(200, json!({"totalSize": 0, "done": true, "records": []}));
    client
        .query("SELECT Id FROM Lead", false, None)
        .await
        .unwrap();
    assert_eq!(fake.token_requests().len(), 3);
    assert_eq!(fake.seen()[1].authorization, bearer(2));
}

#[tokio::test]
async fn describe_sobject_reads_the_documented_shape() {
    let fake = Fake::start().await;
    let client = fake.cc_client();
    fake.respond(200, json!({
        "name": "Contact", "label": "Contact", "labelPlural": "Contacts", "keyPrefix": "003",
        "custom": false, "createable": true, "updateable": true, "deletable": true, "queryable": true,
        "fields": [
            {"name": "Id", "label": "Contact ID", "type": "id", "length": 18, "nillable": false,
             "createable": false, "updateable": false, "picklistValues": [], "referenceTo": []},
            {"name": "LastName", "label": "Last Name", "type": "string", "length": 80, "nillable": false,
             "createable": true, "updateable": true, "defaultValue": null}
        ],
        "childRelationships": [], "recordTypeInfos": [], "urls": {}
    }));
    let d = client.describe_sobject("Contact").await.unwrap();
    assert_eq!(
        (d.name.as_str(), d.key_prefix.as_deref()),
        ("Contact", Some("003"))
    );
    assert!(d.createable && d.queryable);
    assert_eq!(d.fields.len(), 2);
    assert_eq!(
        (d.fields[1].name.as_str(), d.fields[1].field_type.as_str()),
        ("LastName", "string")
    );
    assert!(!d.fields[0].createable && d.fields[1].updateable);
    assert_eq!(
        fake.seen()[0].path,
        "/services/data/v62.0/sobjects/Contact/describe"
    );
}
