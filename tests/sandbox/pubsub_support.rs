//! A sandbox org with its Pub/Sub API on 127.0.0.1:0, a tonic client generated from
//! `proto/eventbus/v1` (sfgate::eventbus), and the Avro decoding a subscriber does.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use apache_avro::types::Value as Avro;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sfgate::eventbus::v1::pub_sub_client::PubSubClient;
use sfgate::eventbus::v1::{
    ConsumerEvent, FetchRequest, FetchResponse, ReplayPreset, SchemaRequest,
};
use sfgate::sandbox::SandboxConfig;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Code, Request, Status, Streaming};

pub(crate) use crate::support::{Org, V};

/// A sandbox org, its REST API and its Pub/Sub API.
pub(crate) struct Bus {
    pub org: Org,
    pub addr: SocketAddr,
    /// The `instanceurl` the token endpoint hands out.
    pub instance_url: String,
    pub org_id: String,
}

/// An open Subscribe call: send FetchRequests on `requests`, read `responses`.
pub(crate) struct Sub {
    pub requests: mpsc::Sender<FetchRequest>,
    pub responses: Streaming<FetchResponse>,
}

/// A change event decoded with its schema: the header's fields and the record's.
#[derive(Debug, Clone)]
pub(crate) struct Decoded {
    pub replay_id: Vec<u8>,
    pub schema_id: String,
    pub header: BTreeMap<String, Value>,
    pub fields: BTreeMap<String, Value>,
    /// The Avro field names in schema order (header first), for reading bitmaps.
    pub schema_fields: Vec<String>,
    pub schema_json: Value,
}

impl Bus {
    pub(crate) async fn start() -> Bus {
        Bus::with(SandboxConfig::default()).await
    }

    pub(crate) async fn with(config: SandboxConfig) -> Bus {
        let org_id = config.oauth.org_id.clone();
        let org = Org::with(config).await;
        let addr = org.sandbox.spawn_pubsub().await.expect("pubsub serves");
        Bus {
            instance_url: org.base.clone(),
            org,
            addr,
            org_id,
        }
    }

    pub(crate) async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .expect("pubsub accepts connections")
    }

    pub(crate) async fn client(&self) -> PubSubClient<Channel> {
        PubSubClient::new(self.channel().await)
    }

    /// `message` with the org's authentication metadata.
    pub(crate) fn req<T>(&self, message: T) -> Request<T> {
        self.req_as(message, &self.org.token, &self.instance_url, &self.org_id)
    }

    pub(crate) fn req_as<T>(&self, message: T, token: &str, url: &str, tenant: &str) -> Request<T> {
        let mut r = Request::new(message);
        let m = r.metadata_mut();
        for (k, v) in [
            ("accesstoken", token),
            ("instanceurl", url),
            ("tenantid", tenant),
        ] {
            if !v.is_empty() {
                m.insert(k, MetadataValue::try_from(v).unwrap());
            }
        }
        r
    }

    /// Opens Subscribe with `first` as the first FetchRequest.
    pub(crate) async fn open(&self, first: FetchRequest) -> Result<Sub, Status> {
        let (tx, rx) = mpsc::channel(16);
        tx.send(first).await.unwrap();
        let responses = self
            .client()
            .await
            .subscribe(self.req(ReceiverStream::new(rx)))
            .await?
            .into_inner();
        Ok(Sub {
            requests: tx,
            responses,
        })
    }

    /// Subscribes to `topic` from `preset` (after `replay_id` for CUSTOM), asking for `n`.
    pub(crate) async fn subscribe(
        &self,
        topic: &str,
        preset: ReplayPreset,
        replay_id: &[u8],
        n: i32,
    ) -> Sub {
        self.open(fetch(topic, preset, replay_id, n))
            .await
            .expect("Subscribe starts")
    }

    /// Decodes an event with the schema GetSchema returns for its schema id.
    pub(crate) async fn decode(&self, event: &ConsumerEvent) -> Decoded {
        let pe = event.event.as_ref().expect("event");
        let info = self
            .client()
            .await
            .get_schema(self.req(SchemaRequest {
                schema_id: pe.schema_id.clone(),
            }))
            .await
            .expect("GetSchema")
            .into_inner();
        assert_eq!(info.schema_id, pe.schema_id);
        let schema = apache_avro::Schema::parse_str(&info.schema_json).expect("schema parses");
        let reader = apache_avro::reader::datum::GenericDatumReader::builder(&schema)
            .build()
            .unwrap();
        let mut bytes: &[u8] = &pe.payload;
        let value = reader.read_value(&mut bytes).expect("payload decodes");
        assert!(
            bytes.is_empty(),
            "payload has {} trailing bytes",
            bytes.len()
        );
        let schema_json: Value = serde_json::from_str(&info.schema_json).unwrap();
        let schema_fields = schema_json["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect();
        let Avro::Record(fields) = value else {
            panic!("not a record: {value:?}")
        };
        let mut out = BTreeMap::new();
        let mut header = BTreeMap::new();
        for (name, v) in fields {
            if name == "ChangeEventHeader" {
                let Value::Object(h) = to_json(v) else {
                    panic!("header")
                };
                header = h.into_iter().collect();
            } else {
                out.insert(name, to_json(v));
            }
        }
        Decoded {
            replay_id: event.replay_id.clone(),
            schema_id: pe.schema_id.clone(),
            header,
            fields: out,
            schema_fields,
            schema_json,
        }
    }

    /// Creates a record over REST with `Sforce-Call-Options: client=pubsub-test`.
    pub(crate) async fn create(&self, sobject: &str, body: Value) -> String {
        let r = self
            .org
            .client
            .post(format!("{}{V}/sobjects/{sobject}/", self.org.base))
            .bearer_auth(&self.org.token)
            .header("Sforce-Call-Options", "client=pubsub-test")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) async fn update(&self, sobject: &str, id: &str, body: Value) {
        let r = self
            .org
            .patch(&format!("/sobjects/{sobject}/{id}"), &body)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }

    pub(crate) async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .org
            .client
            .request(method, format!("{}{path}", self.org.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub(crate) async fn set_bus(&self, settings: Value) {
        let (status, body) = self
            .admin(reqwest::Method::PUT, "/__sandbox/event-bus", Some(settings))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

pub(crate) fn fetch(topic: &str, preset: ReplayPreset, replay_id: &[u8], n: i32) -> FetchRequest {
    FetchRequest {
        topic_name: topic.into(),
        replay_preset: preset.into(),
        replay_id: replay_id.to_vec(),
        num_requested: n,
        auth_refresh: String::new(),
    }
}

/// More credit on an open subscription.
pub(crate) fn more(n: i32) -> FetchRequest {
    fetch("", ReplayPreset::Latest, &[], n)
}

impl Sub {
    /// The next FetchResponse, waiting at most `within`.
    pub(crate) async fn next(&mut self, within: Duration) -> Option<Result<FetchResponse, Status>> {
        tokio::time::timeout(within, self.responses.message())
            .await
            .ok()
            .and_then(|r| r.transpose())
    }

    /// Reads FetchResponses until `n` events arrived (keepalives skipped); fails after 10 s.
    pub(crate) async fn events(&mut self, n: usize) -> Vec<ConsumerEvent> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while out.len() < n {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(Ok(r)) => out.extend(r.events),
                Some(Err(e)) => panic!("stream failed after {} events: {e:?}", out.len()),
                None => panic!("{} of {n} events arrived", out.len()),
            }
        }
        assert_eq!(out.len(), n, "more events than asked for");
        out
    }

    /// Asserts no event arrives within `within` (keepalives are fine).
    pub(crate) async fn quiet(&mut self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            match self.next(left).await {
                Some(Ok(r)) => assert!(r.events.is_empty(), "unexpected events: {r:?}"),
                Some(Err(e)) => panic!("stream failed: {e:?}"),
                None => return,
            }
        }
    }

    /// The status the stream ends with (skipping anything before it); fails after 10 s.
    pub(crate) async fn error(&mut self) -> Status {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(Ok(_)) => {}
                Some(Err(e)) => return e,
                None => panic!("the stream did not end with an error"),
            }
        }
    }
}

/// Asserts a Pub/Sub API error: gRPC code, `error-code` trailer (without Salesforce's
/// prefix), and the rpc id in both the message and the `rpc-id` trailer.
pub(crate) fn assert_pubsub_error(status: &Status, code: Code, error_code: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    let got = status
        .metadata()
        .get("error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(
        got,
        format!("sfdc.platform.eventbus.grpc.{error_code}"),
        "{status:?}"
    );
    let rpc_id = status
        .metadata()
        .get("rpc-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(rpc_id.len(), 36, "{status:?}");
    assert!(
        status.message().ends_with(&format!("rpcId: {rpc_id}")),
        "{status:?}"
    );
}

/// An Avro value as JSON: unions unwrapped, enums as their symbol, records as objects.
pub(crate) fn to_json(v: Avro) -> Value {
    match v {
        Avro::Null => Value::Null,
        Avro::Boolean(b) => json!(b),
        Avro::Int(i) => json!(i),
        Avro::Long(l) => json!(l),
        Avro::Double(d) => json!(d),
        Avro::String(s) | Avro::Enum(_, s) => json!(s),
        Avro::Union(_, inner) => to_json(*inner),
        Avro::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Avro::Record(fields) => {
            Value::Object(fields.into_iter().map(|(k, v)| (k, to_json(v))).collect())
        }
        other => panic!("unexpected Avro value {other:?}"),
    }
}

impl Decoded {
    /// The field names a bitmap header field (`changedFields`, `nulledFields`) lists:
    /// `Title`, `Name.LastName`.
    pub(crate) fn bitmap_names(&self, key: &str) -> Vec<String> {
        let mut names = Vec::new();
        for element in self.header[key].as_array().unwrap() {
            let element = element.as_str().unwrap();
            match element.split_once('-') {
                None => {
                    for bit in bits(element) {
                        names.push(self.schema_fields[bit].clone());
                    }
                }
                Some((parent, hex)) => {
                    let parent: usize = parent.parse().unwrap();
                    let field = &self.schema_json["fields"][parent];
                    let record = &field["type"][1];
                    for bit in bits(hex) {
                        let child = record["fields"][bit]["name"].as_str().unwrap();
                        names.push(format!("{}.{child}", field["name"].as_str().unwrap()));
                    }
                }
            }
        }
        names.sort();
        names
    }
}

/// The set bits of a `0x…` bitmap, lowest first.
fn bits(hex: &str) -> Vec<usize> {
    let digits = hex.strip_prefix("0x").expect("0x prefix");
    assert!(digits.len().is_multiple_of(2), "{hex} is not whole bytes");
    let n = u128::from_str_radix(digits, 16).expect("hex");
    (0..128).filter(|b| n & (1 << b) != 0).collect()
}

pub(crate) fn replay(id: &[u8]) -> u64 {
    u64::from_be_bytes(id.try_into().expect("8-byte replay id"))
}
