//! [`Permission`]: what an API key may do, and which permission each gateway method needs.

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
