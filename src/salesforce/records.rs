//! sObject create, update and delete.

use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::{ApiPath, ApiRequest};
use super::{Client, Error, RecordId};

/// The 201 body `{"id","success","errors"}`; only the Id matters once the status says created.
#[derive(Deserialize)]
struct CreateResult {
    id: String,
}

// === impl Client ===

impl Client {
    /// Creates a `sobject` record and returns its 18-char Id.
    ///
    /// Not idempotent: Salesforce has no idempotency key on this resource, so a retry after an
    /// [`Error::Unreachable`] may create a duplicate.
    pub async fn create(
        &self,
        sobject: &str,
        fields: &Map<String, Value>,
    ) -> Result<String, Error> {
        let body = Value::Object(fields.clone());
        let created: CreateResult = self
            .send(ApiRequest {
                method: Method::POST,
                path: ApiPath::Data(&["sobjects", sobject]),
                query: &[],
                body: Some(&body),
                batch_size: None,
            })
            .await?
            .json()?;
        Ok(created.id)
    }

    /// Sets `fields` on record `id` (a JSON `null` clears a field).
    pub async fn update(
        &self,
        sobject: &str,
        id: &RecordId,
        fields: &Map<String, Value>,
    ) -> Result<(), Error> {
        let body = Value::Object(fields.clone());
        self.send(ApiRequest {
            method: Method::PATCH,
            path: ApiPath::Data(&["sobjects", sobject, id.as_str18()]),
            query: &[],
            body: Some(&body),
            batch_size: None,
        })
        .await?;
        Ok(())
    }

    /// Deletes record `id` (to the recycle bin).
    pub async fn delete(&self, sobject: &str, id: &RecordId) -> Result<(), Error> {
        self.send(ApiRequest {
            method: Method::DELETE,
            path: ApiPath::Data(&["sobjects", sobject, id.as_str18()]),
            query: &[],
            body: None,
            batch_size: None,
        })
        .await?;
        Ok(())
    }
}
