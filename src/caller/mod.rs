//! Who is calling: the identity the auth layer attaches to each request, below both the
//! middleware (which finds it from the API key) and the handlers (which check it).
//!
//! - this file: [`Caller`], the identity and grants of a request;
//! - `permission`: [`Permission`], what a key may do, and which one each method needs;
//! - `api_key`: [`ApiKey`], a configured key as its SHA-256 hash.

mod api_key;
mod permission;

use std::collections::BTreeSet;

use tonic::Status;

use crate::status;

pub use api_key::ApiKey;
pub use permission::Permission;

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

// === impl Caller ===

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
            return Err(status::connection_required(&self.key_name));
        }
        if self.connections.as_ref().is_some_and(|c| !c.contains(name)) {
            return Err(status::connection_not_allowed(&self.key_name, name));
        }
        Ok(name)
    }

    /// `PERMISSION_DENIED` `PERMISSION_MISSING` unless the key holds `needs`.
    pub fn check_permission(&self, needs: Permission) -> Result<(), Status> {
        if self.permissions.contains(&needs) {
            return Ok(());
        }
        Err(status::permission_missing(&self.key_name, needs.as_str()))
    }
}

/// The caller of a request, or `UNAUTHENTICATED` if the auth layer set none.
pub(crate) fn of<T>(request: &tonic::Request<T>) -> Result<&Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .ok_or_else(status::no_api_key)
}
