//! One helper to start everything over real sockets: a sandbox org, then sfgate
//! pointed at it, each on 127.0.0.1:0.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;

use sfgate::assembly::embedded;
use sfgate::pb::ExecuteSoqlQueryRequest;
use sfgate::pb::salesforce_service_client::SalesforceServiceClient;
use sfgate::sandbox::{Sandbox, SandboxConfig};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// A running gateway and the sandbox org behind it; both stop when dropped.
pub struct Gateway {
    pub addr: SocketAddr,
    pub sandbox: Sandbox,
    pub sandbox_addr: SocketAddr,
    /// The sandbox org's Pub/Sub API (plaintext gRPC).
    pub pubsub_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Gateway {
    /// A client for `SalesforceService`.
    pub async fn client(&self) -> SalesforceServiceClient<Channel> {
        SalesforceServiceClient::connect(format!("http://{}", self.addr))
            .await
            .expect("gateway accepts connections")
    }

    /// Stops the server gracefully and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task ends cleanly");
        }
    }
}

/// Starts a sandbox org with `config` and a gateway in front of it.
pub async fn start_with(config: SandboxConfig) -> Gateway {
    start_custom(config, |_, _, _| {}).await
}

/// Like [`start_with`], letting the test change the gateway's connections and
/// keys (given the sandbox and its address) before it serves.
pub async fn start_custom(
    config: SandboxConfig,
    customize: impl FnOnce(&mut sfgate::server::Gateway, SocketAddr, &Sandbox),
) -> Gateway {
    let mut embedded = embedded::start(config).await.expect("sandbox starts");
    customize(
        &mut embedded.gateway,
        embedded.sandbox_addr,
        &embedded.sandbox,
    );
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind gateway");
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        sfgate::server::serve(listener, embedded.gateway, async {
            let _ = stopped.await;
        })
        .await
        .expect("gateway serves");
    });
    Gateway {
        addr,
        sandbox: embedded.sandbox,
        sandbox_addr: embedded.sandbox_addr,
        pubsub_addr: embedded.pubsub_addr,
        stop: Some(stop),
        server: Some(server),
    }
}

/// Starts a sandbox org with its defaults (sample data) and a gateway.
pub async fn start() -> Gateway {
    start_with(SandboxConfig::default()).await
}

/// A request with the embedded default's API key.
pub fn authed<T>(message: T) -> tonic::Request<T> {
    with_key(message, embedded::API_KEY)
}

/// A request with the given API key.
pub fn with_key<T>(message: T, key: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {key}").parse().expect("ascii header"),
    );
    request
}

/// A `google.protobuf.Struct` from a JSON object literal.
pub fn fields(json: serde_json::Value) -> prost_types::Struct {
    let serde_json::Value::Object(map) = json else {
        panic!("fields must be a JSON object")
    };
    prost_types::Struct {
        fields: map.into_iter().map(|(k, v)| (k, value(v))).collect(),
    }
}

/// A `google.protobuf.Value` from JSON.
pub fn value(json: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match json {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.into_iter().map(value).collect(),
        }),
        o @ serde_json::Value::Object(_) => Kind::StructValue(fields(o)),
    };
    prost_types::Value { kind: Some(kind) }
}

/// A Struct field as a string, if it is one.
pub fn str_field<'a>(s: &'a prost_types::Struct, name: &str) -> Option<&'a str> {
    match s.fields.get(name)?.kind.as_ref()? {
        prost_types::value::Kind::StringValue(v) => Some(v),
        _ => None,
    }
}

/// The repository's root, where `scripts/`, `proto/` and `.venv/` are.
pub fn root() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A query request binding `params` (a JSON object) to the placeholders of `soql`.
pub fn query_request(soql: &str, params: serde_json::Value) -> ExecuteSoqlQueryRequest {
    let serde_json::Value::Object(params) = params else {
        panic!("params must be a JSON object")
    };
    ExecuteSoqlQueryRequest {
        query: soql.into(),
        params: params.into_iter().map(|(k, v)| (k, value(v))).collect(),
        ..Default::default()
    }
}

/// Runs `soql` with `params` through the gateway with the embedded key; panics naming the
/// query if it fails.
pub async fn query(
    client: &mut SalesforceServiceClient<Channel>,
    soql: &str,
    params: serde_json::Value,
) -> sfgate::pb::ExecuteSoqlQueryResponse {
    client
        .execute_soql_query(authed(query_request(soql, params)))
        .await
        .unwrap_or_else(|e| panic!("{soql}: {e:?}"))
        .into_inner()
}

/// Creates a `sobject` record with `fields` (a JSON object) through the gateway with the
/// embedded key; its Id.
pub async fn create(
    client: &mut SalesforceServiceClient<Channel>,
    sobject: &str,
    fields: serde_json::Value,
) -> String {
    client
        .create_object(authed(sfgate::pb::CreateObjectRequest {
            sobject: sobject.into(),
            fields: Some(self::fields(fields)),
            ..Default::default()
        }))
        .await
        .expect("create succeeds")
        .into_inner()
        .id
}

/// A JSON object literal as the map the Salesforce client takes for a record's fields.
pub fn json_map(json: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    json.as_object().expect("a JSON object").clone()
}

/// A cheap query that reaches Salesforce: one Contact's Id.
pub fn lookup() -> ExecuteSoqlQueryRequest {
    ExecuteSoqlQueryRequest {
        query: "SELECT Id FROM Contact LIMIT 1".into(),
        ..Default::default()
    }
}

/// How many Leads with this `LastName` the sandbox org holds, read from its store (no API
/// call counted).
pub fn leads_named(sandbox: &Sandbox, last: &str) -> usize {
    sandbox.with_data(|d| {
        let mut n = 0;
        d.scan("Lead", &mut |r| {
            n += usize::from(r.get("LastName") == Some(&serde_json::Value::from(last)))
        });
        n
    })
}

// === reading statuses ===

/// The code, `ErrorInfo` reason and domain of a refusal; every error carries an `ErrorInfo`.
pub fn reason(status: &tonic::Status) -> (Code, String, String) {
    let details = status.get_error_details();
    let info = details
        .error_info()
        .unwrap_or_else(|| panic!("every error carries an ErrorInfo: {status:?}"));
    (status.code(), info.reason.clone(), info.domain.clone())
}

/// The fields of a refusal's `BadRequest` violations, in order (none without one).
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// [`reason`] and [`bad_fields`]: code, reason, domain, fields.
pub fn anatomy(status: &tonic::Status) -> (Code, String, String, Vec<String>) {
    let (code, reason, domain) = reason(status);
    (code, reason, domain, bad_fields(status))
}

/// [`anatomy`] without the domain: code, reason, fields.
pub fn reason_and_fields(status: &tonic::Status) -> (Code, String, Vec<String>) {
    let (code, reason, _, fields) = anatomy(status);
    (code, reason, fields)
}
