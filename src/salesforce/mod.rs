//! The Salesforce REST client: OAuth flows with a per-connection token cache, and the sObject,
//! query, describe and topic calls the gRPC layer makes. It knows HTTP and Salesforce, nothing
//! of gRPC.
//!
//! # Layout
//!
//! - [`client`]: [`Client`] and [`ConnectionConfig`]; every call goes through one `send` that
//!   bounds it by the deadline and retries what is safe to retry, and each attempt adds the
//!   token, takes a request slot, keeps the daily budget reserve, tracks `Sforce-Limit-Info`,
//!   and refreshes once on `INVALID_SESSION_ID`; `request`: one call as sent (`ApiRequest`,
//!   built with `ApiRequest::new` and its `with_*` options) and a successful answer.
//! - [`deadline`]: the caller's deadline as a task-local ([`with_deadline`]).
//! - [`upstream`]: [`UpstreamLimits`] (concurrency ceiling, budget reserve, retries, default
//!   timeout) and the shared state behind them; `retry`: what is retried and the backoff.
//! - [`auth`]: the grant types ([`AuthFlow`]), [`Token`], the single-flight token cache and the
//!   instance-host allowlist.
//! - [`soql`]: SOQL as text (quoting, literals, placeholders, select lists, a feed's
//!   windows) and as calls (queries and their pages); the one owner of both.
//! - `records`, `describe`, `topics`: the other calls, as `impl Client` blocks;
//!   `key_prefixes`: the standard objects' key prefixes, the same in every org.
//! - [`error`]: [`Error`], with Salesforce's envelope kept whole as [`ApiError`]s.
//! - [`datetime`]: Salesforce's date and datetime text forms, parsed and written once;
//!   [`decimal`]: which decimals a double carries, and which doubles Salesforce receives.
//! - [`id`]: [`RecordId`]; [`limits`]: [`ApiUsage`]; [`secret`]: [`Secret`].
//!
//! # Secrets
//!
//! Credentials and tokens are [`Secret`]s: `Debug` and `Display` print `***`, and no error or
//! log line carries one. Logs (debug level) name the method, path, status and elapsed time,
//! never a query string, because SOQL literals can hold personal data.
//!
//! # Deadlines and cancellation
//!
//! Callers set a deadline with [`with_deadline`] (or apply one by dropping futures); past it a
//! call fails with [`Error::DeadlineExceeded`]. The caches are only written after their
//! request completes, so a dropped call leaves them as they were.

pub mod auth;
pub mod client;
pub mod datetime;
pub mod deadline;
pub mod decimal;
mod describe;
pub mod error;
pub mod id;
mod key_prefixes;
pub mod limits;
mod records;
mod request;
mod retry;
pub mod secret;
pub mod soql;
mod topics;
pub mod upstream;

pub use auth::{AuthFlow, Token};
pub use client::{Client, ConnectionConfig};
pub use deadline::with_deadline;
pub use describe::{FieldDescribe, SObjectDescribe};
pub use error::{ApiError, AuthError, Error};
pub use id::{IdError, RecordId};
pub use limits::ApiUsage;
pub use secret::Secret;
pub use soql::{BatchSize, PageStart, Pages, QueryPage};
pub use topics::TopicAssignment;
pub use upstream::{UpstreamLimits, UpstreamStats};
