//! Two runs side by side pass: no fixed port, no shared state between runs.
//! Each run has its own output folder (and so its own Keycloak, Dex,
//! Chromium, apiserver); both run the case whose kubelogin listens on its
//! fixed default port 8000, which the two must take turns on.

use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn two_runs_side_by_side_both_pass() {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let outs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let runs: Vec<_> = outs
        .iter()
        .map(|out| {
            Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
                .args([
                    "run",
                    "paletteai-apiserver/kubelogin/guide-default-port",
                    "--scenarios",
                ])
                .arg(&scenarios)
                .env("OIDC_HARNESS_OUT", out.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, run) in runs.into_iter().enumerate() {
        let out = run.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "run {} of two side by side failed:\n{}{}",
            i + 1,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("guide-default-port") && text.contains("1 passed"),
            "run {} did not report its case passed:\n{text}",
            i + 1
        );
    }
}
