//! The gRPC edge: request validation and proto ⇄ JSON conversion, in front of the
//! Salesforce client and the trigger engine.
//!
//! Handlers follow one shape — authorize the caller ([`crate::caller`]), validate and
//! convert the request, call [`crate::salesforce`], convert the answer — and every error
//! leaves through [`crate::status`], the one place that builds gRPC statuses.

pub mod codec;
mod convert;
pub mod health;
mod idempotency;
mod page_token;
mod params;
mod query;
mod salesforce;
mod triggers;
mod validate;

pub use salesforce::SalesforceApi;
pub use triggers::TriggerApi;
