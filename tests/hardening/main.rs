//! Hostile and careless clients over real sockets (issue 13): connections that say nothing
//! (`transport`), stalled request bodies (`stalled`), a bounded shutdown (`shutdown`),
//! oversized errors (`status_size`), undecodable messages (`malformed`), over-long URIs
//! (`uri`), forged page tokens (`page_tokens`) and configuration that must not be ignored
//! (`config`). Transport-level tests speak raw HTTP/2 (`raw`) or use the `h2` crate, so
//! they can do what no well-behaved client does; the process-level ones run the built
//! `sfgate` binary.

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
