//! Hostile and careless clients over real sockets: connections that say nothing, stalled
//! request bodies, a bounded shutdown. Transport-level tests speak raw HTTP/2 (`raw`) or
//! use the `h2` crate, so they can do what no well-behaved client does.

#[path = "../common/mod.rs"]
mod common;
mod config;
mod malformed;
mod page_tokens;
mod raw;
mod shutdown;
mod stalled;
mod status_size;
mod transport;
mod uri;
