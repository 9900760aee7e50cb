//! sObject create, update and delete.

use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::{ApiPath, ApiRequest};
use super::{Client, Error, RecordId};

/// The 201 body: `{"id","success","errors"}` from the sObject API, a record representation
/// `{"apiName","id","fields",…}` from the UI API; only the Id matters once the status says
/// created.
#[derive(Deserialize)]
struct CreateResult {
    id: String,
}

// === impl Client ===

impl Client {
    /// Creates a `sobject` record and returns its 18-char Id.
    ///
    /// Not idempotent: Salesforce has no idempotency key on this resource, so the client
    /// retries a create only after a connect error (the request never left), and a caller's
    /// retry after any other [`Error::Unreachable`] or [`Error::DeadlineExceeded`] may create
    /// a duplicate.
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
                done_on_retry: None,
                idempotency_key: None,
            })
            .await?
            .json()?;
        Ok(created.id)
    }

    /// Creates a `sobject` record through the UI API (`POST ui-api/records`) with an
    /// `Idempotency-Key`, and returns its 18-char Id.
    ///
    /// Salesforce stores the answer to the first request with `key` and gives it again to a
    /// repeat instead of creating a second record, so this create is retried on transient
    /// failures (a lost answer included) like a read, and a caller may repeat it too. The same
    /// key with different fields is refused (`IDEMPOTENCY_KEY_REUSED` in the sandbox).
    pub async fn create_idempotent(
        &self,
        sobject: &str,
        fields: &Map<String, Value>,
        key: &str,
    ) -> Result<String, Error> {
        let body = serde_json::json!({ "apiName": sobject, "fields": fields });
        let created: CreateResult = self
            .send(ApiRequest {
                method: Method::POST,
                path: ApiPath::Data(&["ui-api", "records"]),
                query: &[],
                body: Some(&body),
                batch_size: None,
                done_on_retry: None,
                idempotency_key: Some(key),
            })
            .await?
            .json()?;
        Ok(created.id)
    }

    /// Sets `fields` on record `id` (a JSON `null` clears a field).
    ///
    /// Retried on transient failures: setting the same values twice leaves the record as
    /// once, though triggers and `LastModifiedDate` see both writes.
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
            done_on_retry: None,
            idempotency_key: None,
        })
        .await?;
        Ok(())
    }

    /// Deletes record `id` (to the recycle bin).
    ///
    /// Retried on transient failures. When a retry is answered `ENTITY_IS_DELETED`, the
    /// earlier attempt may well have deleted the record before its answer was lost, so that
    /// counts as success: the record is in the recycle bin, as asked. (It may also have been
    /// deleted by someone else in between; the outcome is the same.) Without a retry,
    /// `ENTITY_IS_DELETED` is returned as the error it is.
    pub async fn delete(&self, sobject: &str, id: &RecordId) -> Result<(), Error> {
        self.send(ApiRequest {
            method: Method::DELETE,
            path: ApiPath::Data(&["sobjects", sobject, id.as_str18()]),
            query: &[],
            body: None,
            batch_size: None,
            done_on_retry: Some("ENTITY_IS_DELETED"),
            idempotency_key: None,
        })
        .await?;
        Ok(())
    }
}
