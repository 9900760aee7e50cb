//! Global describe, used to map an Id's key prefix to its sObject.

use std::collections::HashMap;

use http::Method;
use serde::Deserialize;

use super::request::{ApiPath, ApiRequest};
use super::{Client, Error, key_prefixes};

/// The parts of `GET /sobjects/{SObject}/describe` the gateway uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SObjectDescribe {
    /// API name, e.g. `Contact`.
    pub name: String,
    /// Singular label.
    pub label: String,
    /// Id prefix (`003`); `None` for objects without records of their own.
    #[serde(default)]
    pub key_prefix: Option<String>,
    /// Whether the user may create records.
    pub createable: bool,
    /// Whether the user may update records.
    pub updateable: bool,
    /// Whether the user may delete records.
    pub deletable: bool,
    /// Whether the object can be queried.
    pub queryable: bool,
    /// The fields visible to the user.
    pub fields: Vec<FieldDescribe>,
}

/// One field of an [`SObjectDescribe`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FieldDescribe {
    /// API name, e.g. `LastName`.
    pub name: String,
    /// Label.
    pub label: String,
    /// Salesforce field type: `id`, `string`, `reference`, `datetime`, `picklist`, ...
    #[serde(rename = "type")]
    pub field_type: String,
    /// Whether the field may be null.
    pub nillable: bool,
    /// Whether the field may be set on create.
    pub createable: bool,
    /// Whether the field may be set on update.
    pub updateable: bool,
}

#[derive(Deserialize)]
struct GlobalDescribe {
    sobjects: Vec<SObjectSummary>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SObjectSummary {
    name: String,
    /// `null` for objects without records of their own (e.g. `*ChangeEvent`, share objects).
    #[serde(default)]
    key_prefix: Option<String>,
}

// === impl Client ===

impl Client {
    /// The sObject whose Ids start with `prefix` (`001` → `Account`), or `None` if no object
    /// has it. Key prefixes are case-sensitive (`00e` Profile, `00E` UserRole).
    ///
    /// One global describe (`GET /sobjects/`) per connection, cached for the client's life:
    /// prefixes of existing objects never change; an object created later is only seen after
    /// a restart. Concurrent first callers share the one request; if it fails, the next call
    /// tries again.
    ///
    /// A standard object's prefix (`003` Contact) is the same in every org and needs no call.
    /// If the describe fails, the error is an [`Error::Lookup`] of `sobjects`: sfgate's own
    /// call, not the caller's request.
    pub async fn sobject_for_key_prefix(&self, prefix: &str) -> Result<Option<String>, Error> {
        if prefix.len() != 3 || !prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::InvalidArgument {
                name: "key prefix",
                reason: "must be 3 ascii letters or digits",
            });
        }
        if let Some(name) = key_prefixes::standard_sobject(prefix) {
            return Ok(Some(name.to_owned()));
        }
        let prefixes = self
            .key_prefix_cache()
            .get_or_try_init(|| self.global_describe())
            .await
            .map_err(|e| e.in_lookup("sobjects"))?;
        Ok(prefixes.get(prefix).cloned())
    }

    /// Why a record Id with key prefix `prefix` cannot belong to `sobject`, when sfgate knows
    /// without a call: the prefix is another standard object's or, after a global describe,
    /// another object's (`"key prefix 00Q is Lead's"`), or `sobject` is a standard object with
    /// a prefix of its own (`"Contact Ids start with 003"`). `None` when it matches or sfgate
    /// cannot tell; Salesforce then decides.
    pub fn key_prefix_mismatch(&self, prefix: &str, sobject: &str) -> Option<String> {
        let owner = key_prefixes::standard_sobject(prefix)
            .map(str::to_owned)
            .or_else(|| self.key_prefix_cache().get()?.get(prefix).cloned());
        match owner {
            Some(owner) if owner.eq_ignore_ascii_case(sobject) => None,
            Some(owner) => Some(format!("key prefix {prefix} is {owner}'s")),
            None => key_prefixes::standard_prefix(sobject)
                .map(|own| format!("{sobject} Ids start with {own}, not {prefix}")),
        }
    }

    /// Describes one sObject (`GET /sobjects/{SObject}/describe`). Not cached: it reflects
    /// the user's current permissions.
    pub async fn describe_sobject(&self, sobject: &str) -> Result<SObjectDescribe, Error> {
        let path = ApiPath::Data(&["sobjects", sobject, "describe"]);
        self.send(ApiRequest::new(Method::GET, path)).await?.json()
    }

    async fn global_describe(&self) -> Result<HashMap<String, String>, Error> {
        // The trailing empty segment gives the documented `/sobjects/`.
        let path = ApiPath::Data(&["sobjects", ""]);
        let describe: GlobalDescribe = self
            .send(ApiRequest::new(Method::GET, path))
            .await?
            .json()?;
        let mut prefixes = HashMap::new();
        for sobject in describe.sobjects {
            if let Some(prefix) = sobject.key_prefix {
                // First one wins should an org ever report a prefix twice.
                prefixes.entry(prefix).or_insert(sobject.name);
            }
        }
        Ok(prefixes)
    }
}
