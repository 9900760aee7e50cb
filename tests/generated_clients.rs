//! Polyglot callers: a Python client generated from `proto/` with grpcio-tools, and a
//! Node client built from `proto/` with @grpc/proto-loader, call sfgate and read its rich
//! error details (the Node one a trigger stream too).

mod common;

use std::path::Path;

#[tokio::test(flavor = "multi_thread")]
async fn a_generated_python_client_calls_actions_and_reads_error_details() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "the test venv is missing: run scripts/setup (scripts/test does) to install grpcio-tools"
    );
    let gw = common::start().await;
    let out_dir = std::env::temp_dir().join(format!("sfgate-py-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = tokio::process::Command::new(python)
        .arg(root.join("tests/python/generated_client_check.py"))
        .arg(gw.addr.to_string())
        .arg(&out_dir)
        .output()
        .await
        .expect("python runs");
    let _ = std::fs::remove_dir_all(&out_dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("all behaved"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_client_calls_actions_reads_error_details_and_a_trigger_stream() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("node_modules/@grpc/grpc-js").exists(),
        "node_modules is missing @grpc/grpc-js: run scripts/setup (scripts/test does)"
    );
    let gw = common::start().await;
    // Node finds the repository's node_modules from the script's directory upward.
    let out = tokio::process::Command::new("node")
        .arg(root.join("tests/node/generated_client_check.js"))
        .arg(gw.addr.to_string())
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("all behaved"), "{stdout}");
}
