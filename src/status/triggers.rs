//! How a trigger stream ends (`UNAVAILABLE` at shutdown, `RESOURCE_EXHAUSTED` when too slow,
//! both with the cursor to resume from), and why one could not start.

use std::collections::HashMap;

use tonic::{Code, Status};

use super::{
    Context, ErrorCode, Reason, Violation, from_salesforce, gateway, invalid_argument,
    unknown_connection,
};
use crate::salesforce as sf;
use crate::triggers::{End, SubscribeError, Trigger};

/// How a stream ends: `UNAVAILABLE` at shutdown, `RESOURCE_EXHAUSTED` when too
/// slow; both carry `resumeCursor` in the ErrorInfo metadata.
pub(crate) fn trigger_ended(end: &End, sobject: &str) -> Status {
    let (code, reason, cursor) = match end {
        End::Shutdown { cursor } => (Code::Unavailable, Reason::GatewayShuttingDown, cursor),
        End::TooSlow { cursor } => (Code::ResourceExhausted, Reason::SubscriberTooSlow, cursor),
    };
    let metadata = HashMap::from([
        ("resumeCursor".to_owned(), cursor.clone()),
        ("sobjectType".to_owned(), sobject.to_owned()),
    ]);
    gateway(
        code,
        reason,
        format!("{end}; resume from the cursor in resumeCursor"),
        metadata,
    )
}

/// A subscription that could not start. A query Salesforce refuses (bad sObject,
/// field or condition) is the caller's mistake: `INVALID_ARGUMENT` naming the
/// request field it most likely came from.
pub(crate) fn subscribe_failed(
    e: SubscribeError,
    trigger: &Trigger,
    query_field: &str,
    uri_field: String,
) -> Status {
    match e {
        SubscribeError::UnknownConnection(name) => unknown_connection(&name),
        SubscribeError::Cursor(e) => invalid_argument(
            Reason::InvalidCursor,
            vec![Violation::new("resume_cursor", e.to_string())],
        ),
        SubscribeError::ShuttingDown => gateway(
            Code::Unavailable,
            Reason::GatewayShuttingDown,
            "the gateway is shutting down; subscribe again",
            Default::default(),
        ),
        SubscribeError::Upstream(sf::Error::Api { errors, .. })
            if errors
                .first()
                .is_some_and(|e| ErrorCode::of(&e.error_code) == ErrorCode::Query) =>
        {
            let code = errors.first().map_or("", |e| e.error_code.as_str());
            let field = if code == "INVALID_TYPE" && query_field.starts_with("new_object") {
                "new_object.sobject"
            } else {
                query_field
            };
            let message = errors
                .iter()
                .map(|e| e.message.trim())
                .collect::<Vec<_>>()
                .join("; ");
            invalid_argument(Reason::InvalidTrigger, vec![Violation::new(field, message)])
        }
        SubscribeError::Upstream(e) => {
            let ctx = Context::new(&trigger.connection)
                .sobject(&trigger.sobject)
                .uri_field(uri_field);
            from_salesforce(e, &ctx)
        }
    }
}
