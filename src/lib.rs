//! sfgate: a gRPC gateway that lets voice agents and services act on Salesforce.
pub mod api;
pub mod config;
pub mod pb;
pub mod salesforce;
pub mod sandbox;
