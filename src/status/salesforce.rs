//! The Salesforce client's errors as the caller's statuses, following the README's error
//! table ("Errors"): the only module that knows both Salesforce errors and gRPC.
//!
//! Salesforce's refusals keep its `errorCode` as the ErrorInfo reason (domain
//! `salesforce.com`); what the gateway concludes on its own (unreachable, deadline, budget
//! reserve) has a gateway reason (domain `sfgate`).

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::ErrorDetails;

use super::{DOMAIN_SALESFORCE, DOMAIN_SFGATE, Violation, fit, gateway, invalid_one, jittered};
use crate::salesforce as sf;

/// What a failed Salesforce call was about, for the error's metadata and wording.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    connection: String,
    sobject: Option<String>,
    record_id: Option<String>,
    /// The call was a query: query errors point at the `query` field.
    query: bool,
    /// The call was a create: if Salesforce could not be reached, it may have happened.
    create: bool,
    /// Salesforce field names that stand for a request field other than `fields.<Name>`
    /// (the record `Id` in an update's URL is the caller's `id`), so a violation names only
    /// a field the caller sent.
    renamed: &'static [(&'static str, &'static str)],
    /// The request field whose value makes up most of the call's URI (a query, a bound
    /// value, a topic name): the one to name when the URI is too long.
    uri_field: Option<String>,
}

impl Context {
    pub(crate) fn new(connection: &str) -> Self {
        Context {
            connection: connection.to_owned(),
            ..Context::default()
        }
    }
    pub(crate) fn sobject(mut self, sobject: &str) -> Self {
        self.sobject = Some(sobject.to_owned());
        self
    }
    pub(crate) fn record(mut self, id: &str) -> Self {
        self.record_id = Some(id.to_owned());
        self
    }
    pub(crate) fn query(mut self) -> Self {
        self.query = true;
        self
    }
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
    fn field_named(&self, salesforce_field: &str) -> String {
        self.renamed
            .iter()
            .find(|(sf, _)| sf.eq_ignore_ascii_case(salesforce_field))
            .map_or_else(
                || format!("fields.{salesforce_field}"),
                |(_, f)| (*f).to_owned(),
            )
    }

    pub(crate) fn uri_field(mut self, field: impl Into<String>) -> Self {
        self.uri_field = Some(field.into());
        self
    }

    /// The request field to name for a refusal about the request as Salesforce would see it:
    /// the one that made the URI, else `query` for a query, else `fields` (a record's body).
    fn request_field(&self) -> String {
        match (&self.uri_field, self.query) {
            (Some(field), _) => field.clone(),
            (None, true) => "query".to_owned(),
            (None, false) => "fields".to_owned(),
        }
    }

    fn metadata(&self, http_status: Option<u16>) -> HashMap<String, String> {
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

/// How long a caller should wait before retrying a transient upstream failure.
const RETRY_SOON: Duration = Duration::from_millis(500);
const RETRY_CONCURRENCY: Duration = Duration::from_secs(3);

/// Maps a Salesforce client error to the caller's status, following the table in
/// the README ("Errors").
pub(crate) fn from_salesforce(error: sf::Error, ctx: &Context) -> Status {
    match error {
        sf::Error::Api { status, errors } => api_error(status.as_u16(), &errors, ctx),
        sf::Error::Status { status, .. } => status_only(status.as_u16(), ctx),
        sf::Error::UriTooLong { length, limit } => uri_too_long(Some(length), limit, None, ctx),
        sf::Error::Unreachable(e) if e.is_builder() => {
            tracing::error!(connection = %ctx.connection, error = %e, "a salesforce request could not be built");
            gateway(
                Code::Internal,
                "REQUEST_NOT_BUILT",
                "the gateway could not build the salesforce request; nothing was sent",
                ctx.metadata(None),
            )
        }
        sf::Error::Unreachable(e) => {
            let message = if ctx.create {
                "could not reach salesforce; the create may or may not have been applied: query before retrying"
            } else {
                "could not reach salesforce"
            };
            tracing::warn!(connection = %ctx.connection, error = %e, "salesforce unreachable");
            let mut d = ErrorDetails::new();
            let reason = if ctx.create {
                "UPSTREAM_OUTCOME_UNKNOWN"
            } else {
                "UPSTREAM_UNREACHABLE"
            };
            d.set_error_info(reason, DOMAIN_SFGATE, ctx.metadata(None));
            if !ctx.create {
                d.set_retry_info(Some(RETRY_SOON));
            }
            fit::status(Code::Unavailable, message, d)
        }
        sf::Error::Auth(e) => auth_error(&e, ctx),
        sf::Error::Lookup { sobject, source } => lookup_error(sobject, *source, ctx),
        sf::Error::DeadlineExceeded => gateway(
            Code::DeadlineExceeded,
            "DEADLINE_EXCEEDED",
            "salesforce did not answer within the call's deadline",
            ctx.metadata(None),
        ),
        sf::Error::BudgetReserve { used, max, reserve } => {
            let mut d = ErrorDetails::new();
            let mut m = ctx.metadata(None);
            m.insert("apiUsage".to_owned(), format!("{used}/{max}"));
            m.insert("reserve".to_owned(), reserve.to_string());
            d.set_error_info("API_BUDGET_RESERVE", DOMAIN_SFGATE, m);
            d.add_quota_failure_violation(
                format!("connection:{}", ctx.connection),
                format!("the org has used {used} of its {max} daily api requests; the last {reserve} are kept in reserve"),
            );
            fit::status(
                Code::ResourceExhausted,
                format!(
                    "connection {:?} is inside its daily api budget reserve ({used}/{max} used)",
                    ctx.connection
                ),
                d,
            )
        }
        sf::Error::InstanceNotAllowed { host } => {
            let mut m = ctx.metadata(None);
            m.insert("host".to_owned(), host.clone());
            gateway(
                Code::FailedPrecondition,
                "INSTANCE_URL_NOT_ALLOWED",
                format!(
                    "the token's instance url host {host:?} is not allowed for connection {:?}",
                    ctx.connection
                ),
                m,
            )
        }
        sf::Error::ConnectionBusy { waited } => {
            let mut d = ErrorDetails::new();
            d.set_error_info("CONNECTION_BUSY", DOMAIN_SFGATE, ctx.metadata(None));
            d.set_retry_info(Some(waited.max(Duration::from_millis(100))));
            fit::status(
                Code::Unavailable,
                format!(
                    "connection {:?} is at its concurrency ceiling: no request slot freed up within {} ms; nothing was sent",
                    ctx.connection,
                    waited.as_millis()
                ),
                d,
            )
        }
        sf::Error::InvalidArgument { name, reason } => {
            // The only URL a caller can influence is the one inside a page token.
            let field = if name == "next_records_url" {
                "page_token"
            } else {
                name
            };
            invalid_one(Violation::new(field, reason))
        }
        other => {
            tracing::error!(connection = %ctx.connection, error = %other, "unexpected salesforce client error");
            gateway(
                Code::Internal,
                "UPSTREAM_RESPONSE_INVALID",
                other.to_string(),
                ctx.metadata(None),
            )
        }
    }
}

/// A failure of a call sfgate made on its own (finding a Topic, the global describe): not the
/// caller's bad argument. Salesforce refusing sfgate's read (the connection's user cannot see
/// the sObject: `INVALID_TYPE`, `INVALID_FIELD`, `NOT_FOUND`) is `FAILED_PRECONDITION` with a
/// `PreconditionFailure` naming the sObject; an access refusal (403, `INSUFFICIENT_ACCESS…`)
/// is `PERMISSION_DENIED`. Both keep Salesforce's `errorCode` as the reason and name the sObject
/// in `lookupSobject`. Transient failures map as for any call.
fn lookup_error(sobject: &'static str, source: sf::Error, ctx: &Context) -> Status {
    let sf::Error::Api { status, errors } = &source else {
        return from_salesforce(source, ctx);
    };
    let code_name = errors
        .first()
        .map_or("UNKNOWN_EXCEPTION", |e| e.error_code.as_str());
    let transient = matches!(
        code_name,
        "REQUEST_LIMIT_EXCEEDED" | "UNABLE_TO_LOCK_ROW" | "SERVER_UNAVAILABLE"
    );
    if transient || status.is_server_error() {
        return from_salesforce(source, ctx);
    }
    let denied = status.as_u16() == 403 || code_name.starts_with("INSUFFICIENT_ACCESS");
    let what = if sobject == "sobjects" {
        "the org's list of sObjects (global describe)"
    } else {
        sobject
    };
    let said = errors
        .iter()
        .map(|e| e.message.trim())
        .collect::<Vec<_>>()
        .join("; ");
    let message = format!(
        "sfgate could not read {what}, which it needs to carry out this call, on connection {:?}: {said}; the connection's Salesforce user needs read access to {sobject}",
        ctx.connection
    );
    let mut meta = ctx.metadata(Some(status.as_u16()));
    meta.insert("lookupSobject".to_owned(), sobject.to_owned());
    let mut d = ErrorDetails::new();
    d.set_error_info(code_name, DOMAIN_SALESFORCE, meta);
    let code = if denied {
        Code::PermissionDenied
    } else {
        d.add_precondition_failure_violation("SALESFORCE_ACCESS", sobject, said);
        Code::FailedPrecondition
    };
    fit::status(code, message, d)
}

/// `INVALID_ARGUMENT` `URI_TOO_LONG` on the field that made the URI: sfgate refused to send
/// it (`length` known), or Salesforce answered 414 / 431. Never worth a retry.
fn uri_too_long(length: Option<usize>, limit: usize, http: Option<u16>, ctx: &Context) -> Status {
    let field = ctx.request_field();
    let mut meta = ctx.metadata(http);
    meta.insert("limitBytes".to_owned(), limit.to_string());
    let size = match length {
        Some(n) => {
            meta.insert("sizeBytes".to_owned(), n.to_string());
            format!("a request URI of {n} bytes")
        }
        None => "a request URI that salesforce refused as too long".to_owned(),
    };
    let description = format!(
        "makes {size}, over the {limit} bytes salesforce accepts for a URI (with its headers, \
         16384 bytes); shorten it or split the call"
    );
    let mut d = ErrorDetails::new();
    d.set_error_info("URI_TOO_LONG", DOMAIN_SFGATE, meta);
    d.add_bad_request_violation(field.clone(), description.clone());
    fit::status(Code::InvalidArgument, format!("{field}: {description}"), d)
}

/// An error status from Salesforce (or a proxy in front of it) without Salesforce's JSON
/// error body: a maintenance page, a proxy's 502, the edge's 414. Each maps to a code a
/// caller can act on, never `UNKNOWN`.
fn status_only(http: u16, ctx: &Context) -> Status {
    // Salesforce's edge answers 414 for a URI over its limit and 431 for a URI and headers
    // over it (https://help.salesforce.com/s/articleView?id=000386264&type=1).
    if matches!(http, 414 | 431) {
        let limit = crate::salesforce::client::MAX_URI_AND_HEADERS_BYTES;
        return uri_too_long(None, limit, Some(http), ctx);
    }
    let mut d = ErrorDetails::new();
    let (code, reason, message) = match http {
        413 => {
            let field = ctx.request_field();
            d.add_bad_request_violation(
                field.clone(),
                "makes a request body larger than salesforce accepts; send less",
            );
            (
                Code::InvalidArgument,
                "PAYLOAD_TOO_LARGE",
                format!("{field}: makes a request body larger than salesforce accepts (HTTP 413)"),
            )
        }
        400 => {
            let field = ctx.request_field();
            d.add_bad_request_violation(
                field.clone(),
                "salesforce refused the request (HTTP 400 without an error body)",
            );
            (
                Code::InvalidArgument,
                "UPSTREAM_HTTP_ERROR",
                format!("{field}: salesforce refused the request (HTTP 400 without an error body)"),
            )
        }
        401 => (
            Code::FailedPrecondition,
            "CONNECTION_UNAUTHORIZED",
            format!(
                "salesforce refused connection {:?}'s credentials (HTTP 401 without an error body)",
                ctx.connection
            ),
        ),
        403 => (
            Code::PermissionDenied,
            "UPSTREAM_HTTP_ERROR",
            "salesforce refused access (HTTP 403 without an error body)".to_owned(),
        ),
        404 | 410 => {
            not_found(&mut d, ctx, "salesforce found no such resource");
            (
                Code::NotFound,
                "UPSTREAM_HTTP_ERROR",
                format!("salesforce found no such resource (HTTP {http})"),
            )
        }
        409 => (
            Code::Aborted,
            "UPSTREAM_HTTP_ERROR",
            "salesforce reported a conflict (HTTP 409); retry the whole operation".to_owned(),
        ),
        412 | 428 => (
            Code::FailedPrecondition,
            "UPSTREAM_HTTP_ERROR",
            format!("salesforce refused a precondition (HTTP {http})"),
        ),
        429 => {
            d.set_retry_info(Some(RETRY_CONCURRENCY));
            (
                Code::ResourceExhausted,
                "UPSTREAM_HTTP_ERROR",
                "salesforce (or a proxy in front of it) is limiting requests (HTTP 429)".to_owned(),
            )
        }
        // The gateway built a request Salesforce cannot take: a bug, not the caller's.
        405 | 406 | 415 | 501 => {
            tracing::error!(connection = %ctx.connection, http, "salesforce refused the request's form");
            (
                Code::Internal,
                "UPSTREAM_HTTP_ERROR",
                format!("salesforce refused the form of the gateway's request (HTTP {http})"),
            )
        }
        // A timeout or a server error: the request may or may not have been carried out.
        408 | 500..=599 if ctx.create && http != 503 => (
            Code::Unavailable,
            "UPSTREAM_OUTCOME_UNKNOWN",
            format!(
                "salesforce answered HTTP {http} without an error body; the create may or may \
                 not have been applied: query before retrying"
            ),
        ),
        408 | 500..=599 => {
            d.set_retry_info(Some(RETRY_SOON));
            (
                Code::Unavailable,
                "UPSTREAM_HTTP_ERROR",
                format!("salesforce answered HTTP {http} without an error body; retry shortly"),
            )
        }
        _ if (400..500).contains(&http) => (
            Code::FailedPrecondition,
            "UPSTREAM_HTTP_ERROR",
            format!("salesforce refused the request (HTTP {http} without an error body)"),
        ),
        _ => (
            Code::Internal,
            "UPSTREAM_HTTP_ERROR",
            format!("salesforce answered an unexpected HTTP {http}"),
        ),
    };
    d.set_error_info(reason, DOMAIN_SFGATE, ctx.metadata(Some(http)));
    fit::status(code, message, d)
}

/// The reason of a connection whose grant Salesforce revoked or expired.
const RECONNECT_REQUIRED: &str = "CONNECTION_RECONNECT_REQUIRED";

fn auth_error(e: &sf::AuthError, ctx: &Context) -> Status {
    let (code, reason) = match e {
        // The grant itself is dead (revoked refresh token, changed password): no retry
        // helps; the operator must reconnect the org. Health turns the connection
        // NOT_SERVING until then.
        e if e.needs_reconnect() => (Code::Unauthenticated, RECONNECT_REQUIRED),
        sf::AuthError::Status { status } if status.is_server_error() => {
            (Code::Unavailable, "TOKEN_ENDPOINT_UNAVAILABLE")
        }
        _ => (Code::FailedPrecondition, "CONNECTION_AUTH_FAILED"),
    };
    tracing::warn!(connection = %ctx.connection, error = %e, "salesforce login failed");
    // The AuthError's text carries the OAuth error and description only, never a credential.
    let message = format!(
        "connection {:?} cannot log in to salesforce: {e}",
        ctx.connection
    );
    gateway(code, reason, message, ctx.metadata(None))
}

/// Salesforce's error envelope → status, by its first `errorCode`.
fn api_error(http: u16, errors: &[sf::ApiError], ctx: &Context) -> Status {
    let first = errors.first();
    let code_name = first.map_or("UNKNOWN_EXCEPTION", |e| e.error_code.as_str());
    let message = match errors {
        [] => format!("salesforce answered HTTP {http}"),
        errs => errs
            .iter()
            .map(|e| e.message.trim())
            .collect::<Vec<_>>()
            .join("; "),
    };
    let fields: Vec<&str> = errors
        .iter()
        .flat_map(|e| e.fields.iter().map(String::as_str))
        .collect();
    let mut meta = ctx.metadata(Some(http));
    if !fields.is_empty() {
        meta.insert("fields".to_owned(), fields.join(","));
    }
    let mut d = ErrorDetails::new();
    let code = match code_name {
        "INVALID_SESSION_ID" => {
            // The client already refreshed the token once; the connection's grant is bad,
            // not the caller's key.
            return gateway(
                Code::FailedPrecondition,
                "CONNECTION_UNAUTHORIZED",
                format!(
                    "salesforce refused connection {:?}'s session after a token refresh: {message}",
                    ctx.connection
                ),
                meta,
            );
        }
        "MALFORMED_QUERY"
        | "INVALID_TYPE"
        | "INVALID_QUERY_FILTER_OPERATOR"
        | "QUERY_TOO_COMPLICATED"
        | "INVALID_FIELD"
        | "NUMBER_OUTSIDE_VALID_RANGE"
            if ctx.query =>
        {
            d.add_bad_request_violation("query", message.clone());
            Code::InvalidArgument
        }
        "IDEMPOTENCY_KEY_REUSED" => {
            d.add_bad_request_violation(
                "idempotency_key",
                "was already used for a create with other fields; use a new key per record",
            );
            Code::InvalidArgument
        }
        "INVALID_QUERY_LOCATOR" => {
            d.add_bad_request_violation("page_token", message.clone());
            Code::InvalidArgument
        }
        "FIELD_CUSTOM_VALIDATION_EXCEPTION" => {
            for e in errors {
                let subject = e.fields.first().map_or("", String::as_str);
                d.add_precondition_failure_violation("VALIDATION_RULE", subject, e.message.clone());
            }
            Code::FailedPrecondition
        }
        "NOT_FOUND" | "ENTITY_IS_DELETED" => not_found(&mut d, ctx, &message),
        "INVALID_CROSS_REFERENCE_KEY" if fields.is_empty() => not_found(&mut d, ctx, &message),
        "DUPLICATE_VALUE" | "DUPLICATES_DETECTED" => {
            if let Some(id) = errors.iter().find_map(sf::ApiError::duplicate_id) {
                meta.insert("duplicateId".to_owned(), id.to_owned());
            }
            Code::AlreadyExists
        }
        "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY" | "INSUFFICIENT_ACCESS_OR_READONLY" => {
            Code::PermissionDenied
        }
        "REQUEST_LIMIT_EXCEEDED" => {
            let concurrent = message.contains("ConcurrentRequests");
            let limit = if concurrent {
                "ConcurrentRequests"
            } else {
                "TotalRequests"
            };
            meta.insert("limit".to_owned(), limit.to_owned());
            d.add_quota_failure_violation(
                format!("connection:{}", ctx.connection),
                message.clone(),
            );
            if concurrent {
                d.set_retry_info(Some(RETRY_CONCURRENCY));
            }
            Code::ResourceExhausted
        }
        "UNABLE_TO_LOCK_ROW" => {
            d.set_retry_info(Some(jittered(RETRY_SOON)));
            Code::Aborted
        }
        "SERVER_UNAVAILABLE" => {
            d.set_retry_info(Some(RETRY_SOON));
            Code::Unavailable
        }
        "METHOD_NOT_ALLOWED" | "INVALID_AUTH_HEADER" => {
            tracing::error!(connection = %ctx.connection, code = code_name, %message, "salesforce says the gateway built a bad request");
            Code::Internal
        }
        _ => match http {
            400 => {
                field_violations(&mut d, errors, &message, ctx);
                Code::InvalidArgument
            }
            404 => not_found(&mut d, ctx, &message),
            403 => Code::PermissionDenied,
            502..=504 => {
                d.set_retry_info(Some(RETRY_SOON));
                Code::Unavailable
            }
            _ => Code::Unknown,
        },
    };
    d.set_error_info(code_name, DOMAIN_SALESFORCE, meta);
    // A query error's details carry Salesforce's text whole, with the echoed query and its
    // caret; the message says it once, without them.
    let message = if d.has_bad_request_violations() {
        fit::without_echo(&message)
    } else {
        message
    };
    fit::status(code, message, d)
}

/// One `fields.<Name>` violation per field Salesforce named (or the request field it stands
/// for, see [`Context::renamed`]), or one on `fields`.
fn field_violations(d: &mut ErrorDetails, errors: &[sf::ApiError], message: &str, ctx: &Context) {
    let mut any = false;
    for e in errors {
        for f in &e.fields {
            d.add_bad_request_violation(ctx.field_named(f), e.message.clone());
            any = true;
        }
    }
    if !any {
        d.add_bad_request_violation("fields", message.to_owned());
    }
}

fn not_found(d: &mut ErrorDetails, ctx: &Context, message: &str) -> Code {
    d.set_resource_info(
        ctx.sobject.clone().unwrap_or_default(),
        ctx.record_id.clone().unwrap_or_default(),
        "",
        message.to_owned(),
    );
    Code::NotFound
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    fn api(http: u16, code: &str, message: &str, fields: &[&str]) -> sf::Error {
        sf::Error::Api {
            status: http::StatusCode::from_u16(http).unwrap(),
            errors: vec![sf::ApiError {
                error_code: code.into(),
                message: message.into(),
                fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            }],
        }
    }

    fn reason(s: &Status) -> (Code, String, String) {
        let info = s
            .get_error_details()
            .error_info()
            .cloned()
            .expect("ErrorInfo");
        (s.code(), info.reason, info.domain)
    }

    #[test]
    fn rows_of_the_table_not_reachable_through_the_sandbox() {
        let ctx = Context::new("acme")
            .sobject("Opportunity")
            .record("006000000000001AAA");
        let s = from_salesforce(
            api(
                400,
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "Amount must be positive",
                &["Amount"],
            ),
            &ctx,
        );
        assert_eq!(
            reason(&s),
            (
                Code::FailedPrecondition,
                "FIELD_CUSTOM_VALIDATION_EXCEPTION".into(),
                DOMAIN_SALESFORCE.into()
            )
        );
        let pf = s
            .get_error_details()
            .precondition_failure()
            .cloned()
            .unwrap();
        assert_eq!(
            (
                pf.violations[0].r#type.as_str(),
                pf.violations[0].subject.as_str()
            ),
            ("VALIDATION_RULE", "Amount")
        );

        let s = from_salesforce(
            api(
                500,
                "UNKNOWN_EXCEPTION",
                "An unexpected error occurred",
                &[],
            ),
            &ctx,
        );
        assert_eq!(s.code(), Code::Unknown);
        let s = from_salesforce(
            api(400, "INSUFFICIENT_ACCESS_OR_READONLY", "no access", &[]),
            &ctx,
        );
        assert_eq!(s.code(), Code::PermissionDenied);
        let s = from_salesforce(
            api(
                405,
                "METHOD_NOT_ALLOWED",
                "HTTP Method 'PUT' not allowed",
                &[],
            ),
            &ctx,
        );
        assert_eq!(s.code(), Code::Internal);
        let s = from_salesforce(
            api(400, "INVALID_QUERY_LOCATOR", "invalid query locator", &[]),
            &ctx,
        );
        assert_eq!(
            s.get_error_details()
                .bad_request()
                .unwrap()
                .field_violations[0]
                .field,
            "page_token"
        );
        let s = from_salesforce(
            api(
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
                &[],
            ),
            &ctx,
        );
        assert_eq!(s.code(), Code::ResourceExhausted);
        assert_eq!(
            s.get_error_details().retry_info().unwrap().retry_delay,
            Some(RETRY_CONCURRENCY)
        );
    }

    #[test]
    fn no_answer_without_a_json_body_is_unknown() {
        for http in 300..600u16 {
            let Ok(status) = http::StatusCode::from_u16(http) else {
                continue;
            };
            for ctx in [
                Context::new("acme").query(),
                Context::new("acme").sobject("Lead").create(),
                Context::new("acme").uri_field("topic_name"),
            ] {
                let error = sf::Error::Status {
                    status,
                    path: "/services/data/v62.0/query".into(),
                };
                let s = from_salesforce(error, &ctx);
                assert_ne!(s.code(), Code::Unknown, "HTTP {http}");
                let info = s.get_error_details().error_info().cloned().unwrap();
                assert_eq!(info.metadata["httpStatus"], http.to_string());
                if s.code() == Code::InvalidArgument {
                    let bad = s.get_error_details().bad_request().cloned().unwrap();
                    assert_eq!(bad.field_violations.len(), 1, "HTTP {http}");
                }
            }
        }
        let s = from_salesforce(
            sf::Error::Status {
                status: http::StatusCode::URI_TOO_LONG,
                path: String::new(),
            },
            &Context::new("acme").uri_field("topic_name"),
        );
        let bad = s.get_error_details().bad_request().cloned().unwrap();
        assert_eq!(bad.field_violations[0].field, "topic_name");
    }

    #[test]
    fn duplicates_carry_the_existing_record_id() {
        let ctx = Context::new("acme").sobject("Lead");
        let s = from_salesforce(
            api(
                400,
                "DUPLICATE_VALUE",
                "duplicate value found: Ext__c duplicates value on record with id: 00Q58000003tW4u",
                &[],
            ),
            &ctx,
        );
        assert_eq!(s.code(), Code::AlreadyExists);
        let info = s.get_error_details().error_info().cloned().unwrap();
        assert_eq!(info.metadata["duplicateId"], "00Q58000003tW4u");
        assert_eq!(info.metadata["connection"], "acme");
    }

    #[test]
    fn a_failed_lookup_of_sfgates_own_is_not_the_callers_bad_argument() {
        let ctx = Context::new("acme")
            .sobject("Contact")
            .record("003000000000001AAA");
        let lookup = |sobject, e| sf::Error::Lookup {
            sobject,
            source: Box::new(e),
        };
        let s = from_salesforce(
            lookup(
                "Topic",
                api(
                    400,
                    "INVALID_TYPE",
                    "sObject type 'Topic' is not supported",
                    &[],
                ),
            ),
            &ctx,
        );
        assert_eq!(s.code(), Code::FailedPrecondition);
        let d = s.get_error_details();
        assert!(d.bad_request().is_none());
        assert_eq!(
            d.precondition_failure().unwrap().violations[0].subject,
            "Topic"
        );
        assert_eq!(d.error_info().unwrap().metadata["lookupSobject"], "Topic");
        let s = from_salesforce(
            lookup(
                "sobjects",
                api(403, "INSUFFICIENT_ACCESS", "no access", &[]),
            ),
            &ctx,
        );
        assert_eq!(s.code(), Code::PermissionDenied);
        assert!(s.message().contains("global describe"), "{s:?}");
        // Transient failures map as for any call.
        let s = from_salesforce(
            lookup("Topic", api(503, "SERVER_UNAVAILABLE", "down", &[])),
            &ctx,
        );
        assert_eq!(s.code(), Code::Unavailable);
        let s = from_salesforce(lookup("Topic", sf::Error::DeadlineExceeded), &ctx);
        assert_eq!(s.code(), Code::DeadlineExceeded);
    }

    #[test]
    fn salesforce_fields_that_stand_for_a_request_field_are_named_as_it() {
        let ctx = Context::new("acme").renamed(&[("Id", "id"), ("Name", "topic_name")]);
        let s = from_salesforce(api(400, "MALFORMED_ID", "bad id", &["Id"]), &ctx);
        assert_eq!(
            s.get_error_details()
                .bad_request()
                .unwrap()
                .field_violations[0]
                .field,
            "id"
        );
        let s = from_salesforce(
            api(400, "STRING_TOO_LONG", "too long", &["Name", "Other"]),
            &ctx,
        );
        let fields: Vec<_> = s
            .get_error_details()
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .map(|v| v.field.clone())
            .collect();
        assert_eq!(fields, ["topic_name", "fields.Other"]);
    }

    #[test]
    fn every_status_has_exactly_one_error_info_and_a_reason_in_the_aip_format() {
        let ctx = Context::new("acme").query();
        for e in [
            api(400, "MALFORMED_QUERY", "unexpected token", &[]),
            api(400, "SOMETHING_NEW", "new", &["A"]),
            api(
                404,
                "NOT_FOUND",
                "The requested resource does not exist",
                &[],
            ),
            api(503, "SERVER_UNAVAILABLE", "down", &[]),
            sf::Error::DeadlineExceeded,
            sf::Error::ConnectionBusy {
                waited: Duration::from_millis(200),
            },
        ] {
            let s = from_salesforce(e, &ctx);
            let info = s
                .get_error_details()
                .error_info()
                .cloned()
                .expect("ErrorInfo");
            assert!(info.reason.len() <= 63);
            assert!(
                info.reason
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_'),
                "{}",
                info.reason
            );
        }
    }
}
