//! The gRPC edge: request validation, proto ⇄ JSON conversion and error mapping,
//! in front of the Salesforce client.

mod convert;
mod page_token;
mod params;
mod status;
mod validate;
