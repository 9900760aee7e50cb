//! sObject create, update and delete.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::request::{ApiPath, ApiRequest};
use super::{Client, Error, RecordId};

/// The 201 body: `{"id","success","errors"}` from the sObject API, a record representation
/// `{"apiName","id","fields",…}` from the UI API; only the Id matters once the status says
/// created.
#[derive(Deserialize)]
struct CreateResult {
    id: String,
}

/// The UI API's record input (`POST ui-api/records`): the sObject and its fields, borrowed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UiRecordInput<'a> {
    api_name: &'a str,
    fields: &'a Map<String, Value>,
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
        let path = ApiPath::Data(&["sobjects", sobject]);
        let created: CreateResult = self
            .send(ApiRequest::new(Method::POST, path).with_json(fields))
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
        let body = UiRecordInput {
            api_name: sobject,
            fields,
        };
        let request = ApiRequest::new(Method::POST, ApiPath::Data(&["ui-api", "records"]))
            .with_json(&body)
            .with_idempotency_key(key);
        let created: CreateResult = self.send(request).await?.json()?;
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
        let path = ApiPath::Data(&["sobjects", sobject, id.as_str18()]);
        self.send(ApiRequest::new(Method::PATCH, path).with_json(fields))
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
        let path = ApiPath::Data(&["sobjects", sobject, id.as_str18()]);
        self.send(ApiRequest::new(Method::DELETE, path).with_done_on_retry("ENTITY_IS_DELETED"))
            .await?;
        Ok(())
    }
}
