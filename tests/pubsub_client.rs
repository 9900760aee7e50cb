//! A Salesforce Pub/Sub API client written by someone else works against the sandbox's
//! event bus: `tests/python/pubsub_client_check.py`, built the way Salesforce's Python
//! quick start builds one (grpcio and grpcio-tools, the eventbus.v1 proto, the `avro`
//! package; `scripts/setup` installs them), subscribes to `sfgate sandbox --pubsub-listen`,
//! decodes a Contact CREATE and an UPDATE with its changedFields bitmap, resumes after a
//! replay id, and reads an error code from the trailers.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use common::root;

/// A loopback port nothing listens on (now).
fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// Waits until something accepts connections at `addr`.
async fn wait_for(addr: SocketAddr) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on {addr}");
}

/// A scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_pubsub_client_decodes_a_create_and_an_update_and_resumes_from_a_replay_id() {
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "the test venv is missing: run scripts/setup (scripts/test does) to install grpcio-tools and avro"
    );
    let (rest, pubsub) = (free_port(), free_port());
    let _sandbox = tokio::process::Command::new(env!("CARGO_BIN_EXE_sfgate"))
        .args(["sandbox", "--listen", &rest.to_string()])
        .args(["--pubsub-listen", &pubsub.to_string()])
        .env("SFGATE_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("sfgate sandbox starts");
    wait_for(rest).await;
    wait_for(pubsub).await;
    let out_dir =
        TempDir(std::env::temp_dir().join(format!("sfgate-pubsub-py-{}", std::process::id())));
    std::fs::create_dir_all(&out_dir.0).unwrap();
    let out = tokio::process::Command::new(python)
        .arg(root().join("tests/python/pubsub_client_check.py"))
        .arg(format!("http://{rest}"))
        .arg(pubsub.to_string())
        .arg(&out_dir.0)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("all behaved"), "{stdout}");
}
