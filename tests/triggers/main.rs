//! `TriggerService.Subscribe` end to end: gRPC client → sfgate's trigger engine →
//! sandbox org over HTTP, with real sockets and real time (the sandbox stamps
//! `CreatedDate` from the wall clock), pollers made fast through `TriggerConfig`.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod chaos;
mod contract;
mod fan_out;
mod flow;
mod values;
