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

    /// The permission a gateway method needs, by its HTTP/2 path
    /// (`/sfgate.v1.SalesforceService/ExecuteSoqlQuery`); `None` for a path that is no
    /// gateway method (tonic answers it `UNIMPLEMENTED`).
    pub fn for_method(path: &str) -> Option<Permission> {
        Some(match path.strip_prefix("/sfgate.v1.")? {
            "SalesforceService/ExecuteSoqlQuery" => Permission::Query,
            "SalesforceService/CreateObject"
            | "SalesforceService/UpdateObject"
            | "SalesforceService/AddTopicToObject" => Permission::Write,
            "SalesforceService/DeleteObject" => Permission::Delete,
            "SalesforceService/GetAccessToken" => Permission::Token,
            "TriggerService/Subscribe" => Permission::Triggers,
            _ => return None,
        })
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
        self.check_permission(needs)?;
        let name = if requested.is_empty() {
            self.default_connection.as_str()
        } else {
            requested
        };
        if name.is_empty() {
            return Err(status::invalid_argument(
                "CONNECTION_REQUIRED",
                vec![status::Violation::new(
                    "connection",
                    format!(
                        "is required: api key {:?} may use several connections and has no \
                         default_connection",
                        self.key_name
                    ),
                )],
            ));
        }
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

impl Caller {
    /// `PERMISSION_DENIED` `PERMISSION_MISSING` unless the key holds `needs`.
    pub fn check_permission(&self, needs: Permission) -> Result<(), Status> {
        if self.permissions.contains(&needs) {
            return Ok(());
        }
        Err(status::gateway(
            Code::PermissionDenied,
            "PERMISSION_MISSING",
            format!(
                "api key {:?} lacks the {:?} permission",
                self.key_name,
                needs.as_str()
            ),
            [("permission".to_owned(), needs.as_str().to_owned())].into(),
        ))
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

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn every_gateway_method_needs_a_permission() {
        let files = prost_types::FileDescriptorSet::decode(crate::pb::FILE_DESCRIPTOR_SET)
            .expect("the generated descriptor set");
        let mut methods = 0;
        for file in files.file.iter().filter(|f| f.package() == "sfgate.v1") {
            for service in &file.service {
                for method in &service.method {
                    let path = format!("/sfgate.v1.{}/{}", service.name(), method.name());
                    assert!(Permission::for_method(&path).is_some(), "{path}");
                    methods += 1;
                }
            }
        }
        assert_eq!(methods, 7);
        assert_eq!(Permission::for_method("/grpc.health.v1.Health/Check"), None);
        assert_eq!(
            Permission::for_method("/sfgate.v1.SalesforceService/Nope"),
            None
        );
    }
}
