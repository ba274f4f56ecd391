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

/// `oidc-harness` with its output (and so every program's files) under
/// `out`, its own output discarded.
fn harness_in(out: &tempfile::TempDir, args: impl FnOnce(&mut Command)) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oidc-harness"));
    args(&mut cmd);
    cmd.env("OIDC_HARNESS_OUT", out.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
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
    let mut harness = harness_in(&out, |cmd| {
        cmd.args(["run", "--scenarios"]);
        cmd.arg(&scenarios);
    });
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
        "left running after kill -9",
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
    let mut harness = harness_in(&out, |cmd| {
        cmd.arg("diagnose");
        cmd.arg(&folder);
    });
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
        "left running after kill -9 during Keycloak's start",
    );
}

/// A `kill -9` of the harness while kubelogin waits for the sign-in leaves
/// neither kubelogin nor kubectl, nor the apiserver and etcd of the case.
#[test]
fn kill_9_during_a_kubelogin_step_leaves_no_process() {
    let out = tempfile::tempdir().unwrap();
    let marker = out.path().display().to_string();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut harness = harness_in(&out, |cmd| {
        cmd.args(["run", "paletteai-apiserver/kubelogin/base", "--scenarios"]);
        cmd.arg(&scenarios);
    });
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
        "left running after kill -9 during kubelogin",
    );
}

/// Containers of the run (their first mount, label `oidc-harness.dir`, is
/// under `marker`), with the program each runs.
fn containers_under(marker: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args([
            "ps",
            "-a",
            "--format",
            "{{.Label \"oidc-harness.dir\"}} {{.Label \"oidc-harness.program\"}}",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with(marker))
        .map(String::from)
        .collect()
}

/// On the container backend, a `kill -9` of the harness with Keycloak, Dex
/// and oauth2-proxy up as containers (and Chromium as a process) leaves no
/// container and no process of the run.
#[test]
fn kill_9_on_the_container_backend_leaves_no_container() {
    let out = tempfile::tempdir().unwrap();
    let marker = out.path().display().to_string();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut harness = harness_in(&out, |cmd| {
        cmd.args(["run", "kubeflow/dex-keycloak/base", "--scenarios"])
            .arg(&scenarios)
            .env("OIDC_HARNESS_BACKEND", "containers")
            .env("OIDC_HARNESS_IMAGES", "local");
    });
    let busy = wait_for(Duration::from_secs(600), || {
        let running = containers_under(&marker);
        let has = |what: &str| running.iter().any(|c| c.ends_with(what));
        has(" keycloak")
            && has(" dex")
            && has(" oauth2-proxy")
            && processes_mentioning(&marker)
                .iter()
                .any(|(_, c)| c.contains("chromium-profile"))
    });
    assert!(
        busy,
        "the run never had keycloak, dex and oauth2-proxy containers and chromium up at once: {:?}",
        containers_under(&marker)
    );
    kill_9_and_expect_nothing_left(
        &mut harness,
        &marker,
        Duration::from_secs(20),
        "processes left after kill -9 on the container backend",
    );
    let gone = wait_for(Duration::from_secs(20), || {
        containers_under(&marker).is_empty()
    });
    assert!(gone, "containers left: {:?}", containers_under(&marker));
}
