//! [`Reason`]: the gateway's own `ErrorInfo` reasons (domain `sfgate`), a closed set.
//!
//! A caller's retry logic, a dashboard and (next) the `reason` label of sfgate's metrics
//! switch on these strings, so they are never made up where a status is built: every one
//! is a variant here, [`Reason::ALL`] lists them all, and a test checks the README's error
//! table against this list both ways. Salesforce's own `errorCode`s (domain
//! `salesforce.com`) are not among them: they are Salesforce's vocabulary, passed on as sent.
//!
//! Each reason is UPPER_SNAKE_CASE and at most 63 characters (AIP-193), names one cause, and
//! is never removed or renamed once shipped.

use std::fmt;

/// Declares [`Reason`] with its wire strings, so the enum, [`Reason::as_str`] and
/// [`Reason::ALL`] cannot disagree.
macro_rules! reasons {
    ($($(#[doc = $doc:literal])+ $variant:ident => $wire:literal,)+) => {
        /// Why the gateway itself refused or failed a call: the `reason` of the status's
        /// `ErrorInfo` in domain `sfgate` (see the README's "Errors" table).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Reason {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Reason {
            /// Every reason, in declaration order.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)+];

            /// The reason as it goes on the wire (`ErrorInfo.reason`), e.g. `RATE_LIMITED`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$variant => $wire,)+
                }
            }
        }
    };
}

reasons! {
    // The caller and its grants.
    /// The call carries no API key, or one the gateway does not know (`UNAUTHENTICATED`).
    ApiKeyInvalid => "API_KEY_INVALID",
    /// The key lacks the permission the method needs (`PERMISSION_DENIED`).
    PermissionMissing => "PERMISSION_MISSING",
    /// The key may not use the connection named (`PERMISSION_DENIED`).
    ConnectionNotAllowed => "CONNECTION_NOT_ALLOWED",
    /// No `connection` was sent by a key that may use several and has no default
    /// (`INVALID_ARGUMENT`).
    ConnectionRequired => "CONNECTION_REQUIRED",
    /// The connection named is not configured (`NOT_FOUND`).
    ConnectionNotFound => "CONNECTION_NOT_FOUND",

    // The request itself.
    /// A request field is bad in a way no more specific reason names (`INVALID_ARGUMENT`).
    InvalidArgument => "INVALID_ARGUMENT",
    /// The request message could not be read: not valid protobuf, cut short, missing
    /// (`INVALID_ARGUMENT`).
    MalformedRequest => "MALFORMED_REQUEST",
    /// A record Id that is malformed, or whose key prefix is another sObject's
    /// (`INVALID_ARGUMENT`).
    InvalidRecordId => "INVALID_RECORD_ID",
    /// A record's `fields` name something that is not a field (`INVALID_ARGUMENT`).
    InvalidFields => "INVALID_FIELDS",
    /// A bind parameter without a placeholder, a placeholder without a value, or a value
    /// that cannot be a SOQL literal (`INVALID_ARGUMENT`).
    InvalidQueryParams => "INVALID_QUERY_PARAMS",
    /// `page_size` or `max_records` out of range (`INVALID_ARGUMENT`).
    InvalidPaging => "INVALID_PAGING",
    /// A trigger subscription Salesforce or the gateway refuses: its sObject, fields,
    /// condition or start (`INVALID_ARGUMENT`).
    InvalidTrigger => "INVALID_TRIGGER",
    /// A `resume_cursor` that is not one of this trigger's (`INVALID_ARGUMENT`).
    InvalidCursor => "INVALID_CURSOR",
    /// The request would make a URI over the length Salesforce accepts, or Salesforce
    /// answered 414 / 431 (`INVALID_ARGUMENT`).
    UriTooLong => "URI_TOO_LONG",
    /// Salesforce (or a proxy) answered 413 without its error body (`INVALID_ARGUMENT`).
    PayloadTooLarge => "PAYLOAD_TOO_LARGE",

    // The gateway's own limits.
    /// The key is over its rate limit (`RESOURCE_EXHAUSTED`).
    RateLimited => "RATE_LIMITED",
    /// Too many calls in flight: the call was shed (`UNAVAILABLE`).
    Overloaded => "OVERLOADED",
    /// The request message is over `max_request_bytes` (`RESOURCE_EXHAUSTED`).
    RequestTooLarge => "REQUEST_TOO_LARGE",
    /// Too many trigger streams open, the key's or the gateway's (`RESOURCE_EXHAUSTED`).
    TooManyStreams => "TOO_MANY_STREAMS",
    /// The request message did not arrive within `request_body_timeout_ms`
    /// (`DEADLINE_EXCEEDED`).
    RequestBodyTimeout => "REQUEST_BODY_TIMEOUT",
    /// The call's deadline passed (`DEADLINE_EXCEEDED`).
    DeadlineExceeded => "DEADLINE_EXCEEDED",
    /// The gateway is shutting down (`UNAVAILABLE`).
    GatewayShuttingDown => "GATEWAY_SHUTTING_DOWN",
    /// A trigger subscriber fell more than `buffer` events behind (`RESOURCE_EXHAUSTED`).
    SubscriberTooSlow => "SUBSCRIBER_TOO_SLOW",

    // The connection to Salesforce.
    /// Every request slot of the connection stayed busy for `max_queue_wait_ms`
    /// (`UNAVAILABLE`).
    ConnectionBusy => "CONNECTION_BUSY",
    /// The org's remaining daily API budget is inside the connection's reserve
    /// (`RESOURCE_EXHAUSTED`).
    ApiBudgetReserve => "API_BUDGET_RESERVE",
    /// The token response's `instance_url` host is not allowed (`FAILED_PRECONDITION`).
    InstanceUrlNotAllowed => "INSTANCE_URL_NOT_ALLOWED",
    /// Salesforce refused the connection's session after a token refresh, or answered 401
    /// without its error body (`FAILED_PRECONDITION`).
    ConnectionUnauthorized => "CONNECTION_UNAUTHORIZED",
    /// The token endpoint refused the connection's grant (`invalid_grant`): the org must be
    /// reconnected (`UNAUTHENTICATED`).
    ConnectionReconnectRequired => "CONNECTION_RECONNECT_REQUIRED",
    /// The token endpoint refused the connection's client or credentials
    /// (`FAILED_PRECONDITION`).
    ConnectionAuthFailed => "CONNECTION_AUTH_FAILED",
    /// The token endpoint answered 5xx or 429 (`UNAVAILABLE`).
    TokenEndpointUnavailable => "TOKEN_ENDPOINT_UNAVAILABLE",
    /// Salesforce could not be reached (`UNAVAILABLE`).
    UpstreamUnreachable => "UPSTREAM_UNREACHABLE",
    /// A create's request may or may not have reached Salesforce (`UNAVAILABLE`).
    UpstreamOutcomeUnknown => "UPSTREAM_OUTCOME_UNKNOWN",
    /// Salesforce (or a proxy) answered an error status without its error body.
    UpstreamHttpError => "UPSTREAM_HTTP_ERROR",
    /// The gateway could not build the Salesforce request; nothing was sent (`INTERNAL`).
    RequestNotBuilt => "REQUEST_NOT_BUILT",
    /// A Salesforce answer the gateway could not read (`INTERNAL`).
    UpstreamResponseInvalid => "UPSTREAM_RESPONSE_INVALID",
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_reason_is_one_distinct_aip_193_reason_named_like_its_variant() {
        let mut seen = BTreeSet::new();
        for reason in Reason::ALL {
            let wire = reason.as_str();
            assert!(seen.insert(wire), "{wire} twice");
            assert!(wire.len() <= 63, "{wire}");
            assert!(
                wire.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{wire}"
            );
            // `ApiKeyInvalid` is `API_KEY_INVALID`: the variant says what the wire says.
            let snake: String = format!("{reason:?}")
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
                    sep.into_iter()
                        .chain(std::iter::once(c.to_ascii_uppercase()))
                })
                .collect();
            assert_eq!(snake, wire);
            assert_eq!(reason.to_string(), wire);
        }
    }
}
