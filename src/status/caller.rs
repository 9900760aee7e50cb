//! The refusals of who is calling: no or an unknown API key (`UNAUTHENTICATED`), a key
//! without the permission or the connection (`PERMISSION_DENIED`, checked before existence:
//! AIP-193), a connection that must be named or does not exist.

use tonic::{Code, Status};

use super::{Reason, Violation, gateway, invalid_argument};

/// `UNAUTHENTICATED` `API_KEY_INVALID`: the call carries no API key.
pub(crate) fn no_api_key() -> Status {
    gateway(
        Code::Unauthenticated,
        Reason::ApiKeyInvalid,
        "missing api key: send `authorization: Bearer <key>`",
        Default::default(),
    )
}

/// `UNAUTHENTICATED` `API_KEY_INVALID`: the key sent is none of the configured ones (which
/// one is never said).
pub(crate) fn unknown_api_key() -> Status {
    gateway(
        Code::Unauthenticated,
        Reason::ApiKeyInvalid,
        "unknown api key",
        Default::default(),
    )
}

/// `PERMISSION_DENIED` `PERMISSION_MISSING`: the key named `key_name` lacks `permission`
/// (its name in configuration, e.g. `write`).
pub(crate) fn permission_missing(key_name: &str, permission: &str) -> Status {
    gateway(
        Code::PermissionDenied,
        Reason::PermissionMissing,
        format!("api key {key_name:?} lacks the {permission:?} permission"),
        [("permission".to_owned(), permission.to_owned())].into(),
    )
}

/// `PERMISSION_DENIED` `CONNECTION_NOT_ALLOWED`: the key named `key_name` may not use
/// `connection`.
pub(crate) fn connection_not_allowed(key_name: &str, connection: &str) -> Status {
    gateway(
        Code::PermissionDenied,
        Reason::ConnectionNotAllowed,
        format!("api key {key_name:?} may not use connection {connection:?}"),
        [("connection".to_owned(), connection.to_owned())].into(),
    )
}

/// `INVALID_ARGUMENT` `CONNECTION_REQUIRED` on `connection`: the key named `key_name` may use
/// several connections and has no default, so the request must name one.
pub(crate) fn connection_required(key_name: &str) -> Status {
    invalid_argument(
        Reason::ConnectionRequired,
        vec![Violation::new(
            "connection",
            format!(
                "is required: api key {key_name:?} may use several connections and has no \
                 default_connection"
            ),
        )],
    )
}

/// `NOT_FOUND` `CONNECTION_NOT_FOUND`: no connection named `name` is configured.
pub(crate) fn unknown_connection(name: &str) -> Status {
    gateway(
        Code::NotFound,
        Reason::ConnectionNotFound,
        format!("no connection named {name:?} is configured"),
        [("connection".to_owned(), name.to_owned())].into(),
    )
}
