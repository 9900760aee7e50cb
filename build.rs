//! Compiles `proto/` with protox (pure Rust, so no system `protoc` is needed): sfgate's own
//! contract (`sfgate.v1`, with the descriptor set that server reflection serves) and
//! Salesforce's Pub/Sub API (`eventbus.v1`, client and server, with tonic's default codec so
//! the generated module depends on nothing else in the crate).

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let mut compiler = protox::Compiler::new(["proto"])?;
    // Imports are included so reflection clients (grpcurl) can resolve Struct and Timestamp.
    compiler.include_source_info(true).include_imports(true);
    compiler.open_files([
        "sfgate/v1/salesforce_service.proto",
        "sfgate/v1/trigger_service.proto",
    ])?;
    fs::write(
        out.join("sfgate_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // A small first encode buffer: an open trigger stream holds it for its life.
        .codec_path("crate::api::codec::SmallBufferCodec")
        .compile_fds(compiler.file_descriptor_set())?;

    let mut eventbus = protox::Compiler::new(["proto"])?;
    eventbus.include_source_info(true);
    eventbus.open_files(["eventbus/v1/pubsub_api.proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(eventbus.file_descriptor_set())?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
