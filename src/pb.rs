//! The generated contract (`proto/sfgate/v1`) and its encoded descriptor set.
#![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]

tonic::include_proto!("sfgate.v1");

/// The encoded `FileDescriptorSet` of the contract, imports included, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/sfgate_descriptor.bin"));
