//! `ci/nightly.yml` passes a real workflow linter (actionlint, built from the
//! Go module proxy at its pin), and the linter is not a rubber stamp: the same
//! file with a misspelled key fails. `ci/summary.py` names failures and new
//! findings per guide.

use std::path::Path;
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn lint(file: &Path) -> std::process::Output {
    let actionlint = oidc_harness::toolchain::actionlint().unwrap();
    Command::new(actionlint)
        .args(["-no-color", "-shellcheck=", "-pyflakes="])
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn the_nightly_workflow_passes_actionlint() {
    let workflow = repo().join("ci/nightly.yml");
    let out = lint(&workflow);
    assert!(
        out.status.success(),
        "actionlint ci/nightly.yml:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let broken_dir = tempfile::tempdir().unwrap();
    let broken = broken_dir.path().join("nightly.yml");
    let text = std::fs::read_to_string(&workflow).unwrap();
    std::fs::write(
        &broken,
        text.replacen("timeout-minutes:", "timeout-minute:", 1),
    )
    .unwrap();
    let out = lint(&broken);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a misspelled key passed: {said}");
    assert!(said.contains("\"timeout-minute\""), "{said}");
}

#[test]
fn the_summary_names_failures_and_new_findings_per_guide() {
    let root = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let p = root.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let report = |name: &str, finding: &str| {
        serde_json::json!({"name": name, "findings": [finding]}).to_string()
    };
    write(
        "harness-pinned-native-1/target/harness/a/report.json",
        &report("kubeflow/dex-keycloak/base", "old finding"),
    );
    write(
        "harness-newest-native-1/target/harness/a/report.json",
        &report("kubeflow/dex-keycloak/base", "a changed behaviour"),
    );
    write(
        "harness-newest-native-1/target/nextest/ci/junit.xml",
        r#"<testsuites><testsuite name="scenarios"><testcase name="kubeflow/dex-keycloak/base"><failure message="x"/></testcase><testcase name="osmo/keycloak/base"/></testsuite></testsuites>"#,
    );
    let out = Command::new("python3")
        .arg(repo().join("ci/summary.py"))
        .arg(root.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("### newest-native-1\n\n- **kubeflow**: `kubeflow/dex-keycloak/base`\n"),
        "{text}"
    );
    assert!(!text.contains("`osmo/keycloak/base`"), "{text}");
    assert!(
        text.contains("- a changed behaviour **new** (newest-native-1)"),
        "{text}"
    );
    assert!(text.contains("- old finding\n"), "{text}");
}
