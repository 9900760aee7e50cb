//! Who is calling: the identity the auth layer attaches to each request.

use std::collections::BTreeSet;

use tonic::{Code, Status};

use super::status;

/// A permission an API key can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permission {
    /// `ExecuteSoqlQuery`.
    Query,
    /// `CreateObject`, `UpdateObject`, `AddTopicToObject`.
    Write,
    /// `DeleteObject`.
    Delete,
    /// `GetAccessToken`.
    Token,
    /// `TriggerService.Subscribe`.
    Triggers,
}

impl Permission {
    /// The permission's name in configuration and errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Query => "query",
            Permission::Write => "write",
            Permission::Delete => "delete",
            Permission::Token => "token",
            Permission::Triggers => "triggers",
        }
    }

    /// Every permission.
    pub const ALL: [Permission; 5] = [
        Permission::Query,
        Permission::Write,
        Permission::Delete,
        Permission::Token,
        Permission::Triggers,
    ];
}

/// An authenticated caller, put into the request extensions by the auth layer.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The API key's configured name (never the key itself).
    pub key_name: String,
    /// The connections the key may use; `None` means all.
    pub connections: Option<BTreeSet<String>>,
    /// The connection used when a request names none.
    pub default_connection: String,
    /// What the key may do.
    pub permissions: BTreeSet<Permission>,
}

impl Caller {
    /// The connection a request should use, if the caller may use it and may do `needs`.
    /// Permission is checked before existence (AIP-193).
    pub(crate) fn authorize<'a>(
        &'a self,
        requested: &'a str,
        needs: Permission,
    ) -> Result<&'a str, Status> {
        if !self.permissions.contains(&needs) {
            return Err(status::gateway(
                Code::PermissionDenied,
                "PERMISSION_MISSING",
                format!(
                    "api key {:?} lacks the {:?} permission",
                    self.key_name,
                    needs.as_str()
                ),
                [("permission".to_owned(), needs.as_str().to_owned())].into(),
            ));
        }
        let name = if requested.is_empty() {
            self.default_connection.as_str()
        } else {
            requested
        };
        if self.connections.as_ref().is_some_and(|c| !c.contains(name)) {
            return Err(status::gateway(
                Code::PermissionDenied,
                "CONNECTION_NOT_ALLOWED",
                format!(
                    "api key {:?} may not use connection {name:?}",
                    self.key_name
                ),
                [("connection".to_owned(), name.to_owned())].into(),
            ));
        }
        Ok(name)
    }
}

/// The caller of a request, or `UNAUTHENTICATED` if the auth layer set none.
pub(crate) fn of<T>(request: &tonic::Request<T>) -> Result<&Caller, Status> {
    request.extensions().get::<Caller>().ok_or_else(|| {
        status::gateway(
            Code::Unauthenticated,
            "API_KEY_INVALID",
            "missing api key: send `authorization: Bearer <key>`",
            Default::default(),
        )
    })
}
