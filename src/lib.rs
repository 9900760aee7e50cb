//! sfgate: a gRPC gateway that lets voice agents and services act on Salesforce,
//! and hear about new Salesforce records.
//!
//! # Layout
//!
//! Data flows one way: a gRPC call enters [`server`], passes the [`middleware`]
//! layers of its service (deadline, caller auth, rate limit, admission, the request
//! message read in time, load shedding, size), reaches a handler in [`api`], which
//! validates and converts it and calls [`salesforce`], the REST client (or [`triggers`],
//! which calls [`salesforce`]), which talks HTTP to a Salesforce org. [`sandbox`] is such
//! an org, in memory, reached only over the network exactly like the real one (HTTP, and
//! gRPC for its Pub/Sub API). [`assembly`] puts it all together, from a configuration
//! file or for the zero-configuration default.
//!
//! Beside the flow, below both [`middleware`] and [`api`] (which never import each
//! other): [`caller`] (who is calling), [`limits`] (what a caller may take) and
//! [`status`] (every status a caller can get). [`config`] is a leaf of settings.
//!
//! - [`pb`]: the generated contract (`proto/sfgate/v1`).
//! - [`eventbus`]: the generated Salesforce Pub/Sub API (`proto/eventbus/v1`, client and
//!   server, tonic's default codec): generated code only, so the sandbox's Pub/Sub server
//!   and (next) the gateway's Change Data Capture source share it without depending on
//!   each other.
//! - [`assembly`]: how the gateway is assembled: configuration → clients, keys, limits,
//!   trigger engine → the server; the embedded default (a sandbox org with its Pub/Sub
//!   API on ephemeral loopback ports, and a gateway pointed at it); `sfgate check`;
//!   `sfgate sandbox`. `main.rs` parses the command line and calls it.
//! - [`config`]: the TOML configuration (with environment overrides), checked as a
//!   whole, as settings types; imports nothing above it.
//! - [`server`]: the services with their layers, health, reflection; the accept loop and
//!   each connection's limits and timeouts; a shutdown bounded by its grace period.
//! - [`middleware`]: tower layers and their order, applied to the gateway's own services
//!   only: deadline, caller authentication, per-key rate limits, admission (permission
//!   and stream slots from the headers), the request message read within its timeout,
//!   the in-flight bound (load shedding), the request size.
//! - [`caller`]: the identity a request carries ([`caller::Caller`]), its permissions,
//!   and the configured API keys (hashed).
//! - [`limits`]: the caller-side limits ([`limits::Limits`], [`limits::Transport`], the
//!   per-call deadlines) and the bookkeeping of open streams.
//! - [`status`]: every status built in one place (AIP-193: one `ErrorInfo`, details
//!   naming the field), cut to a size any client accepts; [`status::Reason`], the closed
//!   set of the gateway's own reasons; the gateway's refusals; the mapping of Salesforce's
//!   errors (the only module that knows both gRPC and Salesforce errors).
//! - [`api`]: the gRPC handlers: validation and conversion; the services' protobuf codec
//!   (a small first encode buffer, decode errors answered `INVALID_ARGUMENT`); signed
//!   page tokens; each connection's health from its grant's state.
//! - [`salesforce`]: the Salesforce REST client: OAuth flows and token cache, records,
//!   topics, limits; SOQL as text and as calls, owned by `salesforce::soql` (quoting,
//!   literals, placeholders, select lists, a feed's windows, paging); Salesforce's decimals
//!   and datetimes. Knows nothing of gRPC.
//! - [`triggers`]: the engine behind `TriggerService`: one shared source and feed per
//!   trigger (polling is the one source today), ordered resumable feeds of new records.
//!   Knows nothing of gRPC.
//! - [`sandbox`]: the embedded Salesforce-compatible org: the REST API over HTTP, and
//!   its Change Data Capture events over its own Pub/Sub API server (`sandbox::pubsub`,
//!   gRPC on a port of its own). Imports nothing from the rest of the crate but
//!   [`eventbus`]; only `sandbox::pubsub` uses tonic (a Pub/Sub API server is gRPC by
//!   definition; the check in `.ci/run` allows exactly that).
//! - [`health_probe`]: `sfgate health`, a gRPC health client for container health checks
//!   and scripts (exit codes per outcome).

pub mod api;
pub mod assembly;
pub mod caller;
pub mod config;
pub mod eventbus;
pub mod health_probe;
pub mod limits;
pub mod middleware;
pub mod pb;
pub mod salesforce;
pub mod sandbox;
pub mod server;
pub mod status;
pub mod triggers;
