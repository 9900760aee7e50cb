//! The sandbox org alone, over real sockets, as any Salesforce client sees it: its REST API
//! with reqwest (`support`: an org on 127.0.0.1:0 and a session), and its Change Data
//! Capture events over its Pub/Sub API with a tonic client (`pubsub_support`). One test
//! binary, one module per part of the org, as `tests/triggers/` is.
//!
//! - `api`: versions, sessions, routing errors, describe, limits, bad input, admin routes;
//! - `records`, `fields`, `validation`, `uiapi`: sObject writes, field types, validation
//!   rules, the UI API's create with its `Idempotency-Key`;
//! - `collections`, `composite`, `conditional`: sObject Collections, Composite,
//!   `If-Modified-Since` on describe;
//! - `query`: SOQL over HTTP, paging, `queryAll`;
//! - `faults`, `setup`: the fault switches; seeds, serving and shutdown;
//! - `pubsub`, `pubsub_errors`: Change Data Capture over the Pub/Sub API;
//! - `perf`: size and speed (timings asserted in release builds only).

#[path = "../common/mod.rs"]
mod common;
mod pubsub_support;
mod support;

mod api;
mod collections;
mod composite;
mod conditional;
mod faults;
mod fields;
mod perf;
mod pubsub;
mod pubsub_errors;
mod query;
mod records;
mod setup;
mod uiapi;
mod validation;
