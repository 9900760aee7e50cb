//! `SalesforceService`: one handler per action — authorize, validate, call
//! Salesforce, convert.

use std::collections::HashMap;
use std::sync::Arc;

use prost_types::Timestamp;
use tonic::{Request, Response, Status};

use super::caller::{self, Permission};
use super::status::{self, Context, Violation};
use super::{convert, query, validate};
use crate::pb::salesforce_service_server::SalesforceService;
use crate::pb::*;
use crate::salesforce::{Client, RecordId};

/// The `SalesforceService` implementation over the configured connections.
#[derive(Debug, Clone)]
pub struct SalesforceApi {
    connections: Arc<HashMap<String, Client>>,
}

impl SalesforceApi {
    /// A service over these connections, by name.
    pub fn new(connections: Arc<HashMap<String, Client>>) -> Self {
        SalesforceApi { connections }
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

/// The record Id in `field`, or `INVALID_ARGUMENT` naming it.
fn record_id(id: &str, field: &str) -> Result<RecordId, Status> {
    RecordId::parse(id).map_err(|e| {
        status::invalid_argument(
            "INVALID_RECORD_ID",
            vec![Violation::new(field, e.to_string())],
        )
    })
}

/// The sObject named in the request, or the one the Id's key prefix belongs to.
async fn sobject_of(client: &Client, sobject: &str, id: &RecordId) -> Result<String, Status> {
    if !sobject.is_empty() {
        validate::api_name(sobject, "sobject").map_err(status::invalid_one)?;
        return Ok(sobject.to_owned());
    }
    let ctx = Context::new(client.name());
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
        .map_err(|v| status::invalid_argument("INVALID_FIELDS", v))?;
    let fields = fields.cloned().unwrap_or_default();
    convert::struct_to_json(&fields, "fields").map_err(status::invalid_one)
}

#[tonic::async_trait]
impl SalesforceService for SalesforceApi {
    async fn execute_soql_query(
        &self,
        request: Request<ExecuteSoqlQueryRequest>,
    ) -> Result<Response<ExecuteSoqlQueryResponse>, Status> {
        let client = self.connection(&request, &request.get_ref().connection, Permission::Query)?;
        let response = query::run(client, request.get_ref()).await?;
        Ok(Response::new(response))
    }

    async fn create_object(
        &self,
        request: Request<CreateObjectRequest>,
    ) -> Result<Response<CreateObjectResponse>, Status> {
        let client = self.connection(&request, &request.get_ref().connection, Permission::Write)?;
        let req = request.get_ref();
        validate::api_name(&req.sobject, "sobject").map_err(status::invalid_one)?;
        let fields = fields_json(req.fields.as_ref())?;
        let ctx = Context::new(client.name()).sobject(&req.sobject).create();
        let id = client
            .create(&req.sobject, &fields)
            .await
            .map_err(|e| status::from_salesforce(e, &ctx))?;
        Ok(Response::new(CreateObjectResponse {
            id,
            sobject: req.sobject.clone(),
        }))
    }

    async fn update_object(
        &self,
        request: Request<UpdateObjectRequest>,
    ) -> Result<Response<UpdateObjectResponse>, Status> {
        let client = self.connection(&request, &request.get_ref().connection, Permission::Write)?;
        let req = request.get_ref();
        let id = record_id(&req.id, "id")?;
        let fields = fields_json(req.fields.as_ref())?;
        let sobject = sobject_of(client, &req.sobject, &id).await?;
        let ctx = Context::new(client.name())
            .sobject(&sobject)
            .record(id.as_str18());
        client
            .update(&sobject, &id, &fields)
            .await
            .map_err(|e| status::from_salesforce(e, &ctx))?;
        Ok(Response::new(UpdateObjectResponse {
            id: id.as_str18().to_owned(),
            sobject,
        }))
    }

    async fn delete_object(
        &self,
        request: Request<DeleteObjectRequest>,
    ) -> Result<Response<DeleteObjectResponse>, Status> {
        let client =
            self.connection(&request, &request.get_ref().connection, Permission::Delete)?;
        let req = request.get_ref();
        let id = record_id(&req.id, "id")?;
        let sobject = sobject_of(client, &req.sobject, &id).await?;
        let ctx = Context::new(client.name())
            .sobject(&sobject)
            .record(id.as_str18());
        client
            .delete(&sobject, &id)
            .await
            .map_err(|e| status::from_salesforce(e, &ctx))?;
        Ok(Response::new(DeleteObjectResponse {
            id: id.as_str18().to_owned(),
            sobject,
        }))
    }

    async fn add_topic_to_object(
        &self,
        request: Request<AddTopicToObjectRequest>,
    ) -> Result<Response<AddTopicToObjectResponse>, Status> {
        let client = self.connection(&request, &request.get_ref().connection, Permission::Write)?;
        let req = request.get_ref();
        let id = record_id(&req.object_id, "object_id")?;
        let topic = req.topic_name.trim();
        if topic.is_empty() {
            return Err(status::invalid_one(Violation::new(
                "topic_name",
                "is required",
            )));
        }
        let ctx = Context::new(client.name())
            .sobject("TopicAssignment")
            .record(id.as_str18());
        let assignment = client
            .add_topic(&id, topic)
            .await
            .map_err(|e| status::from_salesforce(e, &ctx))?;
        Ok(Response::new(AddTopicToObjectResponse {
            topic_id: assignment.topic_id,
            topic_assignment_id: assignment.assignment_id,
            created: assignment.created,
        }))
    }

    async fn get_access_token(
        &self,
        request: Request<GetAccessTokenRequest>,
    ) -> Result<Response<GetAccessTokenResponse>, Status> {
        let client = self.connection(&request, &request.get_ref().connection, Permission::Token)?;
        let ctx = Context::new(client.name());
        let token = client
            .token()
            .await
            .map_err(|e| status::from_salesforce(e, &ctx))?;
        Ok(Response::new(GetAccessTokenResponse {
            access_token: token.access_token.expose().to_owned(),
            instance_url: token
                .instance_url
                .to_string()
                .trim_end_matches('/')
                .to_owned(),
            token_type: token.token_type.clone(),
            issued_at: Some(Timestamp {
                seconds: token.issued_at.unix_timestamp(),
                nanos: i32::try_from(token.issued_at.nanosecond()).unwrap_or(0),
            }),
        }))
    }
}
