//! The guide's kind cluster config as the harness renders it from a
//! scenario, and `oidc-harness kind create` where no Docker engine answers.

use std::path::{Path, PathBuf};
use std::process::Command;

use oidc_harness::scenario::kind::{KindValues, render_case};
use oidc_harness::scenario::{Case, ScenarioFile};
use serde_json::Value;

const ISSUER: &str = "https://dex.example.test:5554/dex";

fn guide_003() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/paletteai-apiserver/kubelogin.yaml")
}

fn case(variant: Option<&str>) -> Case {
    ScenarioFile::load(&guide_003())
        .unwrap()
        .cases()
        .into_iter()
        .find(|c| c.variant.as_ref().map(|v| v.name.as_str()) == variant)
        .unwrap()
}

/// The rendered config, and the kubeadm ClusterConfiguration patch in it.
fn rendered(variant: Option<&str>, dir: &Path) -> (String, Value, Value) {
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, "-----BEGIN CERTIFICATE-----\n").unwrap();
    let text = render_case(
        &case(variant),
        &KindValues {
            issuer: ISSUER,
            ca_file: &ca_file,
            name: "dev",
            api_server_port: 6443,
            dir,
        },
    )
    .unwrap();
    let config: Value = oidc_harness::infra::yaml::from_str(&text).unwrap();
    let patch: Value = oidc_harness::infra::yaml::from_str(
        config["nodes"][0]["kubeadmConfigPatches"][0]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    (text, config, patch)
}

#[test]
fn kind_config_has_the_guides_flags_and_an_empty_username_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let (text, config, patch) = rendered(None, dir.path());
    assert_eq!(config["kind"], "Cluster");
    assert_eq!(config["apiVersion"], "kind.x-k8s.io/v1alpha4");
    assert_eq!(config["networking"]["apiServerAddress"], "127.0.0.1");
    assert_eq!(config["networking"]["apiServerPort"], 6443);
    assert_eq!(config["nodes"][0]["role"], "control-plane");
    assert_eq!(patch["kind"], "ClusterConfiguration");
    let expected: Value = oidc_harness::infra::yaml::from_str(&format!(
        "oidc-issuer-url: {ISSUER}\n\
         oidc-client-id: kubernetes\n\
         oidc-username-claim: email\n\
         oidc-username-prefix: \"\"\n\
         oidc-groups-claim: groups\n\
         oidc-ca-file: /etc/kubernetes/pki/oidc-ca.crt\n"
    ))
    .unwrap();
    assert_eq!(patch["apiServer"]["extraArgs"], expected, "{text}");
    // The empty prefix is the empty string: not null (a bare key), not the
    // two characters `""`.
    assert_eq!(
        patch["apiServer"]["extraArgs"]["oidc-username-prefix"],
        Value::String(String::new()),
        "{text}"
    );
    assert!(
        text.contains("        oidc-username-prefix: \"\"\n"),
        "{text}"
    );
    let mount = &config["nodes"][0]["extraMounts"][0];
    assert_eq!(
        mount["hostPath"].as_str(),
        Some(dir.path().join("ca.pem").to_str().unwrap())
    );
    assert_eq!(mount["containerPath"], "/etc/kubernetes/pki/oidc-ca.crt");
    assert_eq!(mount["readOnly"], true);
}

#[test]
fn kind_config_of_an_authentication_configuration_mounts_it_instead_of_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (text, config, patch) = rendered(Some("authentication-config"), dir.path());
    let args = patch["apiServer"]["extraArgs"].as_object().unwrap();
    assert_eq!(args.len(), 1, "{text}");
    assert_eq!(
        args["authentication-config"],
        "/etc/kubernetes/pki/authentication-config.yaml"
    );
    let host = config["nodes"][0]["extraMounts"][0]["hostPath"]
        .as_str()
        .unwrap();
    let written: Value =
        oidc_harness::infra::yaml::from_str(&std::fs::read_to_string(host).unwrap()).unwrap();
    assert_eq!(written["kind"], "AuthenticationConfiguration");
    assert_eq!(written["jwt"][0]["issuer"]["url"], ISSUER);
}

#[test]
fn kind_create_without_a_docker_engine_says_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .args(["kind", "create", "--scenario"])
        .arg(guide_003())
        .env(
            "DOCKER_HOST",
            format!("unix://{}/no-engine.sock", dir.path().display()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("kind: "), "{stderr}");
    assert!(lines[0].contains("docker"), "{stderr}");
    assert!(
        lines[0].ends_with("the native etcd + kube-apiserver runs every scenario without them"),
        "{stderr}"
    );
}
