//! The client's errors. They know HTTP and Salesforce, never gRPC: the API layer maps them.
//!
//! Salesforce's error envelope is kept whole ([`ApiError`] plus the HTTP status) so the caller
//! can turn `fields` into field violations. No variant ever holds a secret, and transport
//! errors are stripped of their URL because a query URL carries the SOQL's literal values.

use http::StatusCode;
use serde::Deserialize;

/// One entry of a REST error body `[{"message","errorCode","fields"?}]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    /// e.g. `INVALID_SESSION_ID`, `DUPLICATE_VALUE`, `MALFORMED_QUERY`.
    #[serde(rename = "errorCode")]
    pub error_code: String,
    /// Salesforce's text, as sent.
    pub message: String,
    /// The fields the error is about; absent (hence empty) on query and auth errors.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// A failed call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Salesforce answered with an error status and its JSON error envelope.
    ///
    /// `Display` names the first error code, not its message: query error messages quote the
    /// SOQL (with its literal values) and `Display` is what ends up in logs.
    #[error("salesforce answered {status}: {}", .errors.first().map_or("", |e| e.error_code.as_str()))]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The envelope, in Salesforce's order.
        errors: Vec<ApiError>,
    },
    /// Salesforce answered with an error status but no JSON envelope (a maintenance page, a
    /// proxy's 502).
    #[error("salesforce answered {status} without an error body at {path}")]
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// The URL path (never the query string).
        path: String,
    },
    /// The request (or the token request before it) did not complete: connect refused,
    /// reset, TLS failure, body cut short. Whether a write was applied is unknown.
    #[error("could not reach salesforce")]
    Unreachable(#[source] reqwest::Error),
    /// A success response whose body is not the documented shape.
    #[error("unexpected response body at {path}")]
    Decode {
        /// The URL path (never the query string).
        path: String,
        /// What did not parse.
        #[source]
        source: serde_json::Error,
    },
    /// Getting an access token failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The token's `instance_url` is not a Salesforce host nor one of the configured ones; the
    /// token was not used.
    #[error("instance url host {host:?} is not allowed for this connection")]
    InstanceNotAllowed {
        /// The refused host (or the whole URL when it has none).
        host: String,
    },
    /// The call's deadline (or, without one in scope, the connection's default timeout)
    /// passed while waiting for a request slot, for Salesforce's answer, or for a token. Like
    /// [`Error::Unreachable`], whether a write was applied is unknown.
    #[error("deadline exceeded before salesforce answered")]
    DeadlineExceeded,
    /// Refused before sending: the org's last reported API usage leaves fewer than `reserve`
    /// requests of its daily budget, which are kept for people and other integrations.
    #[error("org api usage {used}/{max} is inside the reserve of {reserve} requests")]
    BudgetReserve {
        /// Requests used in the last 24 h, as last reported.
        used: u64,
        /// The org's daily limit.
        max: u64,
        /// The connection's configured reserve.
        reserve: u64,
    },
    /// Refused before sending: every request slot of the connection stayed taken for the
    /// whole queue wait. Nothing reached Salesforce.
    #[error("every request slot of the connection stayed busy for {waited:?}")]
    ConnectionBusy {
        /// How long the call waited.
        waited: std::time::Duration,
    },
    /// A call sfgate made on its own behalf — finding a Topic by name, the global describe
    /// behind key-prefix inference — failed: not the caller's request, but what sfgate needed
    /// to carry it out. `source` is the failure, `sobject` what sfgate was reading.
    #[error("sfgate's own lookup of {sobject} failed: {source}")]
    Lookup {
        /// The sObject (or `sobjects`, the global describe) sfgate was reading.
        sobject: &'static str,
        /// Why it failed.
        #[source]
        source: Box<Error>,
    },
    /// Refused before sending: the request's URI (path and query string) would be over
    /// [`MAX_URI_BYTES`](super::client::MAX_URI_BYTES), so Salesforce would answer 414 or 431
    /// whatever the retry. Nothing was sent.
    #[error("the request uri would be {length} bytes, over the limit of {limit}")]
    UriTooLong {
        /// The URI's length, in bytes, as it would be sent (percent-encoded).
        length: usize,
        /// The limit it is over.
        limit: usize,
    },
    /// An argument the client refuses before calling Salesforce.
    #[error("invalid {name}: {reason}")]
    InvalidArgument {
        /// Which argument.
        name: &'static str,
        /// Why.
        reason: &'static str,
    },
}

// === impl ApiError ===

impl ApiError {
    /// The record Id in Salesforce's "… duplicates value on record with id: 00Q58000003tW4u"
    /// (15 characters there; 18 accepted too), if the message has one.
    pub fn duplicate_id(&self) -> Option<&str> {
        const MARK: &str = "with id: ";
        let rest = &self.message[self.message.find(MARK)? + MARK.len()..];
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let id = &rest[..end];
        matches!(id.len(), 15 | 18).then_some(id)
    }
}

/// Why the token endpoint did not give a usable token. Never holds a credential.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint refused the grant with `{"error","error_description"}`.
    #[error(
        "salesforce token endpoint refused the grant ({error}: {description}){}",
        if .error == "invalid_grant" { "; the org must be reconnected" } else { "" }
    )]
    Refused {
        /// The HTTP status (400 for most refusals).
        status: StatusCode,
        /// The OAuth error code, e.g. `invalid_grant`, `invalid_client_id`.
        error: String,
        /// Salesforce's description, e.g. `expired access/refresh token`.
        description: String,
    },
    /// The token endpoint answered with a status and body that are not an OAuth error.
    #[error("salesforce token endpoint answered {status} without an oauth error body")]
    Status {
        /// The HTTP status.
        status: StatusCode,
    },
    /// A 200 from the token endpoint that is not a token response. Only serde's category of
    /// failure is kept: its message could quote a token from the body.
    #[error("unexpected token response body ({0:?} error)")]
    Decode(serde_json::error::Category),
    /// The token response's `instance_url` is not a URL.
    #[error("token response has an invalid instance url")]
    InvalidInstanceUrl(#[source] url::ParseError),
    /// The JWT bearer flow's private key is not an RSA PEM key (the key is not in the error).
    #[error("the jwt bearer private key is not a usable rsa pem key")]
    InvalidPrivateKey(#[source] jsonwebtoken::errors::Error),
}

// === impl Error ===

impl Error {
    /// The error codes of an [`Error::Api`], for matching (`DUPLICATE_VALUE`, ...).
    pub fn has_error_code(&self, code: &str) -> bool {
        matches!(self, Error::Api { errors, .. } if errors.iter().any(|e| e.error_code == code))
    }

    /// The existing record a `DUPLICATE_VALUE` names, as Salesforce writes it in the message
    /// ("duplicate value found: Name duplicates value on record with id: 0TO5e000000abcd"): the
    /// 15- or 18-character Id, when there is one.
    pub fn duplicate_of(&self) -> Option<&str> {
        match self {
            Error::Api { errors, .. } => errors
                .iter()
                .filter(|e| e.error_code == "DUPLICATE_VALUE")
                .find_map(ApiError::duplicate_id),
            _ => None,
        }
    }

    /// This error as the failure of sfgate's own lookup of `sobject` (see [`Error::Lookup`]).
    pub(crate) fn in_lookup(self, sobject: &'static str) -> Error {
        match self {
            // Already attributed to the lookup that failed first.
            e @ Error::Lookup { .. } => e,
            source => Error::Lookup {
                sobject,
                source: Box::new(source),
            },
        }
    }

    /// A copy of this error for the other callers that waited on the same token request, when
    /// it can be copied. Transport errors can't (and are worth each caller retrying).
    pub(crate) fn replay(&self) -> Option<Error> {
        match self {
            Error::Lookup { sobject, source } => source.replay().map(|source| Error::Lookup {
                sobject,
                source: Box::new(source),
            }),
            Error::Auth(e) => Some(Error::Auth(e.clone())),
            Error::InstanceNotAllowed { host } => {
                Some(Error::InstanceNotAllowed { host: host.clone() })
            }
            Error::InvalidArgument { name, reason } => {
                Some(Error::InvalidArgument { name, reason })
            }
            Error::Api { status, errors } => Some(Error::Api {
                status: *status,
                errors: errors.clone(),
            }),
            Error::Status { status, path } => Some(Error::Status {
                status: *status,
                path: path.clone(),
            }),
            Error::DeadlineExceeded => Some(Error::DeadlineExceeded),
            Error::ConnectionBusy { waited } => Some(Error::ConnectionBusy { waited: *waited }),
            Error::UriTooLong { length, limit } => Some(Error::UriTooLong {
                length: *length,
                limit: *limit,
            }),
            Error::BudgetReserve { used, max, reserve } => Some(Error::BudgetReserve {
                used: *used,
                max: *max,
                reserve: *reserve,
            }),
            Error::Unreachable(_) | Error::Decode { .. } => None,
        }
    }

    /// A transport error without its URL: a query URL carries the SOQL's literal values, which
    /// must not reach logs through an error's `Display`.
    pub(crate) fn unreachable(e: reqwest::Error) -> Error {
        Error::Unreachable(e.without_url())
    }
}

impl AuthError {
    /// Whether the grant itself is dead (revoked or expired refresh token, changed password,
    /// removed approval): retrying won't help, a person has to reconnect the org.
    pub fn needs_reconnect(&self) -> bool {
        matches!(self, AuthError::Refused { error, .. } if error == "invalid_grant")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelopes_parse_whole_in_either_key_order() {
        let body = r#"[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"},
            {"message":"Required fields are missing: [Name]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Name"]}]"#;
        let errors: Vec<ApiError> = serde_json::from_str(body).unwrap();
        assert_eq!(
            errors,
            vec![
                ApiError {
                    error_code: "NOT_FOUND".into(),
                    message: "The requested resource does not exist".into(),
                    fields: vec![],
                },
                ApiError {
                    error_code: "REQUIRED_FIELD_MISSING".into(),
                    message: "Required fields are missing: [Name]".into(),
                    fields: vec!["Name".into()],
                },
            ]
        );
    }

    #[test]
    fn invalid_grant_says_the_org_must_be_reconnected() {
        let e = AuthError::Refused {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_grant".into(),
            description: "expired access/refresh token".into(),
        };
        assert!(e.needs_reconnect());
        assert!(e.to_string().contains("must be reconnected"), "{e}");
        let e = AuthError::Refused {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_client_id".into(),
            description: "client identifier invalid".into(),
        };
        assert!(!e.needs_reconnect());
        assert!(!e.to_string().contains("reconnected"));
    }
}
