//! Salesforce's error envelope: `[{"message","errorCode","fields"?}]` with an HTTP status.
//!
//! The sandbox *is* a Salesforce org, so its domain errors are Salesforce's
//! own; the store builds them and the routes send them as they are.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Salesforce's JSON content type, charset included as the real org sends it.
pub const JSON_UTF8: &str = "application/json;charset=UTF-8";

/// One Salesforce REST error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SfError {
    /// The HTTP status it is sent with.
    pub status: StatusCode,
    /// `errorCode`, e.g. `NOT_FOUND`.
    pub code: &'static str,
    /// `message`, Salesforce's exact text where known.
    pub message: String,
    /// `fields`: present on DML errors (possibly empty), absent elsewhere.
    pub fields: Option<Vec<String>>,
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    #[serde(rename = "errorCode")]
    error_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a [String]>,
}

impl SfError {
    /// An error without `fields`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        SfError {
            status,
            code,
            message: message.into(),
            fields: None,
        }
    }

    /// A 400 DML error with a `fields` list.
    pub fn dml(code: &'static str, message: impl Into<String>, fields: Vec<String>) -> Self {
        SfError {
            fields: Some(fields),
            ..SfError::new(StatusCode::BAD_REQUEST, code, message)
        }
    }

    /// Replaces the status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// 404 for an unknown resource, sObject type or record.
    pub fn not_found() -> Self {
        SfError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        )
    }

    /// 404 for a deleted record.
    pub fn entity_deleted() -> Self {
        SfError::dml("ENTITY_IS_DELETED", "entity is deleted", Vec::new())
            .with_status(StatusCode::NOT_FOUND)
    }

    /// 404 for PATCH/DELETE of a well-formed Id that no record has: a real-org
    /// quirk, GET gives NOT_FOUND for the same Id.
    pub fn invalid_cross_reference() -> Self {
        SfError::new(
            StatusCode::NOT_FOUND,
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
        )
    }

    /// 400 for a request body that is not the JSON expected.
    pub fn json_parser(message: impl Into<String>) -> Self {
        SfError::new(StatusCode::BAD_REQUEST, "JSON_PARSER_ERROR", message)
    }

    /// 400 for a body that is not valid JSON, with serde's position in
    /// Salesforce's `at [line:L, column:C]` form.
    pub fn from_serde(e: &serde_json::Error) -> Self {
        let text = e.to_string();
        // serde appends " at line L column C"; Salesforce (Jackson) words it differently.
        let head = text.split(" at line ").next().unwrap_or(&text);
        SfError::json_parser(format!(
            "{head} at [line:{}, column:{}]",
            e.line(),
            e.column()
        ))
    }

    /// 403 once the daily API budget is spent.
    pub fn total_requests_exceeded() -> Self {
        SfError::new(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        )
    }

    /// 403 over the concurrent-request ceiling.
    pub fn concurrent_requests_exceeded() -> Self {
        SfError::new(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
        )
    }

    /// 405 with the methods the resource allows.
    pub fn method_not_allowed(method: &str, allowed: &str) -> Self {
        SfError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
        )
    }
}

impl std::fmt::Display for SfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for SfError {}

impl IntoResponse for SfError {
    fn into_response(self) -> Response {
        let body = [Body {
            message: &self.message,
            error_code: self.code,
            fields: self.fields.as_deref(),
        }];
        json(self.status, &body)
    }
}

/// A JSON response with Salesforce's content type.
pub fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut resp = (status, bytes).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
            resp
        }
        // Our own types always serialize; answer as the org would on an internal fault.
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "UNKNOWN_EXCEPTION").into_response(),
    }
}
