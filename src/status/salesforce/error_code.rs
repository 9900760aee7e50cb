//! [`ErrorCode`]: Salesforce's `errorCode`s in the groups the mapping tells apart, each named
//! once. Salesforce's error body and HTTP statuses: "Status Codes and Error Responses"
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>);
//! its `StatusCode` values: "Core Data Types Used in API Calls"
//! (<https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm>).
//!
//! A code in none of the groups is [`ErrorCode::Other`], the documented default: it keeps
//! Salesforce's code as the reason and maps by its HTTP status (400 → `INVALID_ARGUMENT` with
//! one violation per field Salesforce names, 403 → `PERMISSION_DENIED`, 404 → `NOT_FOUND`,
//! 502–504 → `UNAVAILABLE` with `RetryInfo`, anything else → `UNKNOWN`), so a new code is
//! never hidden behind a guess.

/// What an `errorCode` means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    /// `INVALID_SESSION_ID`: the session was refused even after a token refresh.
    InvalidSession,
    /// The query Salesforce was given is wrong (`MALFORMED_QUERY`, `INVALID_FIELD`,
    /// `INVALID_TYPE`, ...). Outside a query (a create naming a field the sObject lacks), the
    /// HTTP status decides, as for [`ErrorCode::Other`].
    Query,
    /// `IDEMPOTENCY_KEY_REUSED`: a create's key sent again with other fields.
    IdempotencyKeyReused,
    /// `INVALID_QUERY_LOCATOR`: a page of a query Salesforce no longer holds.
    InvalidQueryLocator,
    /// `FIELD_CUSTOM_VALIDATION_EXCEPTION`: an org's validation rule refused the record.
    ValidationRule,
    /// The record is not there (`NOT_FOUND`, `ENTITY_IS_DELETED`).
    Gone,
    /// `INVALID_CROSS_REFERENCE_KEY`: without fields, the record the call is about is not
    /// there; with fields, a field refers to a record that is not (the HTTP status decides).
    CrossReference,
    /// The record would duplicate another (`DUPLICATE_VALUE`, `DUPLICATES_DETECTED`).
    Duplicate,
    /// The connection's user may not do this (`INSUFFICIENT_ACCESS_OR_READONLY`, ...).
    InsufficientAccess,
    /// `REQUEST_LIMIT_EXCEEDED`: the org's daily or concurrent request limit.
    RequestLimit,
    /// `UNABLE_TO_LOCK_ROW`: another transaction holds the record; retry shortly.
    RowLock,
    /// `SERVER_UNAVAILABLE`: Salesforce is briefly unable to answer.
    ServerUnavailable,
    /// The gateway built a request Salesforce cannot take (`METHOD_NOT_ALLOWED`,
    /// `INVALID_AUTH_HEADER`): a bug, logged.
    GatewayBug,
    /// A field's value is refused (`REQUIRED_FIELD_MISSING`, `STRING_TOO_LONG`, ...):
    /// Salesforce answers 400 naming the fields, which the HTTP status maps as for
    /// [`ErrorCode::Other`]. Named so the README's table can be checked against it.
    Field,
    /// `UNKNOWN_EXCEPTION`: Salesforce's own failure; the HTTP status decides (500 →
    /// `UNKNOWN`), as for [`ErrorCode::Other`].
    UnknownException,
    /// Any other code: the documented default (see the module docs).
    Other,
}

impl ErrorCode {
    /// The group of `code`, as Salesforce writes it.
    pub(crate) fn of(code: &str) -> ErrorCode {
        match code {
            "INVALID_SESSION_ID" => ErrorCode::InvalidSession,
            "MALFORMED_QUERY"
            | "INVALID_TYPE"
            | "INVALID_QUERY_FILTER_OPERATOR"
            | "QUERY_TOO_COMPLICATED"
            | "INVALID_FIELD"
            | "NUMBER_OUTSIDE_VALID_RANGE" => ErrorCode::Query,
            "IDEMPOTENCY_KEY_REUSED" => ErrorCode::IdempotencyKeyReused,
            "INVALID_QUERY_LOCATOR" => ErrorCode::InvalidQueryLocator,
            "FIELD_CUSTOM_VALIDATION_EXCEPTION" => ErrorCode::ValidationRule,
            "NOT_FOUND" | "ENTITY_IS_DELETED" => ErrorCode::Gone,
            "INVALID_CROSS_REFERENCE_KEY" => ErrorCode::CrossReference,
            "DUPLICATE_VALUE" | "DUPLICATES_DETECTED" => ErrorCode::Duplicate,
            "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY" | "INSUFFICIENT_ACCESS_OR_READONLY" => {
                ErrorCode::InsufficientAccess
            }
            "REQUEST_LIMIT_EXCEEDED" => ErrorCode::RequestLimit,
            "UNABLE_TO_LOCK_ROW" => ErrorCode::RowLock,
            "SERVER_UNAVAILABLE" => ErrorCode::ServerUnavailable,
            "METHOD_NOT_ALLOWED" | "INVALID_AUTH_HEADER" => ErrorCode::GatewayBug,
            "REQUIRED_FIELD_MISSING"
            | "STRING_TOO_LONG"
            | "INVALID_EMAIL_ADDRESS"
            | "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
            | "JSON_PARSER_ERROR"
            | "MALFORMED_ID" => ErrorCode::Field,
            "UNKNOWN_EXCEPTION" => ErrorCode::UnknownException,
            _ => ErrorCode::Other,
        }
    }

    /// Whether a retry later may succeed: the org's limits, a locked row, a busy server.
    pub(crate) fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::RequestLimit | ErrorCode::RowLock | ErrorCode::ServerUnavailable
        )
    }
}
