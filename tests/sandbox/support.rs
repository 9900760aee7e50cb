//! Starts a sandbox org on 127.0.0.1:0 and talks to it with reqwest.
#![allow(dead_code)]

use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;
use sfgate::sandbox::{Sandbox, SandboxConfig, spawn};

pub(crate) const V: &str = "/services/data/v60.0";

pub(crate) struct Org {
    pub base: String,
    pub sandbox: Sandbox,
    pub token: String,
    pub client: Client,
}

pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Org {
    pub(crate) async fn start() -> Org {
        Org::with(SandboxConfig::default()).await
    }

    pub(crate) async fn with(config: SandboxConfig) -> Org {
        let (addr, sandbox) = spawn(config).await.expect("sandbox starts");
        let token = sandbox.auth().issue_session();
        Org {
            base: format!("http://{addr}"),
            sandbox,
            token,
            client: Client::new(),
        }
    }

    /// Sends `method` to `path` (relative to the instance URL) with the session.
    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<&str>) -> Reply {
        self.raw(method, path, body, Some(&format!("Bearer {}", self.token)))
            .await
    }

    pub(crate) async fn raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        auth: Option<&str>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_owned());
        }
        let resp = req.send().await.expect("request completes");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body reads");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, &format!("{V}{path}"), None).await
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, &format!("{V}{path}"), Some(&body.to_string()))
            .await
    }

    pub(crate) async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(
            Method::PATCH,
            &format!("{V}{path}"),
            Some(&body.to_string()),
        )
        .await
    }

    pub(crate) async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, &format!("{V}{path}"), None).await
    }

    /// Creates a record and returns its Id, asserting success.
    pub(crate) async fn create(&self, sobject: &str, body: Value) -> String {
        let r = self.post(&format!("/sobjects/{sobject}/"), &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_str().expect("id").to_owned()
    }
}

/// Asserts Salesforce's error envelope: one error with this code, and a
/// `fields` key exactly when `fields` is Some.
pub(crate) fn assert_error(r: &Reply, status: u16, code: &str, fields: Option<&[&str]>) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    let arr = r
        .body
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {}", r.text));
    assert_eq!(arr.len(), 1, "{}", r.text);
    let e = &arr[0];
    assert_eq!(e["errorCode"], code, "{}", r.text);
    assert!(e["message"].is_string(), "{}", r.text);
    match fields {
        None => assert!(e.get("fields").is_none(), "unexpected fields: {}", r.text),
        Some(want) => {
            let got: Vec<&str> = e["fields"]
                .as_array()
                .unwrap_or_else(|| panic!("no fields: {}", r.text))
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert_eq!(got, want, "{}", r.text);
        }
    }
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json;charset=UTF-8")
    );
}

pub(crate) fn message(r: &Reply) -> &str {
    r.body[0]["message"].as_str().unwrap_or("")
}
