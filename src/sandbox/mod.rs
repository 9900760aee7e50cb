//! The sandbox org: an in-memory server that behaves like a Salesforce org's REST API.
//!
//! It is reached only over HTTP and imports nothing from the rest of the crate.

pub mod oauth;
pub mod schema;
pub mod soql;
