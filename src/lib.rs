//! sfgate: a gRPC gateway that lets voice agents and services act on Salesforce,
//! and hear about new Salesforce records.
//!
//! # Layout
//!
//! Data flows one way: a gRPC call enters [`server`], passes the [`middleware`]
//! layers (deadline, caller auth, rate limit, admission, the request message read in
//! time, load shedding, size), reaches a
//! handler in [`api`], which validates and converts it and calls
//! [`salesforce`], the REST client (or [`triggers`], which calls [`salesforce`]),
//! which talks HTTP to a Salesforce org. [`sandbox`] is such an org, in memory,
//! reached only over the network exactly like the real one (HTTP, and gRPC for its
//! Pub/Sub API); [`embedded`] wires the two together for the zero-configuration default.
//!
//! - [`pb`]: the generated contract (`proto/sfgate/v1`).
//! - [`eventbus`]: the generated Salesforce Pub/Sub API (`proto/eventbus/v1`, client and
//!   server, tonic's default codec): generated code only, so the sandbox's Pub/Sub server
//!   and (next) the gateway's Change Data Capture source share it without depending on
//!   each other.
//! - [`config`]: the TOML configuration (with environment overrides), checked
//!   as a whole, and its wiring into a [`server::Gateway`].
//! - [`server`]: services, health, reflection, layers; the accept loop and each
//!   connection's limits and timeouts ([`server::Transport`]); a shutdown bounded by its
//!   grace period.
//! - [`middleware`]: tower layers and their order: deadline, caller
//!   authentication, per-key rate limits, admission (permission and stream slots
//!   from the headers), the request message read within its timeout, the in-flight
//!   bound (load shedding), the request size; and the limits' settings, with
//!   `StreamSlots` for stream handlers.
//! - [`api`]: the gRPC handlers: validation, conversion, error mapping (the only
//!   module that knows both gRPC and Salesforce errors is `api::status`, and every
//!   status is cut to a size any client accepts in `api::fit`; the services'
//!   protobuf codec, with a small first encode buffer and decode errors answered
//!   `INVALID_ARGUMENT`, is `api::codec`; page tokens are signed in `api::page_token`;
//!   `api::health` reports each connection's health from its grant's state;
//!   `api::decimal` decides which of Salesforce's decimals a double carries).
//! - [`salesforce`]: the Salesforce REST client: OAuth flows and token cache,
//!   queries, records, topics, limits. Knows nothing of gRPC.
//! - [`sandbox`]: the embedded Salesforce-compatible org: the REST API over HTTP, and
//!   its Change Data Capture events over its own Pub/Sub API server (`sandbox::pubsub`,
//!   gRPC on a port of its own). Imports nothing from the rest of the crate but
//!   [`eventbus`]; only `sandbox::pubsub` uses tonic (a Pub/Sub API server is gRPC by
//!   definition; the check in `.ci/run` allows exactly that).
//! - [`embedded`]: the default: a sandbox org (with its Pub/Sub API on an ephemeral
//!   loopback port) and a gateway pointed at it.
//! - [`triggers`]: the polling engine behind `TriggerService`: one shared poller
//!   per trigger, ordered resumable feeds of new records. Knows nothing of gRPC.

pub mod api;
pub mod assembly;
pub mod caller;
pub mod config;
pub mod eventbus;
pub mod limits;
pub mod middleware;
pub mod pb;
pub mod salesforce;
pub mod sandbox;
pub mod server;
pub mod status;
pub mod triggers;
