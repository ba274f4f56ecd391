//! Nothing outlives the harness: after `kill -9` of a running `oidc-harness
//! run`, no Keycloak, Dex, chromedriver or Chromium of that run remains.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Pids whose command line mentions `marker`.
fn processes_mentioning(marker: &str) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) {
            found.push((pid, cmdline));
        }
    }
    found
}

fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}

/// `kill -9` of the harness; within `bound`, no process mentioning `marker`
/// (the run's output folder) is left.
fn kill_9_and_expect_nothing_left(
    harness: &mut std::process::Child,
    marker: &str,
    bound: Duration,
    when: &str,
) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(harness.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    harness.wait().unwrap();
    let clean = wait_for(bound, || processes_mentioning(marker).is_empty());
    assert!(clean, "{when}: {:#?}", processes_mentioning(marker));
}

#[test]
fn kill_9_of_a_running_harness_leaves_no_process() {
    let out = tempfile::tempdir().unwrap();
    let marker = out.path().display().to_string();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut harness = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .args(["run", "--scenarios"])
        .arg(&scenarios)
        .env("OIDC_HARNESS_OUT", out.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the run has Keycloak, Dex and a Chromium up: the busiest moment.
    let busy = wait_for(Duration::from_secs(600), || {
        let procs = processes_mentioning(&marker);
        let has = |what: &str| procs.iter().any(|(_, c)| c.contains(what));
        has("keycloak") && has("dex.yaml") && has("chromium-profile")
    });
    assert!(
        busy,
        "the run never had keycloak, dex and chromium up at once: {:?}",
        processes_mentioning(&marker)
    );
    kill_9_and_expect_nothing_left(
        &mut harness,
        &marker,
        Duration::from_secs(15),
        "left running after kill -9: {:#?}",
    );
}

/// The shared Keycloak's keeper outlives the harness by design; when the
/// harness dies while Keycloak is still starting, the keeper stops the start
/// at once instead of finishing it (a minute on a busy machine) first.
#[test]
fn kill_9_during_keycloak_start_leaves_no_process() {
    let out = tempfile::tempdir().unwrap();
    let marker = out.path().display().to_string();
    let folder =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/user-configs/paletteai-healthy");
    let mut harness = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .arg("diagnose")
        .arg(&folder)
        .env("OIDC_HARNESS_OUT", out.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let starting = wait_for(Duration::from_secs(300), || {
        processes_mentioning(&marker)
            .iter()
            .any(|(_, c)| c.contains("kc.sh"))
    });
    assert!(starting, "Keycloak never started");
    assert!(
        !out.path()
            .join(".runs")
            .read_dir()
            .unwrap()
            .flatten()
            .any(|run| run.path().join("keycloak.json").exists()),
        "Keycloak was already up: the kill did not come during its start"
    );
    kill_9_and_expect_nothing_left(
        &mut harness,
        &marker,
        Duration::from_secs(10),
        "left running after kill -9 during Keycloak's start: {:#?}",
    );
}

/// kubelogin and the browser it opens run in groups the watchdog knows: a
/// `kill -9` of the harness while kubelogin waits for the sign-in leaves
/// neither, nor the apiserver and etcd of the case.
#[test]
fn kill_9_during_a_kubelogin_step_leaves_no_process() {
    let out = tempfile::tempdir().unwrap();
    let marker = out.path().display().to_string();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut harness = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .args(["run", "paletteai-apiserver/kubelogin/base", "--scenarios"])
        .arg(&scenarios)
        .env("OIDC_HARNESS_OUT", out.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let in_kubelogin = wait_for(Duration::from_secs(600), || {
        let procs = processes_mentioning(&marker);
        let has = |what: &str| procs.iter().any(|(_, c)| c.contains(what));
        has("oidc-login") && has("kube-apiserver")
    });
    assert!(
        in_kubelogin,
        "the run never reached a kubelogin step: {:?}",
        processes_mentioning(&marker)
    );
    kill_9_and_expect_nothing_left(
        &mut harness,
        &marker,
        Duration::from_secs(15),
        "left running after kill -9 during kubelogin: {:#?}",
    );
}
