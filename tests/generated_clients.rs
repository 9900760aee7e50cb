//! Polyglot callers, each with its language's usual tools (docs/clients.md): a Python client
//! generated with grpcio-tools, a Node client loaded with @grpc/proto-loader, and a Go client
//! generated with protoc-gen-go and protoc-gen-go-grpc from Debian's packages. Each calls
//! every RPC of `sfgate.v1` against a live gateway (and fails if one was not called), binds a
//! param, reads a trigger stream that receives a record it creates, and decodes `ErrorInfo`
//! and `BadRequest` from the status details with its language's standard helpers.
//! `scripts/setup` installs the tools.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::root;
use sfgate::sandbox::SandboxConfig;
use sfgate::triggers::TriggerConfig;

/// A gateway whose pollers find a new record within about 1.5 s (the defaults would take up
/// to 7 s), with the sandbox's API budget raised so polling every 100 ms is allowed.
async fn gateway() -> common::Gateway {
    let sandbox = SandboxConfig {
        daily_api_limit: 1_000_000_000,
        ..SandboxConfig::default()
    };
    common::start_custom(sandbox, |gw, _, _| {
        gw.triggers = TriggerConfig {
            poll_interval: Duration::from_millis(100),
            min_interval: Duration::from_millis(100),
            max_interval: Duration::from_millis(200),
            overlap: Duration::from_secs(1),
            heartbeat: Duration::from_millis(500),
            api_share: 1.0,
            ..TriggerConfig::default()
        };
    })
    .await
}

/// A scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sfgate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a client check to its end and asserts it succeeded and said so.
async fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&std::ffi::OsStr]) -> String {
    let out: Output = tokio::process::Command::new(program.as_ref())
        .args(args)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{:?} runs: {e}", program.as_ref()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("all behaved"), "{stdout}");
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn a_generated_python_client_calls_every_rpc_and_reads_a_stream_and_error_details() {
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "the test venv is missing: run scripts/setup (scripts/test does) to install grpcio-tools"
    );
    let gw = gateway().await;
    let out_dir = TempDir::new("py");
    run(
        python,
        &[
            root()
                .join("tests/python/generated_client_check.py")
                .as_os_str(),
            gw.addr.to_string().as_ref(),
            out_dir.0.as_os_str(),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_client_calls_every_rpc_and_reads_a_stream_and_error_details() {
    assert!(
        root().join("node_modules/google-proto-files").exists(),
        "node_modules is missing the gRPC client packages: run scripts/setup (scripts/test does)"
    );
    let gw = gateway().await;
    // Node finds the repository's node_modules from the script's directory upward.
    run(
        "node",
        &[
            root()
                .join("tests/node/generated_client_check.js")
                .as_os_str(),
            gw.addr.to_string().as_ref(),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_generated_go_client_calls_every_rpc_and_reads_a_stream_and_error_details() {
    assert!(
        Path::new("/usr/share/gocode/src/google.golang.org/grpc").exists(),
        "Go, protoc and the Go gRPC packages are missing: run scripts/setup (scripts/test does)"
    );
    let out_dir = TempDir::new("go");
    // Generate and build first (a cold build takes a while on 2 cores; warm, about a second).
    let build = tokio::process::Command::new(root().join("tests/go/build"))
        .arg(&out_dir.0)
        .output()
        .await
        .expect("tests/go/build runs");
    assert!(
        build.status.success(),
        "generating or building the Go client failed:\n{}{}",
        String::from_utf8_lossy(&build.stdout),
        String::from_utf8_lossy(&build.stderr)
    );
    let gw = gateway().await;
    run(
        out_dir.0.join("sfgate-go-check"),
        &[gw.addr.to_string().as_ref()],
    )
    .await;
}
