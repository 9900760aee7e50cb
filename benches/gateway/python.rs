//! The Python callers of `benches/python/clients.py`: simple-salesforce straight at the
//! sandbox org, and a grpcio-tools client through sfgate, each in one fresh process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::stats::Summary;

/// What one Python process measured.
#[derive(Debug)]
pub(crate) struct PyRun {
    /// Process start to the first lookup answered (imports, login or channel, first call).
    pub first_answer: Duration,
    /// The OAuth login alone (simple-salesforce only).
    pub login: Option<Duration>,
    pub lookup: Summary,
    pub create: Summary,
}

/// The repository's `.venv` Python (`scripts/setup` makes it), if there is one.
pub(crate) fn interpreter() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    python.exists().then_some(python)
}

/// Runs `clients.py` with `args` and reads its JSON line.
pub(crate) async fn run(python: &Path, args: &[String]) -> Result<PyRun, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/python/clients.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .await
        .map_err(|e| format!("python: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "python {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("python output: {e}"))?;
    let millis = |v: &serde_json::Value| Duration::from_secs_f64(v.as_f64().unwrap_or(0.0) / 1e3);
    let series = |name: &str| {
        let samples = v[name]["samples_ms"]
            .as_array()
            .map(|a| a.iter().map(millis).collect())
            .unwrap_or_default();
        let wall = Duration::from_secs_f64(v[name]["wall_s"].as_f64().unwrap_or(0.0));
        Summary::of(samples, wall)
    };
    Ok(PyRun {
        first_answer: millis(&v["first_answer_ms"]),
        login: v.get("login_ms").map(millis),
        lookup: series("lookup"),
        create: series("create"),
    })
}
