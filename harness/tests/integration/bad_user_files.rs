//! A user's files that cannot be replayed end in one clear message before
//! any program starts: `oidc-harness diagnose` on each folder of
//! `fixtures/bad/diagnose/` exits 2 (an unusable file) with the file,
//! line:column where there is one, and what was expected, as its
//! `expected-error` says (the folder shown as `DIR`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn bad() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bad/diagnose")
}

/// `oidc-harness diagnose <a copy of the folder>`: exit 2, nothing on
/// stdout, no program started, and stderr's first line as expected.
#[track_caller]
fn check(name: &str) {
    let source = bad().join(name);
    let copy = tempfile::tempdir().unwrap();
    let dir = copy.path().join(name);
    std::fs::create_dir(&dir).unwrap();
    let mut expected = None;
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "expected-error") {
            expected = Some(std::fs::read_to_string(&path).unwrap());
        } else {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let expected = expected.unwrap_or_else(|| panic!("{name} has no expected-error"));
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .arg("diagnose")
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&dir.display().to_string(), "DIR");
    assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{name} printed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !stderr.contains("starting Keycloak"),
        "{name} started programs: {stderr}"
    );
    assert_eq!(
        stderr.lines().next().unwrap_or_default(),
        format!("error: {}", expected.trim_end()),
        "{name}"
    );
}

macro_rules! bad_folders {
    ($($test:ident: $name:literal,)*) => {
        $(#[test]
        fn $test() {
            check($name);
        })*

        /// Every folder of `fixtures/bad/diagnose/` is one of the tests above.
        #[test]
        fn every_bad_folder_has_a_test() {
            let named = [$($name),*];
            for entry in std::fs::read_dir(bad()).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().to_string();
                assert!(named.contains(&name.as_str()), "{name} has no test");
            }
            assert!(named.len() >= 28);
        }
    };
}

bad_folders! {
    authentication_config_not_yaml: "authentication-config-not-yaml",
    binary_file: "binary-file",
    certificate_not_pem: "certificate-not-pem",
    client_settings_without_redirect_uri: "client-settings-without-redirect-uri",
    configmap_value_not_yaml: "configmap-value-not-yaml",
    connector_not_keycloak: "connector-not-keycloak",
    dex_deployment_secret_missing: "dex-deployment-secret-missing",
    dex_with_nothing_to_sign_in_at: "dex-with-nothing-to-sign-in-at",
    empty_file: "empty-file",
    empty_folder: "empty-folder",
    kind_config_patch_not_yaml: "kind-config-patch-not-yaml",
    kubeconfig_without_kubelogin: "kubeconfig-without-kubelogin",
    oauth2_proxy_cfg_not_toml: "oauth2-proxy-cfg-not-toml",
    oauth2_proxy_issuer_not_keycloak: "oauth2-proxy-issuer-not-keycloak",
    oauth2_proxy_without_realm: "oauth2-proxy-without-realm",
    password_db_without_users: "password-db-without-users",
    rbac_not_yaml: "rbac-not-yaml",
    realm_without_passwords: "realm-without-passwords",
    secret_key_missing: "secret-key-missing",
    secret_missing: "secret-missing",
    secret_not_base64: "secret-not-base64",
    sign_in_users_malformed: "sign-in-users-malformed",
    static_pod_without_oidc_flags: "static-pod-without-oidc-flags",
    truncated_realm: "truncated-realm",
    two_certificates_of_one_issuer: "two-certificates-of-one-issuer",
    two_dex_configs: "two-dex-configs",
    two_realm_exports: "two-realm-exports",
    unknown_file: "unknown-file",
}

#[test]
fn a_folder_that_is_not_there() {
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .args(["diagnose", "/nonexistent/deployment"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default(),
        "error: /nonexistent/deployment: no such folder: give the folder of your deployment's files (or the files one by one: --realm, --dex-config, ...)"
    );
}

#[test]
fn a_file_where_the_folder_should_be() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .arg("diagnose")
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default(),
        format!(
            "error: {}: not a folder: give the folder of your deployment's files (or the files one by one: --realm, --dex-config, ...)",
            file.path().display()
        )
    );
}
