//! [`Context`]: what a failed Salesforce call was about, for its status's metadata, its
//! wording and the request field it names.

use std::collections::HashMap;

/// What a failed Salesforce call was about, for the error's metadata and wording.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    pub(super) connection: String,
    pub(super) sobject: Option<String>,
    pub(super) record_id: Option<String>,
    /// The call was a query: query errors point at the `query` field.
    pub(super) query: bool,
    /// The call was a create: if Salesforce could not be reached, it may have happened.
    pub(super) create: bool,
    /// Salesforce field names that stand for a request field other than `fields.<Name>`
    /// (the record `Id` in an update's URL is the caller's `id`), so a violation names only
    /// a field the caller sent.
    renamed: &'static [(&'static str, &'static str)],
    /// The request field whose value makes up most of the call's URI (a query, a bound
    /// value, a topic name): the one to name when the URI is too long.
    uri_field: Option<String>,
}

impl Context {
    /// A call on `connection`.
    pub(crate) fn new(connection: &str) -> Self {
        Context {
            connection: connection.to_owned(),
            ..Context::default()
        }
    }
    /// About records of `sobject`.
    pub(crate) fn sobject(mut self, sobject: &str) -> Self {
        self.sobject = Some(sobject.to_owned());
        self
    }
    /// About the record `id`.
    pub(crate) fn record(mut self, id: &str) -> Self {
        self.record_id = Some(id.to_owned());
        self
    }
    /// A query: its errors name `query`.
    pub(crate) fn query(mut self) -> Self {
        self.query = true;
        self
    }
    /// A create without an idempotency key: unreachable means the outcome is unknown.
    pub(crate) fn create(mut self) -> Self {
        self.create = true;
        self
    }
    /// Violations on these Salesforce fields name these request fields instead.
    pub(crate) fn renamed(mut self, renamed: &'static [(&'static str, &'static str)]) -> Self {
        self.renamed = renamed;
        self
    }

    /// The request field a Salesforce field stands for.
    pub(super) fn field_named(&self, salesforce_field: &str) -> String {
        self.renamed
            .iter()
            .find(|(sf, _)| sf.eq_ignore_ascii_case(salesforce_field))
            .map_or_else(
                || format!("fields.{salesforce_field}"),
                |(_, f)| (*f).to_owned(),
            )
    }

    /// The request field that makes up most of the call's URI.
    pub(crate) fn uri_field(mut self, field: impl Into<String>) -> Self {
        self.uri_field = Some(field.into());
        self
    }

    /// The request field to name for a refusal about the request as Salesforce would see it:
    /// the one that made the URI, else `query` for a query, else `fields` (a record's body).
    pub(super) fn request_field(&self) -> String {
        match (&self.uri_field, self.query) {
            (Some(field), _) => field.clone(),
            (None, true) => "query".to_owned(),
            (None, false) => "fields".to_owned(),
        }
    }

    /// The ErrorInfo metadata every status of the call carries: `connection`, and
    /// `httpStatus`, `sobjectType`, `recordId` where known.
    pub(super) fn metadata(&self, http_status: Option<u16>) -> HashMap<String, String> {
        let mut m = HashMap::from([("connection".to_owned(), self.connection.clone())]);
        if let Some(s) = http_status {
            m.insert("httpStatus".to_owned(), s.to_string());
        }
        if let Some(s) = &self.sobject {
            m.insert("sobjectType".to_owned(), s.clone());
        }
        if let Some(id) = &self.record_id {
            m.insert("recordId".to_owned(), id.clone());
        }
        m
    }
}
