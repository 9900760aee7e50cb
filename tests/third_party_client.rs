//! A widely used third-party Salesforce client library (simple-salesforce, from
//! PyPI) against `sfgate sandbox`: it must work with no special-casing.

use std::path::Path;

use sfgate::sandbox::{self, SandboxConfig};

#[tokio::test(flavor = "multi_thread")]
async fn simple_salesforce_logs_in_pages_writes_and_reads_error_codes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "the test venv is missing: run scripts/setup (scripts/test does) to install simple-salesforce"
    );
    let (addr, _org) = sandbox::spawn(SandboxConfig::default())
        .await
        .expect("sandbox");
    let out = tokio::process::Command::new(python)
        .arg(root.join("tests/python/simple_salesforce_check.py"))
        .arg(format!("http://{addr}"))
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("all behaved"), "{stdout}");
}
