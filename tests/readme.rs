//! The README's grpcurl examples, run as written (in order, against a fresh
//! gateway), so the README cannot drift from what sfgate does. Needs grpcurl
//! in `.venv` (`scripts/setup` installs it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every `grpcurl …` command in the README's `sh` blocks, continuation lines joined.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut current = String::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        if current.is_empty() && !line.starts_with("grpcurl ") {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    commands
}

fn venv_bin() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin");
    assert!(
        bin.join("grpcurl").exists(),
        "grpcurl is missing: run scripts/setup (scripts/test does) to install it into .venv"
    );
    bin
}

#[tokio::test(flavor = "multi_thread")]
async fn readme_grpcurl_examples_work_as_written() {
    let bin = venv_bin();
    let gw = common::start().await;
    let commands = readme_commands();
    assert!(
        commands.len() >= 10,
        "found only {} grpcurl examples",
        commands.len()
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for command in commands {
        let command = command.replace("localhost:50051", &gw.addr.to_string());
        let out = tokio::task::spawn_blocking({
            let (command, path) = (command.clone(), path.clone());
            move || {
                Command::new("bash")
                    .arg("-c")
                    .arg(&command)
                    .env("PATH", path)
                    .output()
            }
        })
        .await
        .unwrap()
        .expect("bash runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if command.contains("-format-error") {
            // The README's error example: refused with the documented code and reason.
            assert!(!out.status.success(), "{command} should fail");
            // grpcurl prints the status, details decoded, on stderr.
            assert!(stderr.contains("\"code\": 3"), "{command}: {stderr}");
            for detail in ["\"reason\":\"INVALID_RECORD_ID\"", "\"field\":\"id\""] {
                assert!(stderr.contains(detail), "{command}: {stderr}");
            }
            continue;
        }
        if command.contains("TriggerService/Subscribe") {
            // The stream runs until grpcurl's -max-time; by then the sample Contacts
            // (created when the sandbox started) have arrived as events.
            assert!(stderr.contains("DeadlineExceeded"), "{command}: {stderr}");
            for field in ["\"recordId\"", "\"cursor\"", "TRIGGER_TYPE_NEW_CONTACT"] {
                assert!(stdout.contains(field), "{command}: {stdout}");
            }
            continue;
        }
        assert!(
            out.status.success(),
            "{command}\nstdout: {stdout}\nstderr: {stderr}"
        );
        if command.ends_with(" list") {
            assert!(stdout.contains("sfgate.v1.SalesforceService"), "{stdout}");
        }
        if command.contains("SalesforceService/ExecuteSoqlQuery") {
            assert!(
                stdout.contains("\"totalSize\": \"1\""),
                "the sample contact is found: {stdout}"
            );
        }
        if command.contains("Health/Check") {
            assert!(stdout.contains("SERVING"), "{stdout}");
        }
    }
}
