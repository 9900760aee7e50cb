//! The org's Pub/Sub API server: Salesforce's gRPC event bus API (`eventbus.v1.PubSub`,
//! [`crate::eventbus`]) over the sandbox's Change Data Capture events ([`super::cdc`]), on a
//! port of its own, in plaintext HTTP/2 (clients use an insecure channel; Salesforce's
//! endpoint, `api.pubsub.salesforce.com:7443`, is TLS).
//!
//! This is the only part of the sandbox that uses gRPC: it imports tonic and the generated
//! [`crate::eventbus`] module, and nothing else from outside [`crate::sandbox`] (checked by
//! `.ci/run`). The rest of the sandbox is reached only over HTTP.
//!
//! Every call is authenticated by its metadata (`auth.rs`); errors carry Salesforce's
//! `error-code` and `rpc-id` trailers ([`status`]). The calls
//! (<https://developer.salesforce.com/docs/platform/pub-sub-api/references/methods/subscribe-rpc.html>):
//! - `GetTopic`: a selected object's channel, or `/data/ChangeEvents`: `can_subscribe`
//!   true, `can_publish` false, `tenant_guid` the org Id, `schema_id` the object's schema
//!   (empty for `/data/ChangeEvents`, which carries one schema per object). Unknown or not
//!   selected: `NOT_FOUND` `topic.not.found`.
//! - `GetSchema`: the Avro schema JSON of an id that events or GetTopic gave out. A blank id
//!   is `INVALID_ARGUMENT` `schema.validation.failed`; an unknown one `NOT_FOUND`
//!   `schema.meta.permission` (the sandbox's choice: Salesforce documents no code for it).
//! - `Subscribe`: `subscribe.rs`. `Publish`, `PublishStream`: `publish.rs`.
//! - `ManagedSubscribe` (a Salesforce beta): `UNIMPLEMENTED`.

mod auth;
mod publish;
pub mod status;
mod subscribe;

pub use subscribe::MAX_REQUESTED;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response, Status, Streaming};

use super::cdc::guid;
use super::{Sandbox, Shared};
use crate::eventbus::v1::pub_sub_server::{PubSub, PubSubServer};
use crate::eventbus::v1::{
    FetchRequest, FetchResponse, ManagedFetchRequest, ManagedFetchResponse, PublishRequest,
    PublishResponse, SchemaInfo, SchemaRequest, TopicInfo, TopicRequest,
};

/// The `eventbus.v1.PubSub` service of one sandbox org.
#[derive(Debug, Clone)]
pub struct PubSubService {
    shared: Arc<Shared>,
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl PubSub for PubSubService {
    type SubscribeStream = ReceiverStream<Result<FetchResponse, Status>>;
    type PublishStreamStream = ReceiverStream<Result<PublishResponse, Status>>;
    type ManagedSubscribeStream = BoxStream<ManagedFetchResponse>;

    async fn subscribe(
        &self,
        request: Request<Streaming<FetchRequest>>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let rpc_id = guid();
        let token = auth::check(&self.shared, request.metadata(), &rpc_id)?;
        let mut inbound = request.into_inner();
        let first = inbound.message().await?.ok_or_else(|| {
            status::invalid(
                "subscription.fetch.request.invalid",
                "The stream ended before its first FetchRequest.",
                &rpc_id,
            )
        })?;
        let subscription =
            subscribe::Subscription::open(self.shared.clone(), token, rpc_id, &first)?;
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(subscription.run(inbound, tx));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn get_schema(
        &self,
        request: Request<SchemaRequest>,
    ) -> Result<Response<SchemaInfo>, Status> {
        let rpc_id = guid();
        auth::check(&self.shared, request.metadata(), &rpc_id)?;
        let id = request.get_ref().schema_id.trim();
        if id.is_empty() {
            return Err(status::invalid(
                "schema.validation.failed",
                "The schema ID is blank.",
                &rpc_id,
            ));
        }
        let schema = self.shared.bus.schema(id).ok_or_else(|| {
            status::error(
                Code::NotFound,
                "schema.meta.permission",
                &format!("No schema with ID {id} is available to this org."),
                &rpc_id,
            )
        })?;
        Ok(Response::new(SchemaInfo {
            schema_json: schema.json.clone(),
            schema_id: schema.id.clone(),
            rpc_id,
        }))
    }

    async fn get_topic(
        &self,
        request: Request<TopicRequest>,
    ) -> Result<Response<TopicInfo>, Status> {
        let rpc_id = guid();
        auth::check(&self.shared, request.metadata(), &rpc_id)?;
        let name = request.get_ref().topic_name.trim();
        if name.is_empty() {
            return Err(status::invalid(
                "topic.validation.empty",
                "The topic name is blank.",
                &rpc_id,
            ));
        }
        let topic = self
            .shared
            .bus
            .topic(name)
            .ok_or_else(|| status::topic_not_found(&self.shared.org_id, name, &rpc_id))?;
        Ok(Response::new(TopicInfo {
            topic_name: name.to_owned(),
            tenant_guid: self.shared.org_id.clone(),
            can_publish: false,
            can_subscribe: true,
            schema_id: self.shared.bus.topic_schema_id(topic),
            rpc_id,
        }))
    }

    async fn publish(
        &self,
        request: Request<PublishRequest>,
    ) -> Result<Response<PublishResponse>, Status> {
        let rpc_id = guid();
        auth::check(&self.shared, request.metadata(), &rpc_id)?;
        let req = request.get_ref();
        publish::publish(&self.shared, req.topic_name.trim(), req, &rpc_id).map(Response::new)
    }

    async fn publish_stream(
        &self,
        request: Request<Streaming<PublishRequest>>,
    ) -> Result<Response<Self::PublishStreamStream>, Status> {
        let rpc_id = guid();
        let token = auth::check(&self.shared, request.metadata(), &rpc_id)?;
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(4);
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let mut first: Option<String> = None;
            while let Ok(Some(req)) = inbound.message().await {
                let topic = first.get_or_insert_with(|| req.topic_name.trim().to_owned());
                let answer = publish::stream_topic(topic, &req, &rpc_id)
                    .and_then(|t| auth::still_valid(&shared, &token, &rpc_id).map(|()| t))
                    .and_then(|t| publish::publish(&shared, t, &req, &rpc_id));
                let failed = answer.is_err();
                if tx.send(answer).await.is_err() || failed {
                    return;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn managed_subscribe(
        &self,
        request: Request<Streaming<ManagedFetchRequest>>,
    ) -> Result<Response<Self::ManagedSubscribeStream>, Status> {
        let rpc_id = guid();
        auth::check(&self.shared, request.metadata(), &rpc_id)?;
        Err(Status::unimplemented(format!(
            "ManagedSubscribe (beta) is not available in the sandbox org; use Subscribe. rpcId: {rpc_id}"
        )))
    }
}

impl Sandbox {
    /// The org's Pub/Sub API as a tonic service, to serve beside others.
    pub fn pubsub_service(&self) -> PubSubServer<PubSubService> {
        PubSubServer::new(PubSubService {
            shared: self.shared.clone(),
        })
    }

    /// Serves the Pub/Sub API (plaintext HTTP/2) on `listener` until `shutdown` completes;
    /// then ends every open Subscribe stream ([`super::EventBus::drop_streams`]) and waits
    /// for the calls to finish. `instanceurl` is checked against the URL the REST API is
    /// served at ([`Sandbox::serve`] or [`Sandbox::router`]).
    pub async fn serve_pubsub(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let bus = self.shared.bus.clone();
        let shutdown = async move {
            shutdown.await;
            bus.drop_streams();
        };
        tonic::transport::Server::builder()
            .add_service(self.pubsub_service())
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                shutdown,
            )
            .await
            .map_err(std::io::Error::other)
    }

    /// Serves the Pub/Sub API on `127.0.0.1:0` in a tokio task until the process ends, and
    /// returns its address (the counterpart of [`super::spawn`]).
    pub async fn spawn_pubsub(&self) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let org = self.clone();
        tokio::spawn(async move {
            let _ = org.serve_pubsub(listener, std::future::pending()).await;
        });
        Ok(addr)
    }
}
