//! Polyglot callers: a Python client generated from `proto/` with grpcio-tools calls
//! sfgate and reads its rich error details.

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
