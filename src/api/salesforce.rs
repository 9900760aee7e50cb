//! `SalesforceService`: one handler per action — authorize, validate, call
//! Salesforce, convert.

use std::collections::HashMap;
use std::sync::Arc;

use prost_types::Timestamp;
use tonic::{Request, Response, Status};

use super::idempotency::{self, InFlight};
use super::{convert, query, validate};
use crate::caller::{self, Permission};
use crate::config::PageTokenKey;
use crate::pb::salesforce_service_server::SalesforceService;
use crate::pb::*;
use crate::salesforce::{Client, RecordId};
use crate::status::{self, Context, Reason, Violation};

/// The `SalesforceService` implementation over the configured connections.
#[derive(Debug, Clone)]
pub struct SalesforceApi {
    connections: Arc<HashMap<String, Client>>,
    /// Most records one query call returns (`Limits::max_records`).
    max_records: usize,
    /// Keyed creates in flight, which repeats of the same key wait for.
    creates: InFlight,
    /// What `page_token`s are signed with.
    page_token_key: PageTokenKey,
}

impl SalesforceApi {
    /// A service over these connections, by name.
    pub fn new(connections: Arc<HashMap<String, Client>>) -> Self {
        SalesforceApi {
            connections,
            max_records: crate::limits::DEFAULT_MAX_RECORDS,
            creates: InFlight::default(),
            page_token_key: PageTokenKey::generate(),
        }
    }

    /// Page tokens signed with `key` (by default, a key generated here).
    pub fn with_page_token_key(mut self, key: PageTokenKey) -> Self {
        self.page_token_key = key;
        self
    }

    /// At most `max` records per query call (at least 1).
    pub fn with_max_records(mut self, max: usize) -> Self {
        self.max_records = max.max(1);
        self
    }

    /// The caller's connection for this request, checked against its grants.
    fn connection<T>(
        &self,
        request: &Request<T>,
        requested: &str,
        needs: Permission,
    ) -> Result<&Client, Status> {
        let name = caller::of(request)?.authorize(requested, needs)?;
        self.connections
            .get(name)
            .ok_or_else(|| status::unknown_connection(name))
    }
}

/// On an update or delete, Salesforce's `Id` field is the record in the URL: the request's `id`.
const RECORD_ID: &[(&str, &str)] = &[("Id", "id")];

/// The record Id in `field`, or `INVALID_ARGUMENT` naming it.
fn record_id(id: &str, field: &str) -> Result<RecordId, Status> {
    RecordId::parse(id).map_err(|e| {
        status::invalid_argument(
            Reason::InvalidRecordId,
            vec![Violation::new(field, e.to_string())],
        )
    })
}

/// The sObject named in the request, or the one the Id's key prefix belongs to. An Id whose
/// key prefix is known to be another sObject's is refused on `id` before any call.
async fn sobject_of(client: &Client, sobject: &str, id: &RecordId) -> Result<String, Status> {
    if !sobject.is_empty() {
        validate::api_name(sobject, "sobject").map_err(status::invalid_one)?;
        if let Some(why) = client.key_prefix_mismatch(id.key_prefix(), sobject) {
            return Err(status::invalid_argument(
                Reason::InvalidRecordId,
                vec![Violation::new(
                    "id",
                    format!("is not a {sobject} record Id: {why}"),
                )],
            ));
        }
        return Ok(sobject.to_owned());
    }
    let ctx = Context::new(client.name()).uri_field("id");
    match client.sobject_for_key_prefix(id.key_prefix()).await {
        Ok(Some(name)) => Ok(name),
        Ok(None) => Err(status::invalid_one(Violation::new(
            "id",
            format!(
                "key prefix {:?} matches no sObject type in this org; name the sobject",
                id.key_prefix()
            ),
        ))),
        Err(e) => Err(status::from_salesforce(e, &ctx)),
    }
}

/// The request's `fields` as JSON, every key an API name and every number exact.
fn fields_json(
    fields: Option<&prost_types::Struct>,
) -> Result<serde_json::Map<String, serde_json::Value>, Status> {
    validate::field_names(fields, "fields")
        .map_err(|v| status::invalid_argument(Reason::InvalidFields, v))?;
    match fields {
        Some(fields) => convert::struct_to_json(fields, "fields").map_err(status::invalid_one),
        None => Ok(serde_json::Map::new()),
    }
}

/// Creates the record; its Id comes back. With an idempotency key (`upstream_key`, already
/// scoped to the caller) the create goes through the UI API, which Salesforce answers once
/// per key, so it may be retried; without one, an unknown outcome is reported as such.
async fn create_object(
    client: &Client,
    req: &CreateObjectRequest,
    upstream_key: Option<&str>,
) -> Result<CreateObjectResponse, Status> {
    validate::api_name(&req.sobject, "sobject").map_err(status::invalid_one)?;
    let fields = fields_json(req.fields.as_ref())?;
    let ctx = Context::new(client.name()).sobject(&req.sobject);
    let created = match upstream_key {
        Some(key) => client.create_idempotent(&req.sobject, &fields, key).await,
        None => client.create(&req.sobject, &fields).await,
    };
    let ctx = if upstream_key.is_some() {
        ctx
    } else {
        ctx.create()
    };
    let id = created.map_err(|e| status::from_salesforce(e, &ctx))?;
    Ok(CreateObjectResponse {
        id,
        sobject: req.sobject.clone(),
    })
}

/// Updates the record named by `id`, finding its type from the key prefix if unnamed.
async fn update_object(
    client: &Client,
    req: &UpdateObjectRequest,
) -> Result<UpdateObjectResponse, Status> {
    let id = record_id(&req.id, "id")?;
    let fields = fields_json(req.fields.as_ref())?;
    let sobject = sobject_of(client, &req.sobject, &id).await?;
    let ctx = Context::new(client.name())
        .sobject(&sobject)
        .record(id.as_str18())
        .renamed(RECORD_ID);
    client
        .update(&sobject, &id, &fields)
        .await
        .map_err(|e| status::from_salesforce(e, &ctx))?;
    Ok(UpdateObjectResponse {
        id: id.as_str18().to_owned(),
        sobject,
    })
}

/// Deletes the record named by `id`.
async fn delete_object(
    client: &Client,
    req: &DeleteObjectRequest,
) -> Result<DeleteObjectResponse, Status> {
    let id = record_id(&req.id, "id")?;
    let sobject = sobject_of(client, &req.sobject, &id).await?;
    let ctx = Context::new(client.name())
        .sobject(&sobject)
        .record(id.as_str18())
        .renamed(RECORD_ID)
        .uri_field("id");
    client
        .delete(&sobject, &id)
        .await
        .map_err(|e| status::from_salesforce(e, &ctx))?;
    Ok(DeleteObjectResponse {
        id: id.as_str18().to_owned(),
        sobject,
    })
}

/// Assigns a topic (created if new) to the record.
async fn add_topic_to_object(
    client: &Client,
    req: &AddTopicToObjectRequest,
) -> Result<AddTopicToObjectResponse, Status> {
    let id = record_id(&req.object_id, "object_id")?;
    let topic = req.topic_name.trim();
    validate::topic_name(topic, "topic_name").map_err(status::invalid_one)?;
    // What Salesforce says of the Topic's Name or the assignment's record is about the
    // request's `topic_name` and `object_id`.
    let ctx = Context::new(client.name())
        .sobject("TopicAssignment")
        .record(id.as_str18())
        .renamed(&[
            ("Name", "topic_name"),
            ("TopicId", "topic_name"),
            ("EntityId", "object_id"),
        ])
        .uri_field("topic_name");
    let assignment = client
        .add_topic(&id, topic)
        .await
        .map_err(|e| status::from_salesforce(e, &ctx))?;
    Ok(AddTopicToObjectResponse {
        topic_id: assignment.topic_id,
        topic_assignment_id: assignment.assignment_id,
        created: assignment.created,
    })
}

/// The connection's current access token, fetched if none is cached.
async fn get_access_token(client: &Client) -> Result<GetAccessTokenResponse, Status> {
    let ctx = Context::new(client.name());
    let token = client
        .token()
        .await
        .map_err(|e| status::from_salesforce(e, &ctx))?;
    Ok(GetAccessTokenResponse {
        access_token: token.access_token.expose().to_owned(),
        instance_url: token
            .instance_url
            .to_string()
            .trim_end_matches('/')
            .to_owned(),
        token_type: token.token_type.clone(),
        issued_at: Some(timestamp(token.issued_at)),
        expire_time: client
            .session_lifetime()
            .map(|lifetime| timestamp(token.issued_at + lifetime)),
    })
}

/// A protobuf timestamp of `t`.
fn timestamp(t: time::OffsetDateTime) -> Timestamp {
    Timestamp {
        seconds: t.unix_timestamp(),
        nanos: i32::try_from(t.nanosecond()).unwrap_or(0),
    }
}

#[tonic::async_trait]
impl SalesforceService for SalesforceApi {
    async fn execute_soql_query(
        &self,
        request: Request<ExecuteSoqlQueryRequest>,
    ) -> Result<Response<ExecuteSoqlQueryResponse>, Status> {
        let client = self.connection(&request, &request.get_ref().connection, Permission::Query)?;
        let result = query::run(
            client,
            request.get_ref(),
            self.max_records,
            &self.page_token_key,
        )
        .await;
        result.map(Response::new)
    }

    async fn create_object(
        &self,
        request: Request<CreateObjectRequest>,
    ) -> Result<Response<CreateObjectResponse>, Status> {
        let client = self.connection(&request, &request.get_ref().connection, Permission::Write)?;
        let req = request.get_ref();
        let result = match idempotency::caller_key(&req.idempotency_key)? {
            None => create_object(client, req, None).await,
            Some(key) => {
                let upstream = idempotency::upstream_key(&caller::of(&request)?.key_name, key);
                let slot = format!("{}/{upstream}", client.name());
                let create = create_object(client, req, Some(&upstream));
                self.creates.run(slot, create).await
            }
        };
        result.map(Response::new)
    }

    async fn update_object(
        &self,
        request: Request<UpdateObjectRequest>,
    ) -> Result<Response<UpdateObjectResponse>, Status> {
        let client = self.connection(&request, &request.get_ref().connection, Permission::Write)?;
        let result = update_object(client, request.get_ref()).await;
        result.map(Response::new)
    }

    async fn delete_object(
        &self,
        request: Request<DeleteObjectRequest>,
    ) -> Result<Response<DeleteObjectResponse>, Status> {
        let client =
            self.connection(&request, &request.get_ref().connection, Permission::Delete)?;
        let result = delete_object(client, request.get_ref()).await;
        result.map(Response::new)
    }

    async fn add_topic_to_object(
        &self,
        request: Request<AddTopicToObjectRequest>,
    ) -> Result<Response<AddTopicToObjectResponse>, Status> {
        let client = self.connection(&request, &request.get_ref().connection, Permission::Write)?;
        let result = add_topic_to_object(client, request.get_ref()).await;
        result.map(Response::new)
    }

    async fn get_access_token(
        &self,
        request: Request<GetAccessTokenRequest>,
    ) -> Result<Response<GetAccessTokenResponse>, Status> {
        let client = self.connection(&request, &request.get_ref().connection, Permission::Token)?;
        let result = get_access_token(client).await;
        result.map(Response::new)
    }
}
